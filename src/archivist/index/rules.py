"""What is never indexed: the built-in deny list (keys, credentials, browser profiles) and per-folder excludes.

Both are checked on the absolute path, so adding ``~/.ssh`` itself as a folder indexes nothing from it.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archivist.index.rows import Folder
    from archivist.index.store import Store


def _dir_pattern_matches(pattern: str, parts: Sequence[str]) -> bool:
    want = PurePosixPath(pattern.rstrip("/")).parts
    n = len(want)
    return any(tuple(parts[i:i + n]) == want for i in range(len(parts) - n + 1))


def denied(path: Path, deny: Sequence[str], allow: Sequence[str] = ()) -> str | None:
    """The deny pattern ``path`` falls under (None: allowed). Folder patterns end in ``/``."""
    dirs = path.parts[:-1]
    for pattern in deny:
        if pattern in allow:
            continue
        if pattern.endswith("/"):
            if _dir_pattern_matches(pattern, dirs):
                return pattern
        elif fnmatch.fnmatchcase(path.name, pattern):
            return pattern
    return None


def denied_dir(path: Path, deny: Sequence[str], allow: Sequence[str] = ()) -> bool:
    """Whether the folder ``path`` itself is denied (the walk does not descend into it)."""
    return any(p.endswith("/") and p not in allow and _dir_pattern_matches(p, path.parts) for p in deny)


def excluded(root: Path, path: Path, exclude: Sequence[str]) -> str | None:
    """The folder exclude rule ``path`` matches: an absolute path (itself or a parent: a forgotten file or
    folder) or a glob relative to ``root`` (``drafts/**``, ``*.tmp``, matched on the name too)."""
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        rel = None
    for rule in exclude:
        if rule.startswith("/"):
            target = Path(rule)
            if path == target or target in path.parents:
                return rule
        elif rel is not None and (fnmatch.fnmatchcase(rel, rule) or fnmatch.fnmatchcase(path.name, rule)
                                  or (rule.endswith("/**") and (rel + "/").startswith(rule[:-2]))):
            return rule
    return None


# -- what the deny list left out, for `archivist status` ---------------------------------------------------------

LEFT_OUT_KEPT = 200
"""How many left-out files of one folder ``status`` can list (the rest are counted)."""


def _left_out_key(folder: Folder) -> str:
    return f"denied.{folder.id}"


def record_left_out(store: Store, folder: Folder, left_out: Sequence[tuple[Path, str]]) -> None:
    """Record the files of ``folder`` the deny list left out at its last scan (path, pattern matched)."""
    if not left_out:
        store.delete_meta(_left_out_key(folder))
        return
    entries = [[str(p), pattern] for p, pattern in left_out[:LEFT_OUT_KEPT]]
    if len(left_out) > LEFT_OUT_KEPT:
        entries.append(["", f"+{len(left_out) - LEFT_OUT_KEPT}"])
    store.set_meta(_left_out_key(folder), json.dumps(entries))


def _left_out_of(store: Store, folder: Folder) -> list[tuple[Path, str]]:
    raw = store.get_meta(_left_out_key(folder))
    return [(Path(p), pattern) for p, pattern in json.loads(raw)] if raw else []


def left_out(store: Store) -> list[tuple[Path, str]]:
    """Files of the store's readable folders the deny list left out (path, pattern); a last entry with an empty
    path and ``+N`` counts those beyond the first ``LEFT_OUT_KEPT`` of a folder."""
    return [entry for f in store.folders() for entry in _left_out_of(store, f)]


def forget_left_out(store: Store, folders: Sequence[Folder], path: Path) -> None:
    """Drop ``path`` (a file, or everything below a folder) from the record: forget leaves no name behind."""
    for folder in folders:
        entries = _left_out_of(store, folder)
        kept = [(p, pattern) for p, pattern in entries if not (p == path or path in p.parents)]
        if len(kept) != len(entries):
            record_left_out(store, folder, kept)
