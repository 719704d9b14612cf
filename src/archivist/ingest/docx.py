"""DOCX: paragraphs and tables in document order, headings from paragraph styles."""

from __future__ import annotations

import zipfile
from pathlib import Path

from archivist.ingest.archive import ZipLimits, open_zipped
from archivist.ingest.base import Block, Document
from archivist.ingest.rows import TABLE_MARK, parse_row


class DocxExtractor:
    kind = "docx"
    suffixes = (".docx",)
    version = "3"
    """2: a table's first row gives its columns (``ingest.tables``), in the heading of its passages. 3: a column
    of a span shorter than a year ("Three Months Ended June 30, 2023") is that span's, not the fiscal year's
    (``ingest.facts.column_period``; facts are written when a file's passages are)."""
    zipped = True
    """Read under ``ZipLimits`` (``extract`` passes the configured ones)."""

    def extract(self, path: Path, limits: ZipLimits | None = None) -> Document:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
        from lxml.etree import XMLSyntaxError

        document = open_zipped(path, limits, "DOCX", docx.Document,
                               (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError),
                               hint="Re-save it from a word processor.")
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
                    trail_now = tuple(t for _, t in trail)
                    blocks.append(Block(tuple(rows), heading=(*trail_now, *table_heading(rows, trail_now))))
        return Document(path, self.kind, blocks, title=title or path.stem)


def table_heading(rows: list[str], trail: tuple[str, ...]) -> tuple[str, ...]:
    """The heading a table's passages carry: the section it is in and its first row's column names
    (``Results | FY2025 | FY2024``), when that row names columns over figures below; else nothing."""
    header = rows[0].split(TABLE_MARK)
    if len(rows) < 2 or len(header) < 2 or not any(parse_row(r) for r in rows[1:]):
        return ()
    if parse_row(rows[0]) is not None:
        return ()  # the first row holds figures itself: no header row
    return (TABLE_MARK.join([trail[-1] if trail else "Table", *[h.strip() for h in header[1:]]]),)
