"""What is never indexed: the built-in deny list (keys, credentials, browser profiles) and per-folder excludes.

Both are checked on the absolute path, so adding ``~/.ssh`` itself as a folder indexes nothing from it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path, PurePosixPath


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
