"""Analyst vocabulary: the words a question uses for a figure, and the words filings print for it.

An analyst asks for "capital expenditure"; the cash-flow statement says "Purchases of property, plant and
equipment". Neither BM25 nor a small embedder ties the two. Each entry below maps a term (and its common
abbreviations) to the line items that report it. Questions are expanded with them for keyword search, and
the table reader (``answer.figures``) matches row labels against them.

The list is general accounting vocabulary (US GAAP and IFRS statement captions), not any data set's answers.
Teams add their own terms in ``config.toml``::

    [retrieval.glossary]
    "net revenue retention" = ["NRR", "dollar-based net retention rate"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from archivist.retrieve.text import fold

GLOSSARY: dict[str, tuple[str, ...]] = {
    "capital expenditure": ("capex", "capital expenditures", "capital spending",
                            "purchases of property, plant and equipment", "purchases of property and equipment",
                            "additions to property, plant and equipment", "additions to property and equipment",
                            "payments for property, plant and equipment", "capital investments"),
    "revenue": ("revenues", "net revenue", "net revenues", "total revenues", "net sales", "total net sales"),
    "cost of goods sold": ("cogs", "cost of sales", "cost of revenue", "cost of revenues", "cost of products sold",
                           "cost of goods sold"),
    "gross profit": ("gross margin", "gross income"),
    "operating income": ("operating profit", "income from operations", "operating earnings", "ebit"),
    "net income": ("net earnings", "net profit", "profit for the year", "net income attributable"),
    "operating cash flow": ("cash from operations", "cash flow from operations", "cash from operating activities",
                            "net cash provided by operating activities", "net cash from operating activities",
                            "cash generated from operations"),
    "free cash flow": ("fcf",),
    "selling, general and administrative": ("sg&a", "sga", "selling, general and administrative expenses",
                                            "selling and administrative expenses"),
    "research and development": ("r&d", "research and development expense", "research and development expenses"),
    "depreciation and amortization": ("d&a", "depreciation, depletion and amortization"),
    "earnings per share": ("eps", "diluted earnings per share", "basic earnings per share",
                           "net income per share", "earnings per common share"),
    "dividends": ("dividends paid", "cash dividends", "dividends declared", "payments of dividends"),
    "share repurchases": ("buybacks", "stock repurchases", "repurchases of common stock",
                          "purchases of treasury stock", "repurchase of common stock"),
    "total debt": ("total borrowings", "long-term debt", "short-term debt", "notes payable"),
    "cash and cash equivalents": ("cash and equivalents",),
    "property, plant and equipment": ("pp&e", "ppe", "ppne", "property and equipment", "fixed assets",
                                      "property, plant and equipment, net", "property and equipment, net"),
    "accounts receivable": ("trade receivables", "accounts receivable, net"),
    "accounts payable": ("trade payables", "trade accounts payable"),
    "inventory": ("inventories", "merchandise inventories"),
    "total current assets": ("current assets",),
    "total current liabilities": ("current liabilities",),
    "shareholders equity": ("stockholders equity", "total equity", "shareholders' equity", "stockholders' equity",
                            "total shareholders' equity", "total stockholders' equity"),
    "interest expense": ("interest costs", "interest expense, net"),
    "income tax": ("provision for income taxes", "income tax expense", "income taxes"),
    "ebitda": ("earnings before interest, taxes, depreciation and amortization", "adjusted ebitda"),
    # The sections of an annual report a plain-words question means.
    "legal proceedings": ("legal battles", "lawsuits", "litigation", "legal matters", "legal disputes"),
    "business combinations": ("acquisitions", "acquired companies", "companies acquired"),
    "geographic areas": ("geographies", "geographic regions", "geographic information"),
}
"""term -> the phrases filings use for it. A question names a term by any of them (words in order); one
common word alone ("cash", "sales") names nothing, or every question about cash would search for its balance."""


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z0-9&]+", fold(text)))


def expansions(question: str, extra: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """The phrases ``question`` implies beyond its own words: for each glossary term or alias it contains,
    the term and its other aliases (``capex`` -> ``capital expenditure``, ``purchases of property, plant and
    equipment``, ...). Empty when it names none."""
    have = f" {' '.join(_words(question))} "
    out: list[str] = []
    table = dict(GLOSSARY)
    for term, aliases in (extra or {}).items():
        table[term.lower()] = (*table.get(term.lower(), ()), *aliases)
    for term, aliases in table.items():
        group = (term, *aliases)
        named = [_padded(p) in have for p in group]
        if any(named):
            out += [p for p, n in zip(group, named, strict=True) if not n and p not in out]
    return out


@lru_cache(maxsize=4096)
def _padded(phrase: str) -> str:
    words = _words(phrase)
    return f" {' '.join(words)} " if words else "\0"  # an empty phrase names nothing
