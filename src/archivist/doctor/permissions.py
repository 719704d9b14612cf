"""The mode of every file and folder under Archivist's private folders (data, cache, runtime, config) and of the
passphrase file: all must be readable by their owner alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archivist.paths import Paths


@dataclass(frozen=True)
class PermEntry:
    """One file or folder under a private Archivist folder."""

    path: Path
    area: str
    mode: int
    is_dir: bool

    @property
    def private(self) -> bool:
        return not self.mode & 0o077

    @property
    def fix(self) -> str:
        return f"chmod {'700' if self.is_dir else '600'} {self.path}"


def private_roots(paths: Paths) -> list[tuple[str, Path]]:
    """The private folders by area: data, cache, runtime, config."""
    return [("data", paths.data_dir), ("cache", paths.cache_dir), ("runtime", paths.runtime_dir),
            ("config", paths.config_dir)]


def _walk(root: Path, skip: Path | None) -> Iterator[Path]:
    yield root
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if skip is None or here / d != skip)
        for name in dirnames + sorted(filenames):
            yield here / name


def scan_permissions(paths: Paths) -> list[PermEntry]:
    """Every file and folder under the data, cache, runtime and config folders with its mode (symlinks and
    a models folder that lives inside the data folder are left out: models are not private data)."""
    out: list[PermEntry] = []
    seen: set[Path] = set()
    for area, root in private_roots(paths):
        if not root.exists():
            continue
        for path in _walk(root, paths.models_dir):
            if path in seen:
                continue
            seen.add(path)
            try:
                st = path.lstat()
            except OSError:
                continue  # removed while we looked
            if stat.S_ISLNK(st.st_mode):
                continue
            out.append(PermEntry(path, area, stat.S_IMODE(st.st_mode), stat.S_ISDIR(st.st_mode)))
    return out


def passphrase_entry() -> PermEntry | None:
    """The passphrase file named by ``ARCHIVIST_PASSPHRASE_FILE`` with its mode, when one is named and exists."""
    from archivist.security.passphrase import FILE_ENV

    value = os.environ.get(FILE_ENV)
    secret = Path(value).expanduser() if value else None
    if secret is None or not secret.is_file():
        return None
    return PermEntry(secret, "passphrase", stat.S_IMODE(secret.stat().st_mode), False)
