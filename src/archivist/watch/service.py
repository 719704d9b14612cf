"""The watch daemon's socket: commands are answered by the warm daemon in JSON lines over a Unix socket.

Who may connect: the socket is 0600 inside the 0700 runtime folder, and both ends check the other's uid with
``SO_PEERCRED`` (the kernel's word, not the peer's): the daemon drops another user's connection unanswered, and a
client does not talk to a socket another user bound. A request is one JSON object on one line, at most
``MAX_REQUEST`` bytes, sent within ``REQUEST_TIMEOUT`` seconds; the answer is JSON lines ("events") ending with one
whose ``event`` is in ``FINAL``. What a request may do, and under which profile, is the handler's business
(``app.serving``): this module knows sockets only.

The client half (``connect``, ``exchange``) imports nothing but the standard library, so that a command can ask
the daemon before it loads any model library (see ``cli.daemon_client``).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archivist.paths import Paths

MAX_REQUEST = 64 * 1024
"""A request carries a question, a few options and the terminal's settings: 64 KiB is plenty, and bounds what an
idle or hostile client can make the daemon buffer."""
REQUEST_TIMEOUT = 5.0
"""Seconds a client has to send its whole request once connected."""
SEND_TIMEOUT = 30.0
"""Seconds the daemon waits on a client that stopped reading before dropping it."""
MAX_CLIENTS = 8
"""Connections served at once; more are told the daemon is busy (and answer in-process)."""
MAX_ANSWER_LINE = 256 * 1024 * 1024
"""The longest event line a client accepts (``status --json`` of a large index is a few MB)."""
FINAL = ("done", "error", "unserved")
"""The events that end an answer: the output, a user error (printed like in-process), or "answer it yourself"."""

NOT_SETTINGS = ("ARCHIVIST_PASSPHRASE", "ARCHIVIST_PASSPHRASE_FILE", "ARCHIVIST_NO_DAEMON", "ARCHIVIST_PROFILE")
"""``ARCHIVIST_*`` variables that are not settings (or, the profile, are matched on their own)."""

Send = Callable[[dict], None]
Handler = Callable[[dict, Send], None]


def settings_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``ARCHIVIST_*`` variables that change settings: a request carries its command's, and the daemon answers
    only when they equal its own (else the command would see other settings in-process)."""
    return {k: v for k, v in environ.items() if k.startswith("ARCHIVIST_") and k not in NOT_SETTINGS}


def paths_json(paths: Paths) -> dict[str, str]:
    """``paths`` as a request carries them (a command that resolves other folders is not this daemon's)."""
    return {k: str(getattr(paths, k)) for k in ("config_dir", "data_dir", "cache_dir", "runtime_dir", "models_dir")}


class ProtocolError(Exception):
    """A request that breaks the protocol (too large, not one JSON object, cut short)."""


class Unavailable(Exception):
    """The daemon could not answer; the message says why, in a few words (the client's note)."""


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a connected Unix socket, as the kernel recorded it."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]  # pid, uid, gid


def encode(message: dict) -> bytes:
    """One JSON line (UTF-8; JSON escapes newlines, so a message is always exactly one line)."""
    return json.dumps(message, ensure_ascii=False).encode() + b"\n"


def read_request(sock: socket.socket, *, limit: int = MAX_REQUEST, timeout: float = REQUEST_TIMEOUT) -> dict:
    """The one JSON object a client sends, read within ``timeout`` seconds in all.

    Raises:
        ProtocolError: it is longer than ``limit``, not a JSON object, or the client closed before its end.
        TimeoutError: it did not arrive in time.
    """
    deadline = time.monotonic() + timeout
    buffer = bytearray()
    while b"\n" not in buffer:
        if len(buffer) > limit:
            raise ProtocolError(f"request larger than {limit} bytes")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(min(65536, limit + 1 - len(buffer)))
        if not chunk:
            raise ProtocolError("connection closed before the end of the request")
        buffer += chunk
    line = bytes(buffer.partition(b"\n")[0])
    if len(line) > limit:
        raise ProtocolError(f"request larger than {limit} bytes")
    try:
        request = json.loads(line)
    except ValueError:
        raise ProtocolError("request is not JSON") from None
    if not isinstance(request, dict):
        raise ProtocolError("request is not a JSON object")
    return request


class Server:
    """Listens on ``path`` and hands each request of this user's processes to ``handle(request, send)``, which
    answers with ``send(event)`` and ends with a ``FINAL`` event. Connections are served on threads of their own
    (at most ``max_clients``); whether requests run one at a time is the handler's choice."""

    def __init__(self, path: Path, handle: Handler, *, uid: int | None = None, max_clients: int = MAX_CLIENTS,
                 max_request: int = MAX_REQUEST, request_timeout: float = REQUEST_TIMEOUT) -> None:
        self.path = path
        self.handle = handle
        self.uid = os.getuid() if uid is None else uid
        self.max_request = max_request
        self.request_timeout = request_timeout
        self._slots = threading.BoundedSemaphore(max_clients)
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.log = logging.getLogger("archivist.watch")

    def start(self) -> None:
        """Bind and listen. The caller holds the writer lock, so a socket file already there was left by a daemon
        that was killed: it is replaced."""
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # created 0600, not chmod-ed after a window where it was wider
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(16)
        sock.settimeout(0.5)  # the accept loop looks at the stop flag twice a second
        self._sock = sock
        self._thread = threading.Thread(target=self._accept_loop, name="archivist-service", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting and remove the socket file (requests being answered finish on their threads)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
        self.path.unlink(missing_ok=True)

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            if not self._slots.acquire(blocking=False):
                self._refuse(conn, "the watch daemon is busy")
                continue
            threading.Thread(target=self._serve, args=(conn,), name="archivist-request", daemon=True).start()

    def _refuse(self, conn: socket.socket, reason: str) -> None:
        with conn:
            try:
                conn.settimeout(1.0)
                conn.sendall(encode({"event": "unserved", "reason": reason}))
            except OSError:
                pass  # the client is gone: it answers in-process anyway

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                if peer_uid(conn) != self.uid:
                    self.log.warning("refused a connection from another user's process")
                    return
                try:
                    request = read_request(conn, limit=self.max_request, timeout=self.request_timeout)
                except (ProtocolError, TimeoutError) as exc:
                    reason = "request timed out" if isinstance(exc, TimeoutError) else str(exc)
                    conn.settimeout(1.0)
                    conn.sendall(encode({"event": "unserved", "reason": reason}))
                    return
                conn.settimeout(SEND_TIMEOUT)
                self.handle(request, lambda event: conn.sendall(encode(event)))
        except OSError:
            self.log.info("a client left before its answer was sent")
        finally:
            self._slots.release()


def connect(path: Path, *, timeout: float = 1.0) -> socket.socket | None:
    """A connection to the daemon's socket at ``path``; None when there is none (no daemon runs).

    Raises:
        Unavailable: the socket is there but nothing answers on it (a daemon that was killed), it does not
            accept in time, or another user's process holds it.
    """
    if not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except FileNotFoundError:
        sock.close()
        return None  # the daemon stopped between the check and the connection
    except ConnectionRefusedError:
        sock.close()
        raise Unavailable("the watch daemon's socket is stale (nothing listens on it)") from None
    except TimeoutError:
        sock.close()
        raise Unavailable("the watch daemon did not accept the connection in time") from None
    except OSError as exc:
        sock.close()
        raise Unavailable(f"the watch daemon's socket cannot be used ({exc.strerror})") from None
    if peer_uid(sock) != os.getuid():
        sock.close()
        raise Unavailable("the daemon's socket belongs to another user")
    return sock


def exchange(sock: socket.socket, request: dict, *, on_event: Send, timeout: float) -> dict:
    """Send ``request`` and pass each event to ``on_event`` until the final one, which is returned. ``timeout``:
    the longest wait for the next event (an ``ask`` keeps the line busy with its tokens). Closes ``sock``.

    Raises:
        Unavailable: the daemon did not answer in time, closed the connection or sent something unreadable.
    """
    with sock:
        reader = sock.makefile("rb")
        try:
            sock.settimeout(timeout)
            sock.sendall(encode(request))
        except OSError as exc:
            # A daemon that turns the connection away (busy) answers and closes at once: the request may then
            # meet a closed socket, but its answer is there to read.
            try:
                parting = _next_event(reader, timeout)
            except Unavailable:
                parting = {}
            if parting.get("event") in FINAL:
                return parting
            raise Unavailable(f"the watch daemon's connection failed ({type(exc).__name__})") from None
        while True:
            event = _next_event(reader, timeout)
            if event.get("event") in FINAL:
                return event
            on_event(event)  # outside the try: a failure of the caller's own output is not the daemon's


def _next_event(reader, timeout: float) -> dict:  # noqa: ANN001 - a socket's binary file
    try:
        line = reader.readline(MAX_ANSWER_LINE)
    except TimeoutError:
        raise Unavailable(f"the watch daemon did not answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise Unavailable(f"the watch daemon's connection failed ({type(exc).__name__})") from None
    if not line.endswith(b"\n"):
        raise Unavailable("the watch daemon closed the connection before answering")
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise Unavailable("the watch daemon's answer is not readable")
    return event
