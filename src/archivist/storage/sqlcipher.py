"""SQLCipher: connecting with the passphrase, and transactions. The only module that imports ``sqlcipher3``.

Order of opening matters (measured): connect -> ``PRAGMA key`` -> ``cipher_log_level = NONE`` (else a wrong
key prints noise) -> load sqlite-vec.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archivist.errors import DiskFull, WrongPassphrase


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(path: Path, passphrase: str) -> Any:  # noqa: ANN401 - sqlcipher3 has no type stubs
    """Open the encrypted database at ``path`` with ``passphrase`` (sqlite-vec loaded, foreign keys on).

    Raises:
        WrongPassphrase: the passphrase does not open the file (or it is not an Archivist database).
    """
    import sqlcipher3
    import sqlite_vec

    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute(f"PRAGMA key = {quote(passphrase)}")
    conn.execute("PRAGMA cipher_log_level = NONE")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        conn.close()
        raise WrongPassphrase(
            f"Wrong passphrase for the index at {path} (or the file is not an Archivist index).",
            hint="Check ARCHIVIST_PASSPHRASE or retype it; nothing was changed.",
        ) from None
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    conn.enable_load_extension(False)
    conn.execute("PRAGMA foreign_keys = ON")
    # Temporary tables and sort spills stay in memory: a plaintext temp file would defeat the encryption.
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def rekey(path: Path, old: str, new: str) -> None:
    """Re-encrypt the database at ``path`` (a copy being re-keyed) from ``old`` to ``new``, rollback journal."""
    conn = connect(path, old)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"PRAGMA rekey = {quote(new)}")
    finally:
        conn.close()


def checkpoint(path: Path, passphrase: str) -> None:
    """Open ``path`` with ``passphrase`` (raising ``WrongPassphrase``) and fold its WAL into the file."""
    conn = connect(path, passphrase)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@contextmanager
def transaction(conn: Any, path: Path) -> Iterator[None]:  # noqa: ANN401
    """BEGIN IMMEDIATE ... COMMIT on ``conn`` (the database at ``path``), rolled back on any error.

    Raises:
        DiskFull: the disk filled up; the transaction was rolled back, the database is as before it.
    """
    import sqlcipher3

    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except sqlcipher3.OperationalError as exc:
        # sqlite-vec reports a full disk as a plain SQLITE_ERROR ("Could not insert a new vector chunk",
        # "Error inserting rowid into rowids shadow table: out of memory"). SQLite never aborts a
        # transaction on its own for SQLITE_ERROR, only for FULL/IOERR/NOMEM/BUSY: an error that ended
        # our transaction is the wrapped storage failure.
        name = getattr(exc, "sqlite_errorname", "")
        full = name == "SQLITE_FULL" or (name == "SQLITE_ERROR" and not conn.in_transaction)
        _rollback(conn)
        if full:
            raise DiskFull(f"The disk holding the index ({path.parent}) is full.",
                           hint="Free some space and run the command again; the index is consistent "
                                "and keeps every file finished so far.") from None
        raise
    except BaseException:
        _rollback(conn)
        raise


def _rollback(conn: Any) -> None:  # noqa: ANN401
    if conn.in_transaction:
        conn.execute("ROLLBACK")
