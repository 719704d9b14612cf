"""Follow-ups carry the earlier question's scope; the scope and the document metadata are shown and correctable
from the command line."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, FakeGenerator

from archivist.answer.followup import looks_like_follow_up, rewrite
from archivist.cli import cli
from archivist.ingest.metadata import DocMeta

DOCS = {1: (Path("/d/GANNET_2024_10K.pdf"), DocMeta("", "Gannet Logistics Inc.", "FY2024", "10-K", ("GANNET",))),
        2: (Path("/d/HERON_2024_10K.pdf"), DocMeta("", "Heron Shipping plc", "FY2024", "10-K", ("HERON", "HRN")))}
EARLIER = "What was the FY2024 capital expenditure of Gannet Logistics?"


@pytest.mark.parametrize(("typed", "whole"), [
    ("and in 2023?", "What was the FY2023 capital expenditure of Gannet Logistics?"),
    ("what about Heron Shipping?", "What was the FY2024 capital expenditure of Heron Shipping?"),
    ("And FY22?", "What was the FY2022 capital expenditure of Gannet Logistics?"),
    ("and the dividends paid?", "What is the dividends paid (Gannet Logistics, FY2024)?"),
])
def test_a_follow_up_is_rewritten_in_the_earlier_scope(typed: str, whole: str) -> None:
    assert looks_like_follow_up(typed)
    assert rewrite(typed, EARLIER, DOCS).question == whole


def test_a_range_of_years_moves_together_and_a_question_without_one_gains_it() -> None:
    assert rewrite("and in 2025?", "Revenue growth from FY2023 to FY2024 for Heron Shipping?", DOCS).question == \
        "Revenue growth from FY2024 to FY2025 for Heron Shipping?"
    assert rewrite("and in 2025?", "What was Heron Shipping's revenue?", DOCS).question == \
        "What was Heron Shipping's revenue in FY2025?"


def test_a_whole_question_is_not_a_follow_up() -> None:
    assert not looks_like_follow_up("What was the FY2023 capital expenditure of Heron Shipping?")
    assert not looks_like_follow_up("and")


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator", lambda settings, model=None: FakeGenerator(""))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def filings(tmp_path: Path) -> Path:
    d = tmp_path / "filings"
    d.mkdir()
    for name, capex in (("GANNET_2023_10K.md", "1,373"), ("GANNET_2024_10K.md", "1,577"),
                        ("HERON_2024_10K.md", "2,020")):
        (d / name).write_text(f"# Cash flows\n\nPurchases of property, plant and equipment were {capex} million.\n")
    return d


def _schema(name: str) -> dict:
    return json.loads(resources.files("archivist").joinpath(f"schemas/{name}.json").read_text())


def test_ask_follow_up_from_the_command_line_says_what_it_asked(run, filings: Path) -> None:
    assert run("add", str(filings)).exit_code == 0 and run("index").exit_code == 0
    first = json.loads(run("ask", "--json", "--extractive", "GANNET purchases of property FY2024?").stdout)
    jsonschema.validate(first, _schema("ask"))
    assert first["scope"]["entities"] == ["GANNET"] and first["scope"]["years"] == [2024]
    assert first["scope"]["documents"] == [str(filings / "GANNET_2024_10K.md")]
    assert first["citations"][0]["path"].endswith("GANNET_2024_10K.md")
    follow = json.loads(run("ask", "--json", "--extractive", "--follow-up", "and in 2023?").stdout)
    jsonschema.validate(follow, _schema("ask"))
    assert follow["follow_up"]["asked"] == "and in 2023?"
    assert follow["question"] == follow["follow_up"]["question"] == "GANNET purchases of property FY2023?"
    assert follow["citations"][0]["path"].endswith("GANNET_2023_10K.md")
    plain = run("ask", "--extractive", "--follow-up", "what about HERON?")
    assert "Asked as: HERON purchases of property FY2023?" in " ".join(plain.stdout.split())
    assert "Favoured: HERON" in plain.stdout and "HERON_2024_10K.md" in plain.stdout


def test_ask_follow_up_without_an_earlier_question_says_what_to_do(run, filings: Path) -> None:
    assert run("add", str(filings)).exit_code == 0 and run("index").exit_code == 0
    result = CliRunner().invoke(cli, ["ask", "--follow-up", "and in 2023?"])
    assert result.exit_code != 0
    assert "no earlier question" in result.output and "archivist history" in result.output


def test_meta_shows_corrects_and_resets_what_a_file_is(run, filings: Path) -> None:
    assert run("add", str(filings)).exit_code == 0 and run("index").exit_code == 0
    target = filings / "HERON_2024_10K.md"
    shown = json.loads(run("meta", "--json", str(target)).stdout)
    assert (shown["entity"], shown["period"], shown["doc_type"], shown["corrected"]) == \
        ("HERON", "FY2024", "10-K", [])
    fixed = json.loads(run("meta", "--json", str(target), "--entity", "Heron Shipping plc").stdout)
    assert fixed["entity"] == "Heron Shipping plc" and fixed["corrected"] == ["entity"]
    status = json.loads(run("status", "--json").stdout)
    row = next(d for d in status["documents"] if d["path"] == str(target))
    assert row["entity"] == "Heron Shipping plc" and row["corrected"] == ["entity"]
    search = json.loads(run("search", "--json", "Heron Shipping purchases of property").stdout)
    assert search["scope"]["entities"] == ["Heron Shipping plc"]
    assert search["results"][0]["path"] == str(target)
    reset = json.loads(run("meta", "--json", str(target), "--reset").stdout)
    assert reset["entity"] == "HERON" and reset["corrected"] == []
    missing = CliRunner().invoke(cli, ["meta", str(filings / "nope.md")])
    assert missing.exit_code != 0 and "not an indexed file" in missing.output
