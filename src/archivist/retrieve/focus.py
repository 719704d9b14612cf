"""Which documents a question is about: the entities, periods and document types it names, matched to each
file's metadata (``ingest.metadata``).

"What is the FY2018 capital expenditure amount for 3M?" names an entity (3M) and a period (FY2018); in a folder
of filings, the right page of the wrong company's (or year's) filing is the worst answer an analyst can get.
The match is a ranking signal, never a filter (``in:`` and ``file:`` are the hard filters): each file gets a
weight in 0..1 that the retriever adds to fusion and the re-rank, and the answer says which documents it
favoured (``Focus.describe``), so the analyst can see and correct it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from archivist.ingest.metadata import DocMeta, period_years
from archivist.retrieve.periods import asked_period

_CORPORATE = frozenset("inc incorporated corp corporation company co plc ltd limited llc lp holdings group "
                       "international sa ag nv se the".split())
_WORD = re.compile(r"[\w&'’.-]+", re.UNICODE)
_YEAR = re.compile(r"\b(?:fy|fiscal(?: year)?\s*|year\s*)?'?((?:19|20)\d\d)\b", re.IGNORECASE)
_FY_SHORT = re.compile(r"\bfy\s?'?(\d\d)\b", re.IGNORECASE)
_QUARTER = re.compile(r"\bq([1-4])\b|\b(first|second|third|fourth)[- ]quarter\b", re.IGNORECASE)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_TYPES = (("10-K", re.compile(r"\b10-?k\b|\bannual report\b", re.IGNORECASE)),
          ("10-Q", re.compile(r"\b10-?q\b|\bquarterly report\b", re.IGNORECASE)),
          ("8-K", re.compile(r"\b8-?k\b", re.IGNORECASE)),
          ("earnings release", re.compile(r"\bearnings (?:release|report)\b|\bpress release\b", re.IGNORECASE)),
          ("proxy statement", re.compile(r"\bproxy\b", re.IGNORECASE)),
          ("memo", re.compile(r"\bmemo(?:randum)?\b", re.IGNORECASE)),
          ("minutes", re.compile(r"\bminutes\b", re.IGNORECASE)))
MAX_NGRAM = 5


def _ticker_like(name: str) -> bool:
    """Short capitals ("BA", "PEP") are matched only as written: as names they would meet common words ("Ba",
    "pep"). Longer capitals ("ADOBE", a file name's word) are names, matched in any case."""
    return name.isupper() and len(name) <= 3 and name.isalpha()


def squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def core_name(name: str) -> str:
    """An entity's name without its corporate words: "The Boeing Company" -> "Boeing", "Walmart Inc." ->
    "Walmart"; "" when nothing else is left."""
    return " ".join(w for w in re.split(r"[\s,]+", name.strip()) if w and squash(w) not in _CORPORATE)


@lru_cache(maxsize=4096)
def name_keys(name: str) -> frozenset[str]:
    """The forms of an entity name a question may use: as written, and without corporate words ("The Boeing
    Company" -> "theboeingcompany", "boeing"; "MGM Resorts International" -> "mgmresorts")."""
    words = [w for w in re.split(r"[\s,]+", name.strip()) if w]
    keys = {squash(name)}
    core = [w for w in words if squash(w) not in _CORPORATE]
    if core:
        keys.add(squash(" ".join(core)))
    return frozenset(k for k in keys if len(k) >= 2)


@dataclass(frozen=True)
class Focus:
    """What a question names and how well each file matches it.

    Attributes:
        weights: file id -> 0..1 (files absent match nothing the question names).
        entities: the entity names matched, as the metadata writes them.
        years: fiscal years named; quarter: the quarter named (1-4) or None; doc_types: document types named.
    """

    weights: dict[int, float] = field(default_factory=dict)
    entities: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    quarter: int | None = None
    doc_types: tuple[str, ...] = ()
    favoured: tuple[Path, ...] = ()
    """The best-matching files, best first (at most five): what the answer says it favoured."""

    def __bool__(self) -> bool:
        return bool(self.weights)

    def as_dict(self) -> dict:
        return {"entities": list(self.entities), "years": list(self.years), "quarter": self.quarter,
                "doc_types": list(self.doc_types), "documents": [str(p) for p in self.favoured]}

    def describe(self) -> str:
        """One line for the analyst: "Favoured: 3M Company, FY2018, 10-K (3M_2018_10K.pdf)"."""
        if not self:
            return ""
        named = [*self.entities, *(f"FY{y}" for y in self.years)]
        if self.quarter:
            named.append(f"Q{self.quarter}")
        named += list(self.doc_types)
        files = ", ".join(p.name for p in self.favoured[:3])
        more = f" and {len(self.favoured) - 3} more" if len(self.favoured) > 3 else ""
        return f"Favoured: {', '.join(named)} ({files}{more})"


def _ngrams(question: str) -> dict[str, bool]:
    """Squashed runs of 1-5 question words -> whether the run starts like a name (capital or digit)."""
    words = [w.strip(".-'’").removesuffix("'s").removesuffix("’s") for w in _WORD.findall(question)]
    words = [w for w in words if w]
    lowercase_question = question == question.lower()
    out: dict[str, bool] = {}
    for i in range(len(words)):
        for n in range(1, MAX_NGRAM + 1):
            if i + n > len(words):
                break
            key = squash(" ".join(words[i:i + n]))
            proper = lowercase_question or words[i][0].isupper() or words[i][0].isdigit()
            out[key] = out.get(key, False) or proper
    return out


def asked_years(question: str) -> tuple[int, ...]:
    years = {int(m.group(1)) for m in _YEAR.finditer(question)}
    years |= {2000 + int(m.group(1)) for m in _FY_SHORT.finditer(question)}
    if (ask := asked_period(question)) and ask.fiscal_year:
        years.add(ask.fiscal_year)  # a quarter written as one word: "Q22023", "Q2'23"
    return tuple(sorted(years))


def asked_quarter(question: str) -> int | None:
    if (ask := asked_period(question)) and ask.quarter:
        return ask.quarter
    m = _QUARTER.search(question)
    if not m:
        return None
    return int(m.group(1)) if m.group(1) else _ORDINAL[m.group(2).lower()]


def infer(question: str, documents: Mapping[int, tuple[Path, DocMeta]]) -> Focus:
    """Match ``question`` to ``documents`` (``Store.documents()``: file id -> (path, metadata))."""
    grams = _ngrams(question)
    tokens = {re.sub(r"['’]s$", "", w) for w in _WORD.findall(question)}
    entity_hit: dict[int, bool] = {}
    names: list[str] = []
    for fid, (_path, meta) in documents.items():
        hit = False
        for name in (meta.entity, *meta.aliases):
            if not name:
                continue
            if _ticker_like(name):  # a ticker: as written, a word of its own
                hit = name in tokens
            else:
                hit = any(grams.get(k) for k in name_keys(name))
            if hit:
                break
        entity_hit[fid] = hit
        if hit and meta.entity and meta.entity not in names:
            names.append(meta.entity)
    years = asked_years(question)
    quarter = asked_quarter(question)
    types = tuple(name for name, rx in _TYPES if rx.search(question))
    if not (names or years or types):
        return Focus()
    weights: dict[int, float] = {}
    for fid, (_path, meta) in documents.items():
        if names and not entity_hit[fid]:
            continue  # another company's filing: never favoured when the question names one
        score = _period_score(meta, years, quarter) * 0.25 + (0.15 if types and meta.doc_type in types else 0.0)
        score += 0.6 if names else 0.0
        if score > 0:
            weights[fid] = round(score, 3)
    best = sorted(weights, key=lambda f: (-weights[f], str(documents[f][0])))
    top = weights[best[0]] if best else 0.0
    favoured = tuple(documents[f][0] for f in best if weights[f] >= top - 1e-9)[:5]
    return Focus(weights, tuple(names), years, quarter, types, favoured)


def _period_score(meta: DocMeta, years: tuple[int, ...], quarter: int | None) -> float:
    """1 when the document covers the latest year asked (and the quarter, if one is asked); less for another
    year asked, or the next year's document (it restates the year asked as its comparative column)."""
    have = period_years(meta.period)
    if not years or not have:
        return 0.0
    latest = max(years)
    if latest in have:
        score = 1.0
    elif have & set(years):
        score = 0.7
    elif latest + 1 in have:
        score = 0.4
    else:
        return 0.0
    if quarter is not None:
        m = re.search(r"Q([1-4])", meta.period)
        score *= 1.0 if (m and int(m.group(1)) == quarter) else 0.6
    return score


def entity_mentions(question: str, documents: Mapping[int, tuple[Path, DocMeta]]) -> list[tuple[int, int]]:
    """Where ``question`` names an entity of ``documents``: (start, end) character spans, longest first
    where they overlap, in order (a follow-up replaces the previous question's mention with its own)."""
    keys: set[str] = set()
    tickers: set[str] = set()
    for _path, meta in documents.values():
        for name in (meta.entity, *meta.aliases):
            if name and _ticker_like(name):
                tickers.add(name)
            elif name:
                keys |= name_keys(name)
    words = list(_WORD.finditer(question))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        found = None
        for n in range(min(MAX_NGRAM, len(words) - i), 0, -1):
            run = words[i:i + n]
            text = question[run[0].start():run[-1].end()]
            bare = re.sub(r"['’]s$", "", text.strip(".-'’"))
            if (n == 1 and bare in tickers) or squash(bare) in keys:
                end = run[0].start() + len(text.rstrip(".-'’")) - (len(text.strip(".-'’")) - len(bare))
                found = (run[0].start(), end, n)
                break
        if found:
            spans.append(found[:2])
            i += found[2]
        else:
            i += 1
    return spans
