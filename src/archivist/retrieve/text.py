"""Word-level helpers shared by retrieval and grounding: terms, stop words, FTS5 query sanitising."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our
ours out over own same she should so some such than that the their theirs them then there these they this
those through to too under until up very was we were what when where which while who whom why will with would
you your yours give based using shown details question response relying please tell according
""".split())

_WORD = re.compile(r"\w+", re.UNICODE)


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
"""The combining diacritical mark blocks (what NFKD splits off Latin, Greek and Cyrillic letters)."""


def fold(text: str) -> str:
    """Lower-case and strip diacritics (matches FTS5's ``remove_diacritics 2``)."""
    if text.isascii():
        return text.lower()
    # A regex over the decomposed text, not a per-character Python test: PDF text is rarely pure ASCII
    # (dashes, curly quotes), and the re-rank folds 50 passages per question (~15 ms -> ~1 ms).
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text.lower()))


_MIXED = re.compile(r"[^\W\d_]+|\d+")


def terms(text: str) -> list[str]:
    """Content words of ``text`` (folded, stop words and 1-letter words dropped), in order.

    Words mixing letters and digits also yield their parts (``fy2015`` -> ``fy2015 fy 2015``) so a question's
    ``FY2015`` meets a filing's ``2015``; ``under_score`` names yield their words.
    """
    out: list[str] = []
    for word in _WORD.findall(fold(text)):
        for w in [word] + (_MIXED.findall(word) if not (word.isalpha() or word.isdigit()) else []):
            if w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
                out.append(w)
    return out


def fts_query(text: str) -> str | None:
    """A safe FTS5 MATCH expression for free text: each term quoted (so ``AND``, ``NEAR``, ``*``, quotes and
    brackets are plain words), OR-ed together for BM25 to rank. None when nothing searchable is left."""
    unique = list(dict.fromkeys(terms(text)))
    if not unique:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in unique[:64])


_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper so ``caused``/``cause`` and ``retained``/``retain`` meet (FTS5 uses Porter)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.isdigit():
            return word[: -len(suffix)]
    if word.endswith("e") and len(word) > 4:
        return word[:-1]
    return word


def coverage(query_terms: list[str], passage: str) -> float:
    """Share of distinct query terms found in ``passage`` (0..1), compared after light stemming."""
    wanted = {stem(t) for t in query_terms}
    if not wanted:
        return 0.0
    have = {stem(w) for w in set(_WORD.findall(fold(passage)))}
    return len(wanted & have) / len(wanted)
