"""The terminal UI's bridge to the application layer (``archivist.app``): plain Python, no Textual.

Every method may block (model loading, retrieval, generation, indexing) and is called from a worker thread;
the screens only render what comes back. Each action is the workspace's use case, the one the CLI calls too;
this adds only what a UI with worker threads needs: one answer at a time, short locked reads of the shared
connection, indexing through a connection of its own so the UI's reads keep a consistent snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archivist.answer.feedback import Rating
from archivist.answer.service import Answer, Citation
from archivist.app.indexing import IndexCallbacks, IndexOutcome
from archivist.app.workspace import Workspace
from archivist.embed.base import Embedder
from archivist.index.freshness import Pending, pending_files
from archivist.index.lock import WriterLock
from archivist.index.store import Folder, FolderStats

WRITER_ROLE = "archivist tui"


@dataclass
class FolderView:
    """One added folder as the sources pane shows it."""

    path: Path
    exists: bool
    stats: FolderStats
    pending: Pending | None = None
    """None when not scanned this time (the scan walks the folder)."""


@dataclass
class SourcesView:
    """Everything the sources pane shows, gathered in one go."""

    folders: list[FolderView]
    counts: dict[str, int]
    problems: list[dict]
    """``{"path", "status", "reason"}`` for each skipped or failed file."""
    daemon: dict | None
    """The watch daemon's state (``archivist.watch.daemon.daemon_state``), None when none runs."""
    writer: dict | None = None
    """Another process holding the writer lock (``archivist index``, a foreground watch), if any."""
    last_indexed_at: str | None = None


@dataclass
class SearchView:
    """Search-only results."""

    question: str
    citations: list[Citation] = field(default_factory=list)


class Session:
    """What the UI can do with an open index.

    Args:
        workspace: the open workspace (its model factories are lazy).
        passphrase: returns the index passphrase (switching profile opens the index again with it).
    """

    def __init__(self, workspace: Workspace, passphrase: Callable[[], str]) -> None:
        self.workspace = workspace
        workspace.answerer()  # built now, once: the worker threads share it (the models still load lazily)
        workspace.hold_vectors()  # every question of the session searches them in memory
        self._passphrase = passphrase
        self._load_lock = threading.Lock()
        self._ask_lock = threading.Lock()
        self._store_lock = workspace.lock
        """Held by the short reads and writes of the UI's connection, so ``close`` never cuts one off; the
        workspace's own lock, so the answers ``Workspace.ask`` records wait for them too (and only those)."""
        self._closed = False

    @property
    def folders(self) -> list[Path]:
        return [f.path for f in self.workspace.store.folders()]

    # -- models ------------------------------------------------------------------------------------------------

    def _embedder(self) -> Embedder:
        with self._load_lock:
            return self.workspace.embedder()

    def warm_up(self) -> str:
        """Load the embedder and the generator (after the first paint); returns the model's name.

        Raises:
            ModelError: the configured model cannot be loaded.
        """
        with self._load_lock:
            answerer = self.workspace.answerer()
            answerer.retriever.embedder  # noqa: B018 - builds and caches it
            self.workspace.load_vectors()  # on a connection of their own: the UI's reads do not wait
            return answerer.warm_up().id

    # -- adapters ----------------------------------------------------------------------------------------------

    @property
    def adapter(self) -> str | None:
        """The active adapter of the loaded model (None: the bare model, or not loaded yet)."""
        return self.workspace.adapter_in_use()

    def adapters(self) -> list[tuple[str, str]]:
        """(name, description) of the registered adapters that fit the model (loading it if needed)."""
        with self._load_lock:
            return self.workspace.fitting_adapters()

    def switch_adapter(self, name: str) -> float:
        """Hot-swap to adapter ``name`` (``none``: the bare model) between two answers (``Workspace.switch_adapter``);
        returns the swap time in milliseconds.

        Raises:
            AdapterError: unknown, or does not fit the model (the message lists those that do).
        """
        with self._ask_lock, self._load_lock:
            return self.workspace.switch_adapter(name)

    # -- asking ------------------------------------------------------------------------------------------------

    def ask(self, question: str, *, extractive: bool = False, on_token: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None, follows: str | None = None,
            on_draft: Callable[[Answer], None] | None = None) -> Answer:
        """Answer ``question`` with ``Workspace.ask`` (``follows``: the earlier question it follows up;
        ``on_draft``: the quoted answer, before the model is loaded or asked), one answer at a time; the models
        load under the load lock, so a warm-up in flight is not repeated.

        Raises:
            AnswerCancelled: ``cancel`` was set.
        """

        def quoted_then_model(draft: Answer) -> None:
            if on_draft is not None:
                on_draft(draft)
            with self._load_lock:  # the model loads here, after the quotes are on screen (not twice)
                self.workspace.answerer().generator  # noqa: B018

        with self._ask_lock:
            with self._load_lock:
                answerer = self.workspace.answerer()
                answerer.retriever.embedder  # noqa: B018
            return self.workspace.ask(question, extractive=extractive, on_token=on_token, cancel=cancel,
                                      follows=follows, on_draft=quoted_then_model)

    def search(self, question: str) -> SearchView:
        """The best passages for ``question``, no model call."""
        with self._ask_lock:
            self._embedder()
            with self._store_lock:
                result = self.workspace.search(question)
                return SearchView(question, self.workspace.citations(result.hits))

    def profiles(self) -> list[str]:
        """Profile names known to this installation (folder rules and config), for the switch dialog."""
        names = {self.workspace.profile, *(p for r in self.workspace.settings.folders for p in r.profiles)}
        with self._store_lock:
            names |= set(self.workspace.store.profile_names())
        return sorted(n for n in names if n != "*")

    def audit_open(self, citation: Citation) -> None:
        """Record in the audit trail that a passage's source was opened."""
        with self._store_lock:
            self.workspace.opened(citation)

    def feedback(self, answer: Answer, rating: Rating, correction: str | None) -> int:
        """Store a rating of ``answer`` in the encrypted index."""
        with self._store_lock:
            return self.workspace.feedback(answer, rating, correction)

    # -- sources -----------------------------------------------------------------------------------------------

    def sources(self, *, scan: bool = False) -> SourcesView:
        """Folders, counts, problems and the watcher's state; ``scan`` also lists pending files."""
        store = self.workspace.store
        with self._store_lock:
            data = self.workspace.status(boilerplate_count=False)
            stats = store.folder_stats()
            folders = []
            for f in store.folders():
                pending = pending_files(store, self.workspace.settings, f) if scan else None
                folders.append(FolderView(f.path, f.path.is_dir(), stats.get(f.id, FolderStats()), pending))
        holder = WriterLock(self.workspace.paths.writer_lock).holder()
        writer = holder if holder and data["watch_daemon"] is None else None
        last = max((s.last_indexed_at for s in stats.values() if s.last_indexed_at), default=None)
        return SourcesView(folders, data["counts"], data["problems"], data["watch_daemon"], writer, last)

    def add_folder(self, text: str) -> tuple[Folder, bool]:
        """Register the folder typed by the user (building or ready generations get it too); returns it and
        whether it was new.

        Raises:
            FolderNotFound: it does not exist or is not a folder.
        """
        with self._store_lock:
            return self.workspace.add_folders([Path(text.strip())]).folders[0]

    def reindex(self, progress: Callable[[Path, int, int, Path | None], None] | None = None,
                cancel: threading.Event | None = None) -> IndexOutcome:
        """Index every folder under the writer lock, through a connection of its own, then build the next
        generation when the settings call for one (as ``archivist index`` does).

        Args:
            progress: ``progress(folder, done, total, current_file)``, for both parts.
            cancel: when set, the run stops before the next file (each file is one transaction, so the
                index stays consistent and keeps every file finished).

        Raises:
            IndexBusy: another writer (typically the watch daemon) holds the lock; nothing was done.
        """
        step = None if progress is None else (lambda folder, *done: progress(folder.path, *done))
        return self.workspace.index(WRITER_ROLE, IndexCallbacks(progress=step, planned=lambda plan: step),
                                    cancel=cancel, own_connection=True)

    def close(self, wait: float = 10.0) -> None:
        """Close the index once the answer being generated (if any) has stopped, waiting up to ``wait`` s."""
        if self._closed:
            return
        held = [lock for lock in (self._ask_lock, self._store_lock) if lock.acquire(timeout=wait)]
        try:
            self._closed = True
            self.workspace.close()
        finally:
            for lock in held:
                lock.release()
