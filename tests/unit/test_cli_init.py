"""`archivist init`, the first-run set-up, driven non-interactively (the flags a script or an installer uses)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder

from archivist.cli import cli
from archivist.settings import Settings


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "zephyr.md").write_text("# Zephyr\n\nThe Zephyr service listens on port 7431.\n")
    return d


def test_init_with_flags_sets_up_everything(run, home: Path, docs: Path) -> None:
    result = run("init", "--folder", str(docs), "--profile", "analyst", "--yes")
    assert result.exit_code == 0, result.output
    assert "Created the encrypted index" in result.output and f"Added: {docs}" in result.output
    assert "1 added" in result.output
    config = home / "config" / "config.toml"
    assert Settings.load(config).profile == "analyst"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    status = json.loads(run("status", "--json").output)
    assert [f["path"] for f in status["folders"]] == [str(docs)]
    search = json.loads(run("search", "--json", "Zephyr port").output)
    assert search["results"][0]["path"].endswith("zephyr.md")


def test_init_keeps_the_rest_of_an_existing_config(run, home: Path, docs: Path) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('# my settings\nprofile = "old"\n\n[retrieval]\ntop_k = 4\n')
    result = run("init", "--folder", str(docs), "--profile", "new", "--yes", "--no-index")
    assert result.exit_code == 0, result.output
    settings = Settings.load(config)
    assert settings.profile == "new" and settings.retrieval.top_k == 4
    assert "# my settings" in config.read_text() and config.read_text().count("profile =") == 1
    assert "Run `archivist index`" in result.output


def test_init_on_a_set_up_machine_changes_nothing(run, docs: Path) -> None:
    assert run("init", "--folder", str(docs), "--yes", "--no-index").exit_code == 0
    again = run("init", "--yes")
    assert again.exit_code == 0 and "already set up" in again.output


def test_init_refuses_a_missing_folder_and_a_bad_profile(run, home: Path, tmp_path: Path, docs: Path) -> None:
    missing = run("init", "--folder", str(tmp_path / "nope"), "--yes")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad = run("init", "--folder", str(docs), "--profile", "../etc", "--yes")
    assert bad.exit_code == 2 and "not allowed" in bad.output
    assert not (home / "data" / "index.db").exists()


def test_init_without_a_passphrase_and_no_terminal_says_how(run, docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVIST_PASSPHRASE")
    result = run("init", "--folder", str(docs), "--yes")
    assert result.exit_code == 2 and "ARCHIVIST_PASSPHRASE" in result.output
