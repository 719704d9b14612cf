"""DOCX: paragraphs and tables in document order, headings from paragraph styles."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from archivist.errors import ExtractionError
from archivist.ingest.archive import ZipLimits, check_zip
from archivist.ingest.base import Block, Document, read_bytes


class DocxExtractor:
    kind = "docx"
    suffixes = (".docx",)
    version = "1"
    zipped = True
    """Read under ``ZipLimits`` (``extract`` passes the configured ones)."""

    def extract(self, path: Path, limits: ZipLimits | None = None) -> Document:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
        from lxml.etree import XMLSyntaxError

        # Read the bytes ourselves: given a path, python-docx turns a vanished or unreadable file (and any
        # non-zip) into its own PackageNotFoundError, so the user was never told "permission denied".
        data = read_bytes(path)
        # The archive's sizes are checked before python-docx inflates anything (a zip bomb, an entity attack).
        check_zip(io.BytesIO(data), path.name, limits or ZipLimits(), "DOCX").close()
        try:
            document = docx.Document(io.BytesIO(data))
        except (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as exc:
            raise ExtractionError(
                f"{path.name}: not a readable DOCX ({exc}).", hint="Re-save it from a word processor."
            ) from None
        blocks: list[Block] = []
        trail: list[tuple[int, str]] = []
        title = (document.core_properties.title or "").strip()
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                text = item.text.strip()
                if not text:
                    continue
                style = (item.style.name if item.style is not None else "") or ""
                level = None
                if style == "Title":
                    level = 0
                elif style.startswith("Heading"):
                    digits = style.removeprefix("Heading").strip()
                    level = int(digits) if digits.isdigit() else 1
                if level is not None:
                    trail = [(lvl, t) for lvl, t in trail if lvl < level] + [(level, text)]
                    title = title or text
                blocks.append(Block(tuple(text.splitlines()), heading=tuple(t for _, t in trail)))
            elif isinstance(item, Table):
                rows = []
                for row in item.rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        value = " ".join(cell.text.split())
                        if not cells or cells[-1] != value:  # merged cells repeat their text
                            cells.append(value)
                    if any(cells):
                        rows.append(" | ".join(cells))
                if rows:
                    blocks.append(Block(tuple(rows), heading=tuple(t for _, t in trail)))
        return Document(path, self.kind, blocks, title=title or path.stem)
