"""What the watch daemon answers on its socket (``app.serving``): ``search``, ``ask`` and ``status``, run in the
requesting profile's workspace and printed by the same printers as in-process (``cli.render``), on a console made
like the client's terminal (``cli.daemon_client.terminal``). ``--json`` output is the same ``json_text``.

The daemon process is the CLI's (``archivist watch --serve``), so it prints as the CLI does; the client writes the
text it receives unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archivist.app.serving import Command, Send
from archivist.app.workspace import Workspace
from archivist.cli.console import console, json_text


class _Screen(io.StringIO):
    """Where the daemon prints a client's output: tells Rich what the client's stdout is (a terminal or not, its
    encoding), so colours and characters are chosen as they would be in the client."""

    def __init__(self, isatty: bool, encoding: str) -> None:
        super().__init__()
        self._isatty = isatty
        self._encoding = encoding

    def isatty(self) -> bool:
        return self._isatty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


def printed(terminal: dict, show: Callable[[Any], None]) -> str:
    """What ``show(console)`` prints on a console like the client's ``terminal`` (``daemon_client.terminal``)."""
    env = {str(k): str(v) for k, v in dict(terminal.get("env") or {}).items()}
    screen = _Screen(bool(terminal.get("isatty")), str(terminal.get("encoding") or "utf-8"))
    size = terminal.get("size") or (None, None)
    columns, lines = env.get("COLUMNS", ""), env.get("LINES", "")
    width = int(columns) if columns.isdigit() else (size[0] or 80)
    height = int(lines) if lines.isdigit() else (size[1] or 25)
    show(console(file=screen, width=width, height=height, _environ=env))
    return screen.getvalue()


def _folder(args: dict) -> Path | None:
    return Path(args["folder"]) if args.get("folder") else None


def search(ws: Workspace, args: dict, send: Send) -> dict:
    """``archivist search``."""
    from archivist.cli.render import print_search, search_json

    result = ws.search(str(args["query"]), k=args.get("k"), folder=_folder(args), mode=str(args.get("mode", "hybrid")))
    if args.get("json"):
        return {"stdout": json_text(search_json(result))}
    return {"stdout": printed(args["terminal"], lambda to: print_search(result, to=to))}


def status(ws: Workspace, args: dict, send: Send) -> dict:
    """``archivist status``."""
    from archivist.cli.render import print_status

    data = ws.status()
    if args.get("json"):
        return {"stdout": json_text(data)}
    return {"stdout": printed(args["terminal"], lambda to: print_status(data, to=to))}


def ask(ws: Workspace, args: dict, send: Send) -> dict:
    """``archivist ask``: the model's tokens are sent as they come (the client shows them live, as in-process),
    then the checked answer, printed."""
    from archivist.cli.render import print_answer

    after = args.get("after")
    follows = ws.earlier_question(after) if (args.get("follow_up") or after is not None) else None
    question, folder, extractive = str(args["question"]), _folder(args), bool(args.get("extractive"))
    if args.get("json"):
        answer = ws.ask(question, folder=folder, extractive=extractive, follows=follows)
        return {"stdout": json_text(answer.to_json())}
    answer = ws.ask(question, folder=folder, extractive=extractive, follows=follows,
                    on_token=lambda piece: send({"event": "token", "text": piece}),
                    asked_as=lambda whole: send({"event": "asked_as", "text": whole}),
                    on_draft=lambda draft: send({"event": "quoted", "text": draft.answer}))
    return {"stdout": printed(args["terminal"], lambda to: print_answer(answer, to=to))}


COMMANDS: dict[str, Command] = {"search": search, "status": status, "ask": ask}
