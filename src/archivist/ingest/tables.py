"""Tables in extracted text: rows with their label and figures, and the headers that give them meaning.

A statement page comes out of the PDF reader as lines such as ``Purchases of property, plant and equipment
(1,577) (1,373)``, with the column headers (``FY2025 FY2024``, or ``November 27,`` / ``2015`` / ...), the unit
(``(in millions)``) and the title lines above. Cut into passages, a row lost its headers: nobody could tell
which figure was FY2025's, or that they were millions. Here a run of such rows becomes a table: its block
carries one heading, ``Consolidated Statements of Cash Flows (in millions) | FY2025 | FY2024``, that every
passage cut from it repeats (the heading trail is embedded, keyword-indexed and shown with each passage),
and that ``read_rows`` uses to tie each figure to its column.

Only the layout is read: no company, statement or dataset is named here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archivist.ingest.quarterly import (
    MONTH_DAY,
    is_quarter_header,
    only_dates,
    quarterly_columns,
    quarters_ended,
)

_NUMBER = r"\(?-?\$?\s?\d(?:[\d,]*\d)?(?:\.\d+)?\)?(?:\s?%)?(?:\s?\([a-z]\))?"
_CELL = rf"(?:\$\s*)?(?:{_NUMBER}|[—–-]{{1,2}}|n/?m)"
_ROW = re.compile(rf"^(?P<label>.*?[A-Za-z][^\d$]*?)[\s.…:]*(?P<cells>(?:\s+{_CELL})+)\s*$|"
                  rf"^(?P<label2>.*?[A-Za-z].*?)\.{{3,}}\s*(?P<cells2>{_CELL}(?:\s+{_CELL})*)\s*$")
_CELLS = re.compile(_CELL)
_DATED_ROW = re.compile(rf"^(?P<label>(?:.*?[A-Za-z].*?\b{MONTH_DAY.pattern},?\s+)?(?:fiscal\s+)?(?:19|20)\d{{2}}"
                        rf"(?:\s*\([^)]*\))?)[\s.…:]*(?P<cells>(?:\s+{_CELL})+)\s*$", re.IGNORECASE)
"""A row whose label ends in a date or is a year ("Balance, January 1, 2017 $ 12,545 $ 1,434", "2024 1,825,986
8,763"): its first figures are no cells."""
_NOTE_REF = re.compile(r"\s*\((?:see\s+)?notes?\s+\d+[A-Z]?(?:\s*(?:,|and|&)\s*\d+[A-Z]?)*\)", re.IGNORECASE)
_LEADER = re.compile(r"(?:\s*\.){3,}\s*$")
_PERIOD = re.compile(r"(?:(?:fiscal\s+)?(?:FY|Q[1-4])\s?'?(?:19|20)?\d{2}(?!\d)|(?<![\d,.$])(?:19|20)\d{2}(?![\d,%]))",
                     re.IGNORECASE)
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
_WORDS = re.compile(r"[A-Za-z]{2,}")
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
MAX_LABEL_WORDS = 16
"""A longer line ending in a figure is prose, not a row label."""
TABLE_MARK = " | "
"""Separates the parts of a table heading: ``title (unit) | column | column`` (and the cells of a DOCX or HTML
table row, as they are read)."""
HEADER_LINES = 12
"""How far above the first row the column headers, unit and title are looked for."""


@dataclass(frozen=True)
class Row:
    """One table row: its label and its figures as printed (``(1,577)``, ``—``, ``12.5%``)."""

    label: str
    cells: tuple[str, ...]
    marked: bool = False
    """Whether the first "figure" is printed right after the label as a footnote mark would be ("Total revenues
    (1) $ 45,743", not "... $ (3)"): ``without_mark`` tells by the number of columns."""


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


_CELL_ONLY = re.compile(rf"^{_CELL}$")


def parse_row(line: str) -> Row | None:
    """The row in ``line`` (a label, then one figure or more; or cells joined by ``" | "`` as DOCX and HTML
    tables are read), or None when it is not one."""
    if TABLE_MARK in line:
        parts = [" ".join(p.split()) for p in line.split(TABLE_MARK)]
        label, cells = parts[0], [p.replace(" ", "").lstrip("$") for p in parts[1:] if p]
        if _WORDS.search(label) and cells and all(_CELL_ONLY.match(c) for c in cells):
            return Row(label, tuple(cells))
        return None
    text = _NOTE_REF.sub("", " ".join(line.split()))  # "Provision for income taxes (Note 7) (411) (491)"
    if not text or len(text) > 400:
        return None
    m = _ROW.match(text)
    if m is None:
        return _dated_row(text)
    label = m.group("label") if m.group("label") is not None else m.group("label2")
    cells_text = m.group("cells") if m.group("cells") is not None else m.group("cells2")
    label = _LEADER.sub("", label).strip(" .:$…")
    if not label or len(_WORDS.findall(label)) == 0 or len(label.split()) > MAX_LABEL_WORDS:
        return None
    cells = tuple(c.replace(" ", "") for c in _CELLS.findall(cells_text) if c.strip() not in ("$",))
    cells = tuple(c.lstrip("$") for c in cells if c)
    if not cells:
        return None
    return Row(label, cells, bool(re.match(r"\s*\([1-9]\)\s", cells_text)))


def _dated_row(text: str) -> Row | None:
    """The row of a roll-forward or a schedule by year, whose label ends in a date or is a year ("Balance,
    January 1, 2017 $ 12,545 $ 1,434 ..."; "2024 1,825,986 8,763"): read as a header, its date had named a column
    and its figures had joined the header's words. None when no figure is an amount (a header of years, "2023
    2022"; of dates)."""
    m = _DATED_ROW.match(text)
    if m is None or len(m.group("label").split()) > MAX_LABEL_WORDS:
        return None
    cells = tuple(c.replace(" ", "").lstrip("$") for c in _CELLS.findall(m.group("cells")) if c.strip() != "$")
    if not any(re.search(r"[,.$()%]|^[—–-]", c) for c in _CELLS.findall(m.group("cells"))):
        return None  # years or counts alone: the header's periods, or a sentence's
    return Row(" ".join(m.group("label").split()), tuple(c for c in cells if c))


def _is_prose(line: str) -> bool:
    return len(line.split()) > MAX_LABEL_WORDS and parse_row(line) is None


def find_tables(lines: list[str] | tuple[str, ...]) -> list[Table]:
    """The tables among ``lines`` (one page): runs of at least ``MIN_ROWS`` rows, short label lines between them
    allowed (``Current assets:``), with the columns, unit and title found above the first row."""
    rows = [parse_row(ln) is not None and not _only_periods(ln) and not only_dates(ln) for ln in lines]
    for k in range(len(lines) - 1):  # a row's label whose date goes on in the next line is the row's
        rows[k] = rows[k] or rows[k + 1] and _date_goes_on(lines[k], lines[k + 1])
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
            elif _is_prose(lines[j]) or gap >= 2:
                break
            else:
                gap += 1
            j += 1
        if count >= MIN_ROWS:
            tables.append(_continued(tables, _table(lines, i, last + 1), lines))
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
_ASIDE = re.compile(r"\((?!\s*\$?\s*(?:\d[\d,]*\.\d+|\d{2,}[\d,]*)\s*\))[^)]*\)")
"""A parenthesised unit or footnote mark ("(In millions)", "(1)"), not a negative figure ("(25.3)")."""


def _only_periods(line: str) -> bool:
    """A header line of periods (``2015 2014``, ``FY2025 FY2024``, ``Year Ended December 31 (Millions, except
    per share amounts) 2022 2021 2020``), which parses like a row of figures."""
    rest = MONTH_DAY.sub("", _ASIDE.sub(" ", _PERIOD.sub("", line)))
    return bool(_PERIOD.search(line)) and not re.search(r"\d", rest)


def _table(lines: list[str] | tuple[str, ...], first_row: int, end: int) -> Table:
    above: list[int] = []
    k = first_row - 1
    intro = ""
    counted = 0  # a header printing each column's date and year on lines of their own counts them as one
    while k >= 0 and counted < HEADER_LINES:
        line = lines[k].strip()
        if line:
            if _is_prose(line):
                intro = _paragraph_above(lines, k)  # the sentence that introduces the table
                break
            if parse_row(line) is not None and not _only_periods(line) and not only_dates(line):
                break
            above.append(k)
            counted += not _DATE_PART.match(line)
        k -= 1
    above.reverse()
    # The column headers: from the first line above the rows that names a period or a date, down to the rows.
    # (A line ending in a colon is the sentence introducing the table, "... for fiscal 2015, 2014 and 2013 was as
    # follows:", whose years name no column.)
    dated = [k for k in above if (_PERIOD.search(lines[k]) or MONTH_DAY.search(lines[k]))
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
    columns = _spanned(_period_line(header_lines) or _columns(header), [lines[k] for k in above])
    width = _width(lines, first_row, end)
    quarterly, at = quarterly_columns(columns, [lines[k] for k in above], width)
    if not quarterly:
        quarterly, at = quarters_ended([lines[k] for k in above], width)
    if quarterly:
        columns, head_from = quarterly, above[at]  # the title is above the quarters' names
    title = ""
    for k in reversed([k for k in above if k < head_from]):  # the closest line first
        line = " ".join(lines[k].split()).strip(" :")
        if _SCALE.search(line) or not _WORDS.search(line) or len(line.split()) > 12 or _SPAN.fullmatch(line) \
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


def without_mark(row: Row, width: int) -> Row:
    """``row`` without the footnote mark printed after its label ("Total revenues (1) $ 45,743 $ 46,922 ...",
    whose "(1)" reads as a figure), when it prints one figure more than the table's ``width`` columns (two or
    more: in one column, "(4) (105)" may be a count of shares and their cost)."""
    if row.marked and width >= 2 and len(row.cells) == width + 1:
        return Row(row.label, row.cells[1:])
    return row


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


def _period_line(header_lines: list[str]) -> tuple[str, ...]:
    """The periods of the lowest header line that holds nothing else (``2022 2021 2020`` once a parenthesised
    unit is set aside): the columns, as printed above the figures."""
    for i in range(len(header_lines) - 1, -1, -1):
        bare = re.sub(r"\([^)]*\)", " ", header_lines[i])
        periods = _periods(bare)
        if len(periods) >= 2 and _only_periods(bare):
            # A date over each column ("December 31, 2022 June 30, 2022"; "July 2," over "2023 December 31,
            # 2022"): a 10-Q's quarter end and its last year end, both "2022" without their months.
            dates = MONTH_DAY.findall(re.sub(r"\([^)]*\)", " ", " ".join(header_lines[:i + 1])))
            if len(dates) == len(periods) and not _COMPARE.search(bare):
                return tuple(f"{' '.join(d.split())}, {p}" for d, p in zip(dates, periods, strict=True))
            return tuple(" ".join(p.split()) for p in periods)
    return ()


def _periods(text: str) -> list[str]:
    """The periods of a header line, in order; a comparison or span of two years (``2022 vs. 2021``) is one."""
    spans = [m.span() for m in _COMPARE.finditer(text)]
    found = [(a, text[a:b]) for a, b in spans]
    found += [(m.start(), m.group(0)) for m in _PERIOD.finditer(text)
              if not any(a <= m.start() < b for a, b in spans)]
    return [p for _a, p in sorted(found)]


def _columns(header: str) -> tuple[str, ...]:
    """Column labels from the header text: each ends at a period (``November 27, 2015``, ``FY2024``)."""
    header = _SCALE.sub("", header)
    out: list[str] = []
    cursor = 0
    compared = [m.span() for m in _COMPARE.finditer(header)]
    ends = sorted([b for _a, b in compared] + [m.end() for m in _PERIOD.finditer(header)
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


def split_glued(row: Row, width: int) -> list[Row]:
    """The rows a PDF printed on one line, each with its ``width`` figures: ``Divestitures (gain) loss (0.31) 0.04
    Mark-to-market effects (0.17) (0.17)`` is two rows, not one labelled ``Divestitures ... Mark-to-market
    effects``. ``[row]`` when its label holds no such run of figures (or runs of another length: a label such
    as ``Fair value hedges - Interest rate contracts`` is left whole)."""
    if width < 2:
        return [row]
    parts: list[Row] = []
    words: list[str] = []
    run: list[str] = []
    for token in row.label.split():
        if token == "$" or _CELL_ONLY.match(token):
            run.append(token)
            continue
        if run:
            cells = [c.lstrip("$") for c in run if c != "$"]
            if len(cells) != width or not words or not _WORDS.search(" ".join(words)):
                return [row]
            parts.append(Row(" ".join(words), tuple(cells)))
            words, run = [], []
        words.append(token)
    if not parts or run or not _WORDS.search(" ".join(words)):
        return [row]
    if _CONNECTIVE.match(" ".join(words)):
        return [row]  # "..., net of doubtful accounts - $40 and $42 1,721 2,004": figures of the caption
    return [*parts, Row(" ".join(words), row.cells)]


_CONNECTIVE = re.compile(r"^(?:and|or|&|to|through|thru)$", re.IGNORECASE)


def read_rows(text: str) -> list[tuple[int, Row]]:
    """(line offset, row) of every row in a passage's text. A label the page wrapped over two lines, the first
    ending in a word that cannot end one ("NET INCOME ATTRIBUTABLE TO SHAREOWNERS OF" over "THE COCA-COLA COMPANY
    $ 1,248 $ 6,527") or the second starting in lower case ("... per basic" / "common share $ 3.91"), is read
    whole."""
    lines = text.split("\n")
    out: list[tuple[int, Row]] = []
    for i, line in enumerate(lines):
        row = parse_row(line)
        if row is None and (total := _unlabelled_total(lines, i)):
            row = Row(total, tuple(c.replace(" ", "").lstrip("$") for c in _CELLS.findall(line)
                                   if c.strip() != "$"))
        if row is None or _only_periods(line) or only_dates(line):
            continue
        above = " ".join(lines[i - 1].split()) if i else ""
        if above and TABLE_MARK not in line and (_WRAPPED.search(above) or _goes_on(above, row.label)) \
                and not re.search(r"\d", above) and len(above.split()) <= MAX_LABEL_WORDS and parse_row(above) is None \
                or _date_goes_on(above, line):
            row = Row(f"{above} {row.label}", row.cells, row.marked)
        out.append((i, row))
    return out


_FIGURES_ONLY = re.compile(rf"^\s*{_CELL}(?:\s+{_CELL})+\s*$")
_CAPTION = re.compile(r"^[A-Za-z][A-Za-z ,&'’()-]*:?$")


def _unlabelled_total(lines: list[str], i: int) -> str:
    """``Total Revenues`` for a line of figures alone that ends a section ("Revenues" / "Casino $ 1,951,382 ..." /
    "Rooms 815,323 ..." / "3,942,207 3,264,888"): a statement that prints its totals without a label. "" when the
    line is no such total: at least two rows of the section between it and a caption line (a few words, no
    figure) above them."""
    if not _FIGURES_ONLY.match(lines[i]) or _only_periods(lines[i]):
        return ""
    rows = 0
    for k in range(i - 1, max(-1, i - 16), -1):
        line = " ".join(lines[k].split())
        if not line:
            continue
        if parse_row(line) is not None and not _FIGURES_ONLY.match(line):
            rows += 1
            continue
        if rows >= 2 and _CAPTION.match(line) and len(line.split()) <= 6:
            return f"Total {line.rstrip(':').strip()}"
        return ""
    return ""


def _date_goes_on(above: str, line: str) -> bool:
    """Whether ``line``, a row labelled by a year, ends the date the line ``above`` began ("3.15% notes due
    December 15," / "2021 $ (25.3)"): one label, not a header over a row of 2021."""
    above = " ".join(above.split())
    if not re.search(rf"{MONTH_DAY.pattern},?$", above, re.IGNORECASE) or not _WORDS.search(MONTH_DAY.sub("", above)) \
            or parse_row(above) is not None or len(above.split()) >= MAX_LABEL_WORDS:
        return False
    row = parse_row(line)
    return row is not None and bool(re.fullmatch(r"(?:19|20)\d{2}", row.label))


def _goes_on(above: str, label: str) -> bool:
    """Whether ``label`` goes on from the line ``above``: it starts in lower case ("Net income attributable to
    common shareholders per basic" / "common share $ 3.91"; "... used in investing" / "activities (1,822)") under
    a line that is no caption ("Capital expenditures:")."""
    return label[:1].islower() and not above.endswith(":")


_WRAPPED = re.compile(r"\b(?:of|to|and|for|in|from|the|by|on|at|with|attributable)$", re.IGNORECASE)
"""The last word of a label line the page wrapped: the label goes on in the next line."""
