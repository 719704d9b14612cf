"""The figure a question asks for, read off a table row of the retrieved passages, with its period and unit.

"What was Gannet Logistics' capital expenditure in FY2025?" is answered by one cell: the FY2025 column of the
row "Purchases of property, plant and equipment (1,577) (1,373)" under "(in millions)". Quoting sentences
cannot find it (a row is not a sentence) and a 135M model cannot read it off reliably. Here the rows of the
first passages (kept with their table's title, unit and columns by ``ingest.tables``) are matched against
the question's metric (its words, and the glossary's line items for them) and period; the cell is the answer's
lead, cited to its passage, and shown as printed (parentheses are the statement's negative sign).

A question that asks for a ratio, a margin or a change is not answered with one of its operands: only a row
whose label names that derived measure itself can lead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from archivist.ingest.column_groups import WHOLE, group_of, in_sections, periods_of
from archivist.ingest.facts import chunk_facts, column_date, column_period, is_point, one_a_period
from archivist.ingest.quarterly import in_section
from archivist.ingest.rows import read_rows, without_mark
from archivist.ingest.tables import split_heading
from archivist.retrieve.factmatch import words
from archivist.retrieve.glossary import GLOSSARY, expansions
from archivist.retrieve.periods import asked_period
from archivist.retrieve.text import stem, terms

if TYPE_CHECKING:
    from archivist.retrieve.hybrid import Hit

_YEAR = re.compile(r"(?:(?<=fy)|(?<=fy )|(?<![\w]))((?:19|20)\d{2})(?!\d)", re.IGNORECASE)
_SHORT_FY = re.compile(r"\bfy\s?'?(\d{2})\b", re.IGNORECASE)
_NOT_A_FIGURE = re.compile(
    r"^\s*(?:does|do|did|is|are|was there|were there|has|have|had|can|could|should|will|would|why|explain|describe|"
    r"summari[sz]e|what (?:caused|drove|were the (?:main|key|major)|are the (?:main|key|major)|is the nature|"
    r"industry|kind|type)|how (?:did|does|has|have|is|are|was|were) (?!much|many))",
    re.IGNORECASE)
_DERIVED = ("ratio", "margin", "growth", "change", "turnover", "conversion", "yield", "return", "percent",
            "percentage", "average", "days", "per", "proportion", "share", "rate", "multiple", "coverage",
            "plus", "minus", "sum", "difference", "divided", "compute", "calculate", "combined")
"""Words naming a measure computed from others: a row must name it too to answer (no operand as the answer)."""
_ARITHMETIC = re.compile(r"\w\s*[+/×÷*−]\s*\w|\w\s[-–]\s\w|%|\bpercent|\bdefined as\b|\bformula\b",
                         re.IGNORECASE)
"""A question that writes out a calculation or asks for a percentage is answered by computing, not by a cell."""
_GENERIC = frozenset(terms("fy fiscal year years quarter amount value figure total usd dollars million millions "
                           "billion billions thousand thousands round answer decimal place places company report "
                           "reported statement statements according provide what how much many in units unit "
                           "basis end ended q1 q2 q3 q4 annual"))
MIN_MATCH = 0.67
"""Share of a label's words (and of the metric's) that must meet: below it a row is not the one asked for."""


@dataclass(frozen=True)
class Figure:
    """A cell that answers the question: ``value`` in ``column`` of the row ``label`` of passage ``hit``."""

    hit: int
    """0-based index into the hits it was read from."""
    label: str
    value: str
    column: str
    unit: str
    title: str
    line: int | None
    match: float

    def lead(self) -> str:
        """The answer's first sentence: ``(1,577) million in FY2025: Purchases of property, plant and equipment``."""
        unit = {"thousands": " thousand", "millions": " million", "billions": " billion"}.get(self.unit, "")
        return f"{self.value}{unit} in {self.column}: {self.label}"


def question_years(question: str) -> list[str]:
    """The years a question names (``FY2018``, ``fiscal 2018``, ``FY18`` -> ``2018``), in order."""
    years = [m.group(1) for m in _YEAR.finditer(question)]
    years += ["20" + m.group(1) for m in _SHORT_FY.finditer(question)]
    return list(dict.fromkeys(years))


def asks_for_figure(question: str) -> bool:
    """Whether ``question`` asks for one figure of a period (not yes/no, not why or how, not a list, not a
    calculation written out)."""
    return bool(question_years(question)) and not _NOT_A_FIGURE.search(question) \
        and not _ARITHMETIC.search(question)


def _metric_stems(question: str, entity_words: set[str]) -> set[str]:
    return {stem(t) for t in terms(question) if t not in _GENERIC and not t.isdigit() and stem(t) not in entity_words
            and not re.fullmatch(r"fy\d+|q[1-4]", t)}


_NAME_WORD = re.compile(r"(?<![.?!:]\s)(?<!^)(?<![\w'’&.-])([A-Z][a-z][\w&-]*)")
"""A capitalised word inside a sentence ("Optical" of "Corning's Optical Communications net sales"), not its
first word; an acronym (EBITDA, PPNE, U.S.) is no name."""
_PLAIN_WORDS = frozenset(stem(t) for t in terms(
    " ".join(f"{k} {' '.join(v)}" for k, v in GLOSSARY.items()) +
    " statement statements balance sheet sheets income cash flow flows consolidated operations operating "
    "comprehensive equity earnings shareholders stockholders annual report form fiscal year quarter quarterly "
    "company corporation inc group holdings gaap non adjusted unadjusted net gross total free fixed asset assets "
    "liabilities revenue revenues expense expenses interest tax taxes profit loss margin ratio sales cost costs "
    "capital working debt dividend dividends share shares stock january february march april may june july "
    "august september october november december first second third fourth full half q1 q2 q3 q4 us usd"))
"""Words a question may capitalise that name a line item, a statement or a period, not a part of a company."""


def named_parts(question: str, entity: set[str]) -> set[str]:
    """The stems of the names a question writes that are neither the company's nor a line item's, a statement's or
    a period's words: "Optical Communications" of "Corning's Optical Communications net sales", "Sam's Club". A
    figure that answers it is printed under those names (its row, its column's group, its table's title)."""
    found = {stem(t) for m in _NAME_WORD.finditer(question) for t in terms(m.group(1))}
    return {w for w in found if w not in entity and w not in _PLAIN_WORDS and w not in _GENERIC
            and not any(w in e for e in entity if len(e) >= 8)}  # "Coca-Cola" of COCACOLA_2017_10K


_ACRONYM = re.compile(r"(?<![\w.&])[A-Z][A-Z&]{1,5}(?![\w.&])")
_MEASURES = frozenset("""gaap ebit ebitda ebitdar eps fcf capex cogs sga sg&a r&d d&a ppe ppne pp&e roa roe roic roce
    dpo dso dio ccc ttm ltm yoy qoq usd us uk eu fy ceo cfo nopat ocf opex ar ap nim nii bps ytd mtm fx""".split())
"""Acronyms that name a measure, a unit or a period, not a part of a company."""


def named_acronyms(question: str, hits: Sequence[Hit]) -> list[str]:
    """The acronyms a question writes that the passages print as names (a segment's "USCS", a division's "FLNA"),
    not a measure's ("EBITDA", "PPNE") nor a ticker the filing never prints in its tables."""
    found = {a for a in _ACRONYM.findall(question) if a.lower() not in _MEASURES and a.lower() not in _PLAIN_WORDS}
    return sorted(a for a in found if any(re.search(rf"(?<![\w&]){re.escape(a)}(?![\w&])",
                                                    f"{h.chunk.heading}\n{h.chunk.text}") for h in hits))


def _match(label: str, wanted: set[str], *, generic: bool = True) -> float:
    """The Dice overlap of ``label``'s words and ``wanted``; ``generic=False`` leaves out the words a question's
    metric never has ("Total" of "Capital Spending Total", a total row under its group's name)."""
    have = {stem(t) for t in terms(label) if generic or t not in _GENERIC}
    if not have or not wanted:
        return 0.0
    common = len(have & wanted)
    return 2 * common / (len(have) + len(wanted))


def find_figure(question: str, hits: Sequence[Hit], *, passages: int = 4,
                glossary: Mapping[str, Sequence[str]] | None = None) -> Figure | None:
    """The best cell for ``question`` among the table rows of the first ``passages`` hits, or None.

    A row qualifies when its label matches the question's metric (or one of the glossary's line items for
    it) by ``MIN_MATCH``, its table has a column for the year asked, and a derived measure the question asks
    for (a ratio, a margin, a change) is named by the label too.
    """
    if not asks_for_figure(question):
        return None
    # A figure from a document the question does not name, while it names another one among the passages
    # ("... for PepsiCo?" and PEPSICO_2021_10K), is another company's or period's: never the lead.
    # Which documents it names: the question's focus on the files' metadata (``retrieve.focus``), else the
    # share of a file name's words it mentions.
    top = hits[:passages]
    named = {i: hit.focus for i, hit in enumerate(top)} if any(h.focus for h in top) else \
        {i: _names(question, hit) for i, hit in enumerate(top)}
    best: Figure | None = None
    printed = named_acronyms(question, top)
    for i, hit in enumerate(hits[:passages]):
        if any(named.values()) and not named[i]:
            continue
        figure = figure_in(question, hit, i, glossary, printed)
        if figure is not None:
            figure = replace(figure, match=figure.match - 0.05 * i)  # further down the ranking counts less
            if best is None or figure.match > best.match:
                best = figure
    return best


def _column(question: str, year: str, columns: Sequence[str]) -> int | None:
    """The column of the period asked: a quarter's, a span's or a date's when the question names one (``Six
    Months Ended June 30, 2023`` for "the first half of 2023"), else the fiscal year's, never a quarter's or a
    span's of that year (a 10-Q's "Three Months Ended March 31, 2023" answers no FY2023 question). Of columns in
    groups (``Pension Benefits 2020``, ``Other Benefits 2020``) or named each (``Digital Media Fiscal 2022``,
    ``Total Fiscal 2022``), the one whose name the question says most of; when it says none, the total's, else
    none: a segment's or a plan's figure is not the company's."""
    found = _columns_of(question, year, columns)
    if len(found) < 2:
        return found[0] if found else None
    asked = set(words(question))  # "other" kept: "Other Benefits" is not "Pension Benefits"
    said = {j: len(asked & set(words(group_of(columns[j])))) for j in found}
    if max(said.values()) == 0:
        return next((j for j in found if not group_of(columns[j]) or WHOLE.match(group_of(columns[j]))), None)
    return max(found, key=lambda j: (said[j], -j))


def _columns_of(question: str, year: str, columns: Sequence[str]) -> list[int]:
    ask = asked_period(question)
    out = []
    for j, column in enumerate(columns):
        period = column_period(column)
        if ask is None:
            found = period == f"FY{year}" or not period and year in column
        elif not ask.months:  # a date: the balance printed at it
            found = is_point(column) and column_date(column) == ask.end
        elif ask.quarter and ask.months == 3 and period == f"FY{ask.fiscal_year} Q{ask.quarter}":
            found = True  # a column named by its quarter ("Fourth Quarter 2020")
        elif not period.startswith(f"{ask.months}M "):
            found = False
        elif ask.end and (end := column_date(column)):
            found = end == ask.end
        else:  # a quarter asked by name, or a column without its month: the span of that year
            found = period.endswith(str(ask.end[0] if ask.end else year))
        if found:
            out.append(j)
    return out


def _names(question: str, hit: Hit) -> float:
    """Share of the words of the passage's file name (years and short words aside) that the question names."""
    words = {stem(t) for t in terms(hit.chunk.path.stem.replace("_", " ").replace("-", " "))
             if not t.isdigit() and len(t) > 2 and not re.fullmatch(r"(?:fy|q[1-4])?\d+\w*|10k|10q|8k", t)}
    return len(words & {stem(t) for t in terms(question)}) / len(words) if words else 0.0


def figure_in(question: str, hit: Hit, index: int = 0,
              glossary: Mapping[str, Sequence[str]] | None = None, printed: Sequence[str] = ()) -> Figure | None:
    """The best cell of one passage for ``question`` (``find_figure``'s rules), or None. ``printed``: the
    question's acronyms the passages print (``named_acronyms``), parts of the company as its names are."""
    title, unit, columns = split_heading(hit.chunk.heading)
    if not columns:
        return None
    years = question_years(question)
    if not years:
        return None
    quarterly = in_sections(columns)
    periods = periods_of(columns)
    asked_col = _column(question, years[0], columns)
    if asked_col is None and not quarterly and not periods:
        return None  # no column of the period asked (nor other years' rows of a quarterly table under them)
    entity = {stem(t) for t in terms(hit.chunk.path.stem.replace("_", " "))}
    # The filer's name as the question writes it ("American Water Works'" of AMERICANWATERWORKS_2020_10K.pdf):
    # its capitalised words that the passage's context header names (which begins with the filer's name).
    named = {stem(t) for t in terms(hit.chunk.prefix.split(" > ")[0])}
    entity |= {s for w in re.findall(r"\b[A-Z][\w&'’.-]*", question) for t in terms(w) if (s := stem(t)) in named}
    if {w for w in named if not re.fullmatch(r"(?:fy|q[1-4])?\d*\w*\d\w*|fy|q[1-4]|k|q", w)} <= entity:
        # The header names the filer by its file name's word alone (no fuller name read from its pages): a name the
        # question writes around that word is the filer's ("Gannet Logistics'" of GANNET_2025_10K.pdf, whose
        # header is "GANNET 10-K FY2025"), for all anyone can tell.
        for run in re.findall(r"\b[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*)*", question):
            if (stems := {stem(t) for t in terms(run)}) & entity:
                entity |= stems
    metric = _metric_stems(question, entity)
    parts = named_parts(question, entity) | {stem(t) for a in printed for t in terms(a)} - entity
    trail = hit.chunk.heading.rsplit(" > ", 1)[0] if " > " in hit.chunk.heading else ""  # not the columns' names
    where = {stem(t) for t in terms(f"{trail} {title}")} if parts else set()
    phrases = [metric] + [{stem(t) for t in terms(p)} for p in expansions(question, glossary)]
    asked = {stem(t) for t in terms(question)}
    derived = {stem(w) for w in _DERIVED if stem(w) in asked}
    best: Figure | None = None
    lines = hit.chunk.text.split("\n")
    for offset, read in read_rows(hit.chunk.text):
        row = without_mark(read, len(columns))
        row_columns, col = columns, asked_col
        if quarterly and (row_columns := in_section(columns, lines[:offset])) != columns:
            col = _column(question, years[0], row_columns)  # the rows of a year line's year
        if len(row.cells) != len(columns) and (bare := one_a_period(read, periods)) is not None:
            row, row_columns = bare, periods_of(row_columns)
            col = _column(question, years[0], row_columns)
        if len(row.cells) != len(row_columns):
            continue  # a row that does not fill the columns cannot be tied to them
        if col is None:
            continue
        if derived - {stem(t) for t in terms(row.label)}:
            continue
        score = max(_match(row.label, p) for p in phrases)
        if group := group_of(row_columns[col]):
            # A row under a group of columns is read with the group's name: "Total" or "FLNA" under "Capital
            # Spending 2022" is capital spending (the division's), "Service cost" under "Pension Benefits 2022"
            # the pension plans'.
            score = max(score, *(_match(f"{group} {row.label}", p, generic=False) for p in phrases))
        if score < MIN_MATCH or (best is not None and score <= best.match):
            continue
        if parts - where - {stem(t) for t in terms(f"{group_of(row_columns[col])} {row.label}")}:
            continue  # a part the question names ("Walmart International", "Cash App") the row is not printed under
        c = hit.chunk
        # Blank lines are not kept in a passage: the offset is the source line only when none were cut.
        whole = c.line_start is not None and c.line_end is not None and \
            c.line_end - c.line_start + 1 == len(c.text.split("\n"))
        line = c.line_start + offset if whole else None
        best = Figure(index, row.label, row.cells[col], row_columns[col], unit, title, line, score)
    return best


def row_reading(hit: Hit, line: str) -> str:
    """A quoted table row read with its columns, as its facts are stored (``ingest.facts``): ``2022: 18,992.8;
    2021: 18,127.0; in millions`` for "Net sales $ 18,992.8 $ 18,127.0", ``Pension Benefits 2020: 31, 2019: 28;
    Other Benefits 2020: 4, 2019: 4`` for "Service cost 31 28 4 4" under groups of columns; "" when ``line`` gives
    no facts of ``hit``'s table (a quoted row had been a run of figures nobody could tie to a year)."""
    _title, _unit, columns = split_heading(hit.chunk.heading)
    offset = next((k for k, ln in enumerate(hit.chunk.text.split("\n")) if ln.strip() == line.strip()), None)
    if not columns or offset is None:
        return ""
    facts = [f for f in chunk_facts(hit.chunk.text, hit.chunk.heading) if f.offset == offset]
    if len(facts) < max(2, len(columns) / 2) or len({f.label for f in facts}) != 1:
        return ""  # a row two rows were glued into, or one that fills few of its columns
    parts = []
    for k, f in enumerate(facts):
        group = group_of(f.column)
        when = f.column[len(group):].strip() if group and f.column.startswith(group) else f.column
        same = k and group_of(facts[k - 1].column) == group
        parts.append(("" if not k else ", " if same and group else "; ") +
                     (f"{when}: {f.raw}" if same or not group else f"{group} {when}: {f.raw}"))
    units = {f.unit or f.scale for f in facts} - {"%"}
    unit = next(iter(units)) if len(units) == 1 else ""
    return "".join(parts) + (f"; {unit}" if unit == "per share" else f"; in {unit}" if unit else "")
