"""Spreadsheets as tables: every non-empty row of every sheet, with the sheet, the header over it and its cells.

This is the one reader of .xlsx/.xlsm/.ods workbooks and .csv/.tsv files. The passages (``ingest.spreadsheet``)
are made from it, and so can typed facts ("Tables are data"): ``read_rows`` yields ``SheetRow``s, each with its
sheet, the column names above it, its label, its cells as displayed and its cell range (``FY2025!A7:E7``).

Workbooks are read with python-calamine (Rust; README "Dependencies": 8x faster than openpyxl on 100,000 rows,
and it reads ODS). Formula cells give the value the application cached when it last saved (nothing is
recomputed); a cell whose formula was never calculated reads as empty. Dates come back as dates, not serial
numbers. CSV is streamed one row at a time, so its memory does not grow with the file.

The layout is read the way ``ingest.tables`` reads a PDF statement: a row with one text cell above a table is
its title (``Regional sales, fiscal 2025``); a row of two or more text cells and no figure is a header row
(two in a row when the first spans columns: ``FY2025`` over ``Q1 Q2``); the rows below are data, a blank row
ends nothing (a new header row starts the next table).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest.archive import ZipLimits, read_zipped

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
DELIMITED_SUFFIXES = (".csv", ".tsv")
SNIFF_BYTES = 64 * 1024
"""How much of a CSV file decides its encoding and delimiter."""

Role = Literal["title", "header", "data", "text"]


@dataclass(frozen=True)
class SheetRow:
    """One non-empty row of a sheet.

    Attributes:
        sheet: the sheet's name (a CSV file's is its file name without the suffix, as spreadsheet programs do).
        hidden: the sheet is hidden (or "very hidden") in the workbook: indexed all the same, and marked.
        row: 1-based row number in the sheet.
        first_col, last_col: 1-based columns of the row's first and last non-empty cell.
        cells: the cells from ``first_col`` to ``last_col`` as displayed ("" for an empty one).
        role: ``title`` (a lone text cell above a table), ``header`` (column names), ``data`` (a row of the
            table), ``text`` (a lone text cell inside a table, such as a note).
        title: the caption of the table this row belongs to ("" when none was found).
        header: the column names over this row, one per column from ``header_first_col`` on, merged and
            stacked header rows joined (``FY2025 Q1``).
        header_first_col: 1-based column of ``header[0]``.
    """

    sheet: str
    hidden: bool
    row: int
    first_col: int
    last_col: int
    cells: tuple[str, ...]
    role: Role
    title: str = ""
    header: tuple[str, ...] = ()
    header_first_col: int = 1

    @property
    def label(self) -> str:
        """The row's label: its first non-empty text cell ("" when it holds figures only)."""
        for cell in self.cells:
            if cell and not _is_figure(cell):
                return cell
        return ""

    @property
    def cell_range(self) -> str:
        """``FY2025!A7:E7`` (a sheet name with spaces or punctuation is quoted: ``'Q3 sales'!B2:D2``)."""
        return cell_range(self.sheet, self.row, self.row, self.first_col, self.last_col)

    def column_of(self, index: int) -> str:
        """The column name over ``cells[index]`` ("" when the header has none)."""
        k = self.first_col + index - self.header_first_col
        return self.header[k] if 0 <= k < len(self.header) else ""


def column_letters(col: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA."""
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_range(sheet: str, row_start: int, row_end: int, col_start: int, col_end: int) -> str:
    """A range as spreadsheet programs write it: ``FY2025!A3:E8``, ``'Q3 sales'!A3:E8``."""
    name = sheet if sheet.replace("_", "").replace(".", "").isalnum() else "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{column_letters(col_start)}{row_start}:{column_letters(col_end)}{row_end}"


def show(value: object) -> str:
    """A cell as text: ``31200`` not ``31200.0``, dates as ISO dates, booleans as TRUE/FALSE, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds") \
            .removesuffix(" 00:00")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return " ".join(str(value).split())


def _is_figure(text: str) -> bool:
    t = text.replace(",", "").replace("%", "").replace("$", "").replace("€", "").strip("() ")
    try:
        float(t)
    except ValueError:
        return text in ("-", "—", "–")
    return True


# -- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawSheet:
    """A sheet's rows as (1-based row number, 1-based first column, cells), before the layout is read."""

    name: str
    hidden: bool
    rows: Iterable[tuple[int, int, list[str]]]
    merged: tuple[tuple[int, int, int, int], ...] = ()
    """(row, first col, last row, last col), 1-based, of merged cells: a header spanning columns."""


def read_rows(path: Path, limits: ZipLimits | None = None) -> Iterator[SheetRow]:
    """Every non-empty row of every sheet of ``path`` (workbook or CSV/TSV), sheets in workbook order.

    Raises:
        SkipFile: over a zip limit, or declares XML entities.
        ExtractionError: encrypted, corrupt or not a spreadsheet.
    """
    for sheet in raw_sheets(path, limits):
        yield from layout(sheet)


def raw_sheets(path: Path, limits: ZipLimits | None = None) -> Iterator[RawSheet]:
    if path.suffix.lower() in DELIMITED_SUFFIXES:
        yield _delimited(path)
    else:
        yield from _workbook(path, limits or ZipLimits())


def _workbook(path: Path, limits: ZipLimits) -> Iterator[RawSheet]:
    import python_calamine as calamine

    what = "OpenDocument spreadsheet" if path.suffix.lower() == ".ods" else "Excel workbook"
    data = read_zipped(path, limits, what)
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = list(book.sheets_metadata)
    except calamine.PasswordError:
        raise ExtractionError(f"{path.name}: the workbook is password protected.",
                              hint="Save an unprotected copy to index it.") from None
    except calamine.CalamineError as exc:
        raise ExtractionError(f"{path.name}: not a readable {what} ({exc}).",
                              hint="Re-save it from a spreadsheet program.") from None
    for meta in metadata:
        if meta.typ != calamine.SheetTypeEnum.WorkSheet:
            continue  # chart sheets and macro sheets hold no cells to read
        try:
            sheet = book.get_sheet_by_name(meta.name)
            merged = tuple((r0 + 1, c0 + 1, r1 + 1, c1 + 1)
                           for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or ()))
        except calamine.CalamineError as exc:
            raise ExtractionError(f"{path.name}: sheet {meta.name!r} could not be read ({exc}).",
                                  hint="Re-save it from a spreadsheet program.") from None
        start = sheet.start or (0, 0)
        rows = ((start[0] + i + 1, start[1] + 1, [show(v) for v in values])
                for i, values in enumerate(sheet.iter_rows()))
        yield RawSheet(meta.name, meta.visible != calamine.SheetVisibleEnum.Visible, rows, merged)


def _delimited(path: Path) -> RawSheet:
    from archivist.ingest.base import open_binary

    raw = open_binary(path)
    head = raw.read(SNIFF_BYTES)
    encoding = _encoding(head, path.name)
    raw.seek(3 if head.startswith(b"\xef\xbb\xbf") else 0)
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    if path.suffix.lower() == ".tsv":
        dialect: type[csv.Dialect] | csv.Dialect = csv.excel_tab
    else:
        try:
            dialect = csv.Sniffer().sniff(head.decode(encoding, errors="replace")[:SNIFF_BYTES // 2], ",;\t|")
        except csv.Error:
            dialect = csv.excel
    csv.field_size_limit(min(sys.maxsize, 10_000_000))  # one absurd field fails the file, not the process

    def rows() -> Iterator[tuple[int, int, list[str]]]:
        with text:
            try:
                # Records are numbered as spreadsheet programs number rows: a quoted field spanning lines
                # is one row.
                for n, values in enumerate(csv.reader(text, dialect), start=1):
                    yield n, 1, [" ".join(v.split()) for v in values]
            except csv.Error as exc:
                raise ExtractionError(f"{path.name}: not a readable CSV file ({exc}).",
                                      hint="Check its quoting, or save it again from a spreadsheet program.") from None

    return RawSheet(path.stem, False, rows())


def _encoding(head: bytes, name: str) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SkipFile(f"{name}: binary content (NUL bytes) in a text file.")
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut at the end of the sample
            return "utf-8"
    from archivist.ingest.text import best_match

    best = best_match(head)  # the choice among legacy code pages that text files get (cp1252 on a tie)
    if best is None:
        raise SkipFile(f"{name}: binary content (no text encoding fits).")
    return best.encoding


# -- the layout: titles, header rows, data ---------------------------------------------------------------------


def layout(sheet: RawSheet) -> Iterator[SheetRow]:
    """The rows of ``sheet`` with their role, the title and header of the table they are in."""
    title = pending = ""
    header: tuple[str, ...] = ()
    header_first = 1
    header_open = False  # the last row was a header row with gaps: the next text-only row may stack under it
    last_role: Role | None = None
    gap = False
    for number, col0, cells in sheet.rows:
        filled = [j for j, c in enumerate(cells) if c]
        if not filled:
            gap = True
            continue
        first, last = col0 + filled[0], col0 + filled[-1]
        values = _spread(list(cells[filled[0]:filled[-1] + 1]), number, first, sheet.merged)
        last = max(last, first + len(values) - 1)
        texts = [v for v in values if v]
        figures = any(_is_figure(v) for v in texts)
        role: Role
        if len(texts) == 1 and not figures:
            role = "text" if header and not gap and last_role != "title" else "title"
            if role == "title":
                pending = texts[0]
        elif len(texts) >= 2 and not figures and (not header or gap or last_role == "title"
                                                  or (last_role == "header" and header_open)):
            role = "header"
            if last_role == "header" and header_open and not gap:
                header, header_first = _stack(header, header_first, values, first)
            else:
                header, header_first, title, pending = tuple(values), first, pending, ""
            header_open = "" in values or any(m[0] == number and m[3] > m[1] for m in sheet.merged)
        else:
            role = "data"
            if pending and last_role == "title":  # a caption over rows without a header row
                title, pending, header = pending, "", ()
        yield SheetRow(sheet.name, sheet.hidden, number, first, last, tuple(values), role, title, header,
                       header_first)
        last_role, gap = role, False


def _spread(values: list[str], row: int, first: int, merged: tuple[tuple[int, int, int, int], ...]) -> list[str]:
    """A merged cell's value repeated over the columns it spans (``FY2025`` over both its quarters)."""
    for r0, c0, r1, c1 in merged:
        if r0 <= row <= r1 and c1 > c0 and first <= c0 < first + len(values):
            value = values[c0 - first]
            for c in range(c0 + 1, c1 + 1):
                k = c - first
                if k >= len(values):
                    values.append(value)
                elif not values[k]:
                    values[k] = value
    return values


def _stack(upper: tuple[str, ...], upper_first: int, lower: list[str], lower_first: int) -> tuple[tuple[str, ...], int]:
    """Two header rows as one: ``FY2025 | | FY2024 |`` over ``Q1 | Q2 | Q1 | Q2`` gives ``FY2025 Q1`` ... (an
    empty cell of the upper row belongs to the spanning label on its left)."""
    first = min(upper_first, lower_first)
    end = max(upper_first + len(upper), lower_first + len(lower))
    top = [""] * (end - first)
    for k, v in enumerate(upper):
        top[upper_first - first + k] = v
    for k in range(2, len(top)):  # never from the first column: that is the labels' own header
        if not top[k] and top[k - 1]:
            top[k] = top[k - 1]
    bottom = [""] * (end - first)
    for k, v in enumerate(lower):
        bottom[lower_first - first + k] = v
    return tuple(" ".join(p for p in (a, b) if p) for a, b in zip(top, bottom, strict=True)), first
