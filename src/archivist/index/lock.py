"""One writer per index: an exclusive ``flock`` on ``index.lock`` next to the database.

Readers (search, ask, status, the UI) never take it: SQLite's WAL lets them read while the writer writes.
The lock file holds who owns it (pid, role, since) so a refused second writer can say who is writing.
The kernel drops the lock when its holder dies, even on SIGKILL, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from archivist.errors import IndexBusy


class WriterLock:
    """Exclusive writer lock for the index at ``path``'s folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, role: str) -> None:
        """Take the lock for ``role`` (``index``, ``watch``, ``watch daemon``).

        Raises:
            IndexBusy: another process holds it; the message names it.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.holder() or {}
            who = f"{holder.get('role', 'another Archivist process')} (pid {holder.get('pid', '?')})"
            hint = ("It keeps the index fresh by itself; `archivist watch --stop` stops it."
                    if "daemon" in str(holder.get("role")) else "Wait for it to finish, or stop it.")
            raise IndexBusy(f"The index is already being written by {who}.", hint=hint) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "role": role, "since": time.time()}).encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def holder(self) -> dict | None:
        """Who holds the lock now, or None when nobody does."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raw = os.pread(fd, 4096, 0)
                try:
                    return json.loads(raw.decode() or "{}") or {"role": "unknown"}
                except ValueError:
                    return {"role": "unknown"}
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
