"""Opening an encrypted database: shared by the index, the state file, re-keying and ``doctor``.

Order of opening matters (measured): connect -> ``PRAGMA key`` -> ``cipher_log_level = NONE`` (else a wrong
key prints noise) -> load sqlite-vec.
"""

from __future__ import annotations

from pathlib import Path

from archivist.errors import WrongPassphrase


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def connect(path: Path, passphrase: str):  # noqa: ANN202 - sqlcipher3 has no type stubs
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
