"""Reading an encrypted Archivist database as an attacker holding the key would: every table as raw bytes,
a plaintext export, and every page (free pages and stale WAL frames included) decrypted by hand.

Shared by the privacy tests (unit and end to end): they check that forgotten text is gone from all of these.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def open_sqlcipher(path: Path, passphrase: str):  # noqa: ANN201
    """A raw SQLCipher connection to ``path`` with sqlite-vec loaded (to read every table, shadow ones too)."""
    import sqlcipher3
    import sqlite_vec

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA key = '" + passphrase.replace("'", "''") + "'")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.enable_load_extension(True)
    sqlite_vec.load(conn)
    return conn


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def table_bytes(path: Path, passphrase: str) -> dict[str, bytes]:
    """Every column of every row of every table (virtual, FTS5 and vec0 shadow tables included), as bytes."""
    conn = open_sqlcipher(path, passphrase)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: b"\x00".join(_as_bytes(v) for row in conn.execute(f'SELECT * FROM "{name}"') for v in row)
                for name in names}
    finally:
        conn.close()


def exported_bytes(path: Path, passphrase: str, target: Path) -> bytes:
    """The database exported with ``sqlcipher_export`` to a plaintext file, read back as raw bytes."""
    conn = open_sqlcipher(path, passphrase)
    try:
        conn.execute(f"ATTACH DATABASE '{target}' AS plaintext KEY ''")
        conn.execute("SELECT sqlcipher_export('plaintext')")
        conn.execute("DETACH DATABASE plaintext")
    finally:
        conn.close()
    raw = target.read_bytes()
    assert raw.startswith(b"SQLite format 3\x00")
    return raw


def _cipher_settings(path: Path, passphrase: str) -> tuple[int, int]:
    conn = open_sqlcipher(path, passphrase)
    try:
        get = lambda p: conn.execute(f"PRAGMA {p}").fetchone()[0]  # noqa: E731
        assert (get("cipher_kdf_algorithm"), get("cipher_hmac_algorithm")) == ("PBKDF2_HMAC_SHA512", "HMAC_SHA512")
        return int(get("cipher_page_size")), int(get("kdf_iter"))
    finally:
        conn.close()


def decrypted_pages(path: Path, passphrase: str) -> bytes:
    """Every page of the database file and of its WAL, decrypted by hand (SQLCipher 4: PBKDF2-SHA512 key,
    AES-256-CBC, IV in the 80-byte reserve). Unlike a logical export this includes free pages, freed cells
    and stale WAL frames: whatever a key holder could recover from the files."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    page_size, iterations = _cipher_settings(path, passphrase)
    reserve = 80
    raw = path.read_bytes()
    key = hashlib.pbkdf2_hmac("sha512", passphrase.encode(), raw[:16], iterations, 32)

    def decrypt(page: bytes, first: bool) -> bytes:
        start = 16 if first else 0
        iv = page[page_size - reserve: page_size - reserve + 16]
        d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        return d.update(page[start: page_size - reserve]) + d.finalize()

    pages = [decrypt(raw[i: i + page_size], i == 0) for i in range(0, len(raw) - page_size + 1, page_size)]
    assert pages and pages[0][5:8] == b"\x40\x20\x20", "page 1 did not decrypt to a SQLite header"
    wal = Path(str(path) + "-wal")
    if wal.exists():
        frames = wal.read_bytes()
        for off in range(32, len(frames) - 24 - page_size + 1, 24 + page_size):
            pgno = int.from_bytes(frames[off: off + 4], "big")
            pages.append(decrypt(frames[off + 24: off + 24 + page_size], pgno == 1))
    return b"".join(pages)
