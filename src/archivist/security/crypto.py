"""Encrypted files outside the index: AES-256-GCM with a key derived from the index passphrase (scrypt).

Used for dataset exports (feedback turned into training examples quotes document text, so it never sits
on disk in plain text unless asked for). Layout of an encrypted file::

    magic "ARCHVENC" (8) | version (1) | log2 N (1) | r (1) | p (1) | salt (16) | nonce (12) | ciphertext+tag

The whole header is authenticated (GCM associated data): changing any byte of it, or of the ciphertext,
makes decryption fail exactly like a wrong passphrase does. Each file gets a fresh salt and nonce.
"""

from __future__ import annotations

import os
import struct

from archivist.errors import ArchivistError, WrongPassphrase

MAGIC = b"ARCHVENC"
VERSION = 1
_HEADER = struct.Struct("<8sBBBB16s12s")
# scrypt N=2^15, r=8, p=1: 32 MiB and about 0.1 s here; an attacker pays that per guessed passphrase.
LOG2_N, R, P = 15, 8, 1


class CryptoError(ArchivistError):
    title = "Cannot decrypt"


def is_encrypted(data: bytes) -> bool:
    """``data`` starts like a file written by ``encrypt``."""
    return data[: len(MAGIC)] == MAGIC


def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def encrypt(data: bytes, passphrase: str) -> bytes:
    """``data`` encrypted with a key derived from ``passphrase`` (header + ciphertext + tag)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    header = _HEADER.pack(MAGIC, VERSION, LOG2_N, R, P, salt, nonce)
    return header + AESGCM(_key(passphrase, salt, LOG2_N, R, P)).encrypt(nonce, data, header)


def decrypt(blob: bytes, passphrase: str) -> bytes:
    """The plain bytes of a file written by ``encrypt``.

    Raises:
        CryptoError: not such a file, or a version this Archivist does not know.
        WrongPassphrase: the passphrase does not open it, or the file was altered.
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(blob) < _HEADER.size + 16 or not is_encrypted(blob):
        raise CryptoError("The file is not an Archivist encrypted file.", hint="Pass a file written by Archivist.")
    _, version, log2_n, r, p, salt, nonce = _HEADER.unpack_from(blob)
    if version != VERSION or not 10 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise CryptoError(f"The encrypted file has version {version} or unusual parameters.",
                          hint="Upgrade Archivist, or export the data again.")
    header = blob[: _HEADER.size]
    try:
        return AESGCM(_key(passphrase, salt, log2_n, r, p)).decrypt(nonce, blob[_HEADER.size:], header)
    except InvalidTag:
        raise WrongPassphrase("The passphrase does not decrypt this file (or the file was altered).",
                              hint="Use the passphrase of the index that exported it (ARCHIVIST_PASSPHRASE)."
                              ) from None
