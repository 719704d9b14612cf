"""Indexing: read new and changed files of every folder, then build the next generation when the settings call for
one, all under the writer lock. ``archivist index``, ``archivist index build`` and the terminal UI's re-index are
this one use case, so each brings the generations up to date the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archivist.app.base import Base
from archivist.errors import FolderNotFound
from archivist.index.indexer import FolderProgress, IndexReport
from archivist.index.lock import WriterLock
from archivist.index.rebuild import BuildResult, Plan

PageProgress = Callable[[Path, int, int], None]
"""``pages(file, done, total)``: a scan being OCRed, page by page."""


@dataclass
class IndexOutcome:
    """What an indexing run did: the generation that answers, and the next one when one was built."""

    report: IndexReport
    missing: list[Path] = field(default_factory=list)
    """Added folders that no longer exist (their index is kept)."""
    plan: Plan | None = None
    built: BuildResult | None = None


@dataclass
class IndexCallbacks:
    """How a shell follows a run (each optional)."""

    progress: FolderProgress | None = None
    """``progress(folder, done, total, current_file)`` while indexing the generation that answers."""
    pages: PageProgress | None = None
    indexed: Callable[[IndexReport, list[Path]], None] | None = None
    """Called when the generation that answers is done, before the next one is built."""
    planned: Callable[[Plan], FolderProgress | None] | None = None
    """Called before a next generation is built; returns the progress callback of that build."""


class IndexCases(Base):
    def index(self, role: str, follow: IndexCallbacks | None = None, *, cancel: threading.Event | None = None,
              own_connection: bool = False, build_next: bool = True) -> IndexOutcome:
        """Index every folder, then build (or resume, or catch up) the generation the settings call for.

        ``own_connection``: write through a connection of its own, so that reads of this workspace (the
        terminal UI's) keep a consistent snapshot meanwhile. ``cancel`` stops before the next file (each file is
        one transaction: the index keeps every file finished).

        Raises:
            FolderNotFound: no folder is added.
            IndexBusy: another writer (the watch daemon) holds the lock; nothing was done.
        """
        follow = follow or IndexCallbacks()
        if not self.store.folders():
            raise FolderNotFound("No folders to index.", hint="Add one first: archivist add PATH")
        with WriterLock(self.paths.writer_lock) as lock:
            lock.acquire(role)
            report, missing = self._index_current(follow, cancel, own_connection)
            if follow.indexed is not None:
                follow.indexed(report, missing)
            outcome = IndexOutcome(report, missing)
            if build_next and not (cancel is not None and cancel.is_set()):
                outcome.plan, outcome.built = self._build_next(follow, cancel)
        return outcome

    def build_next_generation(self, role: str, follow: IndexCallbacks | None = None) -> IndexOutcome:
        """Only the second half of ``index``: build the generation the settings call for (``index build``)."""
        with WriterLock(self.paths.writer_lock) as lock:
            lock.acquire(role)
            plan, built = self._build_next(follow or IndexCallbacks(), None)
        return IndexOutcome(IndexReport(), plan=plan, built=built)

    def _index_current(self, follow: IndexCallbacks, cancel: threading.Event | None,
                       own_connection: bool) -> tuple[IndexReport, list[Path]]:
        from archivist.index.store import Store
        from archivist.ingest.isolate import budget_from, shared_sandbox

        store = self.store
        if own_connection:
            store = Store.open(self.store.path, self.passphrase, cache_mb=self.settings.cache_mb,
                               profile=self.store.profile)
        box = shared_sandbox(budget_from(self.settings.index))  # the indexer's reader
        box.on_progress = follow.pages
        try:
            run = self.indexer(store).index_folders(follow.progress, cancel)
        finally:
            box.on_progress = None
            if store is not self.store:
                store.close()
        return run.report, run.missing

    def _build_next(self, follow: IndexCallbacks, stop: threading.Event | None) -> tuple[Plan, BuildResult | None]:
        from archivist.index.rebuild import build, plan

        found = plan(self)
        if found.candidate is None:
            return found, None
        progress = follow.planned(found) if follow.planned is not None else None
        return found, build(self, found.candidate, found.fingerprint, progress=progress, stop=stop)
