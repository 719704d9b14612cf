"""Opening an encrypted database of Archivist's: created atomically at 0600 when missing, then migrated."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from archivist.errors import StoreError
from archivist.storage.migrate import Schema, migrate
from archivist.storage.private import commit_private
from archivist.storage.sqlcipher import connect


def open_database(path: Path, passphrase: str, schema: Schema) -> Any:  # noqa: ANN401 - a sqlcipher3 connection
    """Open (creating when missing) the database at ``path`` and bring it to ``schema``'s newest version.

    WAL journal; deleted rows are overwritten, not just unlinked (forget, replaced files).

    Raises:
        WrongPassphrase: the passphrase does not open the existing file.
        StoreError: it cannot be created, or was written by a newer Archivist.
    """
    if not path.exists():
        _create(path, passphrase, schema)
    conn = connect(path, passphrase)
    try:
        migrate(conn, path, schema)
    except BaseException:
        conn.close()
        raise
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA secure_delete = ON")
    return conn


def _create(path: Path, passphrase: str, schema: Schema) -> None:
    """Build the database under a private temp name beside ``path`` and rename it into place when complete, so a
    crash never leaves a half-created file that a later start would take for the real one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".creating", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # SQLCipher must create the file itself; mkstemp only reserved a private name
    try:
        conn = connect(tmp, passphrase)
        try:
            migrate(conn, tmp, schema)
        finally:
            conn.close()
        commit_private(tmp, path)
    except OSError as exc:
        raise StoreError(f"Could not create the {schema.name} at {path}: {exc.strerror or exc}.",
                         hint="Check free space and permissions of that folder.") from None
    finally:
        tmp.unlink(missing_ok=True)
        for side in ("-wal", "-shm", "-journal"):
            Path(f"{tmp}{side}").unlink(missing_ok=True)
