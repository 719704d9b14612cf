"""Files the watcher never indexes: editor swap/backup files, partial downloads, temp files."""

from __future__ import annotations

from pathlib import Path

_SUFFIXES = (".swp", ".swo", ".swx", ".part", ".crdownload", ".tmp", ".temp", ".download", ".partial", ".bak")
_PREFIXES = (".#", "~$", ".~lock.")


def is_temporary(path: Path) -> bool:
    """True for files that only exist while something is being saved or downloaded."""
    name = path.name
    return (name.endswith("~") or name.lower().endswith(_SUFFIXES) or name.startswith(_PREFIXES)
            or (name.startswith("#") and name.endswith("#")) or name == "4913")  # vim's write probe
