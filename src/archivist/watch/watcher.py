"""A watchdog (inotify) watcher over the registered folders that keeps the index fresh.

No UI here: progress is reported through a callback with a ``WatchStatus``. Events only say *where* to
look; after a per-path debounce the file is stat-ed and hashed, so duplicated, reordered or missed events
cannot duplicate or stale the index. A directory moved or deleted triggers a rescan of its folder.
"""

from __future__ import annotations

import errno
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archivist.errors import ArchivistError
from archivist.index.indexer import Indexer, IndexReport
from archivist.watch.debounce import Debouncer
from archivist.watch.filters import is_temporary

RECENT_ERRORS = 10
"""Errors remembered per folder (and for the watcher itself)."""


@dataclass(frozen=True)
class WatchError:
    """One error the watcher met."""

    at: float
    reason: str
    folder: str | None = None
    """The added folder it happened in; None for the watcher itself (it names no file then)."""
    path: str | None = None
    """The file or folder being handled."""


@dataclass
class FolderActivity:
    """What the watcher did in one added folder. A watch daemon serves every profile, and ``archivist status``
    shows each profile only the activity of the folders it reads (``archivist.watch.daemon.profile_view``)."""

    done: int = 0
    errors: int = 0
    queued: int = 0
    last_file: str | None = None
    last_indexed_at: float | None = None
    recent_errors: deque[WatchError] = field(default_factory=lambda: deque(maxlen=RECENT_ERRORS))


@dataclass
class WatchStatus:
    """What the watcher is doing (shown live by ``archivist watch`` and stored for ``archivist status``).

    The counts and the last file are totals over every watched folder; ``folders`` has them per folder."""

    started: float = field(default_factory=time.time)
    state: str = "starting"
    """``catching up``, ``watching``, ``indexing`` or ``stopped``."""
    queued: int = 0
    done: int = 0
    errors: int = 0
    last_file: str | None = None
    last_indexed_at: float | None = None
    folders: dict[str, FolderActivity] = field(default_factory=dict)
    """Per added folder (its path), the same counts."""
    watcher_errors: deque[WatchError] = field(default_factory=lambda: deque(maxlen=RECENT_ERRORS))
    """Errors of the watcher itself, in no folder."""

    def activity(self, folder: Path | None) -> FolderActivity | None:
        """``folder``'s activity (created at first use); None for a path in no added folder."""
        if folder is None:
            return None
        return self.folders.setdefault(str(folder), FolderActivity())

    def recent_errors(self) -> list[WatchError]:
        """Every remembered error, oldest first."""
        found = [*self.watcher_errors, *(e for a in self.folders.values() for e in a.recent_errors)]
        return sorted(found, key=lambda e: e.at)


class Watcher:
    """Watches every registered folder and indexes what changes, on one worker thread (the only writer).

    Args:
        indexer: the indexer (its store must only be used from the worker thread while running).
        on_status: called from the worker thread after each change of status.
        on_indexed: called with each path handled and its report (tests count these).
        debounce: seconds a path must stay quiet before it is read.
    """

    def __init__(self, indexer: Indexer, *, on_status: Callable[[WatchStatus], None] | None = None,
                 on_indexed: Callable[[Path, IndexReport], None] | None = None, debounce: float = 1.0) -> None:
        self.indexer = indexer
        self.status = WatchStatus()
        self.folders = [f.path for f in indexer.store.folders()]
        self.queue = Debouncer(debounce, group=self._folder_of)
        self._on_status = on_status
        self._on_indexed = on_indexed
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._observer = None
        self._thread: threading.Thread | None = None

    # -- events ----------------------------------------------------------------------------------------------

    def _folder_of(self, path: Path) -> Path | None:
        best = None
        for folder in self.folders:
            if (path == folder or folder in path.parents) and (best is None or len(str(folder)) > len(str(best))):
                best = folder
        return best

    def on_event(self, kind: str, src: str, dest: str | None = None, is_dir: bool = False) -> None:
        """Feed one file-system event (watchdog's ``event_type``); public so tests can drive it directly."""
        if kind in ("opened", "closed_no_write"):
            return  # reads, including the indexer's own
        paths = [Path(src)] + ([Path(dest)] if dest else [])
        if is_dir:
            if kind in ("moved", "deleted"):
                for p in paths:
                    folder = self._folder_of(p)
                    if folder is not None:
                        self.queue.rescan(folder)
            return  # created/modified directories announce nothing their files' events won't
        for p in paths:
            if not is_temporary(p) and self._folder_of(p) is not None:
                self.queue.touch(p)
        self.status.queued = len(self.queue)

    # -- running ---------------------------------------------------------------------------------------------

    def start(self, catch_up: bool = True) -> None:
        """Start observing, then (on the worker thread) catch up on changes made while nobody watched."""
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # noqa: ANN001
                watcher.on_event(event.event_type, str(event.src_path),
                                 str(event.dest_path) if getattr(event, "dest_path", "") else None,
                                 event.is_directory)

        self._observer = Observer()
        try:
            for folder in self.folders:
                if folder.is_dir():
                    self._observer.schedule(Handler(), str(folder), recursive=True)
            self._observer.start()
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                raise ArchivistError(
                    "The system's limit on watched folders (inotify) is reached.",
                    hint="Raise it: sudo sysctl fs.inotify.max_user_watches=524288 (and max_user_instances), "
                         "or add fewer or smaller folders.") from None
            raise
        self._thread = threading.Thread(target=self._run, args=(catch_up,), name="archivist-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop observing; the file being indexed is finished (or rolled back), nothing is half-written."""
        self._stop.set()
        with self.queue._cond:
            self.queue._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        self.status.state = "stopped"
        self._emit()

    def _emit(self) -> None:
        self.status.queued = len(self.queue)
        waiting = self.queue.counts()
        for folder in {*map(Path, self.status.folders), *(f for f in waiting if isinstance(f, Path))}:
            self.status.activity(folder).queued = waiting.get(folder, 0)  # type: ignore[union-attr]
        if self._on_status is not None:
            self._on_status(self.status)

    @property
    def failure(self) -> BaseException | None:
        """The unexpected error that ended the worker thread, if one did (the caller must stop then)."""
        return self._failure

    def _run(self, catch_up: bool) -> None:
        try:
            self._work(catch_up)
        except Exception as exc:  # surfaced, not swallowed: the owner sees `failure` and stops the watcher
            self._failure = exc
            self.status.state = "failed"
            self.status.watcher_errors.append(WatchError(time.time(),
                                                         f"watcher stopped: {type(exc).__name__}: {exc}"))
            self._emit()

    def _work(self, catch_up: bool) -> None:
        if catch_up:
            self.status.state = "catching up"
            self._emit()
            for folder in list(self.indexer.store.folders()):
                self._handle(folder.path, lambda f=folder: self.indexer.index_folder(f))
        self.status.state = "watching"
        self._emit()
        while not self._stop.is_set():
            wait = self.queue.next_due_in()
            if wait is None or wait > 0:
                self.queue.wait(0.5 if wait is None else min(wait, 0.5))
                continue
            paths, rescans = self.queue.take_due()
            self.status.state = "indexing"
            self._emit()
            for folder_path in rescans:
                folder = next((f for f in self.indexer.store.folders() if f.path == folder_path), None)
                if folder is not None:
                    self._handle(folder_path, lambda f=folder: self.indexer.index_folder(f))
            for path in paths:
                if self._stop.is_set():
                    break
                self._handle(path, lambda p=path: self.indexer.index_file(p))
            self.status.state = "watching"
            self._emit()

    def _error(self, path: Path, reason: str) -> None:
        folder = self._folder_of(path)
        self.status.errors += 1
        activity = self.status.activity(folder)
        error = WatchError(time.time(), reason, str(folder) if folder else None, str(path))
        if activity is None:  # not expected (only paths in a folder are queued); whose it is is unknown, so
            # every profile may see it: without its path or reason
            self.status.watcher_errors.append(WatchError(error.at, "an error outside the added folders"))
            return
        activity.errors += 1
        activity.recent_errors.append(error)

    def _handle(self, path: Path, work: Callable[[], IndexReport]) -> None:
        try:
            report = work()
        except (ArchivistError, OSError) as exc:
            # An OSError here is a path that cannot be stat-ed or read (a folder without permission): report
            # it and go on; uncaught, it would end the worker thread while the status still said "watching".
            reason = str(exc) if isinstance(exc, ArchivistError) else \
                f"{path.name}: could not be read ({exc.strerror or exc})."
            self._error(path, reason)
            self._emit()
            return
        now = time.time()
        self.status.done += 1
        self.status.last_file = str(path)
        self.status.last_indexed_at = now
        activity = self.status.activity(self._folder_of(path))
        if activity is not None:
            activity.done += 1
            activity.last_file, activity.last_indexed_at = str(path), now
        for problem, reason in report.problems:
            self._error(problem, reason)
        if self._on_indexed is not None:
            self._on_indexed(path, report)
        self._emit()
