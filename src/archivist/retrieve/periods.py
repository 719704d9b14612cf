"""The period a calculation is asked for, and whether a table column prints it: a fiscal year, or a quarter, a
span shorter than a year, or a date inside the year.

"What is MGM's current ratio as of June 30, 2023?", "Amcor's net sales for the six months ended December 31,
2022", "Pfizer's net income in Q2 2023": a quarterly report prints quarters ("Three Months Ended June 30, 2023",
``3M Jun 2023`` in ``ingest.facts``), year-to-date spans and the quarter's balance sheet date beside the last
year end. Read as fiscal years, the first gave FY2023's label to a quarter-end balance and the second gave the
full year's net sales: a confident wrong answer.

A 10-Q's balance-sheet column "June 30, 2023" is stored as ``FY2023`` (a date names its year); it is no fiscal
year end when the file is a quarterly report and one of its quarters ends that month (``Calendar``): a question
about FY2023 never reads it, one about June 30, 2023 or Q2 2023 does. Which fiscal quarter ends when follows the
filer's year end, read from its quarterly reports' own names and periods (``FY2023 Q2``) or else from the month
its year-end columns print. Dates a few days into a month ("July 2, 2023" of a 52-53 week calendar) count as the
month before, as the filer means them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from archivist.ingest.facts import DATE, MONTH_ABBR, SPAN_WORDS, column_date, is_point, month_end, span_months

if TYPE_CHECKING:
    from pathlib import Path

    from archivist.index.factstore import FactRow
    from archivist.ingest.metadata import DocMeta

_NAME = r"\s*(?:fiscal(?:\s+year)?\s+|FY\s?'?)?"
_SPAN_ENDED = re.compile(SPAN_WORDS + r"|\b(quarter)", re.IGNORECASE)
_ENDED = re.compile(r"\s*(?:period\s+)?end(?:ed|ing)\s+(?:on\s+)?" + DATE.pattern, re.IGNORECASE)
_QUARTER = re.compile(rf"\bQ([1-4])\s*(?:of\s+)?{_NAME}((?:19|20)\d{{2}}|'?\d{{2}})\b|"
                      rf"\b(?:FY\s?|fiscal\s+(?:year\s+)?)?((?:19|20)\d{{2}})\s*Q([1-4])\b|"
                      rf"\b(first|second|third|fourth)\s+(?:fiscal\s+)?quarter\s+(?:of\s+)?{_NAME}((?:19|20)\d{{2}})\b",
                      re.IGNORECASE)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_TO_DATE = re.compile(rf"\b(?:first\s+(half|six\s+months|nine\s+months|three\s+months)|(H1))\s+(?:of\s+)?{_NAME}"
                      r"((?:19|20)\d{2})\b", re.IGNORECASE)
_POINT = re.compile(r"\b(?:as\s+of|as\s+at|at|on)\s+(?:the\s+end\s+of\s+)?" + DATE.pattern, re.IGNORECASE)
_INTERIM_FILE = re.compile(r"\bQ[1-3]\b|quarter ended", re.IGNORECASE)
_SPAN_PERIOD = re.compile(r"^(\d{1,2})M (?:([A-Z][a-z]{2}) )?((?:19|20)\d{2})$")


def _date_end(m: re.Match, at: int = 0) -> tuple[int, int]:
    """(year, month) a ``DATE`` match (its groups from ``at + 1``) closes."""
    month, day, year = m.group(at + 1), m.group(at + 2), m.group(at + 3)
    return month_end(int(year), MONTH_ABBR.index(month[:3].title()) + 1, int(day) if day else None)


@dataclass(frozen=True)
class Ask:
    """A period shorter than a fiscal year named by a question. ``months``: 3, 6 or 9 for a span, 0 for a date;
    ``end``: the (year, month) it ends, when the question prints it; else ``quarter`` of ``fiscal_year``."""

    months: int
    end: tuple[int, int] | None = None
    quarter: int | None = None
    fiscal_year: int | None = None
    said: str = ""


def asked_period(question: str) -> Ask | None:
    """The quarter, span or date ``question`` asks about, or None when it names fiscal years only."""
    for m in _SPAN_ENDED.finditer(question):
        if e := _ENDED.match(question, m.end()):
            months = span_months(m.group(1) or m.group(2) or m.group(3))
            return Ask(months, _date_end(e), said=" ".join(question[m.start():e.end()].split()))
    if m := _QUARTER.search(question):
        if m.group(1):
            q, year = int(m.group(1)), m.group(2).lstrip("'")
        elif m.group(4):
            q, year = int(m.group(4)), m.group(3)
        else:
            q, year = _ORDINAL[m.group(5).lower()], m.group(6)
        fy = int(year) if len(year) == 4 else 2000 + int(year)
        return Ask(3, quarter=q, fiscal_year=fy, said=f"Q{q} FY{fy}")
    if m := _TO_DATE.search(question):
        what = " ".join((m.group(1) or "half").lower().split())
        months = {"half": 6, "six months": 6, "nine months": 9, "three months": 3}[what]
        fy = int(m.group(3))
        said = {6: "first half", 9: "first nine months", 3: "first quarter"}[months]
        return Ask(months, quarter=months // 3, fiscal_year=fy, said=f"{said} of FY{fy}")
    if m := _POINT.search(question):
        return Ask(0, _date_end(m), said=" ".join(question[m.start(1):m.end()].split()))
    return None


def dates_asked(question: str) -> list[Ask]:
    """Each full date a question prints ("December 31, 2022", "June 30, 2023"), oldest first, as a date asked."""
    found = {_date_end(m): " ".join(m.group(0).split()) for m in DATE.finditer(question) if m.group(2)}
    return [Ask(0, end, said=said) for end, said in sorted(found.items())]


@dataclass(frozen=True)
class Calendar:
    """What the entity's facts say about its periods: which date columns are a quarter's end in a quarterly
    report (never a fiscal year's), the month of spans printed without one, and the month its years end."""

    interim_points: frozenset[int] = frozenset()
    """Fact ids of a quarterly report's columns dated at one of its quarters' ends."""
    span_month: Mapping[tuple[int, int], int] = field(default_factory=dict)
    """(file id, year) -> the month that file's dated spans of that year end (a 10-Q's "Three Months Ended 2023"
    under "Six Months Ended June 30, 2023")."""
    year_end: int | None = None
    """The month the entity's fiscal years end, as its year-end columns print it."""
    quarter_ends: Mapping[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    """(fiscal year, quarter) -> (year, month) it ends, from quarterly reports named so (``FY2023 Q2``)."""
    interim_ends: frozenset[tuple[int, int]] = frozenset()
    """The (year, month) quarterly reports' spans end: dates inside a fiscal year, never its end."""


def calendar(facts: Sequence[FactRow], documents: Mapping[int, tuple[Path, DocMeta]]) -> Calendar:
    """The ``Calendar`` of ``facts`` (one entity's), with their files' metadata."""
    interim = {fid for fid, (_p, meta) in documents.items()
               if meta.doc_type == "10-Q" or _INTERIM_FILE.search(meta.period)}
    span_ends: dict[int, set[tuple[int, int]]] = {}
    months: dict[tuple[int, int], set[int]] = {}
    for f in facts:
        if (m := _SPAN_PERIOD.match(f.period)) and int(m.group(1)) < 12 and (end := column_date(f.column)):
            span_ends.setdefault(f.file_id, set()).add(end)
            months.setdefault((f.file_id, end[0]), set()).add(end[1])
    points: set[int] = set()
    year_end: Counter[int] = Counter()
    for f in facts:
        if not is_point(f.column):
            if f.period.startswith("FY") and (end := column_date(f.column)) and re.search(r"\byears?\b|twelve|12",
                                                                                         f.column, re.IGNORECASE):
                year_end[end[1]] += 1  # "Year Ended December 31, 2022", "Twelve Months Ended June 30, 2023"
            continue
        end = column_date(f.column)
        if f.file_id in interim and end in span_ends.get(f.file_id, ()):
            points.add(f.id)
        elif end is not None:
            year_end[end[1]] += 1
    quarter_ends: dict[tuple[int, int], tuple[int, int]] = {}
    for fid in interim:
        m = re.search(r"FY((?:19|20)\d{2}) Q([1-4])", documents[fid][1].period)
        if m and span_ends.get(fid):
            quarter_ends[(int(m.group(1)), int(m.group(2)))] = max(span_ends[fid])
    return Calendar(frozenset(points), {k: next(iter(v)) for k, v in months.items() if len(v) == 1},
                    year_end.most_common(1)[0][0] if year_end else None, quarter_ends,
                    frozenset(e for fid in interim for e in span_ends.get(fid, ())))


@dataclass(frozen=True)
class Period:
    """What a calculation is worked for: a fiscal ``year`` (``months`` 12), a span of ``months`` 3, 6 or 9
    ending ``end``, or the date ``end`` (``months`` 0), with the ``label`` the answer shows; ``quarter``: the
    fiscal quarter of ``year`` a span of 3 months is, when asked so (a 10-K's "Fourth Quarter 2018" column)."""

    year: int
    months: int = 12
    end: tuple[int, int] | None = None
    label: str = ""
    calendar: Calendar = field(default_factory=Calendar, compare=False)
    quarter: int | None = None

    @property
    def interim(self) -> bool:
        return self.months != 12

    def shown(self) -> str:
        return self.label or f"FY{self.year}"

    def shifted(self, years: int) -> Period:
        """The same period ``years`` later (earlier when negative): the prior year's quarter for a growth rate."""
        if not years:
            return self
        if not self.interim:
            return replace(self, year=self.year + years, label="")
        end = (self.end[0] + years, self.end[1]) if self.end else None
        label = _describe(self.months, end, quarter=bool(self.quarter) and self.months == 3)
        if self.quarter and self.months == 3:
            label = f"Q{self.quarter} FY{self.year + years}" + (f" ({label})" if label else "")
        return replace(self, year=self.year + years, end=end, label=label)

    def prints(self, fact: FactRow, kind: str | None) -> bool:
        """Whether ``fact``'s column is of this period. ``kind``: ``balance`` (a balance at a date), ``flow``
        (over a span) or None (either)."""
        if not self.interim:
            return fact.period == f"FY{self.year}" and fact.id not in self.calendar.interim_points
        if self.quarter and self.months == 3 and kind != "balance" and fact.period == f"FY{self.year} Q{self.quarter}":
            return True  # a column named by its quarter ("Fourth Quarter 2018", "Q4 2018")
        if self.end is None:
            return False
        if kind != "flow" and is_point(fact.column):
            return column_date(fact.column) == self.end
        if kind == "balance" or not self.months:
            return False
        m = _SPAN_PERIOD.match(fact.period)
        if not m or int(m.group(1)) != self.months:
            return False
        end = column_date(fact.column)
        if end is None:  # "Three Months Ended 2023": the month of that file's other spans of the year
            year = int(m.group(3))
            month = self.calendar.span_month.get((fact.file_id, year))
            end = (year, month) if month else None
        return end == self.end


def _describe(months: int, end: tuple[int, int] | None, *, quarter: bool = False) -> str:
    """``6 months ended Dec 2022``, ``quarter ended Dec 2022``, ``end of Jun 2023``."""
    if end is None:
        return ""
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[end[1] - 1]
    if quarter:
        return f"quarter ended {month} {end[0]}"
    return f"{months} months ended {month} {end[0]}" if months else f"end of {month} {end[0]}"


def period_of(ask: Ask | None, years: Sequence[int], cal: Calendar, latest: int | None) -> Period | str | None:
    """The ``Period`` a question asks for (``ask``: ``asked_period(question)``; ``years``: the years it names;
    ``cal``: the entity's ``calendar``), or why it cannot be told (a first half of a year whose end is nowhere to
    be read), or None when no year is known."""
    if ask is None:
        year = max(years) if years else latest
        return None if year is None else Period(year, calendar=cal)
    end = ask.end
    if end is None:  # a quarter or a first half: when it ends follows the filer's year end
        fy, q = ask.fiscal_year or 0, ask.quarter or 4
        end = cal.quarter_ends.get((fy, q))
        if end is None and cal.year_end is not None:
            month = (cal.year_end - 1 + 3 * q) % 12 + 1
            end = (fy if month <= cal.year_end else fy - 1, month)
        if end is None and ask.months == 3:
            # Only columns named by that quarter can print it ("Fourth Quarter 2018" of a 10-K's quarterly data).
            return Period(fy, 3, None, ask.said, cal, quarter=q)
        if end is None:
            return (f"when the {ask.said} ended cannot be told: no quarterly report of it is indexed and no table of "
                    f"the company dates its year end. Ask by the dates ('the six months ended December 31, 2022'), "
                    f"or add the quarterly report")
        label = f"{ask.said} ({_describe(ask.months, end, quarter=ask.months == 3)})"
    else:
        label = ask.said
        if not ask.months and end not in cal.interim_ends:
            # A date that ends no quarter of a quarterly report is a year end: the fiscal year it closes.
            return Period(end[0], label="", calendar=cal)
    # A quarter is of the fiscal year named ("Q2 FY2023" ends December 2022 for a June year end): years named in
    # the question and in its formulas are counted from it.
    return Period(ask.fiscal_year or end[0], ask.months, end, label, cal, ask.quarter if ask.months == 3 else None)
