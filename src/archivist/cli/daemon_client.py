"""Asking the running watch daemon to answer ``search``, ``ask`` and ``status`` (warm: its index, key and models
are loaded), before this process loads any of them.

Only the standard library, ``archivist.paths`` and the passphrase lookup are imported until the daemon has
answered: a command served this way never loads numpy, ONNX Runtime, SQLCipher, llama.cpp or Rich (``tests/unit/
test_daemon_client.py`` checks it). The daemon sends the output printed (``cli.daemon_answers``), made on a console
like this process's own, so that it reads exactly as in-process.

When no daemon runs (no socket), or ``ARCHIVIST_NO_DAEMON=1``, the command runs in-process as before, silently. A
daemon that cannot answer (a stale socket left by a killed daemon, a refused connection, no answer in time, other
settings) is noted in one line on stderr and the command runs in-process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

NO_DAEMON = "ARCHIVIST_NO_DAEMON"
TIMEOUT = {"search": 30.0, "status": 60.0, "ask": 600.0}
"""Seconds a command waits for the daemon's next event (an ``ask`` that streams resets it with every token; the
model's first token can take a while on a cold page cache)."""
RICH_ENVIRONMENT = ("TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS",
                    "LINES")
"""What Rich reads of the environment to decide colours and width: the daemon's console reads the client's."""


@dataclass
class Reply:
    """What came of asking the daemon: its ``output`` (already printed when ``served``), or the passphrase that was
    already asked for, for the in-process run (so that it is not asked twice)."""

    served: bool = False
    passphrase: str | None = None
    output: dict = field(default_factory=dict)


def terminal() -> dict:
    """How this process's stdout would be drawn: a terminal or not, its size and encoding, Rich's variables."""
    size = None
    for fd in (0, 1, 2):  # where Rich looks for the size
        try:
            size = tuple(os.get_terminal_size(fd))
            break
        except (OSError, ValueError):
            continue
    stdout = sys.stdout
    try:
        isatty = stdout.isatty()
    except ValueError:
        isatty = False
    return {"isatty": isatty, "size": size, "encoding": getattr(stdout, "encoding", None) or "utf-8",
            "env": {k: os.environ[k] for k in RICH_ENVIRONMENT if k in os.environ}}


def ask_daemon(command: str, args: dict) -> Reply:
    """Have the watch daemon answer ``command`` with ``args`` (``prepare``, then ``Pending.send``)."""
    pending = prepare(command, args)
    return pending.send() if pending is not None else Reply()


def prepare(command: str, args: dict) -> Pending | None:
    """The request for ``command`` with ``args``, passphrase included, ready to send; None when no daemon runs or
    ``ARCHIVIST_NO_DAEMON`` is set (the command runs in-process, silently).

    Raises:
        PassphraseMissing: as in-process.
    """
    if os.environ.get(NO_DAEMON, "") not in ("", "0"):
        return None
    from archivist.paths import Paths

    paths = Paths.resolve()
    if not paths.service_socket.exists():
        return None
    from archivist.security.passphrase import get_passphrase
    from archivist.watch import service

    # Before connecting: typing it may take longer than the daemon waits for a request.
    passphrase = get_passphrase(creating=False)
    request = {"v": 1, "command": command, "args": {**args, "terminal": terminal()},
               "profile": os.environ.get("ARCHIVIST_PROFILE"), "env": service.settings_environment(os.environ),
               "paths": service.paths_json(paths), "passphrase": passphrase}
    return Pending(paths.service_socket, request, TIMEOUT[command])


@dataclass
class Pending:
    """A request ready for the daemon at ``socket``."""

    socket: Path
    request: dict
    timeout: float

    def send(self, on_event: Callable[[dict], None] | None = None) -> Reply:
        """Send it; events before the answer (an ``ask``'s tokens) go to ``on_event``. Prints the daemon's output
        and returns ``Reply(served=True)``, or says why it was not served and returns what the in-process run
        needs.

        Raises:
            ArchivistError: the daemon reports a user error (a folder that is not added, ...): the same error as
                the command in-process, printed the same way by the CLI.
        """
        from archivist.watch import service

        passphrase = self.request["passphrase"]
        try:
            sock = service.connect(self.socket)
            if sock is None:
                return Reply(passphrase=passphrase)
            final = service.exchange(sock, self.request, on_event=on_event or (lambda event: None),
                                     timeout=self.timeout)
        except service.Unavailable as exc:
            _note(str(exc))
            return Reply(passphrase=passphrase)
        if final["event"] == "unserved":
            if not final.get("quiet"):
                _note(str(final.get("reason")))
            return Reply(passphrase=passphrase)
        if final["event"] == "error":
            raise _error(final)
        return Reply(served=True, output=final)


def write(reply: Reply) -> None:
    """Write the daemon's output exactly as it was printed for this terminal."""
    from archivist.cli.console import write_printed

    write_printed(str(reply.output.get("stdout", "")))


def _note(reason: str) -> None:
    from archivist.cli.console import echo, safe_line

    echo(safe_line(f"Note: {reason}; answering in this process."), err=True, fg="yellow")


def _error(final: dict) -> Exception:
    """The daemon's user error as the same ``ArchivistError`` (its title kept), for the CLI's one error line."""
    from archivist.errors import ArchivistError

    error = ArchivistError(str(final.get("message")), hint=final.get("hint"))
    error.title = str(final.get("title") or ArchivistError.title)
    return error
