"""Which financial statement a question needs, and which passages are that statement.

Analysts' figure questions are answered from the primary statements: "based on the cash flow statement",
"what is the FY2022 gross margin" (revenue and cost of revenue: the income statement), "the quick ratio"
(the balance sheet). The words of such a question are spread over the whole filing (management's discussion
says "gross margin" more often than the income statement does), so without help the statement page ranks
below the prose that talks about it.

``wanted(question)`` names the statements a question needs: the ones it names ("cash flow statement",
"statement of financial position", "P&L"), else those that print the line items of the metric or the line
items it names (``answer.metrics``: gross margin -> income; the operating cash flow ratio -> cash and
balance). ``statement_of(heading)`` reads a passage's table title: "Consolidated Statements of Operations",
"Condensed Consolidated Balance Sheets", "Statements of Financial Position". Notes, MD&A tables and
"statements of comprehensive income" are none of them.

Nothing here names a company or a data set: these are the titles and captions of US GAAP and IFRS filings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from archivist.answer.metrics import LINE_ITEMS, METRICS, Metric
from archivist.retrieve.factmatch import words
from archivist.retrieve.focus import squash

STATEMENTS = ("income", "balance", "cash")

_TITLE = {
    "income": re.compile(r"\b(?:statements?\s+of\s+(?:consolidated\s+)?(?:income|operations|earnings)"
                         r"(?!\s+and\s+comprehensive)|income\s+statements?)\b", re.IGNORECASE),
    "balance": re.compile(r"\b(?:balance\s+sheets?|statements?\s+of\s+(?:consolidated\s+)?financial\s+"
                          r"(?:position|condition))\b", re.IGNORECASE),
    "cash": re.compile(r"\b(?:statements?\s+of\s+(?:consolidated\s+)?cash\s+flows?|cash\s+flows?\s+statements?)\b",
                       re.IGNORECASE),
}
"""A primary statement's title, as the top of its page prints it."""

STATEMENT_WORDS = ("statement", "balance sheet")
"""Words every primary statement's title contains (a cheap first filter in the store; ``statement_of`` decides)."""

_NAMED = {
    "income": re.compile(r"\b(?:income\s+statements?|statements?\s+of\s+(?:income|operations|earnings)|"
                         r"p\s?&\s?l|profit\s+and\s+loss)\b", re.IGNORECASE),
    "balance": re.compile(r"\b(?:balance\s+sheets?|statements?\s+of\s+financial\s+(?:position|condition))\b",
                          re.IGNORECASE),
    "cash": re.compile(r"\b(?:cash\s+flows?\s+statements?|statements?\s+of\s+cash\s+flows?)\b", re.IGNORECASE),
}
"""How a question names a statement."""

_TITLE_SPAN = 160
"""A title is looked for at the top of the passage's heading (its table title), not in the columns after."""


_NOT_PRIMARY = re.compile(
    r"\b(?:notes?\s+(?:to|\d+)|table\s+\d+|comprehensive|consolidating|parent\s+company|obligor|guarantor|guarantee|"
    r"registrant|"
    r"selected|summari[sz]ed|summary|supplemental|key|certain|components?|data|information|location|activity|"
    r"analysis|accounts|as\s+follows|reported\s+in|(?:in|on|within)\s+(?:our|the)|when)\b", re.IGNORECASE)
"""Words of a title that is about a statement, not the statement: a note ("Note 10 - Other consolidated balance
sheet components"), an MD&A table ("Key balance sheet data", "Selected income statement data"), a guarantor's
or the parent company's own statements, or a sentence leading into a table ("... as reported in the
consolidated statements of cash flows")."""


def statement_of(heading: str) -> str | None:
    """``income``, ``balance`` or ``cash`` when ``heading`` (a passage's table title) is that primary statement."""
    top = heading.split(" | ", 1)[0][:_TITLE_SPAN]
    if not top or _NOT_PRIMARY.search(top):
        return None
    return next((kind for kind in STATEMENTS if _TITLE[kind].search(top)), None)


_PAGE_TITLE_LINES = 4
"""A page's title is among its first lines (a company name may stand above it)."""


def page_statement(opening: str) -> str | None:
    """The primary statement a page is, by its title among the first lines of ``opening`` (its first
    passage's text): "CONSOLIDATED BALANCE SHEETS" -> ``balance``. None when no such line opens the page."""
    lines = [line.strip() for line in opening.split("\n") if line.strip()]
    rows = sum(bool(_ENDS_IN_FIGURE.search(line)) for line in lines[:_ROWS_LOOKED_AT])
    if rows < _MIN_ROWS:
        return None  # a title over prose ("BALANCE SHEET / Cash and cash equivalents include ...") is a note's
    for line in lines[:_PAGE_TITLE_LINES]:
        if _A_NOTE.search(line):
            return None  # "Note 14 — Supplemental Financial Information / Balance Sheet"
        if _title_line(line) and (kind := statement_of(line)):
            return kind
    return None


_ENDS_IN_FIGURE = re.compile(r"(?:\d|\d\)|—|–)\s*$")
_ROWS_LOOKED_AT = 16
_MIN_ROWS = 4
"""A statement's page is rows of figures: at least 4 of its first 16 lines end in one."""
_A_NOTE = re.compile(r"^\s*notes?\s+(?:\d+|to\b)", re.IGNORECASE)


def _title_line(line: str) -> bool:
    """A line that is a title, not a sentence mentioning one ("... recorded on the Consolidated Balance
    Sheets."): a few words, most of them capitalised, no full stop at the end."""
    words = line.split()
    capitalised = sum(w[0].isupper() or not w[0].isalpha() for w in words)
    return 0 < len(words) <= 12 and not line.endswith(".") and capitalised >= 0.75 * len(words)


def untitled(heading: str) -> bool:
    """Whether ``heading`` names no table of its own: none, the bare word "Table", or a row taken for a title
    (figures in it: "less reserves for credit losses: 2022, $3,747 ...")."""
    top = heading.split(" | ", 1)[0].strip()
    return not top or top.lower() == "table" or bool(re.search(r"\d", top))


_CORPORATE = re.compile(r"\b(?:inc|incorporated|corp|corporation|company|companies|co|plc|ltd|limited|llc|"
                        r"l\.?p|holdings|group|partners|trust|subsidiaries|s\.?a|n\.?v|ag|se)\b\.?", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"\b(?:exhibit|part|item|page|note)\s+[\dIVX]+(?:\.\d+)*[A-Z]?\b|\btable\s+of\s+contents\b|"
                         r"\bindex\b|^\s*\d+\s*$", re.IGNORECASE | re.MULTILINE)
_ISSUER_LINES = 3
"""Lines above a statement's title that may name whose statement it is."""


def issuer(opening: str) -> str | None:
    """The name a statement page prints with its title ("MGM RESORTS INTERNATIONAL AND SUBSIDIARIES",
    "CITYCENTER HOLDINGS, LLC"), from the page's first passage; None when none is printed (no corporate word
    such as Inc., LLC, Company or Subsidiaries near the title)."""
    lines = opening.split("\n")[:12]
    for i, line in enumerate(lines):
        found = next((m for kind in STATEMENTS if (m := _TITLE[kind].search(line))), None)
        if found is None:
            continue
        near = [*lines[max(0, i - _ISSUER_LINES):i], line[:found.start()], line[found.end():]]
        text = _NOT_A_NAME.sub(" ", " ".join(near))
        text = re.sub(r"\((?:in|dollars|amounts)\b[^)]*\)|\bconsolidated\b|\bcondensed\b", " ", text,
                      flags=re.IGNORECASE)
        return " ".join(text.split()) if _CORPORATE.search(text) else None
    return None


def same_issuer(name: str, entity_names: Sequence[str]) -> bool:
    """Whether ``name`` (``issuer``) is the document's own entity, as any of ``entity_names`` writes it: one
    contains the other once spaces and case are gone ("MGM Resorts International and Subsidiaries" and "MGM
    Resorts International"), or their names less the corporate words do."""
    mine = squash(name)
    core = squash(_CORPORATE.sub(" ", re.sub(r"\band\b", " ", name, flags=re.IGNORECASE)))
    for entity in entity_names:
        theirs, their_core = squash(entity), squash(_CORPORATE.sub(" ", entity))
        if any(len(k) >= 3 and (k in mine or (len(core) >= 3 and core in k)) for k in (theirs, their_core)):
            return True
    return False


NAMED_WEIGHT = 3.0
IMPLIED_WEIGHT = 2.0
"""How much the re-ranker's *statement* signal counts (the others count once each): the analyst's own "based on
the cash flow statement" is an instruction, a metric's statements an inference. Measured on FinanceBench dev
(benchmarks/RESULTS.md, section 9), page-level R@1/R@5/R@10 with the signal counting once .295/.718/.859;
twice .385/.731/.859; three times .423/.718/.846; 3 named and 2 implied .436/.731/.846."""


def weight(question: str) -> float:
    """How much the *statement* signal counts for ``question`` (1 when it needs no statement: the signal is
    then constant and without effect anyway)."""
    if any(pattern.search(question) for pattern in _NAMED.values()):
        return NAMED_WEIGHT
    return IMPLIED_WEIGHT if wanted(question) else 1.0


@lru_cache(maxsize=256)
def wanted(question: str) -> frozenset[str]:
    """The statements ``question`` needs (empty when it needs none in particular)."""
    named = {kind for kind in STATEMENTS if _NAMED[kind].search(question)}
    if named:
        return frozenset(named)
    have = _padded(question)
    metric = max(((len(n), m) for n, m in _metric_names() if n in have), key=lambda nm: nm[0],
                 default=(0, None))[1]
    items = _items(_padded(" ".join(metric.formulas)) if metric else have)
    return frozenset(LINE_ITEMS[key].statement for key in items if LINE_ITEMS[key].statement)


def line_items(text: str) -> set[str]:
    """The line items of ``answer.metrics`` that ``text`` names, a phrase inside a longer one aside ("total
    assets" is not named by "total current assets")."""
    return _items(_padded(text))


def _padded(text: str) -> str:
    return f" {' '.join(words(text))} "


@lru_cache(maxsize=1)
def _metric_names() -> tuple[tuple[str, Metric], ...]:
    return tuple((_padded(n), m) for m in METRICS for n in m.names if words(n))


@lru_cache(maxsize=1)
def _needles() -> tuple[tuple[str, str], ...]:
    """Every line item's phrases as padded words, longest first."""
    found = {(_padded(p), key) for key, item in LINE_ITEMS.items() for p in (key, *item.phrases) if words(p)}
    return tuple(sorted(found, key=lambda nk: (-len(nk[0]), nk)))


def _items(have: str) -> set[str]:
    """The line items named in ``have`` (space-padded words); a phrase inside a longer one found ("cash" in
    "operating cash flow") does not count."""
    kept: set[str] = set()
    for needle, key in _needles():
        at = have.find(needle)
        if at >= 0:
            kept.add(key)
            have = f"{have[:at]} {'#' * (len(needle) - 2)} {have[at + len(needle):]}"  # taken; neighbours kept
    return kept
