"""Running the watcher: in the foreground, or as a detached daemon that owns the writer lock.

The daemon's passphrase reaches it through a pipe (never its command line or environment, unless the user
chose ``ARCHIVIST_PASSPHRASE``/``ARCHIVIST_PASSPHRASE_FILE``). Its log holds counts and states only: never
document text or file names. Its live state is kept in the encrypted index (``archivist status`` reads it).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from archivist.errors import ArchivistError
from archivist.index.generations import current_database
from archivist.index.generations import load as load_generations
from archivist.index.indexer import Indexer
from archivist.index.lock import WriterLock
from archivist.index.rebuild import OpenIndex
from archivist.paths import Paths
from archivist.settings import Settings
from archivist.terminal import safe_line
from archivist.watch.watcher import RECENT_ERRORS, Watcher, WatchError, WatchStatus


class WatchedIndex(OpenIndex, Protocol):
    """What the watcher needs from its caller (``app.Workspace`` is one): the open index (every profile's
    folders), its indexer, settings it can reload, and a switch to the generation promoted meanwhile."""

    def indexer(self) -> Indexer: ...

    def reload_settings(self, settings: Settings) -> None: ...

    def switch_generation(self) -> None: ...

    def close(self) -> None: ...


STATE_KEY = "watch.state"
DAEMON_ROLE = "watch daemon"


def _error_json(error: WatchError) -> dict:
    return {"at": error.at, "reason": error.reason, "folder": error.folder, "path": error.path}


def status_json(status: WatchStatus, pid: int) -> str:
    """The daemon's state as stored in the index: per folder, so that each profile is shown only its own
    (``profile_view``); the process's own state (pid, start, what it is doing) is the same for all."""
    return json.dumps({
        "pid": pid, "started": status.started, "state": status.state,
        "folders": {path: {"done": a.done, "errors": a.errors, "queued": a.queued, "last_file": a.last_file,
                           "last_indexed_at": a.last_indexed_at,
                           "recent_errors": [_error_json(e) for e in a.recent_errors]}
                    for path, a in status.folders.items()},
        "watcher_errors": [_error_json(e) for e in status.watcher_errors],
    })


WITHHELD = "details withheld: they name a folder of another profile"


def profile_view(state: dict, readable: Sequence[str], hidden: Sequence[str]) -> dict:
    """What one profile is shown of the daemon's stored ``state``: counts, last file and errors of the
    folders it reads (``readable``) only, and the watcher's own errors, their text withheld when it names
    one of the ``hidden`` folders. The daemon serves every profile; profiles are views (README, privacy
    model), and a view must not show another profile's file names or activity."""
    folders = [state.get("folders", {}).get(path) or {} for path in readable]
    last = max((f for f in folders if f.get("last_indexed_at")), key=lambda f: f["last_indexed_at"], default={})
    own = [e for f in folders for e in f.get("recent_errors", [])]
    general = [{**e, "reason": e["reason"].split(":", 1)[0] + f" ({WITHHELD})"}
               if any(h in e["reason"] for h in hidden) else e for e in state.get("watcher_errors", [])]
    return {
        "pid": state.get("pid"), "started": state.get("started"), "state": state.get("state"),
        "queued": sum(f.get("queued", 0) for f in folders), "done": sum(f.get("done", 0) for f in folders),
        "errors": sum(f.get("errors", 0) for f in folders),
        "last_file": last.get("last_file"), "last_indexed_at": last.get("last_indexed_at"),
        "recent_errors": sorted(own + general, key=lambda e: e["at"])[-RECENT_ERRORS:],
    }


def daemon_state(services: WatchedIndex) -> dict | None:
    """The running daemon's state as the current profile may see it (``profile_view``); None when no daemon
    holds the writer lock."""
    holder = WriterLock(services.paths.writer_lock).holder()
    if not holder or holder.get("role") != DAEMON_ROLE:
        return None
    raw = services.store.get_meta(STATE_KEY)
    state = json.loads(raw) if raw else {}
    if state.get("pid") != holder.get("pid"):
        state = {}
    readable = [str(f.path) for f in services.store.folders()]
    hidden = [str(p) for p in services.store.folder_paths() if str(p) not in readable]
    view = profile_view(state, readable, hidden)
    view.update(pid=holder.get("pid"), since=holder.get("since"))
    return view


class ConfigWatch:
    """Notices an edit of config.toml, so a running watcher takes new settings without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = self._signature()

    def _signature(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def changed(self) -> bool:
        now = self._signature()
        if now == self.seen:
            return False
        self.seen = now
        return True


def reload_settings(services: WatchedIndex) -> bool:
    """Load config.toml again into ``services``; False (logged, settings in use kept) when it is invalid.

    An editor may save in steps: an invalid file is tried again at its next change."""
    from archivist.errors import ConfigError
    from archivist.settings import Settings

    log = logging.getLogger("archivist.watch")
    try:
        settings = Settings.load(services.paths.config_file)
    except ConfigError as exc:
        log.warning("config.toml changed but is invalid, the watcher keeps the previous settings: %s "
                    "Fix the file and save it again; the watcher reads it at once.", exc)
        return False
    services.reload_settings(settings)
    log.info("settings changed: reloaded")
    return True


def run_watch(services: WatchedIndex, *, role: str, stop: threading.Event,
              on_status=None, persist_every: float = 1.0,  # noqa: ANN001
              while_locked: Callable[[], Callable[[], None]] | None = None) -> WatchStatus:
    """Hold the writer lock and watch until ``stop`` is set. Raises IndexBusy if another writer runs.

    ``while_locked`` is started once the lock is held (the daemon's socket: only the one writer serves) and
    returns what stops it, called before the lock is released."""
    lock = WriterLock(services.paths.writer_lock)
    lock.acquire(role)
    try:
        stop_companion = while_locked() if while_locked is not None else None
    except BaseException:
        lock.release()
        raise
    last_persist = 0.0
    log = logging.getLogger("archivist.watch")
    log.info("%s started pid=%d", role, os.getpid())

    def status_changed(status: WatchStatus) -> None:
        nonlocal last_persist
        now = time.monotonic()
        if role == DAEMON_ROLE and (now - last_persist >= persist_every or status.state != "indexing"):
            last_persist = now
            services.store.set_meta(STATE_KEY, status_json(status, os.getpid()))
            log.info("state=%s queued=%d done=%d errors=%d", status.state, status.queued, status.done,
                     status.errors)
        if on_status is not None:
            on_status(status)

    config = ConfigWatch(services.paths.config_file)
    try:
        while True:
            if services.store.path != current_database(services.paths):
                # Another generation was promoted (or rolled back to): follow it, still holding the writer lock.
                services.switch_generation()
                log.info("switched to generation %d", load_generations(services.paths).current)
            watcher = _watch_generation(services, status_changed, stop, config)
            if stop.is_set() or watcher.failure is not None:
                break
    finally:
        if stop_companion is not None:
            stop_companion()
        lock.release()
    if watcher.failure is not None:
        failure = type(watcher.failure).__name__
        if role != DAEMON_ROLE:  # the daemon's log names no file, and an unexpected error's text may
            failure += f": {watcher.failure}"
        raise ArchivistError(f"The watcher stopped after an unexpected error: {failure}",
                             hint="Run `archivist index` (or `archivist watch` in a terminal) to see it again; "
                                  "please report it.")
    return watcher.status


def _watch_generation(services: WatchedIndex, status_changed: Callable[[WatchStatus], None],
                      stop: threading.Event, config: ConfigWatch) -> Watcher:
    """Watch for the current generation until ``stop``, a failure, a switch of generation or a valid edit of
    the settings (the caller then starts again: new folders are watched, a new candidate planned).

    When the settings no longer match what built the current generation, the candidate is built on a second
    thread meanwhile (the current one keeps answering and stays fresh); once built, every change also goes
    to it, after a rescan that catches what changed during the build."""
    from archivist.index.rebuild import BackgroundBuild, FreshIndexer, plan

    current = load_generations(services.paths).current
    fresh = FreshIndexer(services.indexer())
    watcher = Watcher(fresh, on_status=status_changed,  # type: ignore[arg-type]
                      debounce=services.settings.watch.debounce_seconds)
    found = plan(services)
    folders = [f.path for f in services.store.folders()]
    opened = []

    def ready(indexer) -> None:  # noqa: ANN001 - on the build thread
        opened.append(indexer.store)
        fresh.add(indexer)
        for folder in folders:
            watcher.queue.rescan(folder)

    build = BackgroundBuild(services, found, ready) if found.candidate is not None else None
    if build is not None:
        logging.getLogger("archivist.watch").info("generation %d differs from the settings: building generation %d",
                                                  found.current.id, found.candidate.id)  # type: ignore[union-attr]
    try:
        watcher.start()
        if build is not None:
            build.start()
        while not stop.is_set() and watcher.failure is None and load_generations(services.paths).current == current:
            if config.changed() and reload_settings(services):
                break
            stop.wait(0.5)
    finally:
        if build is not None:
            build.stop()
        watcher.stop()
        for store in opened:
            store.close()
    return watcher


def own_messages_only(record: logging.LogRecord) -> bool:
    """The daemon's log holds counts, states and ids, never names or text: a library's message (pypdf's
    warnings quote a document's bytes) is reduced to where it came from."""
    if not record.name.startswith("archivist"):
        record.msg = "%s: a %s (its text is not logged: it may quote a document or name a file)"
        record.args = (record.name, record.levelname.lower())
    return True


def serve_daemon(paths: Paths, open_services_fn,  # noqa: ANN001
                 while_locked: Callable[[], Callable[[], None]] | None = None) -> None:
    """Body of the detached daemon process: passphrase from stdin, log to ``paths.watch_log``; ``while_locked``
    as ``run_watch``'s."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.captureWarnings(True)  # a library's warnings go through the same filter, not raw to the log
    for handler in logging.getLogger().handlers:
        handler.addFilter(own_messages_only)
    log = logging.getLogger("archivist.watch")
    piped = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else ""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        services = open_services_fn(prompt=(lambda text, confirm: piped) if piped else None)
    except ArchivistError as exc:
        log.error("could not open the index: %s", exc.title)
        print(safe_line(f"{exc.title}: {exc}"), file=sys.stderr)  # the log; spawn_daemon quotes it
        sys.exit(2)
    try:
        status = run_watch(services, role=DAEMON_ROLE, stop=stop, while_locked=while_locked)
        log.info("daemon stopped: %d changes handled, %d errors", status.done, status.errors)
    except ArchivistError as exc:
        log.error("%s", exc.title)
        print(safe_line(f"{exc.title}: {exc}"), file=sys.stderr)  # the log; spawn_daemon quotes it
        sys.exit(2)
    finally:
        services.close()


def spawn_daemon(paths: Paths, passphrase: str, timeout: float = 60.0) -> int:
    """Start the daemon detached; return its pid once it holds the writer lock.

    Raises:
        ArchivistError: it exited early (the reason from its log is in the message).
    """
    paths.ensure_private(paths.data_dir)
    fd = os.open(paths.watch_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVIST_PASSPHRASE"}
    with os.fdopen(fd, "ab") as logfile:
        child = subprocess.Popen([sys.executable, "-m", "archivist", "watch", "--serve"], stdin=subprocess.PIPE,
                                 stdout=logfile, stderr=logfile, start_new_session=True, env=env, close_fds=True)
    assert child.stdin is not None
    child.stdin.write(passphrase.encode() + b"\n")
    child.stdin.close()
    lock = WriterLock(paths.writer_lock)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holder = lock.holder()
        if holder and holder.get("pid") == child.pid:
            return child.pid
        if child.poll() is not None:
            tail = paths.watch_log.read_text(errors="replace").strip().splitlines()[-1:] or ["(no log)"]
            raise ArchivistError(f"The watch daemon stopped at start: {tail[0]}",
                                 hint=f"See {paths.watch_log}.")
        time.sleep(0.1)
    child.terminate()
    raise ArchivistError("The watch daemon did not start in time.", hint=f"See {paths.watch_log}.")


def stop_daemon(paths: Paths, timeout: float = 30.0) -> int | None:
    """SIGTERM the daemon and wait until it has released the lock; its pid, or None if none ran."""
    lock = WriterLock(paths.writer_lock)
    holder = lock.holder()
    if not holder or holder.get("role") != DAEMON_ROLE:
        return None
    pid = int(holder["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and lock.holder():
        time.sleep(0.1)
    if lock.holder():
        raise ArchivistError(f"The watch daemon (pid {pid}) did not stop within {timeout:.0f} s.",
                             hint=f"It may be finishing a large file; try again, or kill {pid}.")
    return pid


def log_path(paths: Paths) -> Path:
    return paths.watch_log
