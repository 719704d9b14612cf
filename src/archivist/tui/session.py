"""The terminal UI's bridge to the core: plain Python, no Textual.

Every method may block (model loading, retrieval, generation, indexing) and is called from a worker thread;
the screens only render what comes back. One ``Answerer`` lives for the whole session so the model is
loaded once; indexing writes through its own connection so the UI's reads keep a consistent snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archivist.answer.feedback import Rating, record_feedback
from archivist.answer.service import Answer, Citation
from archivist.embed.base import Embedder
from archivist.errors import FolderNotFound
from archivist.index.fingerprint import read as read_fingerprint
from archivist.index.fingerprint import settings_for
from archivist.index.freshness import Pending, pending_files
from archivist.index.generations import current_database
from archivist.index.indexer import Indexer, IndexReport
from archivist.index.lock import WriterLock
from archivist.index.store import Folder, FolderStats, Store
from archivist.services import Services
from archivist.tui.render import citations_from_hits

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
        services: the open services (their model factories are lazy).
        passphrase: returns the index passphrase, for the indexing run's own connection.
    """

    def __init__(self, services: Services, passphrase: Callable[[], str]) -> None:
        self.services = services
        self.answerer = services.answerer()
        self._passphrase = passphrase
        self._load_lock = threading.Lock()
        self._ask_lock = threading.Lock()
        self._store_lock = threading.Lock()
        """Held by the short reads and writes of the UI's connection, so ``close`` never cuts one off."""
        self._closed = False

    @property
    def folders(self) -> list[Path]:
        return [f.path for f in self.services.store.folders()]

    # -- models ------------------------------------------------------------------------------------------------

    def _embedder(self) -> Embedder:
        with self._load_lock:
            return self.services.embedder()

    def warm_up(self) -> str:
        """Load the embedder and the generator (after the first paint); returns the model's name.

        Raises:
            ModelError: the configured model cannot be loaded.
        """
        with self._load_lock:
            self.answerer.retriever.embedder  # noqa: B018 - builds and caches it
            return self.answerer.generator.id

    # -- adapters ----------------------------------------------------------------------------------------------

    @property
    def adapter(self) -> str | None:
        """The active adapter of the loaded model (None: the bare model, or not loaded yet)."""
        generator = self.answerer._generator  # noqa: SLF001 - never load the model just to ask
        return getattr(generator, "adapter", None)

    def adapters(self) -> list[tuple[str, str]]:
        """(name, description) of the registered adapters that fit the model (loading it if needed)."""
        from archivist.adapters.registry import Registry

        registry = Registry(self.services.paths.adapters_dir)
        with self._load_lock:
            model = getattr(self.answerer.generator, "path", None)
        if model is None:
            return []
        fits = set(registry.compatible(model))
        return [(a.name, a.description) for a in registry.list() if a.name in fits]

    def switch_adapter(self, name: str) -> float:
        """Hot-swap to adapter ``name`` (``none``: the bare model) without reloading the model, between two
        answers; the choice is remembered for this profile. Returns the swap time in milliseconds.

        Raises:
            AdapterError: unknown, or does not fit the model (the message lists those that do).
        """
        from archivist.adapters.registry import Registry, save_choice
        from archivist.adapters.runtime import apply_choice, resolve_choice

        paths = self.services.paths
        choice = resolve_choice(paths, self.services.profile, name)
        with self._ask_lock, self._load_lock:
            ms = apply_choice(self.answerer.generator, Registry(paths.adapters_dir), choice)
        save_choice(paths.active_adapter_file, choice, self.services.profile)
        return ms

    # -- asking ------------------------------------------------------------------------------------------------

    def ask(self, question: str, *, extractive: bool = False, on_token: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None, follows: str | None = None) -> Answer:
        """Answer ``question`` (see ``Answerer.ask``; ``follows``: the earlier question it follows up); one
        answer at a time.

        Raises:
            AnswerCancelled: ``cancel`` was set.
        """
        with self._ask_lock:
            with self._load_lock:
                self.answerer.retriever.embedder  # noqa: B018
                if not extractive:
                    self.answerer.generator  # noqa: B018
            answer = self.answerer.ask(question, extractive=extractive, on_token=on_token, cancel=cancel,
                                       follows=follows)
        with self._store_lock:
            self.services.record_answer(answer)
        return answer

    def search(self, question: str) -> SearchView:
        """The best passages for ``question``, no model call."""
        with self._ask_lock:
            self._embedder()
            result = self.answerer.retriever.search(question, self.services.settings.retrieval.top_k)
        with self._store_lock:
            self.services.audit("search", question, [h.chunk.id for h in result.hits])
        return SearchView(question, citations_from_hits(result.hits))

    def profiles(self) -> list[str]:
        """Profile names known to this installation (folder rules and config), for the switch dialog."""
        names = {self.services.profile, *(p for r in self.services.settings.folders for p in r.profiles)}
        with self._store_lock:
            names |= set(self.services.store.profile_names())
        return sorted(n for n in names if n != "*")

    def audit_open(self, citation: Citation) -> None:
        """Record in the audit trail that a passage's source was opened."""
        with self._store_lock:
            self.services.audit("open", citation.path, [citation.chunk_id] if citation.chunk_id else [])

    def feedback(self, answer: Answer, rating: Rating, correction: str | None) -> int:
        """Store a rating of ``answer`` in the encrypted index."""
        with self._store_lock:
            return record_feedback(self.services.state, answer, rating, correction)

    # -- sources -----------------------------------------------------------------------------------------------

    def sources(self, *, scan: bool = False) -> SourcesView:
        """Folders, counts, problems and the watcher's state; ``scan`` also lists pending files."""
        from archivist.shell import status_json

        store = self.services.store
        with self._store_lock:
            data = status_json(self.services, boilerplate_count=False)
            stats = store.folder_stats()
            folders = []
            for f in store.folders():
                pending = pending_files(store, self.services.settings, f) if scan else None
                folders.append(FolderView(f.path, f.path.is_dir(), stats.get(f.id, FolderStats()), pending))
        holder = WriterLock(self.services.paths.writer_lock).holder()
        writer = holder if holder and data["watch_daemon"] is None else None
        last = max((s.last_indexed_at for s in stats.values() if s.last_indexed_at), default=None)
        return SourcesView(folders, data["counts"], data["problems"], data["watch_daemon"], writer, last)

    def add_folder(self, text: str) -> tuple[Folder, bool]:
        """Register the folder typed by the user; returns it and whether it was new.

        Raises:
            FolderNotFound: it does not exist or is not a folder.
        """
        path = Path(text.strip()).expanduser().resolve()
        if not path.is_dir():
            what = "is not a folder" if path.exists() else "does not exist"
            raise FolderNotFound(f"{path} {what}.", hint="Type the path of an existing folder.")
        with self._store_lock:
            from archivist.security.privacy import apply_forgotten

            added = self.services.store.add_folder(path)
            apply_forgotten(self.services.store, self.services.state.forgotten())
            return added

    def reindex(self, progress: Callable[[Path, int, int, Path | None], None] | None = None,
                cancel: threading.Event | None = None) -> tuple[IndexReport, list[Path]]:
        """Index every folder under the writer lock, through a connection of its own.

        Args:
            progress: ``progress(folder, done, total, current_file)``.
            cancel: when set, the run stops before the next file (each file is one transaction, so the
                index stays consistent and keeps every file finished).

        Returns:
            The report (of the files done when cancelled) and the folders that no longer exist.

        Raises:
            IndexBusy: another writer (typically the watch daemon) holds the lock; nothing was done.
        """
        paths, settings = self.services.paths, self.services.settings
        lock = WriterLock(paths.writer_lock)
        lock.acquire(WRITER_ROLE)
        try:
            store = Store.open(current_database(paths), self._passphrase(), cache_mb=settings.cache_mb,
                               profile=settings.profile)
            try:
                # The generation that answers, cut the way it was built (archivist.index.fingerprint).
                indexer = Indexer(store, self._embedder, settings_for(settings, read_fingerprint(store)))
                run = indexer.index_folders(
                    None if progress is None else lambda folder, *step: progress(folder.path, *step), cancel)
            finally:
                store.close()
        finally:
            lock.release()
        return run.report, run.missing

    def close(self, wait: float = 10.0) -> None:
        """Close the index once the answer being generated (if any) has stopped, waiting up to ``wait`` s."""
        if self._closed:
            return
        held = [lock for lock in (self._ask_lock, self._store_lock) if lock.acquire(timeout=wait)]
        try:
            self._closed = True
            self.services.close()
        finally:
            for lock in held:
                lock.release()
