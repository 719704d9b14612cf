"""Limits on zip-based formats (DOCX, XLSX, ODS, PPTX: every Office format is a zip) checked before a parser sees them.

A 3.2 MB DOCX whose ``word/document.xml`` inflates to 1.1 GB drove ``archivist index`` past 6 GB of memory:
the file-size limit applies to the compressed file only. Python's ``zipfile`` never returns more bytes than an
entry's declared size (more fails the CRC check), so the central directory's sizes bound what any parser
can be handed, and they can be checked without inflating anything.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest.base import read_bytes

MB = 1_000_000
T = TypeVar("T")


@dataclass(frozen=True)
class ZipLimits:
    """What a zip-based document may unpack to (``index.max_unpacked_mb`` and friends in the settings)."""

    max_unpacked_bytes: int = 200 * MB
    """All entries together, inflated. Real documents stay far below: images are stored already compressed,
    and 200 MB of XML is a book of tens of thousands of pages."""
    max_entries: int = 10_000
    """Entries in the archive (a zip of a million empty entries costs memory in the listing alone)."""
    max_ratio: float = 100.0
    """Inflated/compressed size of one entry above ``ratio_floor_bytes``: Word's XML compresses about 5-20x;
    a bomb is repetitive markup at several hundred to a thousand times."""
    ratio_floor_bytes: int = 10 * MB
    """Entries smaller than this are never refused for their ratio (small, very regular parts are normal)."""


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""The first bytes of an OLE compound file: what Office writes for an encrypted document (and for .doc/.xls)."""

PROLOG_BYTES = 4096
"""How much of each XML part is read to look for a document type declaration (it must precede the root)."""


def read_zipped(path: Path, limits: ZipLimits | None, what: str) -> bytes:
    """The bytes of the zip-based document at ``path``, once its archive passed ``check_zip``: its sizes and XML
    prologs are checked before the format's reader inflates anything (a zip bomb, an entity attack).

    The bytes are read here, not by the reader: given a path, python-docx turns a vanished or unreadable file
    (and any non-zip) into its own PackageNotFoundError, so the user was never told "permission denied".

    Raises:
        SkipFile: the archive is over a limit.
        ExtractionError: the file cannot be read, or is not a readable zip archive.
    """
    data = read_bytes(path)
    check_zip(io.BytesIO(data), path.name, limits or ZipLimits(), what).close()
    return data


def open_zipped(path: Path, limits: ZipLimits | None, what: str, reader: Callable[[IO[bytes]], T],
                errors: tuple[type[Exception], ...], hint: str) -> T:
    """``reader`` run on the zip-based document at ``path`` once its archive passed ``check_zip``
    (``read_zipped``); an exception of ``errors`` from the reader means the document is not readable.

    Args:
        path: the document.
        limits: what its archive may unpack to (None: the defaults).
        what: the format as the user knows it (``DOCX``, ``PowerPoint file``), for the messages.
        reader: the format library's opener, given the checked bytes as a file.
        errors: what the library raises for a malformed package.
        hint: what to do with a document it cannot read (``Re-save it from a word processor.``).

    Raises:
        SkipFile: the archive is over a limit.
        ExtractionError: the file cannot be read, or is not a readable ``what``.
    """
    data = read_zipped(path, limits, what)
    try:
        return reader(io.BytesIO(data))
    except errors as exc:
        raise ExtractionError(f"{path.name}: not a readable {what} ({exc}).", hint=hint) from None


def check_zip(data: IO[bytes], name: str, limits: ZipLimits, what: str = "zip archive") -> zipfile.ZipFile:
    """Open the zip in ``data`` and refuse it when it would unpack beyond ``limits`` or declares XML entities.

    Returns:
        the open archive, for the format's reader.

    Raises:
        SkipFile: the archive is over a limit (recorded as skipped, with the setting that would admit it).
        ExtractionError: not a readable zip archive.
    """
    head = data.read(len(OLE_MAGIC))
    data.seek(0)
    if head == OLE_MAGIC:
        # A password-protected Office file is not a zip but an OLE container holding the encrypted package.
        raise ExtractionError(f"{name}: the {what} is encrypted (password protected), or saved in the old "
                              "binary format.", hint="Save an unprotected copy in the current format to index it.")
    try:
        archive = zipfile.ZipFile(data)
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ExtractionError(f"{name}: not a readable {what} ({exc}).",
                              hint="Re-save it from the application that made it.") from None
    if len(entries) > limits.max_entries:
        raise SkipFile(f"{name}: holds {len(entries):,} entries, above the limit of {limits.max_entries:,} "
                       "(a zip bomb, or not a document).", hint="Raise index.max_zip_entries to index it.")
    total = sum(e.file_size for e in entries)
    if total > limits.max_unpacked_bytes:
        raise SkipFile(f"{name}: would unpack to {total / MB:,.0f} MB, above the {limits.max_unpacked_bytes / MB:,.0f}"
                       " MB limit (a zip bomb, or an unusually large document).",
                       hint="Raise index.max_unpacked_mb in config.toml to index it.")
    for e in entries:
        if e.file_size > limits.ratio_floor_bytes and e.file_size > limits.max_ratio * max(e.compress_size, 1):
            raise SkipFile(f"{name}: its part {e.filename} inflates {e.file_size / max(e.compress_size, 1):,.0f}"
                           f" times ({e.compress_size / MB:,.1f} MB to {e.file_size / MB:,.0f} MB), the mark of a "
                           "zip bomb.", hint="If the document is genuine, raise index.max_unpacked_ratio.")
    for e in entries:
        if e.filename.endswith((".xml", ".rels")) and not e.is_dir():
            with archive.open(e) as part:
                head = part.read(PROLOG_BYTES)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise SkipFile(f"{name}: its part {e.filename} declares a document type or entities, which "
                               "Office documents never do (an XML entity attack); not read.")
    return archive
