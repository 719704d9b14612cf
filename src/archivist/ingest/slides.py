"""PowerPoint (.pptx): each slide is a page; its title, text, tables and speaker notes are its passages.

Slide N is page N, so a hit says "page 2" as for a PDF, and its heading trail starts ``Slide 2: Harbor
expansion`` (``ingest.location``). Speaker notes are often where the decision or the caveat is written; they
are read as a block of their own under ``Speaker notes``. Tables keep their first row as column names, as DOCX
tables do (``ingest.docx.table_heading``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from archivist.ingest.archive import ZipLimits, open_zipped
from archivist.ingest.base import Block, Document
from archivist.ingest.docx import table_heading
from archivist.ingest.location import NOTES, slide_part
from archivist.ingest.rows import TABLE_MARK


class PptxExtractor:
    kind = "pptx"
    suffixes = (".pptx",)
    version = "1"
    zipped = True
    """Read under ``ZipLimits`` (``extract`` passes the configured ones)."""

    def extract(self, path: Path, limits: ZipLimits | None = None) -> Document:
        import pptx
        from lxml.etree import XMLSyntaxError
        from pptx.exc import PackageNotFoundError

        def read(data: IO[bytes]) -> tuple[Any, list]:
            deck = pptx.Presentation(data)
            return deck, list(deck.slides)

        deck, slides = open_zipped(path, limits, "PowerPoint file", read,
                                   (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError, PackageNotFoundError,
                                    AttributeError, TypeError),  # what python-pptx raises on a malformed part
                                   hint="Re-save it from a presentation program.")
        blocks: list[Block] = []
        for number, slide in enumerate(slides, start=1):
            blocks += slide_blocks(slide, number)
        title = (deck.core_properties.title or "").strip()
        if not title and blocks:
            title = blocks[0].heading[0].partition(": ")[2]
        return Document(path, self.kind, blocks, title=title or path.stem, pages=len(slides))


def slide_blocks(slide, number: int) -> list[Block]:  # noqa: ANN001 - a pptx Slide
    """The blocks of one slide: title and text, each table, the speaker notes."""
    title_shape = slide.shapes.title
    title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None and \
        title_shape.has_text_frame else ""
    trail = (slide_part(number, title),)
    text: list[str] = [title] if title else []
    blocks: list[Block] = []
    for shape in _reading_order(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue  # already read (shape objects are fresh proxies: compare their ids)
        if getattr(shape, "has_table", False) and shape.has_table:
            rows = _table_rows(shape.table)
            if rows:
                blocks.append(Block(tuple(rows), page=number, heading=(*trail, *table_heading(rows, trail))))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            text += [" ".join(p.text.split()) for p in shape.text_frame.paragraphs if p.text.strip()]
    if text:
        blocks.insert(0, Block(tuple(text), page=number, heading=trail))
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = [" ".join(p.text.split()) for p in frame.paragraphs if p.text.strip()] if frame is not None else []
        if notes:
            blocks.append(Block(tuple(notes), page=number, heading=(*trail, NOTES)))
    return blocks


def _reading_order(shapes) -> Iterator:  # noqa: ANN001
    """Shapes top to bottom, left to right, group shapes opened (a slide's own order is its drawing order)."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    def key(shape) -> tuple[int, int]:  # noqa: ANN001
        return (shape.top or 0, shape.left or 0)

    for shape in sorted(shapes, key=key):
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _reading_order(shape.shapes)
        else:
            yield shape


def _table_rows(table) -> list[str]:  # noqa: ANN001
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(cell.text.split())
            if cell.is_spanned and cells and cells[-1] == value:
                continue  # a merged cell repeats its text
            cells.append(value)
        if any(cells):
            rows.append(TABLE_MARK.join(cells))
    return rows
