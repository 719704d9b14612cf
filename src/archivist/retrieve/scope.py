"""Scoping from the question: ``in:FOLDER`` and ``file:GLOB`` (analysts usually know where to look).

``in:`` takes an added folder's name or path; ``file:`` a glob matched against the file name and the
path (``file:*2019*10K*.pdf``, ``file:policies/*.md``). Quote values with spaces: ``in:"Board packs"``.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from archivist.errors import FolderNotFound

_TOKEN = re.compile(r'(?<!\S)(in|file):("[^"]*"|\'[^\']*\'|\S+)')


@dataclass(frozen=True)
class Scope:
    folder: str | None = None
    file_glob: str | None = None

    def __bool__(self) -> bool:
        return bool(self.folder or self.file_glob)


def parse_scope(query: str) -> tuple[str, Scope]:
    """Split ``query`` into the free text and its scope filters."""
    folder = glob = None
    for kind, raw in _TOKEN.findall(query):
        try:
            value = shlex.split(raw)[0] if raw[0] in "\"'" else raw
        except ValueError:
            value = raw.strip("\"'")
        if kind == "in":
            folder = value
        else:
            glob = value
    return _TOKEN.sub(" ", query).strip(), Scope(folder, glob)


def resolve_folder(name: str, folders: list) -> int:  # noqa: ANN001 - list[Folder]
    """The id of the added folder called ``name`` (its path, or its last component)."""
    wanted = Path(name).expanduser()
    for f in folders:
        if f.path == wanted.resolve() or f.path.name == name:
            return f.id
    names = ", ".join(f.path.name for f in folders) or "none added"
    raise FolderNotFound(f"No added folder is called {name!r} (in:{name}).", hint=f"Added folders: {names}.")


def file_matches(glob: str, path: Path) -> bool:
    pattern = glob if any(ch in glob for ch in "*?[") else f"*{glob}*"
    return fnmatch.fnmatch(path.name, pattern) or fnmatch.fnmatch(str(path), pattern) or \
        fnmatch.fnmatch(str(path), "*/" + pattern.lstrip("/"))
