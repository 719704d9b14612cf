"""The CLI as a user meets it: one-line errors with exit 2, JSON that validates, status with reasons."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, FakeGenerator

from archivist.cli import cli


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator",
                        lambda settings, model=None: FakeGenerator("The Zephyr service listens on port 7431 [1]."))
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):  # noqa: ANN202
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "zephyr.md").write_text("# Zephyr\n\nThe Zephyr service listens on port 7431.\n")
    (d / "broken.pdf").write_bytes(b"%PDF-1.7\ngarbage")
    return d


def _schema(name: str) -> dict:
    return json.loads(resources.files("archivist").joinpath(f"schemas/{name}.json").read_text())


def _one_line_error(result) -> str:  # noqa: ANN001
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    return lines[0]


def test_add_index_search_ask_status(run, docs: Path) -> None:
    assert run("add", str(docs)).exit_code == 0
    result = run("index")
    assert result.exit_code == 0 and "1 added" in result.stdout and "broken.pdf" in result.stdout
    search = json.loads(run("search", "--json", "Zephyr port").stdout)
    jsonschema.validate(search, _schema("search"))
    assert search["results"][0]["path"].endswith("zephyr.md")
    ask = json.loads(run("ask", "--json", "What port does the Zephyr service listen on?").stdout)
    jsonschema.validate(ask, _schema("ask"))
    assert ask["abstained"] is False and ask["citations"][0]["path"].endswith("zephyr.md")
    status = run("status")
    assert "broken.pdf" in status.stdout and "not a readable PDF" in status.stdout
    plain = run("ask", "What port does the Zephyr service listen on?")
    assert "7431" in plain.stdout and "zephyr.md" in plain.stdout and "Sources" in plain.stdout


def test_search_and_ask_read_unquoted_words_as_one_query(run, docs: Path) -> None:
    assert run("add", str(docs)).exit_code == 0 and run("index").exit_code == 0
    search = json.loads(run("search", "--json", "Zephyr", "port").stdout)
    assert search["query"] == "Zephyr port" and search["results"][0]["path"].endswith("zephyr.md")
    ask = json.loads(run("ask", "--json", "What", "port", "does", "Zephyr", "use?").stdout)
    assert ask["question"] == "What port does Zephyr use?" and not ask["abstained"]
    assert run("ask").exit_code == 2  # a question is still required


def test_ask_about_an_absent_fact_abstains(run, docs: Path) -> None:
    run("add", str(docs))
    run("index")
    data = json.loads(run("ask", "--json", "What is the airspeed of the lunar ferry to Titan?").stdout)
    assert data["abstained"] is True and data["answer"] == "Not found in your documents."


def test_wrong_passphrase_is_one_line_exit_2(run, docs: Path) -> None:
    run("add", str(docs))
    line = _one_line_error(run("status", env={"ARCHIVIST_PASSPHRASE": "wrong"}))
    assert "Wrong passphrase" in line and "ARCHIVIST_PASSPHRASE" in line


def test_missing_folder_is_one_line_exit_2(run, tmp_path: Path) -> None:
    line = _one_line_error(run("add", str(tmp_path / "nope")))
    assert "does not exist" in line


def test_model_that_is_not_gguf_is_one_line_exit_2(run, docs: Path, tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("definitely not a model")
    run("add", str(docs))
    run("index")
    line = _one_line_error(run("ask", "--model", str(fake), "What port?"))
    assert "not a GGUF model" in line and str(fake) in line


def test_index_without_folders_says_what_to_do(run) -> None:
    line = _one_line_error(run("index"))
    assert "archivist add" in line


def test_missing_folder_at_index_time_keeps_the_rest(run, docs: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("The Heron cluster has 14 nodes.\n")
    run("add", str(docs), str(other))
    run("index")
    docs.rename(tmp_path / "moved-away")
    result = run("index")
    assert result.exit_code == 1 and "does not exist" in result.output
    search = json.loads(run("search", "--json", "Zephyr port").stdout)
    assert any(r["path"].endswith("zephyr.md") for r in search["results"]), "index of a missing folder kept"


def test_locate_prints_every_path(run, home: Path) -> None:
    out = run("locate").stdout
    for name in ("config", "data", "index", "cache", "models"):
        assert name in out
    assert str(home) in out


def test_a_terminal_sees_the_quotes_while_the_model_writes() -> None:
    import io

    from rich.console import Console

    from archivist.cli.commands.ask import live_answer

    screen = io.StringIO()
    to = Console(file=screen, force_terminal=True, width=100, color_system=None)
    with live_answer(to) as live:
        live.event({"event": "token", "text": "It listens on"})  # as the watch daemon streams it
        live.quoted("“The Zephyr backup service listens on port 7431.” [1]")  # drawn at once
        to.file.flush()
        during = screen.getvalue()
    assert "port 7431" in during and "while the model writes" in during and "It listens on" in during
