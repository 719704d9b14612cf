"""Which table row a formula's line item is, for the year asked: the operand of a computed answer.

Every row whose label reads as the item (``retrieve.factmatch``) is a candidate; the one that reads best in
the statement that prints the item wins, then the filing the question is about, a primary statement, the earlier
page, the total. A row of another kind of statement is never one (a balance is no row of a statement of flows),
a filer's name in a caption is no word of the item, and when two equally good rows disagree nothing is chosen:
``answer.compute`` then says so and shows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from archivist.answer.formula import Ref
from archivist.answer.metrics import LINE_ITEMS, LineItem
from archivist.ingest.column_groups import WHOLE, group_of
from archivist.retrieve.factmatch import MIN_SCORE, label_score, words
from archivist.retrieve.focus import core_name
from archivist.retrieve.statements import statement_of

if TYPE_CHECKING:
    from archivist.index.factstore import FactRow
    from archivist.retrieve.periods import Period

_PRIMARY = re.compile(r"consolidated|statements? of|balance sheets?", re.IGNORECASE)
_TOTAL = re.compile(r"total\b", re.IGNORECASE)


@dataclass(frozen=True)
class Operand:
    """A line item of the formula and the fact it was read from."""

    name: str
    period: str
    fact: FactRow
    amount: Decimal
    """The value as it enters the formula: scaled, and an outflow printed ``(1,577)`` as its magnitude."""

    @property
    def shown(self) -> str:
        """The figure as the table prints it, with the sign it enters with (an outflow without its parentheses,
        a benefit printed under "(expense)/benefit" with a minus): ``12,400``, ``-743``."""
        value = self.fact.value if self.fact.value is not None else Decimal(0)
        return commas(-abs(value) if self.amount < 0 else abs(value))


class MissingOperand(Exception):
    """No row of the period reads as the item, or two equally good rows disagree (``candidates``: the closest)."""

    def __init__(self, message: str, candidates: list[FactRow]) -> None:
        super().__init__(message)
        self.message, self.candidates = message, candidates


_SIGNED = re.compile(r"\((?:expense|provision|cost)s?\)\s*/?\s*(?:benefit|income|credit)|"
                     r"(?:benefit|income|credit)\s*/?\s*\((?:expense|provision|cost)s?\)", re.IGNORECASE)
"""A caption that says which sign is which: its parenthesised word is the negative one."""

_PERIOD_END = re.compile(r"\b(?:at|as of)?\s*end of (?:the )?(?:fiscal )?(?:year|period|quarter)\b", re.IGNORECASE)

_READS_WELL = 0.85
"""A label scoring this much reads as the item (a longer caption of it: "Research and development expense, net"
0.89 for "research and development")."""


def resolve(ref: Ref, asked: Period, facts: Sequence[FactRow], weights: Mapping[int, float]) -> Operand:
    """The fact ``ref`` names for its period (``asked``, or the year the formula names, or one a number of years
    before it): the best-matching label; then the statement that prints the item, the filing the question is
    about, a primary statement, the earlier page.

    Raises:
        MissingOperand: no row of that period reads as the item, or two equally good rows disagree.
    """
    key = ref.words.lower() if ref.words.lower() in LINE_ITEMS else item_in(ref.words)
    item = LINE_ITEMS.get(key or "")
    phrases = [ref.words, *(item.phrases if item else ())]
    period = asked.shifted(ref.period(asked.year) - asked.year)
    kind = None if item is None or not item.statement else "balance" if item.statement == "balance" else "flow"
    per_share = "per share" in ref.words.lower()
    ranked = []
    for f in facts:
        if f.value is None or (f.unit == "per share") != per_share or f.unit == "%":
            continue
        if (group := group_of(f.column)) and not WHOLE.match(group):
            continue  # a column of a segment's, a plan's or a component's figures: not the company's item
        label = _own_label(f.label, f.entity)
        score = label_score(label, phrases)
        if score < MIN_SCORE or _other_kind(item, f):
            continue
        if not period.prints(f, kind):
            ranked.append(((-1.0, score), f))
            continue
        statement = bool(item and item.statement and statement_of(f.title) == item.statement)
        # Between rows that read equally well as the item on the same page, the total is the item ("Total
        # revenues" over "Net sales", which it includes).
        # A row that reads well as the item in the statement that prints it wins over an exact label elsewhere:
        # "Research and development expense, net" of the income statement, not a segment's "Research and
        # development" in management's discussion.
        # Then the row that reads as the operand's own words ("net income attributable to" asked: "Net income
        # attributable to Acme" before "Net income", which reads as the item as well).
        own = round(label_score(label, [ref.words]), 2) if ref.words.lower() not in LINE_ITEMS else 0.0
        # Last, the row named by the item's more usual caption: "Total shareholders' equity" (the company's) before
        # "Total equity" (with noncontrolling interests), both printed on the balance sheet.
        usual = -next((i for i, p in enumerate(phrases) if label_score(label, [p]) >= score), len(phrases))
        ranked.append(((score >= _READS_WELL and statement, own, round(score, 2), statement,
                        round(weights.get(f.file_id, 0.0), 2),
                        bool(_PRIMARY.search(f.title)), -(f.page or 0), bool(_TOTAL.match(f.label)), usual), f))
    ranked.sort(key=lambda kf: kf[0], reverse=True)
    found = [(k, f) for k, f in ranked if k[0] != -1.0]
    if not found and period.interim and not period.months and kind == "flow":
        raise MissingOperand(f"{ref.words} is earned or spent over a span, not printed at a date: ask for the span "
                             f"(\"the three months ended {period.shown()}\").", [f for _k, f in ranked[:3]])
    if not found:
        raise MissingOperand(f"no {period.shown()} {ref.words} found.", [f for _k, f in ranked[:3]])
    best_key, best = found[0]
    rival = next((f for k, f in found[1:] if k == best_key and f.amount != best.amount), None)
    if rival is not None:
        raise MissingOperand(f"two {period.shown()} rows read as {ref.words} and disagree ({best.raw} and "
                             f"{rival.raw}).", [best, rival])
    amount = best.amount if best.amount is not None else Decimal(0)
    if item is not None and item.outflow:
        # "Income tax (expense)/benefit 743": printed positive, it is a benefit (a negative expense); otherwise an
        # expense printed "(411)" beside the rows it is deducted from is 411.
        amount = -amount if _SIGNED.search(best.label) else abs(amount)
    # A quarter's operand is named by its column as printed ("Six Months Ended December 31, 2022").
    return Operand(ref.words, best.column if period.interim else period.shown(), best, amount)


@lru_cache(maxsize=4096)
def _own_label(label: str, entity: str) -> str:
    """``label`` without the filer's name in it: "Total Walmart shareholders' equity" reads as "Total
    shareholders' equity" (the company's), as another filer's "Total shareholders' equity" does."""
    core = core_name(entity or "")
    if not core:
        return label
    name = r"\s+".join(re.escape(w.rstrip(".")) for w in core.split())
    bare = " ".join(re.sub(rf"(?<!\w){name}(?:['’]s)?(?!\w)", " ", label, flags=re.IGNORECASE).split())
    return bare or label


def _other_kind(item: LineItem | None, fact: FactRow) -> bool:
    """Whether ``fact``'s row cannot be ``item`` by the statement that prints it: a balance (debt, assets) is
    never a row of a statement of flows (the income statement's interest on "Debt"), save the balance a cash
    flow statement ends with ("Cash and cash equivalents at end of year"); nor a flow a balance sheet's row."""
    if item is None or not item.statement:
        return False
    printed_in = statement_of(fact.title)
    if printed_in is None or (item.statement == "balance") == (printed_in == "balance"):
        return False
    return not (item.statement == "balance" and _PERIOD_END.search(fact.label))


def commas(value: Decimal) -> str:
    return f"{value:,}"


def item_in(text: str) -> str | None:
    """The line item ``text`` names (the longest phrase of ``LINE_ITEMS`` in it), or None."""
    have = f" {' '.join(words(text))} "
    found = [(len(words(p)), key) for key, item in LINE_ITEMS.items() for p in (key, *item.phrases)
             if words(p) and f" {' '.join(words(p))} " in have]
    return max(found)[1] if found else None
