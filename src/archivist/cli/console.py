"""The CLI's only ways to write to the terminal; none lets a control character from a file through (the one pair
of consoles every command prints with, ``out`` and ``err``, is made from these in ``cli.render``).

File names and document text are written by whoever can put a file in an added folder, so nothing the CLI
prints may carry their ESC sequences or other controls raw (see :mod:`archivist.terminal`). Rather than trust
every call site to remember, the writers here sanitise whatever reaches them:

- :func:`console` gives a Rich console (:class:`~archivist.safe_console.SafeConsole`) that passes every
  string through :func:`~archivist.terminal.safe_text` before its markup is parsed, and checks the rendered
  segments once more, which covers text that never was a string handed to it (a ``Text`` built elsewhere, a
  progress-bar column).
- :func:`echo` is ``click.echo`` with the same treatment.
- :func:`echo_json` writes JSON as it is: ``json.dumps`` already escapes every C0 control, and ``--json``
  output must carry the exact text.

``safe_text`` keeps newlines, because the CLI's own messages have them. So a composed line still applies
:func:`~archivist.terminal.safe_line` to each name or field inside it: only the caller knows that a newline in
a file name is not one of its own. ``tests/unit/test_terminal.py`` fails when a module prints another way.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from archivist.terminal import safe_line, safe_text

if TYPE_CHECKING:
    from archivist.safe_console import SafeConsole

__all__ = ["console", "echo", "echo_json", "json_text", "safe_line", "safe_text", "write_printed"]


def console(*, stderr: bool = False, **kwargs: Any) -> SafeConsole:
    """A :class:`~archivist.safe_console.SafeConsole` with the CLI's defaults (no automatic highlighting,
    lines not cut at the terminal width). It writes to whatever ``sys.stdout``/``sys.stderr`` is when it
    writes, so tests that swap them see its output."""
    from archivist.safe_console import SafeConsole

    kwargs.setdefault("highlight", False)
    kwargs.setdefault("soft_wrap", True)
    return SafeConsole(stderr=stderr, **kwargs)


def echo(message: str = "", *, err: bool = False, nl: bool = True, **style: Any) -> None:
    """``click.echo`` (``click.secho`` when given ``fg``, ``bold``…) of ``safe_text(message)``."""
    if style:
        click.secho(safe_text(message), err=err, nl=nl, **style)
    else:
        click.echo(safe_text(message), err=err, nl=nl)


def json_text(data: Any) -> str:
    """What ``echo_json`` writes (the watch daemon sends it to its client as is)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def echo_json(data: Any) -> None:
    """``data`` as indented JSON on stdout, exactly (non-ASCII kept as is, controls escaped by JSON)."""
    click.echo(json_text(data), nl=False)


def write_printed(text: str) -> None:
    """Write ``text`` that a :class:`~archivist.safe_console.SafeConsole` (or ``json_text``) already made, as is:
    the watch daemon's output for this terminal (``cli.daemon_client``), sanitised where it was printed. The daemon
    is a process of this user (the socket checks its uid), so its colours are kept rather than escaped."""
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()
