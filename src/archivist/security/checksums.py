"""Model files are checksummed on first use and verified afterwards.

A GGUF a user drops into ``models/`` (or names with ``--model`` / ``answer.model_path``) gets its SHA-256
recorded the first time Archivist loads it; later loads verify it, so a file that was swapped or damaged is
refused with a clear message instead of answering from a different model. Hashing a 2 GB model takes seconds,
so an unchanged file (same size and modification time as recorded) is trusted without re-hashing;
``archivist doctor`` re-hashes every time.

The record is a small JSON file in the data folder (0600), mapping each model's absolute path to its
SHA-256, size and modification time.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from archivist.errors import ModelError
from archivist.hashing import sha256_file
from archivist.storage.private import write_private

FILE_NAME = "model-checksums.json"


@dataclass(frozen=True)
class Record:
    """What was recorded about one model file."""

    sha256: str
    size: int
    mtime_ns: int
    recorded_at: str


@dataclass(frozen=True)
class Verdict:
    """The outcome of a verification.

    Attributes:
        record: the (possibly new) record for the file.
        status: ``recorded`` (first use: nothing to compare with yet), ``unchanged`` (same size and
            modification time, not re-hashed) or ``verified`` (re-hashed and equal to the record).
    """

    record: Record
    status: str


class ModelChecksums:
    """The checksum record in ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.file = data_dir / FILE_NAME

    def load(self) -> dict[str, Record]:
        """Every recorded model, by absolute path (empty when nothing is recorded yet).

        Raises:
            ModelError: the record file is unreadable or not valid JSON.
        """
        try:
            raw = json.loads(self.file.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ModelError(f"The model checksum record {self.file} cannot be read ({exc}).",
                             hint="Delete it: checksums are recorded again on next use.") from None
        return {path: Record(**fields) for path, fields in raw.get("models", {}).items()}

    def get(self, path: Path) -> Record | None:
        """The record for ``path`` (resolved), or None when it was never used."""
        return self.load().get(str(_key(path)))

    def verify(self, path: Path, *, rehash: bool = False, record: bool = True) -> Verdict:
        """Check ``path`` against its record; record it when it has none (first use).

        Args:
            path: the model file.
            rehash: hash even when size and modification time match the record (``archivist doctor``).
            record: write a first record, or refresh the stored modification time of a file whose content
                is unchanged (``False``: only read).

        Raises:
            ModelError: the file differs from the recorded one (the message says how to accept it).
        """
        key = _key(path)
        st = key.stat()
        known = self.load().get(str(key))
        if known is None:
            new = _record(key, st)
            if record:
                self._store(key, new)
            return Verdict(new, "recorded")
        if not rehash and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns:
            return Verdict(known, "unchanged")
        digest = sha256_file(key)
        if digest != known.sha256:
            raise ModelError(
                f"The model file {key} changed since it was first used (SHA-256 recorded {known.recorded_at}: "
                f"{known.sha256[:16]}..., now {digest[:16]}...).",
                hint=f"If you replaced it on purpose, accept it with `archivist models trust {key}`; otherwise "
                     "restore the original file.")
        if known.mtime_ns != st.st_mtime_ns or known.size != st.st_size:
            known = Record(known.sha256, st.st_size, st.st_mtime_ns, known.recorded_at)
            if record:
                self._store(key, known)
        return Verdict(known, "verified")

    def trust(self, path: Path) -> Record:
        """Record the current content of ``path`` as the expected one (after a deliberate replacement).

        Raises:
            ModelError: the file does not exist.
        """
        key = _key(path)
        if not key.is_file():
            raise ModelError(f"Model file {key} does not exist.", hint="Pass the path of a .gguf file.")
        new = _record(key, key.stat())
        self._store(key, new)
        return new

    def _store(self, key: Path, rec: Record) -> None:
        """Write the record atomically (temp file, fsync, rename) at 0600 in the 0700 data folder."""
        models = {path: asdict(r) for path, r in self.load().items()}
        models[str(key)] = asdict(rec)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        write_private(self.file, json.dumps({"version": 1, "models": models}, indent=2, sort_keys=True))


def _key(path: Path) -> Path:
    return Path(path).expanduser().resolve()


def _record(path: Path, st: os.stat_result) -> Record:
    return Record(sha256_file(path), st.st_size, st.st_mtime_ns, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
