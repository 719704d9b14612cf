"""The one way Archivist writes a private file: atomically, durably, 0600.

A temp file with a unique name in the target's own folder (so ``os.replace`` never crosses a file system and two
writers never share a temp file), written and fsynced, given its mode, renamed over the target, then the folder
fsynced so the rename itself survives a power cut. A crash leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

PRIVATE = 0o600


def fsync_file(path: Path) -> None:
    """Flush ``path`` to disk: a file's content, or a folder's entries (a rename or a new name inside it)."""
    _close_synced(os.open(path, os.O_RDONLY))


def fsync_dir(folder: Path) -> None:
    """Flush ``folder``'s entries to disk (``fsync_file`` of a folder; a call of its own so that crash tests can
    stop at the file's fsync alone)."""
    _close_synced(os.open(folder, os.O_RDONLY))


def _close_synced(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, data: str | bytes, *, mode: int = PRIVATE, exclusive: bool = False) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` atomically and durably, with ``mode`` (0600 by default).

    ``exclusive``: never replace an existing file (a key file): fails with ``FileExistsError`` instead, even when
    the file appears while this one is being written.

    Raises:
        OSError: the folder cannot be written (nothing was changed; the temp file is removed).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    write_private_from(path, lambda fh: fh.write(payload), mode=mode, exclusive=exclusive)


def write_private_from(path: Path, fill: Callable[[BinaryIO], object], *, mode: int = PRIVATE,
                       exclusive: bool = False) -> None:
    """``write_private`` for content streamed by ``fill(file)`` (a copy of a large file)."""
    path = Path(path)
    if exclusive and path.exists():
        raise FileExistsError(17, "File exists", str(path))
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fill(fh)
        fsync_file(tmp)
        if exclusive:
            os.link(tmp, path)  # fails if the file appeared meanwhile
            tmp.unlink()
        else:
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def commit_private(tmp: Path, path: Path) -> None:
    """Make a file written elsewhere (a database SQLCipher created at ``tmp``, in ``path``'s folder) the file
    at ``path``: 0600, fsynced, renamed, folder fsynced."""
    os.chmod(tmp, PRIVATE)
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_dir(path.parent)
