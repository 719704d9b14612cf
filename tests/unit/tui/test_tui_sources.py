"""The sources pane: counts, failed and pending files, re-indexing with progress, the watch daemon, add folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PASSPHRASE, FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from textual.widgets import TabbedContent
from tui_support import PORT_REPLY, drive, index_folder, make_app, make_docs, ready, record_notifications, wait_until

from archivist.index.lock import WriterLock
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.tui.widgets.sources import SourcesPane, sources_text
from archivist.watch.daemon import DAEMON_ROLE, STATE_KEY


@pytest.fixture
def docs(home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    folder = make_docs(tmp_path)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    index_folder(folder, fake_embedder)
    return folder


def _sources(pilot: Pilot) -> str:
    view = pilot.app.main.sources_view  # type: ignore[attr-defined]
    return sources_text(view).plain if view is not None else ""


def test_sources_show_counts_failed_files_with_reasons_and_pending_files(docs: Path,
                                                                        fake_embedder: FakeEmbedder) -> None:
    (docs / "later.md").write_text("Added after the last index run.\n")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("f3")
        assert pilot.app.main.query_one(TabbedContent).active == "sources"
        text = _sources(pilot)
        assert "2 files" in text and "1 failed" in text
        assert "failed: docs/broken.pdf: broken.pdf: not a readable PDF" in text
        assert "1 pending" in text and "new: docs/later.md" in text
        assert "Last change indexed: 20" in text  # a date, not "never"
        assert "Watcher: off" in str(pilot.app.main.query_one("#watch-state").render())

    drive(app, scenario)


def test_reindex_shows_progress_and_brings_the_index_up_to_date(docs: Path, fake_embedder: FakeEmbedder) -> None:
    (docs / "later.md").write_text("Added after the last index run.\n")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    seen = record_notifications(app)

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        progress: list[str] = []
        pane = main.query_one(SourcesPane)
        original = pane.progress

        def spy(folder: Path, done: int, total: int, current: Path | None) -> None:
            progress.append(f"{done}/{total}")
            original(folder, done, total, current)

        pane.progress = spy  # type: ignore[method-assign]
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: any(n["message"].startswith("Indexed:") for n in seen), what="indexing")
        assert progress[-1] == "4/4" and "1 added" in seen[-1]["message"]
        await wait_until(pilot, lambda: "up to date" in _sources(pilot), what="the fresh scan")
        assert "3 files" in _sources(pilot) and not pane.has_class("indexing")

    drive(app, scenario)


def test_while_the_daemon_writes_reindex_is_refused_and_its_state_shown(docs: Path,
                                                                       fake_embedder: FakeEmbedder) -> None:
    paths = Paths.resolve()
    store = Store.open(paths.database, PASSPHRASE)
    lock = WriterLock(paths.writer_lock)
    lock.acquire(DAEMON_ROLE)  # a second open file description: flock conflicts even within one process
    import os

    store.set_meta(STATE_KEY, json.dumps({"pid": os.getpid(), "state": "watching", "folders": {str(docs.resolve()): {
        "queued": 2, "done": 7, "errors": 0, "last_file": str(docs / "retention.txt")}}}))
    store.close()
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    seen = record_notifications(app)

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        watch = str(pilot.app.main.query_one("#watch-state").render())
        assert "Watch daemon" in watch and "watching, 2 queued, 7 handled" in watch
        assert "watch: daemon watching" in pilot.app.main.query_one("StatusBar").render().plain.replace("\xa0", " ")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: seen, what="the refusal")
        assert seen[0]["title"] == "Index busy" and "watch daemon" in seen[0]["message"]

    try:
        drive(app, scenario)
    finally:
        lock.release()


def test_add_folder_registers_and_indexes_it(docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "memo.txt").write_text("The Heron ingest cluster has 14 nodes.\n")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    seen = record_notifications(app)

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ == "AddFolderScreen")
        pilot.app.screen.query_one("#folder").value = str(extra)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(n["message"].startswith("Indexed:") for n in seen), what="indexing")
        assert any(n["message"] == f"Added: {extra}" for n in seen)
        await wait_until(pilot, lambda: "extra" in _sources(pilot) and "memo" not in _sources(pilot))
        assert str(extra) in _sources(pilot)

    drive(app, scenario)


def test_a_missing_folder_is_a_clear_error(docs: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    seen = record_notifications(app)

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ == "AddFolderScreen")
        pilot.app.screen.query_one("#folder").value = str(tmp_path / "nope")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: seen, what="the error")
        assert seen[0]["title"] == "Folder not found" and "does not exist" in seen[0]["message"]

    drive(app, scenario)
