"""The command line and the terminal UI are two shells over one application layer: the same scenario played
through each leaves the same index, the same generations and the same audit trail and history.

Each shell gets a home of its own, seeded alike through the application layer (a folder indexed with the default
chunking), then a config that cuts passages smaller, so that indexing builds a second generation. The scenario:
index (the next generation is built); add a folder while the watch daemon holds the writer lock (nothing can be
indexed, and the folder must still reach the generation being built); index again; search; ask in extractive
mode. The state is compared after each step, so a shell that skips part of a use case (the terminal UI's add once
left the next generation without the folder, its re-index built no generation) fails at the step where it
diverges. Last, the terminal UI opens the first passage of its answer and of its search: the audit trail records the
passages the command line's answer and search showed first. Fake models (``tests/conftest.py``); real SQLCipher
files, real folders.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import PASSPHRASE, FakeEmbedder, FakeGenerator
from textual.pilot import Pilot

from archivist.app.workspace import open_workspace
from archivist.cli import cli
from archivist.index import generations
from archivist.index.generations import CURRENT, READY
from archivist.index.lock import WriterLock
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.settings import Settings
from archivist.storage.state import StateStore
from archivist.tui.app import ArchivistApp
from archivist.tui.opener import OpenPlan
from archivist.tui.screens.passage import PassageScreen
from archivist.tui.widgets.citations import CitationsPane
from archivist.tui.widgets.question import QuestionInput
from archivist.watch.daemon import DAEMON_ROLE

SEARCH = "Zephyr backup port"
QUESTION = "How long are client contracts retained?"
SMALLER_PASSAGES = "[chunk]\nmax_tokens = 32\noverlap_tokens = 0\n"
STEPS = ("index", "add while the daemon writes", "index again", "search and ask")


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """``docs`` (indexed before the scenario) and ``more`` (added during it)."""
    docs, more = tmp_path / "docs", tmp_path / "more"
    docs.mkdir()
    more.mkdir()
    (docs / "zephyr-runbook.md").write_text(
        "# Zephyr backup runbook\n\nThe Zephyr backup service listens on port 7431 and writes snapshots to the vault "
        "every six hours.\n\nIf a snapshot fails twice in a row, page the storage on-call engineer.\n")
    (docs / "retention.txt").write_text(
        "Record retention policy.\nClient contracts are retained for eleven years after termination.\n"
        "Draft memos are deleted after ninety days.\n")
    (more / "memo.txt").write_text("The Heron ingest cluster has 14 nodes in the Frankfurt region.\n"
                                   "Client contracts for Heron are reviewed every two years.\n")
    return docs, more


@pytest.fixture
def shell_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folders: tuple[Path, Path]) -> Callable[[str], Paths]:
    """``shell_home(name)``: a home of its own (ARCHIVIST_HOME points at it from then on) with ``docs`` indexed by
    the application layer, and a config that calls for smaller passages (a second generation)."""
    monkeypatch.setenv("ARCHIVIST_PASSPHRASE", PASSPHRASE)
    for var in [v for v in os.environ if v.startswith("ARCHIVIST_") and "__" in v]:
        monkeypatch.delenv(var)

    def make(name: str) -> Paths:
        monkeypatch.setenv("ARCHIVIST_HOME", str(tmp_path / name))
        paths = Paths.resolve()
        ws = open_workspace(paths, Settings.load(paths.config_file), embedder=FakeEmbedder,
                            generator=lambda: FakeGenerator(""))
        try:
            ws.add_folders([folders[0]])
            ws.index("parity test seed")
        finally:
            ws.close()
        paths.config_dir.mkdir(parents=True, exist_ok=True)
        paths.config_file.write_text(SMALLER_PASSAGES)
        return paths

    return make


def snapshot(paths: Paths) -> dict[str, Any]:
    """Everything the scenario changes: each generation (status, what built it, folders, files, passages), and the
    audit trail and history, the passages they name given by file, line and text (ids are a file's own)."""
    gens, named = [], {}
    for g in generations.load(paths).generations:
        store = Store.open(g.path(paths), PASSPHRASE)
        try:
            files = store.files()
            chunks = store.chunks(store.chunk_ids_of_files([f.id for f in files])).values()
            gens.append({"id": g.id, "status": g.status, "fingerprint": g.fingerprint, "built_from": g.built_from,
                         "folders": sorted(str(f.path) for f in store.folders()),
                         "files": sorted((str(f.path), f.status, f.sha256) for f in files),
                         "passages": sorted((str(c.path), c.page, c.line_start, c.line_end, c.text) for c in chunks)})
            if g.status == CURRENT:
                named = {c.id: (str(c.path), c.line_start, c.text) for c in chunks}
        finally:
            store.close()
    state = StateStore.open(paths.state_database, PASSPHRASE)
    try:
        audit = [(e.profile, e.action, e.query, e.detail, [named.get(i, i) for i in e.chunk_ids])
                 for e in state.audit_entries()]
        history = []
        for row in state.history("default"):
            answer = json.loads(row.answer_json)
            answer.pop("timings_ms")
            history.append((row.question, answer))
    finally:
        state.close()
    return {"generations": gens, "audit": audit, "history": history}


def through_the_cli(paths: Paths, more: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator", lambda settings, model=None: FakeGenerator(""))
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    states = []
    run("index")
    states.append(snapshot(paths))
    with WriterLock(paths.writer_lock) as daemon:
        daemon.acquire(DAEMON_ROLE)
        run("add", str(more))
    states.append(snapshot(paths))
    run("index")
    states.append(snapshot(paths))
    run("search", "--json", SEARCH)
    cited = json.loads(run("ask", "--extractive", "--json", QUESTION))["citations"]
    assert cited, "the command line's answer cites no passage"
    states.append(snapshot(paths))
    return states


async def settle(pilot: Pilot, predicate: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


def through_the_tui(paths: Paths, more: Path) -> tuple[list[dict], dict]:
    settings = Settings.load(paths.config_file)
    embedder, generator = FakeEmbedder(), FakeGenerator("")
    app = ArchivistApp(settings, lambda prompt: open_workspace(paths, settings, embedder=lambda: embedder,
                                                               generator=lambda: generator, prompt=prompt))
    notes: list[str] = []
    shown = app.notify

    def notify(message: str, **kwargs: Any) -> None:  # noqa: ANN401
        notes.append(f"{kwargs.get('title', '')}: {message}")
        shown(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    opened: list[OpenPlan] = []
    app.run_external = opened.append  # type: ignore[method-assign]
    states: list[dict] = []
    after_opening: dict = {}

    async def reindexed(pilot: Pilot, before: int) -> None:
        await settle(pilot, lambda: any(n.startswith(": Indexed:") for n in notes[before:]), "the re-index")
        await settle(pilot, lambda: not app.main.indexing, "the re-index to finish")

    async def asked(pilot: Pilot, text: str) -> None:
        main, before = app.main, len(app.main.entries)
        box = main.query_one(QuestionInput)
        box.focus()
        box.value = text
        await pilot.press("enter")
        await settle(pilot, lambda: len(main.entries) > before, f"{text!r} to be taken")
        await settle(pilot, lambda: not main.generating and main.current is main.entries[-1], f"{text!r}")

    async def open_first_passage(pilot: Pilot) -> None:
        before = len(opened)
        await pilot.press("f2")  # the passages pane
        await settle(pilot, lambda: isinstance(app.focused, CitationsPane), "the passages pane")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, PassageScreen), "the passage viewer")
        await pilot.press("e")
        await settle(pilot, lambda: len(opened) > before, "the source to be opened")
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is app.main, "the viewer to close")

    async def scenario(pilot: Pilot) -> None:
        main = app.main
        await settle(pilot, lambda: app.session is not None and main.sources_view is not None, "the index")
        await settle(pilot, lambda: main.query_one("StatusBar").model != "loading…", "the models")
        await pilot.press("ctrl+r")
        await reindexed(pilot, 0)
        states.append(snapshot(paths))
        with WriterLock(paths.writer_lock) as daemon:
            daemon.acquire(DAEMON_ROLE)
            await pilot.press("ctrl+n")
            await settle(pilot, lambda: app.screen.__class__.__name__ == "AddFolderScreen", "the add dialog")
            app.screen.query_one("#folder").value = str(more)  # type: ignore[attr-defined]
            before = len(notes)
            await pilot.press("enter")
            await settle(pilot, lambda: any(n.startswith("Index busy") for n in notes[before:]), "the refusal")
            await settle(pilot, lambda: not main.indexing, "the refused re-index to end")
        states.append(snapshot(paths))
        before = len(notes)
        await pilot.press("ctrl+r")
        await reindexed(pilot, before)
        states.append(snapshot(paths))
        await pilot.press("ctrl+s")  # search only
        await asked(pilot, SEARCH)
        await pilot.press("ctrl+t")  # extractive
        await asked(pilot, QUESTION)
        assert main.current is not None and main.current.citations, "the terminal UI's answer cites no passage"
        states.append(snapshot(paths))
        await open_first_passage(pilot)  # of the answer
        await pilot.press("ctrl+l")  # the session's questions: back to the search
        await settle(pilot, lambda: app.screen.__class__.__name__ == "HistoryScreen", "the history")
        await pilot.press("enter")
        await settle(pilot, lambda: main.current is main.entries[0], "the search's passages")
        await open_first_passage(pilot)
        after_opening.update(snapshot(paths))

    async def main() -> None:
        async with app.run_test(size=(100, 32)) as pilot:
            await scenario(pilot)

    asyncio.run(main())
    return states, after_opening


def test_the_cli_and_the_tui_leave_the_same_index_generations_and_audit_trail(
        shell_home: Callable[[str], Paths], folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    more = folders[1]
    by_cli = through_the_cli(shell_home("cli"), more, monkeypatch)
    by_tui, after_opening = through_the_tui(shell_home("tui"), more)

    for step, cli_state, tui_state in zip(STEPS, by_cli, by_tui, strict=True):
        assert tui_state == cli_state, f"the shells diverge after: {step}"
    # The scenario reached what it is about: a second generation built, given the added folder, searched, asked.
    final = by_cli[-1]
    assert [(g["id"], g["status"]) for g in final["generations"]] == [(1, CURRENT), (2, READY)]
    assert all(str(more) in g["folders"] and len(g["files"]) == 3 for g in final["generations"])
    assert [entry[1] for entry in final["audit"]] == ["search", "ask"]
    assert by_cli[1]["generations"][1]["folders"] == sorted(str(f.resolve()) for f in folders)  # synced while unindexed
    # Opening a passage is audited with that passage: the first one the command line's answer cited, then the first
    # one its search listed.
    assert after_opening["audit"][:-2] == final["audit"]
    search, ask = final["audit"]
    assert [entry[1:] for entry in after_opening["audit"][-2:]] == [
        ("open", ask[4][0][0], "", [ask[4][0]]), ("open", search[4][0][0], "", [search[4][0]])]
