"""The extraction interface and the registry of per-format extractors."""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from archivist.errors import ExtractionError, SkipFile

if TYPE_CHECKING:
    from archivist.ingest.archive import ZipLimits


@dataclass(frozen=True)
class Block:
    """A run of text from one place in a file.

    Attributes:
        lines: the block's text, one entry per line.
        page: 1-based page number (PDF), else None.
        line_start: 1-based number of the first line (text formats: in the file; PDF: on the page),
            or None when the format has no meaningful lines (DOCX).
        heading: the heading trail above this block, outermost first.
    """

    lines: tuple[str, ...]
    page: int | None = None
    line_start: int | None = None
    heading: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Document:
    """Everything extracted from one file."""

    path: Path
    kind: str
    blocks: list[Block] = field(default_factory=list)
    title: str = ""
    pages: int | None = None


class Extractor(Protocol):
    """Reads one format. Raises ExtractionError (failed) or SkipFile (not indexable) with a reason."""

    kind: str
    suffixes: tuple[str, ...]
    version: str

    def extract(self, path: Path) -> Document: ...


def _registry() -> dict[str, Extractor]:
    from archivist.ingest.docx import DocxExtractor
    from archivist.ingest.html import HtmlExtractor
    from archivist.ingest.mail import EmailExtractor
    from archivist.ingest.outlook import MsgExtractor
    from archivist.ingest.pdf import PdfExtractor
    from archivist.ingest.scans import ImageExtractor
    from archivist.ingest.slides import PptxExtractor
    from archivist.ingest.spreadsheet import SpreadsheetExtractor
    from archivist.ingest.text import CodeExtractor, MarkdownExtractor, PlainTextExtractor, RstExtractor
    from archivist.ingest.unreadable import UnreadableExtractor

    table: dict[str, Extractor] = {}
    for ex in (PdfExtractor(), DocxExtractor(), HtmlExtractor(), MarkdownExtractor(), RstExtractor(),
               PlainTextExtractor(), CodeExtractor(), SpreadsheetExtractor(), PptxExtractor(),
               EmailExtractor(), MsgExtractor(), ImageExtractor(), UnreadableExtractor()):
        for suffix in ex.suffixes:
            table[suffix] = ex
    return table


_REGISTRY: dict[str, Extractor] | None = None


def extractor_for(path: Path) -> Extractor | None:
    """The extractor for ``path``'s suffix, or None when the format is not supported."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _registry()
    return _REGISTRY.get(path.suffix.lower())


def supported_suffixes() -> set[str]:
    extractor_for(Path("x.txt"))
    assert _REGISTRY is not None
    return set(_REGISTRY)


def _size(n_bytes: int) -> str:
    """``20.4 MB``, ``20 MB``, ``512 KB``: whole-MB rounding printed "20 MB is above the 20 MB limit"."""
    for unit, scale in (("MB", 1e6), ("KB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n_bytes} bytes"


def _open_nofollow(path: Path) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))


_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar("archivist_progress", default=None)


def report_progress(done: int, total: int) -> None:
    """Say how far a long read has come (pages OCRed of a scan): the extraction sandbox passes it to the indexer
    and counts it as a sign of life, so a 500-page scan is not stopped by the per-file time budget."""
    hook = _PROGRESS.get()
    if hook is not None:
        hook(done, total)


@contextmanager
def progress_to(hook: Callable[[int, int], None] | None) -> Iterator[None]:
    """Send ``report_progress`` calls made inside the block to ``hook``."""
    token = _PROGRESS.set(hook)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


_IN_MEMORY: ContextVar[dict[Path, bytes] | None] = ContextVar("archivist_in_memory", default=None)


@contextmanager
def in_memory(path: Path, data: bytes) -> Iterator[Path]:
    """Let the extractors read ``data`` as if it were the file ``path`` (an e-mail attachment): the bytes never
    touch the disk, where a temporary file would leave a document's text in clear."""
    files = dict(_IN_MEMORY.get() or {})
    files[path] = data
    token = _IN_MEMORY.set(files)
    try:
        yield path
    finally:
        _IN_MEMORY.reset(token)


def _memory(path: Path) -> bytes | None:
    files = _IN_MEMORY.get()
    return None if files is None else files.get(path)


def open_binary(path: Path) -> BinaryIO:
    """``path`` opened for reading, refusing a symbolic link in its last component (``O_NOFOLLOW``): a link
    swapped in after the indexer checked the path must not be read through.

    Raises:
        SkipFile: ``path`` is a symbolic link.
        OSError: it cannot be read.
    """
    data = _memory(path)
    if data is not None:
        return io.BytesIO(data)
    try:
        fd = _open_nofollow(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SkipFile(f"{path.name}: is a symbolic link; links are never followed.",
                           hint="Add the folder it points to instead, if it should be indexed.") from None
        raise
    return os.fdopen(fd, "rb")


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path`` (``open_binary``)."""
    with open_binary(path) as fh:
        return fh.read()


def extract(path: Path, *, max_bytes: int | None = None, limits: ZipLimits | None = None) -> Document:
    """Extract ``path`` with the extractor for its format (zip-based formats under ``limits``).

    Raises:
        SkipFile: unsupported, empty, too large, a symbolic link, over a zip limit, or binary content.
        ExtractionError: the file exists but could not be read (permission, vanished, corrupt).
    """
    ex = extractor_for(path)
    if ex is None:
        raise SkipFile(f"{path.name}: unsupported file type {path.suffix or '(none)'!r}.")
    try:
        held = _memory(path)
        if held is not None:
            size = len(held)
        else:
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                raise SkipFile(f"{path.name}: is a symbolic link; links are never followed.",
                               hint="Add the folder it points to instead, if it should be indexed.")
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                raise SkipFile(f"{path.name}: not a regular file (a pipe, socket or device); not read.")
            size = st.st_size
        if size == 0:
            raise SkipFile(f"{path.name}: empty file (0 bytes).")
        if max_bytes is not None and size > max_bytes:
            raise SkipFile(
                f"{path.name}: {_size(size)} is above the {_size(max_bytes)} limit.",
                hint="Raise index.max_file_mb in config.toml to index it.",
            )
        doc = ex.extract(path, limits) if getattr(ex, "zipped", False) else ex.extract(path)
    except FileNotFoundError:
        raise ExtractionError(f"{path.name}: the file disappeared while it was being read.") from None
    except PermissionError:
        raise ExtractionError(
            f"{path.name}: permission denied.", hint="Make it readable (chmod u+r) or exclude it."
        ) from None
    except IsADirectoryError:
        raise SkipFile(f"{path.name}: is a directory.") from None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ESTALE):
            raise ExtractionError(f"{path.name}: the file disappeared while it was being read.") from None
        raise ExtractionError(f"{path.name}: could not be read ({exc.strerror or exc}).") from None
    if not any(line.strip() for block in doc.blocks for line in block.lines):
        raise SkipFile(f"{path.name}: no text found (scanned image or empty document).")
    return doc
