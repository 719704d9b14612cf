"""Which stored table facts a phrase names: row labels scored against the phrase and the labels filings print
for it (``answer.metrics.LINE_ITEMS``, ``retrieve.glossary``).

"Total current liabilities" is printed as such; "revenue" as "Total revenues" or "Net sales"; "capex" as
"Purchases of property, plant and equipment". A label scores 1 when its words are a phrase's words
(``total`` aside: "Total revenues" is revenue), 0.9 when it starts with them ("Accounts receivable, net of
allowances of $7,293"; less for each further word, a tenth as much for the words of a "net of" qualifier), else
the share of words they have in common (Dice). ``search`` serves ``archivist facts``; ``answer.compute`` picks
operands with ``label_score``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from archivist.ingest.column_groups import group_of
from archivist.retrieve.focus import infer
from archivist.retrieve.glossary import expansions
from archivist.retrieve.periods import Period, asked_period, calendar, period_of
from archivist.retrieve.text import fold, stem

if TYPE_CHECKING:
    from archivist.index.factstore import FactRow
    from archivist.index.store import Store

_LIGHT = frozenset({"total", "totals"})
_GLUE = frozenset({"of", "and", "the", "a", "an", "to", "for", "in", "from", "on", "by"})
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)|\bfy\s?'?(\d{2})\b", re.IGNORECASE)
_PERIOD_WORDS = re.compile(r"\b(?:fy|fiscal(?: year)?)?\s*'?(?:19|20)\d{2}\b|\bfy\s?'?\d{2}\b", re.IGNORECASE)
_QUARTER_WORDS = re.compile(r"\bq[1-4]\b|\b(?:first|second|third|fourth)\s+(?:fiscal\s+)?quarter\b(?:\s+of\b)?",
                            re.IGNORECASE)
MIN_SCORE = 0.75
"""Below it a label is not the line item asked for: ``Other current liabilities`` scores 0.65 for ``total
current liabilities`` (a word the phrase lacks costs 0.15), so a missing total is never stood in for."""


def words(text: str) -> tuple[str, ...]:
    """A label's or phrase's stemmed words in order, ``total`` and punctuation aside."""
    # Not ``terms``: its stop words include "other", "before", "after", which tell line items apart.
    folded = fold(text.replace("&", " and ").replace("'", "").replace("’", ""))
    return tuple(stem(t) for t in re.findall(r"[a-z0-9]+", folded) if t not in _LIGHT and t not in _GLUE)


_QUALIFIER = re.compile(r"(?:,\s*|\s+)(?:net\s+of|less)\s.*$", re.IGNORECASE)
"""A caption's qualifier: "Trade accounts receivable, net of doubtful accounts and allowances - $52 and $57"."""


def label_score(label: str, phrases: Iterable[str]) -> float:
    """How well ``label`` reads as one of ``phrases`` (0..1; see the module's docstring). Words of a qualifier
    ("..., net of allowances of $7,293") cost a tenth of other extra words: the caption names the item first."""
    have = words(label)
    if not have:
        return 0.0
    qualifier = _QUALIFIER.search(label)
    named = words(label[:qualifier.start()]) if qualifier else have
    head = len(named)
    best = 0.0
    for phrase in phrases:
        want = words(phrase)
        if not want:
            continue
        if have == want:
            return 1.0
        if qualifier and named == want:  # "Total revenues net of interest expense" is revenue, so qualified
            best = max(best, 0.9 - 0.001 * (len(have) - head))
            continue
        if len(want) >= 2 and have[:len(want)] == want:
            extra = 0.01 * (head - len(want)) + 0.001 * (len(have) - head) if head >= len(want) \
                else 0.01 * (len(have) - len(want))
            best = max(best, 0.9 - extra)
            continue
        a, b = set(have), set(want)
        if len(b) >= 2 or a == b:
            best = max(best, 2 * len(a & b) / (len(a) + len(b)) - (0.15 if b - a else 0.0)
                       - (0.15 if a - b else 0.0))
    return best


def query_years(query: str) -> list[int]:
    return list(dict.fromkeys(int(m.group(1)) if m.group(1) else 2000 + int(m.group(2))
                              for m in _YEAR.finditer(query)))


def search(store: Store, query: str, *, limit: int = 50,
           glossary: Mapping[str, Sequence[str]] | None = None) -> list[tuple[float, FactRow]]:
    """Facts whose label matches ``query``'s words (and the glossary's line items for them), of the years and
    entities it names, and of the quarter, span or date when it names one ("Q4 2020": the fourth quarter's
    column, not the year's); best first. A query of only an entity and a year lists that filing's facts."""
    years = query_years(query)
    documents = store.documents()
    focus = infer(query, documents)
    facts = store.facts_in_periods([f"FY{y}" for y in years])
    if focus.entities:
        named = {fid for fid, (_p, meta) in documents.items() if meta.entity in focus.entities}
        facts = [f for f in facts if f.file_id in named]
    # A quarterly report's balance at its quarter end is listed by its date (the column), never as the fiscal
    # year the date falls in: "June 30, 2023" of a 10-Q is no FY2023 figure (``retrieve.periods``).
    cal = calendar(facts, documents)
    if isinstance(period := period_of(asked_period(query), years, cal, None), Period) and period.interim:
        facts = [f for f in facts if period.prints(f, None)]
    facts = [replace(f, period="") if f.id in cal.interim_points else f for f in facts]
    entity_words = {w for e in focus.entities for w in words(e)}
    bare = _QUARTER_WORDS.sub(" ", _PERIOD_WORDS.sub(" ", query))
    metric = " ".join(t for t in re.findall(r"[\w&'’-]+", bare) if not words(t) or words(t)[0] not in entity_words)
    phrases = [metric, *expansions(metric, glossary)] if metric.strip() else []
    scored = []
    for fact in facts:
        # A row of a group of columns is listed by the group's name too ("Service cost" of "Pension Benefits
        # 2020" for "pension service cost"; "Total" of "Capital Spending 2022" for "capital spending").
        label = f"{group} {fact.label}" if (group := group_of(fact.column)) else fact.label
        score = 1.0 if not phrases else label_score(fact.label, phrases) if not group else \
            max(label_score(fact.label, phrases), label_score(label, phrases))
        if score >= MIN_SCORE or (phrases and all(w in words(label) for w in words(metric))):
            scored.append((max(score, MIN_SCORE), fact))
    scored.sort(key=lambda sf: (-sf[0], str(sf[1].path), sf[1].page or 0, sf[1].line or 0))
    return scored[:limit]
