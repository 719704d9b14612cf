"""The formats as a user meets them on the command line: `search --json` says where in a workbook, a deck or
an e-mail a passage is (``location``, in the schema), and files that cannot be read are counted and named."""

from __future__ import annotations

import json
from email.message import EmailMessage
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, FakeGenerator
from test_slides import make_deck
from test_spreadsheets import make_workbook

from archivist.cli import cli


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator", lambda settings, model=None: FakeGenerator(""))
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "analyst"
    d.mkdir()
    make_workbook(d / "regional-sales.xlsx")
    make_deck(d / "board-deck.pptx")
    msg = EmailMessage()
    msg["Subject"] = "Osprey renewal"
    msg["From"] = "lena@halvard.example"
    msg.set_content("Schedule attached.")
    msg.add_attachment(b"Osprey support hours are 07:00 to 19:00 CET.\n", maintype="text", subtype="plain",
                       filename="service-schedule.txt")
    (d / "osprey.eml").write_bytes(msg.as_bytes())
    return d


def search(run, query: str) -> list[dict]:  # noqa: ANN001
    data = json.loads(run("search", "--json", query).stdout)
    jsonschema.validate(data, json.loads(resources.files("archivist").joinpath("schemas/search.json").read_text()))
    return data["results"]


def test_search_json_says_which_sheet_slide_and_attachment(run, folder: Path) -> None:
    assert run("add", str(folder)).exit_code == 0 and run("index").exit_code == 0
    sheet = next(h for h in search(run, "Tamarind Quay") if h["path"].endswith(".xlsx"))
    assert sheet["location"].startswith("FY2025!A") and sheet["page"] is None
    notes = next(h for h in search(run, "lynxmarble dredging permit") if h["path"].endswith(".pptx"))
    assert notes["page"] == 2 and notes["location"] == "slide 2, speaker notes"
    mail = next(h for h in search(run, "Osprey support hours") if "07:00" in h["text"])
    assert mail["location"] == 'Message "Osprey renewal" > service-schedule.txt > line 1'
    plain = run("search", "Osprey support hours").stdout
    assert "service-schedule.txt" in plain  # the terminal shows it too


def test_files_not_read_are_counted_by_type_and_named_with_what_to_do(run, folder: Path) -> None:
    (folder / "budget.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    (folder / "old-plan.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    (folder / "photos.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (folder / "site-visit.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    assert run("add", str(folder)).exit_code == 0
    index = run("index").stdout
    assert "3 file(s) not indexed (1 .doc, 1 .msg, 1 .zip)" in index
    assert "1 file(s) of types Archivist does not read" in index
    status = json.loads(run("status", "--json").stdout)
    assert status["not_read_by_type"] == {".doc": 1, ".msg": 1, ".zip": 1}
    reasons = {Path(p["path"]).name: p["reason"] for p in status["problems"]}
    assert "save it as .docx" in reasons["old-plan.doc"] and "not a readable Outlook message" in reasons["budget.msg"]
    assert "Unpack it" in reasons["photos.zip"]
    assert "Not indexed (1 .doc, 1 .msg, 1 .zip)" in run("status").stdout
    data = json.loads(run("index", "--json").stdout)
    assert {(Path(p["path"]).name, p["type"]) for p in data["problems"]} == {
        ("budget.msg", ".msg"), ("old-plan.doc", ".doc"), ("photos.zip", ".zip")}
    assert data["unsupported"] == 1
