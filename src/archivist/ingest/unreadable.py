"""Documents Archivist knows but does not read, each recorded with what it is and what would make it readable.

An analyst's folder holds old binary Office files, archives and other suites' documents. Left out without a
word (as an unknown type is), a user searching for a fact in one of them concludes it is not there. Given an
extractor here instead, each such file is recorded as skipped with its reason and remedy: ``archivist index``
counts them by type and ``archivist status`` names each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archivist.errors import SkipFile
from archivist.ingest.base import Document

_OLD_OFFICE = "Open it in the application that made it and save it as {new} in the same folder to index it."
_EXPORT = "Export it as {new} (or PDF) into the same folder to index it."
_UNPACK = "Unpack it into the folder (or a folder you add) to index the files inside."

KNOWN: dict[str, tuple[str, str]] = {
    ".doc": ("an old Word document (binary .doc)", _OLD_OFFICE.format(new=".docx")),
    ".xls": ("an old Excel workbook (binary .xls)", _OLD_OFFICE.format(new=".xlsx")),
    ".xlsb": ("an Excel binary workbook (.xlsb)", _OLD_OFFICE.format(new=".xlsx")),
    ".ppt": ("an old PowerPoint file (binary .ppt)", _OLD_OFFICE.format(new=".pptx")),
    ".rtf": ("a rich-text document (.rtf)", _OLD_OFFICE.format(new=".docx")),
    ".odt": ("an OpenDocument text (.odt)", _EXPORT.format(new=".docx")),
    ".odp": ("an OpenDocument presentation (.odp)", _EXPORT.format(new=".pptx")),
    ".pages": ("an Apple Pages document", _EXPORT.format(new=".docx")),
    ".numbers": ("an Apple Numbers workbook", _EXPORT.format(new=".xlsx")),
    ".key": ("an Apple Keynote presentation", _EXPORT.format(new=".pptx")),
    ".epub": ("an e-book (.epub)", _EXPORT.format(new="PDF")),
    ".heic": ("a HEIC photo", "Save it as PNG or JPEG to have it read by OCR."),
    ".zip": ("an archive (the files inside are not opened)", _UNPACK),
    ".7z": ("an archive (the files inside are not opened)", _UNPACK),
    ".rar": ("an archive (the files inside are not opened)", _UNPACK),
    ".tar": ("an archive (the files inside are not opened)", _UNPACK),
    ".gz": ("a compressed file (not opened)", _UNPACK),
    ".tgz": ("an archive (the files inside are not opened)", _UNPACK),
}
""".key is also the usual name of a private key: the deny list leaves those out before any extractor sees them."""


@dataclass(frozen=True)
class UnreadableExtractor:
    """Records a known but unread format with its reason and remedy (``KNOWN``)."""

    kind: str = "unread"
    suffixes: tuple[str, ...] = tuple(KNOWN)
    version: str = "1"

    def extract(self, path: Path) -> Document:
        what, remedy = KNOWN.get(path.suffix.lower(), ("a format Archivist does not read", ""))
        raise SkipFile(f"{path.name}: not read: {what}.", hint=remedy or None)


def not_read_by_type(paths: list[Path]) -> dict[str, int]:
    """How many of ``paths`` there are per type (``.msg``: 2), most first: what ``index`` and ``status`` count."""
    counts: dict[str, int] = {}
    for path in paths:
        kind = path.suffix.lower() or "(no extension)"
        counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
