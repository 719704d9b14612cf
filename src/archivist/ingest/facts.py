"""Typed facts from table rows: each figure of a row, with its label, column, period, value, unit and scale.

A passage cut from a table (``ingest.tables`` for PDF, DOCX and HTML; ``ingest.spreadsheet`` for workbooks and
CSV) keeps its table's heading, ``Consolidated Statements of Income (in millions) | FY2025 | FY2024``; its lines
are the rows. Here every figure of such a row becomes a ``Fact``: ``Revenue`` / ``FY2025`` / 12400 / millions.
Facts are read from the passages as stored (``index.factstore``), so every index that has passages, however
old, can have them, and a fact is cited with the passage it was read from.

Figures are read as filings print them: ``(1,577)`` is negative; ``1,577(a)`` carries a footnote mark; a dash
is zero; ``n/m`` (not meaningful) is kept without a value; ``12.5%`` is a percentage and never scaled; a
per-share row under ``(in millions, except per share data)`` is not scaled either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from archivist.ingest.column_groups import CHANGE, group_of, in_sections, periods_of
from archivist.ingest.quarterly import in_section
from archivist.ingest.rows import TABLE_MARK, Row, read_rows, split_glued, without_mark
from archivist.ingest.tables import split_heading

TRAIL_SEP = " > "
SCALES = {"thousands": Decimal(1000), "millions": Decimal(10) ** 6, "billions": Decimal(10) ** 9}
_SCALE_WORD = re.compile(r"\b(?:in|dollars in|amounts in|expressed in)\s+(thousands|millions|billions)\b|"
                         r"\(\s*\$?\s*(?:in\s+)?(thousands|millions|billions|000s|m|bn)\s*\)|"
                         r"\(\s*(?:US|A|C)?[$€£]\s*(thousand|million|billion)s?\b", re.IGNORECASE)
_FOOTNOTE = re.compile(r"(?<=\S)\s*\((?:[a-z]|\d)\)$|\*+$")  # a mark after a figure; "(2)" alone is minus two
_DASH = re.compile(r"^[—–-]{1,2}$")
_NOT_MEANINGFUL = re.compile(r"^n/?m$|^n/?a$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_SHORT_FY = re.compile(r"\bFY\s?'?(\d{2})\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth)[- ]quarter\b", re.IGNORECASE)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
SPAN_WORDS = (r"\b(three|six|nine|3|6|9)[- ]months?\b|\b(thirteen|twenty[- ]six|thirty[- ]nine|13|26|39|twelve|"
              r"twenty[- ]four|thirty[- ]six|sixteen|seventeen|12|24|36|16|17)[- ]weeks?\b")
"""A span shorter than a year by its length, "Three Months", "26 Weeks" (groups: months, weeks; ``span_months``)."""
# ... ended at the column's date: "Three Months Ended June 30, 2023", "26 Weeks Ended", "Quarter Ended".
_INTERIM = re.compile(SPAN_WORDS + r"|\b(quarter)s?\s+ended\b", re.IGNORECASE)
# A 52-53 week year's quarters of 12 or 16-17 weeks (a 12-12-12-16 calendar) as well as 13.
_SPAN_MONTHS = {"twelve": 3, "12": 3, "twenty four": 6, "24": 6, "thirty six": 9, "36": 9, "sixteen": 3, "16": 3,
                "seventeen": 3, "17": 3,
                "three": 3, "3": 3, "six": 6, "6": 6, "nine": 9, "9": 9, "thirteen": 3, "13": 3, "twenty six": 6,
                "26": 6, "thirty nine": 9, "39": 9, "quarter": 3}
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAME = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d", re.IGNORECASE)
DATE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:(\d{1,2}),?\s+)?"
                  r"((?:19|20)\d{2})\b", re.IGNORECASE)
"""A date as printed, "June 30, 2023" or "June 2023" (groups: month, day, year)."""
_NUMERIC_DATE = re.compile(r"(?<![\d/])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])/((?:19|20)\d{2})(?!\d)")
_SPAN_COLUMN = re.compile(r"\b(?:months?|weeks?|quarters?|years?|ended|ending|through)\b", re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z]{2,}")
_SHEET = re.compile(r"^Sheet .+, columns [A-Z]{1,3}-[A-Z]{1,3}$")
_COMPARED = re.compile(r"(?:19|20)\d{2}\s*(?:vs\.?|versus|compared (?:to|with)|-|–|to)\s*(?:19|20)\d{2}", re.IGNORECASE)
# A figure as printed (comma-grouped or with decimals) inside a label: the label holds another row's cells.
_PRINTED_FIGURE = re.compile(r"(?<!\S)\(?\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?\)?(?!\S)|(?<!\S)\(?\$?\d+\.\d+\)?(?!\S)")
# A row that states its own unit: "Card Member loans (billions)", "Remaining performance period (in years)".
_ROW_UNIT = re.compile(r"\((?:in\s+)?(thousands|millions|billions|dollars|years|months|days)\)", re.IGNORECASE)
_NOT_PERCENT = re.compile(r"\b(?:years?|months|days|ratio|times|per (?:common |diluted |basic )?share)\b|\(", re.I)
_PER_SHARE = re.compile(r"\bper (?:common |diluted |basic )?share\b|\bEPS\b", re.IGNORECASE)
_SHARE_COUNT = re.compile(r"^(?:shares\b|(?:weighted[- ]average|number of)\b[^,]*\bshares\b)", re.IGNORECASE)
_DATE_WORDS = re.compile(r"^(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|\d{1,2},?|"
                         r"(?:19|20)\d{2})$", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    """A figure of a table row, as printed and as a number: what a fact read from a passage (``Fact``) and a fact
    stored in the index (``index.factstore.FactRow``) share.

    Attributes:
        title: the table's title (``Consolidated Statements of Income``; "" when it has none).
        label: the row's label, as printed.
        column: the column's header, as printed (``FY2025``, ``November 27, 2015``).
        period: the fiscal period the column names, normalised (``FY2025``, ``FY2025 Q1``); "" when none.
        value: the figure as a number, sign applied, before scaling; None for ``n/m``.
        raw: the figure as printed (``(1,577)``).
        unit: ``%`` for a percentage, ``per share`` for a per-share row, else "".
        scale: ``thousands``, ``millions``, ``billions`` or "" (the table's unit; never for ``%`` or per share).
    """

    title: str
    label: str
    column: str
    period: str
    value: Decimal | None
    raw: str
    unit: str
    scale: str

    @property
    def amount(self) -> Decimal | None:
        """The value with its scale applied (``1,577`` in millions -> 1577000000)."""
        if self.value is None:
            return None
        return self.value * SCALES.get(self.scale, Decimal(1))

    def when(self) -> str:
        """The period the figure is of, named as its column's group names it: ``FY2025``, ``Other Benefits
        FY2025`` (one of the columns printed under "Other Benefits"), or the column as printed when it names no
        fiscal period."""
        group = group_of(self.column) if self.period else ""
        return f"{group} {self.period}" if group else self.period or self.column


@dataclass(frozen=True)
class Fact(Figure):
    """One figure of a table row, read from a passage (the fields of ``Figure``, then where the row stands).

    Attributes:
        line: the row's line (PDF: on the page; text: in the file; spreadsheet: the sheet's row), when known.
        offset: the row's line within the passage text (0-based).
    """

    line: int | None
    offset: int


def parse_value(cell: str) -> tuple[Decimal | None, str] | None:
    """(value, unit) of a printed figure, or None when it is no figure at all.

    ``(1,577)`` -> (-1577, ""); ``1,577(a)`` -> (1577, ""); ``—`` -> (0, ""); ``12.5%`` -> (12.5, "%");
    ``n/m`` -> (None, "").
    """
    text = " ".join(cell.split()).replace("$", "").replace("€", "").replace("£", "").strip()
    text = _FOOTNOTE.sub("", text).strip()
    if not text:
        return None
    if _NOT_MEANINGFUL.match(text):
        return None, ""
    if _DASH.match(text):
        return Decimal(0), ""
    unit = ""
    if text.endswith("%"):
        unit, text = "%", text[:-1].strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    elif text.startswith("(") and not text.endswith(")"):
        negative, text = True, text[1:].strip()  # "(1,577" whose ")" was printed in a cell of its own
    if text.startswith(("-", "−")):
        negative, text = not negative, text[1:].strip()
    if text.endswith("%"):
        unit, text = "%", text[:-1].strip()
    text = text.replace(",", "").replace(" ", "")
    if not re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return (-value if negative else value), unit


def column_period(column: str) -> str:
    """The fiscal period a column header names: ``FY2025``, ``2015``, ``November 27, 2015`` -> ``FY2015``;
    ``Q1 2025`` -> ``FY2025 Q1``; a span shorter than a year by its months and end: ``Three Months Ended June 30,
    2023`` -> ``3M Jun 2023`` (which fiscal quarter that is depends on the filer's year end, not printed there);
    "" when it names no year. (A fiscal year is named by the year it ends in, as filings name it.)"""
    if _COMPARED.search(column):
        return ""  # a change between two years, or a span of them ("2022 vs. 2021", "2020-2021"): no one period
    years = _YEAR.findall(column)
    if years:
        year = years[-1] if len(set(years)) > 1 and re.search(r"\bended\b", column, re.IGNORECASE) else years[0]
    elif m := _SHORT_FY.search(column):
        year = "20" + m.group(1)
    else:
        return ""
    if q := _QUARTER.search(column):
        return f"FY{year} Q{q.group(1) or _ORDINAL[q.group(2).lower()]}"
    if span := _INTERIM.search(column):
        months = span_months(span.group(1) or span.group(2) or span.group(3))
        if month := _MONTH_NAME.search(column):
            return f"{months}M {month.group(1).title()} {year}"
        if numeric := _NUMERIC_DATE.search(column):  # "12 Weeks Ended 3/25/2023"
            return f"{months}M {MONTH_ABBR[int(numeric.group(1)) - 1]} {year}"
        return f"{months}M {year}"
    return f"FY{year}"


def span_months(words: str) -> int:
    """The months a span of ``SPAN_WORDS`` covers: "three" -> 3, "twenty-six" (weeks) -> 6, "quarter" -> 3."""
    return _SPAN_MONTHS[" ".join(re.split(r"[- ]", words.lower()))]


def month_end(year: int, month: int, day: int | None = None) -> tuple[int, int]:
    """(year, month) a date closes: a date in a month's first week closes the month before (a 52-53 week
    calendar's "July 2, 2023" is its June quarter)."""
    if day is not None and day <= 7:
        return (year - 1, 12) if month == 1 else (year, month - 1)
    return year, month


@lru_cache(maxsize=4096)  # a filing prints a handful of column headers over thousands of figures
def column_date(column: str) -> tuple[int, int] | None:
    """The (year, month) a column header's (last) date closes: ``June 30, 2023`` -> (2023, 6), ``3/25/2023`` ->
    (2023, 3); None when it prints none."""
    if found := list(DATE.finditer(column)):
        m = found[-1]
        return month_end(int(m.group(3)), MONTH_ABBR.index(m.group(1)[:3].title()) + 1,
                         int(m.group(2)) if m.group(2) else None)
    if found := list(_NUMERIC_DATE.finditer(column)):
        m = found[-1]
        return month_end(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return None


@lru_cache(maxsize=4096)
def is_point(column: str) -> bool:
    """Whether a column names a date (a balance at it), not a span ending at it."""
    return column_date(column) is not None and not _SPAN_COLUMN.search(column)


def table_scale(text: str) -> str:
    """``millions`` for ``(in millions)``, ``($ in thousands)``, ``(000s)`` ...; "" when none is named."""
    m = _SCALE_WORD.search(text)
    if not m:
        return ""
    word = next(g for g in m.groups() if g).lower()
    return {"000s": "thousands", "m": "millions", "bn": "billions", "thousand": "thousands", "million": "millions",
            "billion": "billions"}.get(word, word)


def chunk_facts(text: str, heading: str, line_start: int | None = None, line_end: int | None = None,
                above: Sequence[str] = ()) -> list[Fact]:
    """The facts of one stored passage (its text and heading trail, ``TRAIL_SEP``-joined); [] when it is not
    part of a table with columns. ``above``: the lines printed just before it (the end of the table's previous
    passage), where a section's caption may stand ("Earnings per common share--diluted:")."""
    title, unit, columns = split_heading(heading)
    if not columns:
        return []
    scale = unit or table_scale(title)
    if title == "Table":
        title = ""
    lines = text.split("\n")
    # Blank lines are not kept in a passage: a row's offset is its line only when none were cut.
    whole = line_start is not None and line_end is not None and line_end - line_start + 1 == len(lines)
    sheet = bool(_SHEET.match(heading.split(TRAIL_SEP, 1)[0]))
    out: list[Fact] = []
    if sheet or any(TABLE_MARK in ln for ln in lines):
        rows = [(i, ln) for i, ln in enumerate(lines) if TABLE_MARK in ln]
        for offset, line in rows:
            line_no = line_start + offset if whole and line_start is not None else None
            out += _cells_row(line, columns, title, scale, line_no, offset, aligned=sheet)
    rows = [(offset, part) for offset, row in read_rows(text) if TABLE_MARK not in lines[offset]
            for part in split_glued(row, len(columns))]
    if _page_numbers([row for _o, row in rows], columns):
        return []
    # A percentage column prints "%" on its first row only (21.0 % / 1.0 / (1.6)): its later figures of the same
    # form are percentages too, until one is not (3 of 200 sampled dev rows were read without their %).
    percent = [False] * len(columns)
    quarterly = in_sections(columns)  # other years' rows may follow under year lines of their own
    periods = periods_of(columns)
    context = [*above, *lines]
    for offset, read in rows:
        row = without_mark(read, len(columns))
        if len(row.cells) > len(columns) and _QUALIFIED.search(row.label):
            # "Trade accounts receivable, net of doubtful accounts - $40 and $42 1,721 2,004": the caption's own
            # figures come first, the columns' are the last.
            row = Row(_QUALIFIER_FIGURES.sub("", row.label), row.cells[-len(columns):])
        row_columns = in_section(columns, context[:len(above) + offset]) if quarterly else columns
        if len(row.cells) != len(columns) and (bare := one_a_period(read, periods)) is not None:
            row, row_columns = bare, periods_of(row_columns)  # a year line's year, as the columns'
        if len(row.cells) != len(row_columns) or not _is_label(row.label):
            continue  # a row that does not fill the columns cannot be tied to them
        line_no = line_start + offset if whole and line_start is not None else None
        per_share = _per_share_section(context, len(above) + offset, row.label, row.cells)
        for j, (cell, column) in enumerate(zip(row.cells, row_columns, strict=True)):
            inherit = row_columns is columns and percent[j] and \
                bool(re.fullmatch(r"\(?-?\d{1,2}\.\d+\)?", cell)) and not _NOT_PERCENT.search(row.label)
            if row_columns is columns:
                percent[j] = cell.rstrip().endswith("%") or inherit
            unit = "%" if inherit else "per share" if per_share else ""
            if (fact := _fact(title, row.label, column, cell, scale, line_no, offset, unit)) is not None:
                out.append(fact)
    return out


def one_a_period(read: Row, periods: tuple[str, ...]) -> Row | None:
    """``read`` when it prints one figure a period of a table whose columns are more than its periods
    (``column_groups.periods_of``): "Net income per share $ 5.51 $ 5.14" under "Income | Shares" for each year, a
    segment table's total alone, a row without its change; None otherwise (or when there are no such periods)."""
    if not periods:
        return None
    row = without_mark(read, len(periods))
    return row if len(row.cells) == len(periods) else None


_QUALIFIED = re.compile(r"\b(?:net\s+of|less)\b[^$\d]*(?:[-–—:]\s*)?\$?\s*[\d,.]*\s*(?:and|or|,)?\s*$",
                        re.IGNORECASE)
"""A label that ends in a qualifier whose figures the row reader took for cells ("..., net of allowances of")."""
_QUALIFIER_FIGURES = re.compile(r"(?:[\s:–—-]*\$?\s*\d[\d,.]*\s*(?:and|or|,)?)+\s*$", re.IGNORECASE)


def _per_share_section(lines: list[str], offset: int, label: str, cells: Sequence[str] = ()) -> bool:
    """The row sits under a caption line of per-share figures ("Earnings from continuing operations per common
    share" / "Basic 22.85 24.60"): its short label does not say so itself. Nor does a long one whose figures are
    all printed to the cent under such a caption, rows of cents between ("Earnings per common share--basic:" /
    ... / "Net income attributable to Pfizer Inc. common shareholders $ 0.41 $ 1.77": not 0.41 million)."""
    cents = _all_cents(list(cells))
    if len(label.split()) > 3 and not cents:
        return False
    for k in range(offset - 1, max(-1, offset - (8 if cents else 4)), -1):
        if not lines[k].strip():
            continue
        if _PER_SHARE.search(lines[k]) and not re.search(r"\d", lines[k]):
            # A caption, not the unit line "(In billions, except per share amounts)" over a table in billions.
            return not _SCALE_WORD.search(lines[k])
        if re.search(r"\d", lines[k]) and not re.match(r"^\s*(?:basic|diluted)\b", lines[k], re.IGNORECASE) \
                and not (cents and _in_cents(lines[k])):
            return False
    return False


_CENTS = re.compile(r"\(?\$?\s*-?\d{1,3}\.\d{2}\)?")


def _all_cents(cells: list[str]) -> bool:
    """Figures all printed to the cent (a dash, nil, among them): per-share figures, or a share of one."""
    cells = [c.strip() for c in cells if not _DASH.match(c.strip().lstrip("$ "))]
    return bool(cells) and all(_CENTS.fullmatch(c) for c in cells)


def _in_cents(line: str) -> bool:
    """A row whose figures are all printed to the cent: another per-share row of the section."""
    figures = re.findall(r"(?<![\w.,])\(?\$?\s*-?\d[\d,]*(?:\.\d+)?\)?(?![\w.,])|(?<!\S)[—–-]{1,2}(?!\S)", line)
    return _all_cents(figures) and len(figures) >= 2


def _is_label(label: str) -> bool:
    """A row label: not a date alone (a header row of quarter ends, ``February 27 May 29 ...``) and no printed
    figure in it (two rows a PDF printed on one line that ``split_glued`` could not part)."""
    words = label.split()
    return not all(_DATE_WORDS.match(w) for w in words) and not _PRINTED_FIGURE.search(label)


def _page_numbers(rows: list[Row], columns: tuple[str, ...]) -> bool:
    """A table of contents (``Item 1A. Risk Factors 11``): one column of plain whole numbers that only rise."""
    filled = [r.cells[0] for r in rows if len(r.cells) == 1]
    if len(columns) != 1 or len(filled) < 3 or not all(c.isdigit() for c in filled):
        return False
    pages = [int(c) for c in filled]
    return pages == sorted(pages)


def _cells_row(line: str, columns: tuple[str, ...], title: str, scale: str, line_no: int | None, offset: int,
               *, aligned: bool) -> list[Fact]:
    """A row read as cells (``label | cell | cell``: DOCX, HTML and spreadsheet tables). The cells are tied to
    the columns by position when the row has one cell per column (a spreadsheet's always do), else the
    figures in order when there are exactly as many figures as columns (HTML filings print ``$`` and ``)`` in
    cells of their own)."""
    parts = [" ".join(p.split()) for p in line.split(TABLE_MARK)]
    label = parts[0]
    if not _WORDS.search(label) or len(label.split()) > 24:
        return []
    cells = parts[1:]
    if [c for c in cells if c] == [c for c in columns if c][:len([c for c in cells if c])]:
        return []  # the header row itself (``Region | 2025 | 2024``): its years are no figures
    if aligned or len(cells) == len(columns):
        pairs = [(c, columns[j]) for j, c in enumerate(cells) if c and j < len(columns)]
    else:
        figures = [c for c in cells if c and parse_value(c) is not None and c not in ("$", ")")]
        if len(figures) != len(columns):
            return []
        pairs = list(zip(figures, columns, strict=True))
    out = []
    for cell, column in pairs:
        if (fact := _fact(title, label, column, cell, scale, line_no, offset)) is not None:
            out.append(fact)
    return out


def _fact(title: str, label: str, column: str, cell: str, scale: str, line: int | None, offset: int,
          unit_hint: str = "") -> Fact | None:
    parsed = parse_value(cell)
    if parsed is None:
        return None
    value, unit = parsed
    unit = unit or unit_hint
    if not unit and _PER_SHARE.search(label) and not _SHARE_COUNT.search(label):
        unit = "per share"
    period = column_period(column)
    if not period and (_COMPARED.search(column) or CHANGE.search(column)) and unit != "%":
        return None  # a change column's figure without its "%": an amount or a percentage, nobody can tell
    if m := _ROW_UNIT.search(label):
        scale = m.group(1).lower() if m.group(1).lower() in SCALES else ""
    label = " ".join(label.split()).strip(" .:$…")
    if not label:
        return None
    return Fact(title, label, column, period, value, cell.strip(), unit, "" if unit else scale, line, offset)

