"""Spreadsheets (.xlsx, .xlsm, .ods, .csv, .tsv) as passages: each table of each sheet becomes blocks whose lines
are its rows (cells joined by ``" | "``, as DOCX and HTML tables are read), numbered by the sheet's row numbers,
under a heading that names the sheet, its columns, and the table's title and column names
(``Sheet FY2025, columns A-E > Regional sales, fiscal 2025 | Q1 | Q2 | Q3 | Q4``). A passage cut from it is
cited with its cell range, ``FY2025!A3:E8`` (``ingest.location``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from archivist.ingest.archive import ZipLimits
from archivist.ingest.base import Block, Document
from archivist.ingest.location import sheet_part
from archivist.ingest.rows import TABLE_MARK
from archivist.ingest.sheets import DELIMITED_SUFFIXES, WORKBOOK_SUFFIXES, SheetRow, column_letters, read_rows

BLOCK_ROWS = 200
"""Rows per block at most: a long table is cut into blocks (each with its own cell range) so that no block's
lines must all be held before the first is passed on, and a cut never falls inside a chunk's row range."""
MAX_BLANK_ROWS = 20
"""Blank rows kept inside a block (as empty lines, so row numbers stay true); a longer run starts a new block."""


class SpreadsheetExtractor:
    kind = "spreadsheet"
    suffixes = WORKBOOK_SUFFIXES + DELIMITED_SUFFIXES
    version = "2"
    """2: a column of a span shorter than a year ("Three Months Ended June 30, 2023") is that span's, not the
    fiscal year's (``ingest.facts.column_period``; facts are written when a file's passages are)."""
    zipped = True
    """Workbooks are read under ``ZipLimits`` (``extract`` passes the configured ones)."""

    def extract(self, path: Path, limits: ZipLimits | None = None) -> Document:
        blocks = list(sheet_blocks(read_rows(path, limits)))
        return Document(path, self.kind, blocks, title=path.stem)


def table_heading(row: SheetRow) -> str:
    """The table part of a row's heading: ``title | column | column`` (the labels' column left out, as for DOCX
    tables), or the title alone when the table has no header row."""
    if not row.header:
        return row.title
    columns = list(row.header[1:]) if len(row.header) > 1 else list(row.header)
    return TABLE_MARK.join([row.title or "Table", *columns])


def row_line(row: SheetRow, first_col: int) -> str:
    """A row as a passage line: its cells joined by ``" | "``, an empty cell for each column of the block
    before its first (so cells stay under their column names)."""
    cells = [""] * (row.first_col - first_col) + list(row.cells)
    return TABLE_MARK.join(cells) if len(cells) > 1 else cells[0]


def sheet_blocks(rows: Iterator[SheetRow]) -> Iterator[Block]:
    """Blocks of consecutive rows of one table (same sheet, title and header), at most ``BLOCK_ROWS`` each."""
    current: list[SheetRow] = []

    def flush() -> Block | None:
        if not current:
            return None
        first = min(r.first_col for r in current)
        last = max(r.last_col for r in current)
        head = current[-1]  # the header rows start a table: its last row carries the table's heading
        lines = [""] * (current[-1].row - current[0].row + 1)
        for r in current:
            lines[r.row - current[0].row] = row_line(r, first)
        trail = [sheet_part(head.sheet, head.hidden, column_letters(first), column_letters(last))]
        if table_heading(head):
            trail.append(table_heading(head))
        return Block(tuple(lines), None, current[0].row, tuple(trail))

    key: tuple | None = None
    for row in rows:
        # A title or header row opens a table: it belongs with the rows below it, not the table above.
        row_key = (row.sheet, row.title, row.header)
        opens = row.role in ("title", "header") and current and current[-1].role not in ("title", "header")
        if current and (row_key != key and row.role == "data" and current[-1].role == "data"
                        or opens or row.sheet != current[-1].sheet
                        or len(current) >= BLOCK_ROWS or row.row - current[-1].row > MAX_BLANK_ROWS):
            block = flush()
            if block is not None:
                yield block
            current = []
        current.append(row)
        key = row_key
    block = flush()
    if block is not None:
        yield block
