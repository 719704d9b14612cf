"""Metric functions (pure, tested on hand-computed examples)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

KS = (1, 5, 10, 20)


def first_hit(relevant: Sequence[bool]) -> int | None:
    """0-based rank of the first relevant result, or None."""
    return next((i for i, r in enumerate(relevant) if r), None)


def recall_at(relevant: Sequence[bool], k: int) -> float:
    """1.0 when a relevant result is in the top ``k`` (the evidence was found), else 0.0."""
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[bool], k: int = 20) -> float:
    rank = first_hit(relevant[:k])
    return 0.0 if rank is None else 1.0 / (rank + 1)


def ndcg_at(relevant: Sequence[bool], k: int = 10, n_relevant: int | None = None) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts ``n_relevant`` (default: the number of relevant
    results seen, at least 1) relevant results first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(relevant[:k]) if r)
    ideal_n = max(1, n_relevant if n_relevant is not None else sum(relevant))
    idcg = sum(1.0 / math.log2(i + 2) for i in range(min(k, ideal_n)))
    return dcg / idcg if idcg else 0.0


_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "bn": 1e9}
_NUM = re.compile(r"(-?\(?\$?\s?\d[\d,]*(?:\.\d+)?\)?)(?:\s*(%|percent|thousand|million|billion|trillion|bn|k|m)"
                  r"(?![a-z]))?", re.IGNORECASE)


def numbers(text: str) -> list[float]:
    """Numbers in ``text``, normalised: thousands separators dropped, (1.2) = -1.2, scale words applied,
    percentages kept as their number."""
    out: list[float] = []
    for raw, unit_raw in _NUM.findall(text):
        s = raw.replace("$", "").replace(",", "").replace(" ", "")
        negative = s.startswith("(") and s.endswith(")")
        s = s.strip("()")
        try:
            value = float(s)
        except ValueError:
            continue
        if negative:
            value = -value
        unit = (unit_raw or "").lower()
        if unit in _SCALE:
            out.append(value * _SCALE[unit])
        out.append(value)
    return out


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def answer_matches(expected: str, got: str, rel_tol: float = 0.01) -> bool:
    """A short expected answer is in ``got``: every expected number appears (within 1%, or at another
    scale: 2.1 billion vs 2,100 million), and when the expected answer has no numbers, all its words do."""
    want = numbers(expected)
    if want:
        have = numbers(got)
        return all(any(math.isclose(w, h, rel_tol=rel_tol) or math.isclose(abs(w), abs(h), rel_tol=rel_tol)
                       for h in have) for w in want if w not in (0.0,))
    words = _words(expected) - {"the", "a", "an", "of", "and"}
    return bool(words) and words <= _words(got)
