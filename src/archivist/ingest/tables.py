"""Tables in extracted text: runs of rows (``ingest.rows``), and the headers that give them meaning.

A statement page comes out of the PDF reader as lines such as ``Purchases of property, plant and equipment
(1,577) (1,373)``, with the column headers (``FY2025 FY2024``, or ``November 27,`` / ``2015`` / ...), the unit
(``(in millions)``) and the title lines above. Cut into passages, a row lost its headers: nobody could tell
which figure was FY2025's, or that they were millions. Here a run of such rows becomes a table: its block
carries one heading, ``Consolidated Statements of Cash Flows (in millions) | FY2025 | FY2024``, that every
passage cut from it repeats (the heading trail is embedded, keyword-indexed and shown with each passage),
and that ``ingest.facts`` uses to tie each figure of a row (``rows.read_rows``) to its column.

Only the layout is read: no company, statement or dataset is named here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archivist.ingest.column_groups import Boxes, Layout, beside, grouped, in_groups, named
from archivist.ingest.quarterly import (
    MONTH_DAY,
    PERIOD,
    is_quarter_header,
    only_dates,
    only_periods,
    quarterly_columns,
    quarters_ended,
)
from archivist.ingest.rows import TABLE_MARK, WORDS, date_goes_on, is_prose, parse_row

# "(in millions)", "(Millions, except ...)", "($ million, except per share amounts)".
_SCALE = re.compile(r"\b(?:in|dollars in|amounts in|expressed in)\s+(thousands|millions|billions)\b|"
                    r"\(\s*(thousands|millions|billions)\b|"
                    r"\(\s*(?:US|A|C)?[$€£]\s*(thousand|million|billion)s?\b", re.IGNORECASE)
# The unit as the sentence that introduces a table states it: "... were as follows (in millions):".
_STATED_SCALE = re.compile(r"\(\s*(?:\$\s*|dollars\s+|amounts\s+|presented\s+|expressed\s+)?in\s+"
                           r"(thousands|millions|billions)\b|"
                           r"\(\s*(thousands|millions|billions)\b", re.IGNORECASE)
# Two years compared or spanned, one column: "2022 vs. 2021", "% Change 2015-2014", "2020-2021".
_COMPARE = re.compile(r"(?<![\d,.$])(?:19|20)\d{2}\s*(?:vs\.?|versus|compared (?:to|with)|-|–|to)\s*(?:19|20)\d{2}"
                      r"(?![\d,%])", re.IGNORECASE)
# The span a group of columns covers, as printed above them: "Three Months Ended June 30,", "Twelve Months Ended",
# "13 Weeks Ended", "Quarter Ended", "Year Ended December 31".
_SPAN = re.compile(r"\b(?:(?:three|six|nine|twelve|\d{1,2})[- ]months?|(?:thirteen|twenty[- ]six|thirty[- ]nine|"
                   r"fifty[- ]two|fifty[- ]three|\d{2})[- ]weeks?|quarters?|(?:fiscal\s+)?years?)\s+ended\b"
                   r"(?:\s+((?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2})\b)?",
                   re.IGNORECASE)
_GROUP = re.compile(r"\b(?:guarant(?:ee|or)s?|obligors?|parent\s+company|registrant|non-?guarantor|issuer)\b",
                    re.IGNORECASE)
"""A caption naming a group other than the filer whose statements follow (a guarantee's, the parent's alone)."""
_ANNUAL_SPAN = re.compile(r"^(?:twelve|12)[- ]months?|^(?:fifty[- ]two|fifty[- ]three|52|53)[- ]weeks?|^(?:fiscal\s+)?"
                          r"years?|^full[- ]year", re.IGNORECASE)
_DATE_PART = re.compile(rf"^(?:{MONTH_DAY.pattern},?|(?:19|20)\d{{2}})$", re.IGNORECASE)
"""A header line of a date's month and day, or of a year, alone ("December 31," / "2022")."""
MIN_ROWS = 3
"""Rows a run needs to count as a table (a sentence that happens to end in a figure is not one)."""
HEADER_LINES = 12
"""How far above the first row the column headers, unit and title are looked for."""


@dataclass(frozen=True)
class Table:
    """A table found in a page's lines: ``start``..``end`` (exclusive) index the lines it covers."""

    start: int
    end: int
    title: str
    scale: str
    columns: tuple[str, ...]

    @property
    def heading(self) -> str:
        head = self.title or "Table"  # a table without a caption still reads as one, between the trail's parts
        if self.scale:
            head += f" (in {self.scale})"
        return TABLE_MARK.join([head, *self.columns])


def find_tables(lines: list[str] | tuple[str, ...], layout: Layout | Boxes | None = None) -> list[Table]:
    """The tables among ``lines`` (one page): runs of at least ``MIN_ROWS`` rows, short label lines between them
    allowed (``Current assets:``), with the columns, unit and title found above the first row. ``layout``: where
    each character is printed (a PDF page's), or what reads it for the lines asked, which names columns by what
    is printed over them (``ingest.column_groups``)."""
    if layout is not None and not callable(layout):
        fixed = layout
        layout = lambda _lines: fixed  # noqa: E731
    rows = [parse_row(ln) is not None and not only_periods(ln) and not only_dates(ln) for ln in lines]
    for k in range(len(lines) - 1):  # a row's label whose date goes on in the next line is the row's
        rows[k] = rows[k] or rows[k + 1] and date_goes_on(lines[k], lines[k + 1])
    tables: list[Table] = []
    i = 0
    n = len(lines)
    while i < n:
        if not rows[i]:
            i += 1
            continue
        # A run: rows, blank lines and short label lines; it ends at prose or three non-rows in a row.
        j, gap, count, last = i, 0, 0, i
        while j < n:
            if rows[j]:
                count, gap, last = count + 1, 0, j
            elif not lines[j].strip():
                pass
            elif is_prose(lines[j]) or gap >= 2:
                break
            else:
                gap += 1
            j += 1
        if count >= MIN_ROWS:
            tables.append(_continued(tables, _table(lines, i, last + 1, layout), lines))
            i = last + 1
        else:
            i += 1
    return tables


def _continued(before: list[Table], table: Table, lines: list[str] | tuple[str, ...]) -> Table:
    """``table``, or the table above it on the page continued: a statement's liabilities under its assets,
    after a heading or a total that ended the run ("LIABILITIES AND STOCKHOLDERS' EQUITY"), print no columns
    of their own. A table without columns whose rows have as many figures as the one above has columns takes
    that table's title, unit and columns."""
    if table.columns or not before or not before[-1].columns:
        return table
    above = before[-1]
    if _introduces([ln for ln in lines[above.end:table.end] if parse_row(ln) is None]):
        return table  # a table of its own: a sentence or a unit line introduces it
    widths = [len(r.cells) for ln in lines[table.start:table.end] if (r := parse_row(ln)) is not None]
    if not widths or sum(w == len(above.columns) for w in widths) < 0.8 * len(widths):
        return table
    return Table(table.start, table.end, above.title, table.scale or above.scale, above.columns)


def _introduces(lines: list[str]) -> bool:
    """Whether ``lines`` (those between two tables of a page) introduce a table of its own: a sentence ("The
    following table provides the changes in our long-term debt for fiscal 2020:"), or a unit ("(Amounts in
    millions)"). A statement's captions do not ("Adjustments to reconcile net income to net cash provided by
    operating activities:"; "LIABILITIES AND EQUITY"), nor its labels wrapped over lines."""
    text = " ".join(" ".join(lines).split())
    return bool(_SCALE.search(text) or _INTRO.search(text))


_INTRO = re.compile(r"\b(?:the\s+following|as\s+follows|(?:this|the)\s+table|below)\b[^:.]*:", re.IGNORECASE)
"""A sentence that introduces a table ("... consisted of the following:", "... were as follows (in millions):")."""
_SENTENCE_END = re.compile(r"(?<!\b(?:jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec))(?<!\bsept)\.\s*$", re.IGNORECASE)
"""The end of a paragraph above a table ("... in 2020 and 2019."), whose years name no column."""
_PERIODS_AFTER_COLON = re.compile(r":\s*((?:(?:19|20)\d{2}\s+){1,5}(?:19|20)\d{2})\s*$")


def _table(lines: list[str] | tuple[str, ...], first_row: int, end: int, boxes: Boxes | None = None) -> Table:
    above: list[int] = []
    k = first_row - 1
    intro = ""
    counted = 0  # a header printing each column's date and year on lines of their own counts them as one
    while k >= 0 and counted < HEADER_LINES:
        line = lines[k].strip()
        if line:
            if is_prose(line):
                intro = _paragraph_above(lines, k)  # the sentence that introduces the table
                break
            if parse_row(line) is not None and not only_periods(line) and not only_dates(line):
                break
            above.append(k)
            counted += not _DATE_PART.match(line)
        k -= 1
    above.reverse()
    # The column headers: from the first line above the rows that names a period or a date, down to the rows.
    # (A line ending in a colon is the sentence introducing the table, "... for fiscal 2015, 2014 and 2013 was as
    # follows:", whose years name no column.)
    dated = [k for k in above if (PERIOD.search(lines[k]) or MONTH_DAY.search(lines[k]))
             and not lines[k].rstrip().endswith(":") and not _SENTENCE_END.search(lines[k])]
    head_from = dated[0] if dated else first_row
    header_lines = [lines[k].strip() for k in above if k >= head_from]
    if not dated and (tail := _PERIODS_AFTER_COLON.search(intro)):
        # The page joined the header's years to the sentence introducing the table ("Presented in the table below
        # is the components of income tax expense for the years ended December 31: 2021 2020 2019").
        header_lines = [tail.group(1), *header_lines]
    header = " ".join(header_lines)
    # The unit: above the columns ("(In millions)"), else as the sentence introducing the table states it
    # ("... as follows (in thousands):"; 26 of 200 sampled dev rows had no scale without it).
    header_text = " ".join(lines[k] for k in above)
    scale_match = _SCALE.search(header_text) or _STATED_SCALE.search(f"{intro} {header_text}")
    periods, i = _period_line(header_lines)
    # The page line the periods are printed on (none when they are the introducing sentence's years).
    page_lines = [k for k in above if k >= head_from]
    joined = len(header_lines) - len(page_lines)  # 1 when the introducing sentence's years lead the header
    period_at = page_lines[i - joined] if periods and i >= joined else None
    columns = _spanned(periods or _columns(header), [lines[k] for k in above])
    width = _width(lines, first_row, end)
    quarterly, at = quarterly_columns(columns, [lines[k] for k in above], width)
    if not quarterly:
        quarterly, at = quarters_ended([lines[k] for k in above], width)
    names: set[int] = set()
    if quarterly:
        columns, head_from = quarterly, above[at]  # the title is above the quarters' names
    elif boxes is not None:
        if columns and width > len(columns):
            # More figures in a row than periods over them: each column is named by what is printed over it.
            rows = [k for k in range(first_row, end) if (r := parse_row(lines[k])) is not None
                    and len(r.cells) == width]
            layout = boxes({*above, *rows})
            columns, names = named(columns, lines, above, rows, width, layout, period_at)
            if not names:  # a change's column beside the periods' ("% Change 2022-2021")
                columns, names = beside(columns, lines, above, rows, width, layout, period_at)
        if not names and in_groups(columns):
            columns, names = grouped(columns, lines, above, boxes(above), period_at)
    title = ""
    for k in reversed([k for k in above if k < head_from and k not in names]):  # the closest line first
        line = " ".join(lines[k].split()).strip(" :")
        if _SCALE.search(line) or not WORDS.search(line) or len(line.split()) > 12 or _SPAN.fullmatch(line) \
                or is_quarter_header(line):
            continue
        if re.search(r"statement|balance sheet|consolidated|summary|schedule|results|quarterly", line, re.IGNORECASE):
            title = line  # a statement's name wins over a closer caption
            # Whose statement, when a caption above says it is a group's other than the filer's ("Deed of Cross
            # Guarantee" / "Consolidated Balance Sheets"): its figures are not the company's.
            group = next((" ".join(lines[j].split()) for j in above if k - 3 <= j < k
                          and _GROUP.search(lines[j]) and len(lines[j].split()) <= 12), "")
            title = f"{group} - {title}" if group and not _GROUP.search(title) else title
            break
        if not title and not line.endswith("."):  # the end of a sentence is not a caption
            title = line
    start = above[0] if above else first_row
    scale = _plural(next(g for g in scale_match.groups() if g)) if scale_match else ""
    return Table(start, end, title, scale, columns)


def _spanned(columns: tuple[str, ...], header_lines: list[str]) -> tuple[str, ...]:
    """``columns`` with the span each covers when one is shorter than a year: ``2023`` under "Three Months Ended
    June 30," is ``Three Months Ended June 30, 2023``. An earnings release prints "Three Months Ended June 30,
    Twelve Months Ended June 30," over ``2022 2023 2022 2023``: read without its spans, the quarter's net sales
    and the year's were both 2023's. Spans are given to the columns in order, in equal groups; columns that
    cannot be shared out so are left as they are, and so are columns under yearly spans only."""
    # Read as one text: a span's date may be printed on the line below it ("Three Months Ended" / "June 30,").
    spans = [(" ".join(m.group(0)[:m.start(1) - m.start(0) if m.group(1) else None].split()), m.group(1) or "")
             for m in _SPAN.finditer(" ".join(" ".join(header_lines).split()))]
    if not spans and not any(_NAMED_SPAN.search(c) for c in columns):
        # "Fourth Quarter Full Year" over "2022 2021 2022 2021", on a line of its own
        spans = [(_span_name(m.group(0)), "") for line in header_lines
                 if _NAMED_SPANS.fullmatch(" ".join(line.split())) for m in _NAMED_SPAN.finditer(line)]
    if not columns or not spans or all(_ANNUAL_SPAN.match(words) for words, _date in spans) \
            or len(columns) % len(spans):
        return columns
    group = len(columns) // len(spans)
    out = []
    for i, column in enumerate(columns):
        words, date = spans[i // group]
        rest = re.sub(r"^.*\bended\b[\s,]*", "", column, flags=re.IGNORECASE) or column
        if date and not MONTH_DAY.search(rest):
            rest = f"{' '.join(date.split())}, {rest}"
        out.append(f"{words} {rest}")
    return tuple(out)


_NAMED_SPAN = re.compile(r"\b(?:first|second|third|fourth)[- ]quarter\b|\bfull[- ]year\b", re.IGNORECASE)
_NAMED_SPANS = re.compile(rf"(?:(?:{_NAMED_SPAN.pattern}|%\s*change|%\s*chg\.?|change|%)\s*)+", re.IGNORECASE)
"""A header line naming the spans of its column groups and nothing else: "Fourth Quarter % Change Full Year"."""


def _span_name(printed: str) -> str:
    """``Fourth Quarter`` for "fourth-quarter", ``Full Year`` for "FULL YEAR"."""
    first = re.split(r"[- ]", printed.lower())[0]
    return "Full Year" if first == "full" else f"{first.title()} Quarter"


def _width(lines: list[str] | tuple[str, ...], start: int, end: int) -> int:
    """The number of figures most of the table's rows print (a footnote mark after a label not counted)."""
    widths = [len(r.cells) - (r.marked and len(r.cells) > 2)
              for ln in lines[start:end] if (r := parse_row(ln)) is not None]
    return max(set(widths), key=widths.count) if widths else 0


def _plural(word: str) -> str:
    word = word.lower()
    return word if word.endswith("s") else word + "s"


def _paragraph_above(lines: list[str] | tuple[str, ...], k: int, most: int = 4) -> str:
    """The text lines that end at line ``k`` (up to ``most``, none of them a row): the paragraph introducing a
    table, whose unit may be stated lines above its end ("The following selected financial data (presented in
    thousands, ...) / is derived from ...")."""
    out: list[str] = []
    while k >= 0 and len(out) < most and lines[k].strip() and parse_row(lines[k]) is None:
        out.insert(0, lines[k].strip())
        k -= 1
    return " ".join(out)


def _period_line(header_lines: list[str]) -> tuple[tuple[str, ...], int]:
    """The periods of the lowest header line that holds nothing else (``2022 2021 2020`` once a parenthesised
    unit is set aside): the columns, as printed above the figures; and that line's index (-1 when none is)."""
    for i in range(len(header_lines) - 1, -1, -1):
        bare = re.sub(r"\([^)]*\)", " ", header_lines[i])
        periods = _periods(bare)
        if len(periods) >= 2 and only_periods(bare):
            # A date over each column ("December 31, 2022 June 30, 2022"; "July 2," over "2023 December 31,
            # 2022"): a 10-Q's quarter end and its last year end, both "2022" without their months.
            dates = MONTH_DAY.findall(re.sub(r"\([^)]*\)", " ", " ".join(header_lines[:i + 1])))
            if len(dates) == len(periods) and not _COMPARE.search(bare):
                return tuple(f"{' '.join(d.split())}, {p}" for d, p in zip(dates, periods, strict=True)), i
            return tuple(" ".join(p.split()) for p in periods), i
    return (), -1


def _periods(text: str) -> list[str]:
    """The periods of a header line, in order; a comparison or span of two years (``2022 vs. 2021``) is one."""
    spans = [m.span() for m in _COMPARE.finditer(text)]
    found = [(a, text[a:b]) for a, b in spans]
    found += [(m.start(), m.group(0)) for m in PERIOD.finditer(text)
              if not any(a <= m.start() < b for a, b in spans)]
    return [p for _a, p in sorted(found)]


def _columns(header: str) -> tuple[str, ...]:
    """Column labels from the header text: each ends at a period (``November 27, 2015``, ``FY2024``)."""
    header = _SCALE.sub("", header)
    out: list[str] = []
    cursor = 0
    compared = [m.span() for m in _COMPARE.finditer(header)]
    ends = sorted([b for _a, b in compared] + [m.end() for m in PERIOD.finditer(header)
                                               if not any(a <= m.start() < b for a, b in compared)])
    for end in ends:
        segment = header[cursor:end].strip(" ,()")
        words = segment.split()
        # Keep a date's month and day with its year, not the header's leading words.
        segment = " ".join(words[-4:]) if len(words) > 4 else segment
        out.append(segment)
        cursor = end
    return tuple(out)


def split_heading(heading: str) -> tuple[str, str, tuple[str, ...]]:
    """(title, unit, columns) of a table heading made by ``Table.heading`` (the last trail part)."""
    last = heading.rsplit(" > ", maxsplit=1)[-1]
    parts = last.split(TABLE_MARK)
    if len(parts) < 2:
        return last, "", ()
    head = parts[0]
    m = re.search(r" \(in (thousands|millions|billions)\)$", head)
    return (head[:m.start()] if m else head), (m.group(1) if m else ""), tuple(parts[1:])
