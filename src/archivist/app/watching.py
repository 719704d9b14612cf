"""Keeping the index fresh: the watcher in the foreground, or the detached daemon (``watch.daemon`` does the
work; this is what ``archivist watch`` asks of it)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from archivist.app.serving import Command, start_service
from archivist.app.workspace import Prompt, Workspace
from archivist.errors import IndexBusy
from archivist.index.lock import WriterLock
from archivist.paths import Paths
from archivist.watch import daemon as d


def check_free(paths: Paths) -> None:
    """Raise ``IndexBusy`` when another process writes the index (a watch daemon keeps it fresh already)."""
    holder = WriterLock(paths.writer_lock).holder()
    if holder:
        raise IndexBusy(f"{holder.get('role', 'Another writer')} (pid {holder.get('pid', '?')}) is already "
                        "writing to the index.", hint="`archivist status` shows it; `archivist watch --stop` "
                        "stops a daemon.")


def watch(ws: Workspace, *, stop: threading.Event, on_status: Callable | None = None) -> None:
    """Run the watcher on ``ws`` until ``stop`` is set (``archivist watch``, in the foreground)."""
    check_free(ws.paths)
    d.run_watch(ws, role="archivist watch", stop=stop, on_status=on_status)


def start_daemon(paths: Paths, open_ws: Callable[[], Workspace]) -> int:
    """Start the detached daemon; returns its pid. The passphrase is checked (and the index created) first.

    Raises:
        IndexBusy: another process writes the index.
        WrongPassphrase, PassphraseMissing: as ``open_workspace``.
    """
    check_free(paths)
    ws = open_ws()
    try:
        passphrase = ws.passphrase
    finally:
        ws.close()
    return d.spawn_daemon(paths, passphrase)


def stop_daemon(paths: Paths) -> int | None:
    """Stop the daemon; its pid, or None when none was running."""
    return d.stop_daemon(paths)


def serve(paths: Paths, open_ws: Callable[[Prompt | None], Workspace],
          commands: Mapping[str, Command] | None = None) -> None:
    """Be the daemon (the detached process ``start_daemon`` runs); with ``commands``, also answer them on the
    daemon's socket while it holds the writer lock (``app.serving``)."""
    opened: list[Workspace] = []

    def open_services(prompt: Prompt | None = None) -> Workspace:
        opened.append(open_ws(prompt))
        return opened[-1]

    def answering() -> Callable[[], None]:
        assert commands is not None
        return start_service(paths, opened[-1].passphrase, commands)

    d.serve_daemon(paths, open_services, while_locked=answering if commands else None)
