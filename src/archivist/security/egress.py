"""The egress guard: a process-wide audit hook that refuses every network connection.

Archivist needs no network at all. ``install()`` (called by the ``archivist`` command before any model
library is imported) adds a ``sys.addaudithook`` hook that raises ``PermissionError`` on any socket connect,
send or name lookup except on Unix-domain sockets (used by the watch daemon). Each refused attempt is kept
in memory and handed to the listeners (the audit trail records it).

Limits, stated in the README's privacy model: an audit hook sees only connections made through Python's
``socket`` module. Native code (llama.cpp, ONNX Runtime) opens no sockets; the strace acceptance check and the
integration test confirm that for a whole add/index/ask session.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Attempt:
    """One refused connection attempt."""

    at: str
    event: str
    target: str


_lock = threading.Lock()
_installed = False
_attempts: list[Attempt] = []
_listeners: list[Callable[[Attempt], None]] = []
_in_listener = threading.local()

_EVENTS = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
           "socket.gethostbyaddr", "socket.getnameinfo"}


def _is_unix(args: tuple) -> bool:
    sock = args[0] if args else None
    family = getattr(sock, "family", None)
    return family == getattr(socket, "AF_UNIX", object())


def _target(event: str, args: tuple) -> str:
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg") and len(args) > 1:
        return repr(args[1])
    return repr(args[0]) if args else ""


def _hook(event: str, args: tuple) -> None:
    if event not in _EVENTS or not _installed:
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg") and _is_unix(args):
        return
    attempt = Attempt(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), event, _target(event, args))
    with _lock:
        _attempts.append(attempt)
        listeners = list(_listeners)
    if not getattr(_in_listener, "active", False):
        _in_listener.active = True
        try:
            for listener in listeners:
                try:
                    listener(attempt)
                except Exception:  # noqa: BLE001 - a failing listener must never let the connection through
                    pass
        finally:
            _in_listener.active = False
    raise PermissionError(f"Archivist refuses network access ({event} {attempt.target}): it works offline only.")


def install() -> None:
    """Install the guard once per process (audit hooks cannot be removed; calling again is harmless)."""
    global _installed
    with _lock:
        if _installed:
            return
        sys.addaudithook(_hook)
        _installed = True


def active() -> bool:
    """The guard is installed in this process."""
    return _installed


def attempts() -> list[Attempt]:
    """The refused attempts so far, oldest first."""
    with _lock:
        return list(_attempts)


def on_attempt(listener: Callable[[Attempt], None]) -> Callable[[], None]:
    """Call ``listener`` with each refused attempt; returns a function that removes it."""
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove
