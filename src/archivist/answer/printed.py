"""The filing's own printing of a computed figure, when it prints one: a second source for the analyst.

A computed answer (``answer.compute``) shows the figures it was worked from, each cited. Filings often print the
result too, in their own words: management's discussion says revenue "increased by $4.8 billion, or 101%", a
table of non-GAAP measures prints "Free cash flow 3,215.4". When the calculation's result is printed in the same
filing, for the same year and under the metric's own words, the answer cites that place as well: the analyst sees
the filing agree (or, when nothing is found, knows the figure is Archivist's arithmetic alone).

Found only where it reads unambiguously: the metric's words (its item's for a growth rate, with a word of change),
the year asked in the same sentence (or the row's column), and a figure equal to the result at the precision it
is printed with (``101%`` for 101.47%; ``3.2 billion`` is too coarse for 3,215.4 million). An average over years
or a single looked-up row is never searched for (the row already is the printed figure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from archivist.answer.metrics import LINE_ITEMS, METRICS
from archivist.ingest.facts import SCALES
from archivist.ingest.rows import parse_row
from archivist.retrieve.factmatch import words

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from archivist.answer.compute import Calculation
    from archivist.index.factstore import FactRow
    from archivist.index.rows import ChunkRow

_GENERIC = frozenset(words("rate ratio unadjusted reported annual year over yoy percent change growth as fy net"))
_NEVER = frozenset(words("average cagr compound"))
_CHANGED = frozenset(words("growth change"))
_CHANGE = re.compile(r"\b(?:increas|decreas|grew|grow|declin|rose|fell|up\b|down\b)", re.IGNORECASE)
_FIGURE = re.compile(r"(?<![\w.,])\(?\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\)?\s*(%|percent\b|per cent\b)?"
                     r"(?:\s*(thousand|million|billion)s?\b)?", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(\"“])")
_MOST_CHARS = 320


@dataclass(frozen=True)
class Printed:
    """Where the filing prints the result: the passage and the sentence or row (as printed)."""

    chunk_id: int
    text: str


def subject(name: str) -> tuple[list[list[str]], bool] | None:
    """The words a sentence must carry to speak of metric ``name`` (one list for each name the metric goes by:
    "fcf" is spoken of as "free cash flow"), and whether it must also speak of a change (a growth rate); None for
    a metric never searched for (an average over years)."""
    found = words(name)
    if not found or _NEVER & set(found):
        return None
    change = bool(_CHANGED & set(found))
    names = next((m.names for m in METRICS if any(words(n) == found for n in m.names)), (name,))
    alternatives = []
    for other in names:
        said = words(other)
        own = [w for w in said if w not in _GENERIC]
        if not change and len(own) < 2:  # "current ratio": "current" alone is in too many sentences
            own = [w for w in said if w not in _CHANGED]
        if own:
            alternatives.append(own)
    return (alternatives, change) if alternatives else None


def find(calc: Calculation, facts: Sequence[FactRow], chunks: Iterable[ChunkRow]) -> Printed | None:
    """The row or sentence of the operands' filing that prints ``calc``'s result, or None."""
    if len(calc.operands) < 2 or not re.fullmatch(r"FY\d{4}", calc.period) or calc.name in LINE_ITEMS:
        return None  # one row, or a line item worked from its parts (total debt): a sentence on a part would match
    said = subject(calc.name)
    if said is None:
        return None
    own, change = said
    year = calc.period[2:]
    kind, scale = _kind(calc.shown)
    files = {o.fact.file_id for o in calc.operands}
    used = {o.fact.id for o in calc.operands}
    for f in facts:  # a table's row: its column is the year ("Revenue 100.0%" of a common-size table is no growth)
        if f.file_id not in files or f.id in used or f.period != calc.period or f.value is None \
                or not _speaks(f.label, own, change):
            continue
        if (kind == "percent") == (f.unit == "%") and _equal(calc.result, f.raw, f.value, kind, scale, f.scale,
                                                             row=True):
            return Printed(f.chunk_id, f"{f.label} ({f.column}): {f.raw}")
    for chunk in chunks:  # a sentence that names the year
        if chunk.file_id not in files or year not in chunk.text:
            continue
        for sentence in _sentences(chunk.text):
            if year not in sentence or not _speaks(sentence, own, change):
                continue
            for m in _FIGURE.finditer(sentence):
                printed_unit = "%" if m.group(3) else ""
                if (kind == "percent") != (printed_unit == "%"):
                    continue
                raw = m.group(1) + (m.group(2) or "")
                if raw == year:
                    continue
                value = _decimal(raw)
                if value is not None and _equal(calc.result, raw, value, kind, scale,
                                                (m.group(4) or "").lower() + "s" if m.group(4) else ""):
                    return Printed(chunk.id, _excerpt(sentence, m.start()))
    return None


def _kind(shown: str) -> tuple[str, str]:
    if shown.endswith("%"):
        return "percent", ""
    m = re.search(r" (thousand|million|billion)$", shown)
    return ("amount", m.group(1) + "s") if m else ("number", "")


def _speaks(text: str, alternatives: list[list[str]], change: bool) -> bool:
    have = set(words(text))
    if not any(all(w in have for w in own) for own in alternatives):  # stemmed: "revenues" speaks of revenue
        return False
    return not change or bool(_CHANGE.search(text))


def _decimal(raw: str) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", "").strip("()$"))
    except InvalidOperation:
        return None


def _equal(result: Decimal, raw: str, value: Decimal, kind: str, scale: str, printed_scale: str,
           row: bool = False) -> bool:
    """Whether ``value`` (printed as ``raw``) is ``result`` rounded as printed, with enough digits to tell (a
    table's ``row`` of the metric, in the year's column, says more than a figure in a sentence: one digit more
    is asked of a sentence's)."""
    digits = re.sub(r"[^\d.]", "", raw)
    places = len(digits.split(".")[1]) if "." in digits else 0
    significant = len(digits.replace(".", "").lstrip("0"))
    if significant < (3 if kind == "amount" else 2) - row:
        return False
    value = abs(value)
    if kind == "amount" and printed_scale and scale and printed_scale != scale:
        factor = SCALES[printed_scale] / SCALES[scale]
        value, places_shift = value * factor, factor.adjusted()
        places -= places_shift
    half = Decimal(5) * Decimal(10) ** (-places - 1)
    return abs(abs(result) - value) <= half


def _sentences(text: str) -> list[str]:
    """A passage's table rows, one each, and its prose, sentence by sentence (wrapped lines joined)."""
    out: list[str] = []
    prose: list[str] = []
    for line in text.split("\n"):
        if parse_row(line) is not None:
            out.append(line)
            continue
        prose.append(line.strip())
    out += [s for s in _SENTENCE.split(" ".join(prose)) if s]
    return out


def _excerpt(sentence: str, at: int) -> str:
    """The sentence, cut around the figure when it is long."""
    text = " ".join(sentence.split())
    if len(text) <= _MOST_CHARS:
        return text
    start = max(0, min(at - _MOST_CHARS // 2, len(text) - _MOST_CHARS))
    return ("…" if start else "") + text[start:start + _MOST_CHARS].strip() + "…"
