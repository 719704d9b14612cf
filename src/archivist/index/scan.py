"""Which files of a folder the index looks at: the walk over a folder (hidden and tool folders skipped, links
never followed, the deny list), the same rules for one path the watcher reports, and the link checks."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from archivist.index.rules import denied, denied_dir
from archivist.settings import IndexSettings
from archivist.watch.filters import is_temporary


def walk(root: Path, rules: IndexSettings, nested: set[Path], problems: list[tuple[Path, str]] | None = None,
         left_out: list[tuple[Path, str]] | None = None) -> Iterator[Path]:
    """Files under ``root`` worth looking at (hidden and tool folders skipped, symlinks not followed:
    no loops). An unreadable sub-folder is added to ``problems`` and the walk goes on; a file the deny
    list leaves out is added to ``left_out`` with the pattern (a denied folder is not entered at all).

    Args:
        root: the folder to walk.
        rules: the ``[index]`` settings (skipped folders, hidden files, the deny list and its exceptions).
        nested: folders added inside ``root``: each owns its files (it may have other readers) and is left to
            its own scan.
        problems: where an unreadable sub-folder is noted, if given.
        left_out: where a file the deny list leaves out is noted with the pattern, if given.
    """
    skip_dirs = set(rules.skip_dirs)
    hidden = rules.skip_hidden

    def on_error(exc: OSError) -> None:
        if problems is not None:
            where = Path(exc.filename) if exc.filename else root
            problems.append((where, f"{where.name}: folder could not be read ({exc.strerror})."))

    deny, allow = rules.deny, rules.allow_sensitive
    if denied_dir(root, deny, allow):
        return
    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not (hidden and d.startswith("."))
                             and not denied_dir(Path(dirpath) / d, deny, allow)
                             and Path(dirpath) / d not in nested)
        for name in sorted(filenames):
            if (hidden and name.startswith(".")) or is_temporary(Path(name)):
                continue  # the watcher ignores temporaries too: a scan must not index what it skips
            path = Path(dirpath) / name
            pattern = denied(path, deny, allow)
            if pattern is not None:
                if left_out is not None:
                    left_out.append((path, pattern))
                continue
            if path.is_symlink() or not path.is_file():
                continue
            yield path


def wanted(root: Path, path: Path, rules: IndexSettings) -> bool:
    """Whether ``path`` under ``root`` passes the hidden/skip-folder rules that ``walk`` applies."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    skip_dirs = set(rules.skip_dirs)
    if any(p in skip_dirs for p in parts[:-1]):
        return False
    if is_temporary(path) or denied(path, rules.deny, rules.allow_sensitive):
        return False
    return not (rules.skip_hidden and any(p.startswith(".") for p in parts))


def linked(root: Path, path: Path) -> bool:
    """Whether ``path`` or a folder between ``root`` and it is a symbolic link (``root`` itself aside: folders
    are stored resolved when they are added)."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return True  # not under the folder at all: treat as foreign
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def regular_file(path: Path) -> bool:
    """``path`` is a regular file itself (``Path.is_file`` follows a link to one)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False
