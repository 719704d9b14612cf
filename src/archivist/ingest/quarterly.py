"""Periods, quarters and dates in table headers (a line of periods alone, ``only_periods``; of dates alone,
``only_dates``): a 10-K's quarterly data, whose columns are named by their quarters
("2020" over "First Quarter ... Fourth Quarter", "Q1 Q2 Q3 Q4 Total", "Quarter Ended" over each quarter's end
without its year), and the rows of other years printed under one such header (``in_section``).

Only the layout is read (``ingest.tables`` finds the tables); no company or filing is named here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MONTH_DAY = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b",
                       re.IGNORECASE)
"""A month and its day, as a header prints a column's date ("June 30", "Dec. 31")."""

PERIOD = re.compile(r"(?:(?:fiscal\s+)?(?:FY|Q[1-4])\s?'?(?:19|20)?\d{2}(?!\d)|(?<![\d,.$])(?:19|20)\d{2}(?![\d,%]))",
                    re.IGNORECASE)
"""A period as a header prints it: a year, "FY2024", "Q3 2023", "fiscal 2015"."""
_ASIDE = re.compile(r"\((?!\s*\$?\s*(?:\d[\d,]*\.\d+|\d{2,}[\d,]*)\s*\))[^)]*\)")
"""A parenthesised unit or footnote mark ("(In millions)", "(1)"), not a negative figure ("(25.3)")."""


def only_periods(line: str) -> bool:
    """A header line of periods (``2015 2014``, ``FY2025 FY2024``, ``Year Ended December 31 (Millions, except
    per share amounts) 2022 2021 2020``), which parses like a row of figures."""
    rest = MONTH_DAY.sub("", _ASIDE.sub(" ", PERIOD.sub("", line)))
    return bool(PERIOD.search(line)) and not re.search(r"\d", rest)


_ORDINAL = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth|1st|2nd|3rd|4th)\b(?:[- ]quarters?\b)?",
                      re.IGNORECASE)
_ORDINAL_NUMBER = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_QUARTER_NAME = ("First", "Second", "Third", "Fourth")
_QUARTER_HEADER = re.compile(rf"(?:(?:{_ORDINAL.pattern}|quarters?|total|(?:full |fiscal )?year)\s*)+",
                             re.IGNORECASE)
"""A header line of quarter names alone ("First Second Third Fourth", "Q1 Q2 Q3 Q4 Total"): no table's title."""


def is_quarter_header(line: str) -> bool:
    """A header line of quarter names alone ("First Second Third Fourth", "Q1 Q2 Q3 Q4 Total"): no table's
    title."""
    return bool(_QUARTER_HEADER.fullmatch(line) and re.search(r"quarter|" + _ORDINAL.pattern, line, re.IGNORECASE))


_YEAR_TOTAL = re.compile(r"\b(?:total|(?:full |fiscal )?year|annual)\b", re.IGNORECASE)


def quarterly_columns(columns: tuple[str, ...], header_lines: list[str], width: int) -> tuple[tuple[str, ...], int]:
    """The columns of a 10-K's quarterly data named by their quarters, and the index of the header line where
    the quarters' names begin (the title is above it). "2020" over "First Quarter Second Quarter Third Quarter
    Fourth Quarter" is ``First Quarter 2020`` ... ``Fourth Quarter 2020`` (read as one "2020" column, a
    quarter's figures were the year's, or none was read); "First Quarter ... Fourth Quarter" over ``2022 2021``
    under each is ``First Quarter 2022``, ``First Quarter 2021`` ...; a "Total" or "Year" column after the
    quarters is the year's. The year of one year's quarters is the one printed closest to their names, below
    them first ("2018:" over the rows; "Fiscal Year Ended January 31, 2020" above "Q1 Q2 Q3 Q4 Total"). ((), -1)
    when the header names no run of quarters in order (two or more), or the rows' figures are not as many as
    the columns so named."""
    starts, text = [], ""
    for line in header_lines:
        starts.append(len(text))
        text += " ".join(line.split()) + " "
    run: list[re.Match[str]] = []
    for m in _ORDINAL.finditer(text):  # the first run of quarters in order, printed side by side
        if run and _number(m) == _number(run[-1]) + 1 and not text[run[-1].end():m.start()].strip():
            run.append(m)
        elif len(run) < 2:
            run = [m]
    if len(run) < 2 or not (re.search(r"\bquarters?\b", text, re.IGNORECASE) or run[0].group(1)):
        return (), -1
    first = max(i for i, at in enumerate(starts) if at <= run[0].start())
    last = max(i for i, at in enumerate(starts) if at <= run[-1].start())
    quarters = [_QUARTER_NAME[_number(m) - 1] + " Quarter" for m in run]
    bare = [c for c in columns if re.fullmatch(r"(?:fiscal\s+|FY\s?)?(?:19|20)\d{2}", c, re.IGNORECASE)]
    if len(bare) == len(columns) == width and width % len(quarters) == 0 and width > len(quarters):
        group = width // len(quarters)  # each quarter over its years
        return tuple(f"{quarters[i // group]} {column}" for i, column in enumerate(columns)), first
    below = [text[run[-1].end():starts[last + 1] if last + 1 < len(starts) else None], *header_lines[last + 1:]]
    above = [text[starts[first]:run[0].start()], *reversed(header_lines[:first])]
    year = _nearest_year([*below, *above])
    total = bool(_YEAR_TOTAL.search(text[run[-1].end():]))
    if not year or width != len(quarters) + total:
        return (), -1
    return tuple([f"{q} {year}" for q in quarters] + (["Fiscal Year " + year] if total else [])), first


def _nearest_year(lines: Sequence[str]) -> str:
    """The year of the first of ``lines`` (the closest first) that prints one; "" when that line prints two."""
    for line in lines:
        years = set(re.findall(r"(?<![\d,.$])((?:19|20)\d{2})(?![\d,%])", line))
        if years:
            return years.pop() if len(years) == 1 else ""
    return ""


def quarters_ended(header_lines: list[str], width: int) -> tuple[tuple[str, ...], int]:
    """The columns of quarterly data printed as "Quarter Ended" (or "Three Months Ended") over each quarter's end
    without its year ("March 4 June 3 September 2 December 2") under or over the fiscal year ("2016"): ``Quarter
    Ended March 4, 2016`` ...
    A fiscal year that is not the calendar's prints "September 30 December 31 March 31 June 30" under "2023": the
    quarters before the year turned end in 2022. ((), -1) when the header is not so printed."""
    if not any(_QUARTER_SPAN.search(ln) for ln in header_lines):
        return (), -1
    for i, line in enumerate(header_lines):
        dates = MONTH_DAY.findall(line)
        if len(dates) == width >= 2 and only_dates(line):
            year = _nearest_year([*reversed(header_lines[:i]), *header_lines[i + 1:]])
            return (quarter_ends(dates, int(year)), i) if year else ((), -1)
    return (), -1


_QUARTER_SPAN = re.compile(r"\b(?:quarters?|(?:three|3)[- ]months?|(?:thirteen|13)[- ]weeks?)\s+ended\b", re.IGNORECASE)


def only_dates(line: str) -> bool:
    """A header line of dates without their years ("March 4 June 3 September 2 December 2"), which parses like
    a row of figures."""
    return bool(MONTH_DAY.search(line)) and not MONTH_DAY.sub("", line).replace(",", " ").strip()


def quarter_ends(dates: Sequence[str], year: int) -> tuple[str, ...]:
    """``Quarter Ended <date>, <year>`` for a fiscal year's quarter ends printed without years, in order, the last
    in ``year``."""
    out: list[str] = []
    for date in reversed(dates):
        month = _MONTH_NUMBER[date[:3].lower()]
        if out and month > _MONTH_NUMBER[out[-1].split()[2][:3].lower()]:
            year -= 1  # the year turned between this quarter and the next
        out.append(f"Quarter Ended {' '.join(date.split())}, {year}")
    return tuple(reversed(out))


_MONTH_NUMBER = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                             "nov", "dec"), start=1)}


_QUARTERLY_COLUMN = re.compile(r"(?:(?:First|Second|Third|Fourth) Quarter|Fiscal Year|"
                               r"Quarter Ended [A-Z][a-z]+\.? \d{1,2},) ((?:19|20)\d{2})")
_YEAR_SECTION = re.compile(r"(?:fiscal\s+(?:year\s+)?)?((?:19|20)\d{2})(?:\s+quarters?)?\s*:?\s*(?:\([^)]*\))?",
                           re.IGNORECASE)
"""A line that opens a year's rows in a quarterly table: "2016", "Fiscal 2016", "2019 Quarters", "2018:"."""


def _section_year(line: str) -> int | None:
    """The year a line that opens a year's rows names: "2016", "Fiscal 2016", "2018:", "Fiscal Year Ended January
    31, 2017" (a period and nothing else); None for any other line."""
    if m := _YEAR_SECTION.fullmatch(line):
        return int(m.group(1))
    if len(line) <= 60 and len(found := PERIOD.findall(line)) == 1 and only_periods(line) \
            and (year := re.search(r"(?:19|20)\d{2}", found[0])):
        return int(year.group(0))
    return None


def sectioned(columns: Sequence[str]) -> bool:
    """Whether ``columns`` are one year's quarters as ``quarterly_columns`` and ``quarters_ended`` name them (rows of
    other years may follow under year lines of their own: ``in_section``). Each quarter over two years ("First
    Quarter 2022", "First Quarter 2021", ...) is not: its rows are every year's."""
    if len(columns) < 2 or not all(_QUARTERLY_COLUMN.fullmatch(c) for c in columns):
        return False
    return len({c[-4:] for c in columns}) == 1 or all(c.startswith("Quarter Ended") for c in columns)


_LAST_YEAR = re.compile(r"((?:19|20)\d{2})$")


def one_year(columns: Sequence[str]) -> int | None:
    """The year of columns that name each its part of one year's figures (a segment note's "USCS 2022 | CS 2022 |
    ... | Consolidated 2022", ``column_groups.named``), whose other years' rows may follow under year lines of
    their own ("2021" / rows); None for other columns."""
    years = {m.group(1) if (m := _LAST_YEAR.search(c)) else "" for c in columns}
    if len(columns) < 2 or len(years) != 1 or "" in years or len(set(columns)) < len(columns):
        return None
    return int(years.pop())


def in_section(columns: tuple[str, ...], lines_above: Sequence[str]) -> tuple[str, ...]:
    """The columns of a row of a quarterly table with a year's rows under the next (``quarterly_columns``: "2017" /
    rows / "2016" / rows, under "First Quarter ... Full Year"), as the last year line above the row names them:
    ``First Quarter 2016`` below "2016"; quarters printed by their ends take the ends printed under that line
    ("2015" / "February 27 May 29 August 28 November 27"). ``columns`` as they are for any other table."""
    if sectioned(columns):
        year = int(_QUARTERLY_COLUMN.fullmatch(columns[-1]).group(1))  # type: ignore[union-attr]
    elif (year := one_year(columns)) is None:
        return columns
    for i in range(len(lines_above) - 1, -1, -1):
        if section := _section_year(lines_above[i].strip()):
            ends = next((d for ln in lines_above[i + 1:] if len(d := MONTH_DAY.findall(ln)) == len(columns)
                         and only_dates(ln)), None)
            if ends and columns[0].startswith("Quarter Ended"):
                return quarter_ends(ends, section)
            return tuple(_shifted(c, section - year) for c in columns)
    return columns


def _shifted(column: str, years: int) -> str:
    """``column`` with its (last) year moved by ``years``."""
    year = re.search(r"(?:19|20)\d{2}$", column)
    return f"{column[:year.start()]}{int(year.group(0)) + years}" if year else column


def _number(m: re.Match[str]) -> int:
    return int(m.group(1)) if m.group(1) else _ORDINAL_NUMBER[m.group(2).lower()]
