"""Computed answers: a formula the question states or a standard metric it names, worked out from cited table
facts with exact decimal arithmetic.

"What was Gannet Logistics' gross margin in FY2025?" is answered ``42.5% = (12,400 - 7,130) / 12,400``, each
figure a fact of Gannet's filing (``index.factstore``) for FY2025, cited to the passage it was read from. A
135M model cannot do this arithmetic; nobody should have to trust that it did.

Never a guess: each operand must be a row of the right entity and period whose label reads as the line item
asked (``retrieve.factmatch``); when one is missing or two rows disagree, the answer says what could not be
found and shows the closest rows instead ("Cannot compute: no FY2016 total current liabilities found").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from pathlib import Path
from typing import TYPE_CHECKING

from archivist.answer.formula import Bin, FormulaError, Node, Num, Ref, clean_name, definitions, parse
from archivist.answer.metrics import LINE_ITEMS, LOOKUPS, METRICS, PARTS, Metric
from archivist.answer.operands import MissingOperand, Operand, commas, item_in, resolve
from archivist.retrieve.factmatch import query_years, words
from archivist.retrieve.figures import _NOT_A_FIGURE
from archivist.retrieve.periods import Period, asked_period, calendar, dates_asked, period_of
from archivist.retrieve.statements import line_items

if TYPE_CHECKING:
    from archivist.index.factstore import FactRow
    from archivist.ingest.metadata import DocMeta

_PLACES = re.compile(r"\bround(?:ed)?\b[^.?]*?\bto\s+(?:the\s+)?(one|two|three|four|zero|no|\d)\s+decimal", re.I)
_NUMBER_WORDS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4}
_UNIT = re.compile(r"\bin (?:usd |us\$ |\$ ?)?(thousands|millions|billions)\b", re.IGNORECASE)
_PERCENT = re.compile(r"\bpercent(?:s|age)?\b|%", re.IGNORECASE)
_SPAN = re.compile(r"\b(\d|two|three|four|five)[- ]year\b", re.IGNORECASE)
SCALE_OF = {"thousands": Decimal(10) ** 3, "millions": Decimal(10) ** 6, "billions": Decimal(10) ** 9}


@dataclass
class Calculation:
    """A worked answer: ``result`` (``shown`` as the question asks) = ``expression`` of ``operands``."""

    name: str
    period: str
    expression: str
    result: Decimal
    shown: str
    operands: list[Operand]

    def line(self) -> str:
        """``Gross margin, FY2025: 42.5% = (12,400 - 7,130) / 12,400``."""
        return f"{self.name[:1].upper()}{self.name[1:]}, {self.period}: {self.shown} = {self.expression}"


@dataclass
class Refusal:
    """Why a calculation the question asks for cannot be made, and the rows that came closest."""

    message: str
    candidates: list[FactRow] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    name: str
    nodes: tuple[Node, ...]
    kind: str
    lookup: bool = False
    item: str = ""
    """The line item a lookup reads (a key of ``LINE_ITEMS``)."""


def plan(question: str) -> _Plan | None:
    """What ``question`` asks to compute (its own formula, or a metric of ``answer.metrics``), or None."""
    if _NOT_A_FIGURE.search(question):
        return None
    defs = definitions(question)
    if _ASKS_A_NAME.search(question) and not defs:
        return None  # "For Pfizer, which region had the biggest drop in revenue?": a name, not the total's change
    asked = question[:defs[0][2]] if defs else question
    names: dict[str, Node] = {}
    parsed: list[tuple[str, Node]] = []
    for name, expr, _start in reversed(defs):  # later definitions are used by earlier ones (CCC = DIO + ...)
        try:
            node = parse(expr, names)
        except FormulaError:
            continue
        for key in {clean_name(name), name.lower(), *re.findall(r"\(([^)]+)\)", name.lower())}:
            names[key] = node
        parsed.insert(0, (clean_name(name), node))
    asked_words = f" {' '.join(words(asked))} "
    metric = _metric(asked)
    own = next(((n, node) for n, node in parsed if words(n) and f" {' '.join(words(n))} " in asked_words), None)
    # The question's own formula, unless the metric it names says more ("EBITDA less capex" where only EBITDA
    # is defined); a definition that names nothing asked is used when no metric is named either.
    if own is None and metric is None and parsed:
        own = parsed[0]
    if own is not None and (metric is None or not set(words(own[0])) < set(words(_named(metric, asked)))):
        kind = "percent" if _PERCENT.search(asked) else _kind(own[1])
        return _span(question, _Plan(own[0], (own[1],), kind))
    if _ADJUSTED.search(asked):
        # "Adjusted EBITDA", growth "excluding FX and one-off items": the company's own measure, printed where it
        # defines it, not a formula over the statements (the GAAP figure would be a confident wrong answer).
        return None
    if _PART.search(asked):
        # "the FLNA division's total assets", "the International segment's revenue": a part's figure, printed in
        # its note; the consolidated statements' would be a confident wrong answer.
        return None
    if metric is None:
        return _growth(question, asked) or _lookup(asked)
    nodes = tuple(parse(f, names) for f in metric.formulas)
    lookup = metric.formulas[0] in LOOKUPS
    return _span(question, _Plan(_named(metric, asked), nodes, metric.kind, lookup,
                                 metric.formulas[0] if lookup else ""))


_NEUTRAL = frozenset("s the its their a an of in for on at as by total overall annual yearly fiscal full year end "
                     "ending ended reported gaap unadjusted consolidated company companys group net what how much "
                     "many was were is are did does do has have had and or to from with".split())
"""Words a question may write before a line item's caption without naming another item ("Acme's FY2022 total
assets", "the annual capital expenditure")."""


def _qualified(asked: str, item: str, entities: Iterable[str] = ()) -> bool:
    """Whether the question writes a line item's caption after a word that makes it another item: "pension plan
    assets" or "the FLNA division's assets" are no total assets, "Biopharma depreciation" no company's
    depreciation (a year, a possessive, "total", "annual", the name of the company asked about and the like are
    no such words). A caption not written out ("Acme's pension plan assets" for "total assets"): the word before
    its word after "total"."""
    text = _plain(asked).split()
    neutral = _NEUTRAL | {w for e in entities for w in _plain(e).split()}
    entry = LINE_ITEMS.get(item)
    phrases = [_plain(p).split() for p in (item, *(entry.phrases if entry else ()))]
    spans = [(i, i + len(want)) for want in phrases for i in range(len(text) - len(want) + 1)
             if want and text[i:i + len(want)] == want]
    # A caption inside a longer one ("cash" of "cash and cash equivalents") is written as the longer one.
    starts = [a for a, b in spans if not any(c <= a and b <= d and (c, d) != (a, b) for c, d in spans)]
    if not starts and len(phrases[0]) == 2 and phrases[0][0] == "total" and phrases[0][1] in text:
        starts = [text.index(phrases[0][1])]  # "total assets" written "assets"
    # A possessive is neutral when it is the company's ("Acme's total assets"), not a part's or a brand's
    # ("Walmart International's operating income", "Sam's Club's net sales").
    return any(i and (_qualifier(text[i - 1], neutral) or text[i - 1] == "s" and i > 1
                      and _qualifier(text[i - 2], neutral | _CORPORATE)) for i in starts)


def _qualifier(word: str, neutral: frozenset[str] | set[str]) -> bool:
    """Whether ``word`` before a caption makes it another item: not a neutral word, a year, or a word of the
    filer's name its file name glues ("cola" of COCACOLA)."""
    return word not in neutral and not re.fullmatch(r"(?:fy|q[1-4])?\d+\w*", word) \
        and not (len(word) >= 3 and any(word in n for n in neutral - _NEUTRAL if len(n) >= 8))


_CORPORATE = frozenset("inc corp corporation co company companies ltd limited plc llc group holdings "
                       "firm business".split())


def _kind(node: Node) -> str:
    """``amount`` for sums and differences of line items (free cash flow), else ``ratio``."""
    if isinstance(node, Bin):
        return "ratio" if node.op in "/^" or "ratio" in (_kind(node.left), _kind(node.right)) else "amount"
    return "amount"


_PER_CENT = re.compile(r"%|\bpercentage\b|\bper\s*cent\b", re.IGNORECASE)
_SPENT_ON = re.compile(r"\b(?:expenses?|expenditures? on|spending|spend)\b(?=\s+(?:as|to|over|relative|divided))",
                       re.IGNORECASE)


def _said(text: str) -> str:
    """A metric name's words however a question puts it: "R&D expense as a percentage of revenue" is "r&d as a
    % of revenue" (% and percentage alike; the cost's "expense" before "as a % of" says nothing more)."""
    return f" {' '.join(words(_SPENT_ON.sub(' ', _PER_CENT.sub(' percent ', text))))} "


def _named(metric: Metric, asked: str) -> str:
    have = _said(asked)
    return max((n for n in metric.names if _said(n) in have), key=len, default=metric.names[0])


def _metric(asked: str) -> Metric | None:
    have = _said(asked)
    found = [(len(words(n)), len(n), m) for m in METRICS for n in m.names if _said(n) in have]
    # A line item read as printed is the one the question names, not one inside it: "total current assets"
    # holds the words of "total assets" ("total" is no word of a label).
    named = line_items(asked)
    found = [f for f in found if f[2].formulas[0] not in LINE_ITEMS or f[2].formulas[0] in named]
    return max(found, key=lambda x: (x[0], x[1]))[2] if found else None


_ADJUSTED = re.compile(r"(?<!un)\badjusted\b|\badj\.|\bnon[- ]?gaap\b|\borganic\b|\bcomparable\b|"
                       r"\bconstant[- ]currency\b|\bexclud(?:e|es|ing)\b|\bpro[- ]forma\b|\bunderlying\b|"
                       r"\breal (?:change|growth)\b", re.IGNORECASE)
_PART = re.compile(r"\b(?:segments?|divisions?|regions?|geograph(?:y|ies|ic)|reportable|business\s+units?|"
                   r"subsidiar(?:y|ies))\b", re.IGNORECASE)
"""A question about a part of the company (a segment, a division, a region), not the whole."""
_ASKS_A_NAME = re.compile(r"^\W*(?:(?:for|at|in|within)\s[^,?]{1,60},\s*)?(?:which|who|whom|where)\b", re.IGNORECASE)
_ASKS_AMOUNT = re.compile(r"\b(?:what\s+(?:is|was|were|are)|how\s+much)\b", re.IGNORECASE)
_ASKS_OTHER = re.compile(r"^\W*(?:which|who|why|when|where|does|did|do|is|are|was|were|has|have|had|can)\b",
                         re.IGNORECASE)


def _lookup(asked: str) -> _Plan | None:
    """One line item of a year, read as printed ("What is Walmart's FY2020 total current liabilities?"): the
    first caption of ``LINE_ITEMS`` the question writes out (the longest starting there), when it asks what an
    amount is, names a year and names no metric. Not found, the question is answered as any other."""
    if not query_years(asked) or _PERCENT.search(asked) or not _ASKS_AMOUNT.search(asked) \
            or _ASKS_OTHER.search(asked):
        return None
    text = f" {_plain(asked)} "
    # As written: a stem ("borrow") is no caption ("total borrowings"). The first caption named is the item
    # ("total revenues net of interest expense" is revenue), the longest of those starting there.
    found = [(text.find(f" {_plain(p)} "), -len(p), key, p) for key, item in LINE_ITEMS.items()
             for p in (key, *item.phrases) if f" {_plain(p)} " in text]
    if not found:
        return None
    _at, _length, item, phrase = min(found)
    # The caption as the question writes it ("net income attributable to"): the row that reads so comes first.
    nodes = tuple(Ref(phrase) if f == item else parse(f) for f in PARTS.get(item, (item,)))
    return _Plan(item, nodes, "amount", lookup=True, item=item)


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9&]+", text.lower()))


def _growth(question: str, asked: str) -> _Plan | None:
    """Year-over-year change or CAGR of a line item the question names (``from FY2015 to FY2016``)."""
    item = item_in(asked)
    if item is None:
        return None
    years = sorted(query_years(asked))
    if re.search(r"\bcagr\b|compound annual growth", asked, re.IGNORECASE) and len(years) >= 2:
        n = years[-1] - years[0]
        node = Bin("-", Bin("^", Bin("/", Ref(item, years[-1]), Ref(item, years[0])),
                            Bin("/", Num(Decimal(1)), Num(Decimal(n)))), Num(Decimal(1)))
        return _Plan(f"{n}-year {item} CAGR", (node,), "percent")
    if re.search(r"\b(?:growth|change|increase|decrease|yoy|year[- ]over[- ]year)\b", asked, re.IGNORECASE):
        old, new = (Ref(item, years[-2]), Ref(item, years[-1])) if len(years) >= 2 else (Ref(item, None, -1),
                                                                                        Ref(item))
        return _Plan(f"change in {item}", (Bin("/", Bin("-", new, old), old),), "percent")
    return None


def _span(question: str, p: _Plan) -> _Plan:
    """``FY2018 - FY2020 3 year average of X``: the mean of X over each year of the span."""
    years = sorted(query_years(question))
    if not (_SPAN.search(question) and re.search(r"\baverage\b", question, re.I) and len(years) >= 2):
        return p
    span = list(range(years[0], years[-1] + 1))

    def at(node: Node, year: int) -> Node:
        if isinstance(node, Ref):
            return node if node.year is not None else Ref(node.words, year + node.offset)
        if isinstance(node, Bin):
            return Bin(node.op, at(node.left, year), at(node.right, year))
        return node

    nodes = []
    for node in p.nodes:
        total: Node = at(node, span[0])
        for y in span[1:]:
            total = Bin("+", total, at(node, y))
        nodes.append(Bin("/", total, Num(Decimal(len(span)))))
    return _Plan(f"{len(span)}-year average {p.name}", tuple(nodes), p.kind)


# -- resolving and computing -----------------------------------------------------------------------------------

def compute(question: str, facts: Sequence[FactRow], documents: Mapping[int, tuple[Path, DocMeta]],
            weights: Mapping[int, float] | None = None) -> Calculation | Refusal | None:
    """Work out what ``question`` asks from ``facts`` (those of the entity asked about). ``weights``: how well
    each file matches the question (``retrieve.focus``), the tie-break between filings that print a row.

    Returns None when the question asks for no calculation (or a lookup that is not found: it is then
    answered as any other question)."""
    p = plan(question)
    # The names the filer asked about goes by (its facts' files' entity, aliases and file name), none other's:
    # another filer's "MGM Resorts International" makes no "Walmart International" the company.
    files = {f.file_id for f in facts}
    names = {f.entity for f in facts} | {f.path.stem.replace("_", " ") for f in facts}
    names |= {n for file_id, (_path, meta) in documents.items() if file_id in files
              for n in (meta.entity, *meta.aliases)}
    if p is None or p.lookup and _qualified(question, p.item, names):
        return None
    asked = period_of(asked_period(question), query_years(question), calendar(facts, documents), _latest(facts))
    if asked is None:
        return None if p.lookup else Refusal(f"Cannot compute {p.name}: no table figures of the entity asked about.")
    if isinstance(asked, str):
        return None if p.lookup else Refusal(f"Cannot compute {p.name}: {asked}.")
    return _worked(question, p, asked, facts, weights)


def trend(question: str) -> tuple[_Plan, tuple[int, ...]] | None:
    """A yes/no question about a metric's direction or sign, or a question how a ratio changed between two
    years, and the years that answer it: "Does Acme have an improving gross margin profile as of FY2017?"
    (FY2016 and FY2017), "Has Acme's quick ratio improved between FY2022 and FY2023?", "Does Acme have positive
    working capital based on FY2022 data?" (FY2022), "How much has Acme's effective tax rate changed between
    FY2021 and FY2022?". None for any other question. Only the question's own first sentence is read (not its
    "if the metric is not useful, explain why")."""
    first = re.split(r"(?<=[?.!])\s+", question.strip(), maxsplit=1)[0]
    years = sorted(query_years(first))
    if not years or _ADJUSTED.search(first):
        return None
    metric = _metric(first)
    if metric is None:
        return None
    if not _YES_NO.search(first):
        # "How much has Acme's effective tax rate changed between FY2021 and FY2022?", "How does its FY2022
        # effective tax rate compare to FY2021?": a ratio of each year (a growth rate or an amount is a metric of
        # its own: "change in operating income").
        if len(years) < 2 or not _COMPARED.search(first) or metric.kind == "amount" \
                or any("@-1" in f for f in metric.formulas):
            return None
        span = (years[0], years[-1])
    elif _DIRECTION.search(first):
        span = (years[0], years[-1]) if len(years) >= 2 else (years[-1] - 1, years[-1])
    elif _SIGN.search(first):
        span = (years[-1],)
    else:
        return None
    nodes = tuple(parse(f, {}) for f in metric.formulas)
    return _Plan(_named(metric, first), nodes, metric.kind, metric.formulas[0] in LOOKUPS), span


def compute_trend(question: str, facts: Sequence[FactRow], weights: Mapping[int, float] | None = None,
                  documents: Mapping[int, tuple[Path, DocMeta]] | None = None) -> list[Calculation] | None:
    """The metric of a ``trend`` question worked out for each of its years (oldest first; a quarter asked, that
    quarter of each year); None when it is no such question or a year cannot be computed (the question is then
    answered as any other)."""
    found = trend(question)
    if found is None:
        return None
    p, years = found
    cal = calendar(facts, documents or {})
    if len(dates := dates_asked(question)) >= 2:
        # "between December 31, 2022 and June 30, 2023": each date's balance sheet (a year end or a quarter's).
        periods = [period_of(d, [d.end[0]], cal, None) for d in dates if d.end]
    else:
        last = period_of(asked_period(question), [years[-1]], cal, None)
        periods = [last.shifted(year - years[-1]) if isinstance(last, Period) else None for year in years]
    out = []
    for period in periods:
        calc = _worked(question, p, period, facts, weights) if isinstance(period, Period) else None
        if not isinstance(calc, Calculation):
            return None
        out.append(calc)
    return out


_YES_NO = re.compile(r"^\W*(?:does|do|did|is|are|was|were|has|have|had)\b", re.IGNORECASE)
_DIRECTION = re.compile(r"\b(?:improv\w*|declin\w*|deteriorat\w*|increas\w*|decreas\w*|grow\w*|grew|trend\w*|"
                        r"worse\w*|better|expand\w*|contract\w*|shrink\w*|rising|falling)\b", re.IGNORECASE)
_SIGN = re.compile(r"\b(?:positive|negative)\b", re.IGNORECASE)
_COMPARED = re.compile(r"\bchang\w*\b|\bcompar\w*\b|\bdiffer\w*\b|\bmov(?:e|ed)\b", re.IGNORECASE)


def _worked(question: str, p: _Plan, asked: Period, facts: Sequence[FactRow],
            weights: Mapping[int, float] | None) -> Calculation | Refusal | None:
    """``p`` worked out for the period ``asked``: the first of its formulas whose operands are all found."""
    refusal: Refusal | None = None
    for node in p.nodes:
        operands: list[Operand] = []
        try:
            value = _evaluate(node, asked, facts, weights or {}, operands)
        except MissingOperand as missing:
            refusal = refusal or Refusal(f"Cannot compute {p.name}: {missing.message}", missing.candidates)
            continue
        except (DivisionByZero, InvalidOperation, ZeroDivisionError):
            refusal = Refusal(f"Cannot compute {p.name}: a divisor is zero.")
            continue
        twice = _one_row_twice(operands)
        if twice is not None:
            # "Short-term borrowings and current portion of long-term debt" reads as both: added twice it would
            # count the same debt twice. The next formula (without one of them) may read it once.
            refusal = refusal or Refusal(f"Cannot compute {p.name}: one row ({twice[0].fact.label}) reads as both "
                                         f"{twice[0].name} and {twice[1].name}.", [twice[0].fact])
            continue
        scales = {o.fact.scale for o in operands if o.fact.unit not in ("%", "per share")}
        if "" in scales and len(scales) > 1:
            # A table whose unit was not found beside one in millions: (411) / 1,797 million is no tax rate.
            unscaled = next(o.fact for o in operands if not o.fact.scale and o.fact.unit not in ("%", "per share"))
            scaled = next(o.fact for o in operands if o.fact.scale)
            refusal = Refusal(f"Cannot compute {p.name}: {unscaled.label} ({unscaled.raw}) is printed without a unit "
                              f"and {scaled.label} in {scaled.scale}.", [unscaled, scaled])
            continue
        return _finish(question, p, node, asked, value, operands)
    return None if p.lookup else refusal


def _one_row_twice(operands: Sequence[Operand]) -> tuple[Operand, Operand] | None:
    """Two operands of other line items read from one row (one fact), or None."""
    seen: dict[int, Operand] = {}
    for o in operands:
        first = seen.setdefault(o.fact.id, o)
        if first.name.lower() != o.name.lower():
            return first, o
    return None


def _latest(facts: Sequence[FactRow]) -> int | None:
    years = [int(f.period[2:6]) for f in facts if re.fullmatch(r"FY\d{4}", f.period)]
    return max(years) if years else None


def _evaluate(node: Node, asked: Period, facts: Sequence[FactRow], weights: Mapping[int, float],
              operands: list[Operand]) -> Decimal:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Ref):
        operand = resolve(node, asked, facts, weights)
        operands.append(operand)
        return operand.amount
    left = _evaluate(node.left, asked, facts, weights, operands)
    right = _evaluate(node.right, asked, facts, weights, operands)
    with localcontext() as ctx:
        ctx.prec = 28
        ctx.traps[DivisionByZero] = True
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            return left / right
        return left ** right


def _finish(question: str, p: _Plan, node: Node, asked: Period, value: Decimal, operands: list[Operand]) -> Calculation:
    kind = p.kind
    places_m = _PLACES.search(question)
    places = None
    if places_m:
        word = places_m.group(1).lower()
        places = _NUMBER_WORDS[word] if word in _NUMBER_WORDS else int(word)
    unit = _UNIT.search(question)
    if kind == "percent":
        result = value * 100
        shown_places = 1 if places is None else places
        shown = f"{_round(result, shown_places)}%"
    elif kind == "amount":
        scales = [o.fact.scale for o in operands if o.fact.scale]
        # Figures printed without a unit are shown as printed: "in USD millions" asked of 14,694 whose table's
        # unit was not read is not 0.01 million.
        scale = (unit.group(1).lower() if unit and scales else max(set(scales), key=scales.count) if scales
                 else "")
        result = value / SCALE_OF.get(scale, Decimal(1))
        shown_places = places if places is not None else (2 if unit or result != result.to_integral() else 0)
        word = {"thousands": " thousand", "millions": " million", "billions": " billion"}.get(scale, "")
        shown = f"{commas(_round(result, shown_places))}{word}"
    else:
        result = value
        shown = commas(_round(result, 2 if places is None else places))
    with_values = _render(node, iter(operands))
    return Calculation(p.name, asked.shown(), with_values, result, shown, operands)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places)) if places >= 0 else value


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}


def _render(node: Node, operands, parent: int = 0, right: bool = False) -> str:  # noqa: ANN001 - an iterator
    if isinstance(node, Num):
        return commas(node.value)
    if isinstance(node, Ref):
        return next(operands).shown
    level = _PRECEDENCE[node.op]
    text = f"{_render(node.left, operands, level)} {node.op} {_render(node.right, operands, level, True)}"
    return f"({text})" if level < parent or (right and level == parent) else text
