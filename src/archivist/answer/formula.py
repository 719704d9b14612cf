"""Formulas as analysts write them, parsed into an expression over line items and periods.

``cash from operations / total current liabilities``, ``FY2017 net income / (average total assets between
FY2016 and FY2017)``, ``total current assets divided by total current liabilities``, ``365 * (average accounts
payable between FY2019 and FY2020) / (FY2020 COGS + change in inventory between FY2019 and FY2020)``: words
name line items, ``+ - * / ^`` (and ``plus``, ``minus``, ``less``, ``times``, ``divided by``) combine them.
``average X`` is the mean of the year asked and the one before (or of the two years named), ``change in X``
the year asked less the one before, ``X@-1`` the year before the one asked, ``FY2016 X`` that year's.

``parse`` never looks anything up: each operand is a ``Ref`` (words and a period) that ``answer.compute``
resolves to a cited table fact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


class FormulaError(ValueError):
    """The text is not a formula this parser reads."""


@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Ref:
    """A line item of one period: ``year`` when the formula names it, else ``offset`` from the year asked."""

    words: str
    year: int | None = None
    offset: int = 0

    def period(self, asked: int) -> int:
        return self.year if self.year is not None else asked + self.offset


@dataclass(frozen=True)
class Bin:
    op: str
    left: Node
    right: Node


Node = Num | Ref | Bin

_WORD_OPS = ((r"\bdivided by\b", " / "), (r"\bover\b", " / "), (r"\bminus\b", " - "), (r"\bless\b", " - "),
             (r"\bplus\b", " + "), (r"\btimes\b", " * "), (r"\bmultiplied by\b", " * "), ("×", " * "), ("÷", " / "),
             ("−", " - "), (r"\s[–—]\s", " - "))
_TOKEN = re.compile(r"\s*(\(|\)|[+*/^]|(?<=\s)-(?=\s)|(?<=\))-|-(?=\s*\()"
                    r"|[^()+*/^]+?(?=\s*(?:[()+*/^]|\s-\s|\s-\(|$)))")
_YEAR = r"(?:fy|fiscal(?: year)?)?\s*'?((?:19|20)\d{2})"
_BETWEEN = re.compile(rf"\s+(?:between|from)\s+{_YEAR}\s+(?:and|to)\s+{_YEAR}\s*$", re.IGNORECASE)
_LEADING_YEAR = re.compile(rf"^(?:year[- ]end\s+)?{_YEAR}\s+", re.IGNORECASE)
_TRAILING_YEAR = re.compile(rf"\s+(?:in|for|of|at)?\s*{_YEAR}$", re.IGNORECASE)
_NOISE = re.compile(r"\[[^\]]*\]|\((?:from|in|per|as) [^)]*\)|\b(?:the|unadjusted|reported|year[- ]end)\b|"
                    r"\b(?:from|in|on) (?:the )?(?:cash flow statement|statement of cash flows|income statement|"
                    r"balance sheet|p&l(?: statement)?)\b", re.IGNORECASE)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def parse(text: str, names: Mapping[str, Node] | None = None) -> Node:
    """The expression ``text`` writes. ``names``: other definitions it may use by name (``DIO + DSO - DPO``).

    Raises:
        FormulaError: no operand, unbalanced parentheses, or an operator without an operand.
    """
    s = f" {text.strip().rstrip('.')} "
    s = _NOISE.sub(" ", s)
    for pattern, op in _WORD_OPS:
        s = re.sub(pattern, op, s, flags=re.IGNORECASE)
    tokens = [t.strip() for t in _TOKEN.findall(s) if t.strip()]
    if not tokens:
        raise FormulaError(f"no formula in {text!r}")
    parser = _Parser(tokens, {k.lower(): v for k, v in (names or {}).items()})
    node = parser.expression()
    if parser.i != len(tokens):
        raise FormulaError(f"cannot read {' '.join(tokens[parser.i:])!r} in {text!r}")
    return node


class _Parser:
    _LEVELS = (("+", "-"), ("*", "/"), ("^",))

    def __init__(self, tokens: list[str], names: dict[str, Node]) -> None:
        self.tokens, self.names, self.i = tokens, names, 0

    def expression(self, level: int = 0) -> Node:
        if level == len(self._LEVELS):
            return self.atom()
        node = self.expression(level + 1)
        while self.i < len(self.tokens) and self.tokens[self.i] in self._LEVELS[level]:
            op = self.tokens[self.i]
            self.i += 1
            node = Bin(op, node, self.expression(level + 1))
        return node

    def atom(self) -> Node:
        if self.i >= len(self.tokens):
            raise FormulaError("an operator without an operand")
        token = self.tokens[self.i]
        self.i += 1
        if token == "(":
            node = self.expression()
            if self.i >= len(self.tokens) or self.tokens[self.i] != ")":
                raise FormulaError("unbalanced parentheses")
            self.i += 1
            return node
        if token in (")", "+", "*", "/", "^"):
            raise FormulaError(f"unexpected {token!r}")
        if token == "-":  # a leading minus
            return Bin("-", Num(Decimal(0)), self.atom())
        return operand(token, self.names)


def operand(words: str, names: Mapping[str, Node] | None = None) -> Node:
    """One operand: a number, a definition used by name, or a line item of a period (``average``, ``change
    in``, a year before or after it, ``@-1``)."""
    w = " ".join(words.split()).strip(" ,:;")
    if _NUMBER.match(w):
        return Num(Decimal(w))
    if names and w.lower() in names:
        return names[w.lower()]
    offset = 0
    if m := re.search(r"@(-?\d+)$", w):
        offset, w = int(m.group(1)), w[:m.start()].strip()
    years: tuple[int, ...] = ()
    if m := _BETWEEN.search(w):
        years, w = (int(m.group(1)), int(m.group(2))), w[:m.start()].strip()
    average = re.match(r"^(?:the\s+)?average\s+(?:of\s+)?", w, re.IGNORECASE)
    change = re.match(r"^(?:the\s+)?(?:change|increase|decrease)\s+in\s+", w, re.IGNORECASE)
    if average or change:
        w = w[(average or change).end():]  # type: ignore[union-attr]
    year = None
    if m := _LEADING_YEAR.match(w):
        year, w = int(m.group(1)), w[m.end():]
    elif m := _TRAILING_YEAR.search(w):
        year, w = int(m.group(1)), w[:m.start()]
    w = w.strip(" ,:;")
    if not re.search(r"[a-z]", w, re.IGNORECASE):
        raise FormulaError(f"{words!r} names no line item")
    if average or change:
        first, second = (Ref(w, years[0]), Ref(w, years[1])) if years else \
            (Ref(w, None, offset - 1), Ref(w, year, offset) if year is not None else Ref(w, None, offset))
        if years == () and year is not None:
            first = Ref(w, year - 1)
        if average:
            return Bin("/", Bin("+", first, second), Num(Decimal(2)))
        return Bin("-", second, first)
    return Ref(w, year, offset)


def refs(node: Node) -> list[Ref]:
    """The line items of an expression, in order of appearance."""
    if isinstance(node, Ref):
        return [node]
    if isinstance(node, Bin):
        return refs(node.left) + refs(node.right)
    return []


_DEFINITION = re.compile(
    r"(?:^|[.?!:]\s+|\bdefine\s+)(?P<name>[\w&%()'’ /-]{1,60}?)\s+(?:here\s+)?(?:is|are)\s+(?:here\s+)?defined\s+as"
    r"\s*:?\s*(?P<expr>.+?)(?=\.\s+[A-Z]|\.?\s*$)"
    r"|\bdefine\s+(?P<name2>[\w&%()'’ /-]{1,60}?)\s+as\s+(?P<expr2>.+?)(?=\.\s+[A-Z]|\.?\s*$)",
    re.IGNORECASE)


def definitions(question: str) -> list[tuple[str, str, int]]:
    """(name, formula text, start offset) of each definition the question states, in order: ``ROA is
    defined as: ...``, ``Define working capital ratio as ...``, ``FCF here is defined as: ...``."""
    out = []
    for m in _DEFINITION.finditer(question):
        name = (m.group("name") or m.group("name2") or "").strip()
        expr = (m.group("expr") or m.group("expr2") or "").strip()
        name = re.sub(r"^(?:define|and|the|an?)\s+", "", name, flags=re.IGNORECASE).strip()
        if name and expr and re.search(r"[+*/^×÷]|\s-\s|\bdivided by\b|\bless\b|\bminus\b|\bplus\b", expr):
            out.append((name, expr, m.start()))
    return out


def clean_name(name: str) -> str:
    """A definition's or metric's name as compared: lower case, without ``unadjusted`` and articles; an
    abbreviation in parentheses is its own name (``free cash flow (FCF)`` -> ``free cash flow``)."""
    name = re.sub(r"\([^)]*\)", " ", name.lower())
    name = re.sub(r"\b(?:unadjusted|the|a|an|fy\d{2,4})\b", " ", name)
    return " ".join(name.split())
