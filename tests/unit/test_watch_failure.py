"""An unexpected error in the watcher stops it loudly and frees the index for other writers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from archivist.errors import ArchivistError
from archivist.index.lock import WriterLock
from archivist.watch.daemon import run_watch


def test_a_crashing_worker_stops_the_watch_and_releases_the_lock(services_factory, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("some text\n")
    services = services_factory()
    services.store.add_folder(docs)

    def boom(self, folder, progress=None):  # noqa: ANN001, ANN202
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("archivist.index.indexer.Indexer.index_folder", boom)
    stop = threading.Event()
    timer = threading.Timer(30, stop.set)  # a safety net only: the failure must end the loop first
    timer.start()
    try:
        with pytest.raises(ArchivistError, match="unexpected error: RuntimeError: simulated bug"):
            run_watch(services, role="archivist watch", stop=stop)
    finally:
        timer.cancel()
    assert not stop.is_set(), "the watch only ended because of the safety timer"
    assert WriterLock(services.paths.writer_lock).holder() is None
