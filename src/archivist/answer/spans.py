"""Which part of a passage supports an answer: the span the passage viewer highlights.

For each claim (an answer sentence citing the passage, or the question when nothing cites it) the passage
sentence sharing the largest share of the claim's content words is chosen, compared after the same light
stemming as grounding. Cheap and explainable: no model call, so the viewer opens instantly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from archivist.answer.grounding import strip_markers
from archivist.retrieve.text import stem, terms

# Inside a paragraph a sentence ends at . ! ? followed by space, or before a bullet on the next line.
_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n(?=\s*(?:[-*•]|\d+[.)]\s))")
_LINE = re.compile(r"[^\n]*\n?")
_QUOTES = "“”\"'"


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraphs (split at blank lines) and heading lines (``#``), as ranges of ``text``."""
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    for m in _LINE.finditer(text):
        if not m.group():
            break
        line = m.group().strip()
        if not line or line.startswith("#"):
            if start is not None:
                blocks.append((start, m.start()))
                start = None
            if line:
                blocks.append((m.start(), m.end()))
        elif start is None:
            start = m.start()
    if start is not None:
        blocks.append((start, len(text)))
    return blocks


def passage_sentences(text: str) -> list[tuple[int, int]]:
    """Character ranges ``(start, end)`` of the sentences (and heading lines) of ``text``, trimmed."""
    spans: list[tuple[int, int]] = []
    for a, b in _blocks(text):
        start = a
        for m in [*_BREAK.finditer(text, a, b), None]:
            end = m.start() if m is not None else b
            piece = text[start:end]
            if piece.strip():
                lead = len(piece) - len(piece.lstrip())
                spans.append((start + lead, start + len(piece.rstrip())))
            if m is not None:
                start = m.end()
    return spans


def _stems(text: str) -> set[str]:
    return {stem(t) for t in terms(text)}


def supporting_spans(passage: str, claims: Sequence[str], *, min_overlap: float = 0.25) -> list[tuple[int, int]]:
    """The ranges of ``passage`` that best support ``claims``, in passage order, without duplicates.

    Args:
        passage: the passage text, as stored.
        claims: answer sentences citing the passage (citation markers and quotes are ignored), or the question.
        min_overlap: a sentence sharing less than this share of a claim's content words is not highlighted.

    Returns:
        Character ranges into ``passage``; empty when no sentence shares enough words with any claim.
    """
    sentences = passage_sentences(passage)
    stems = [_stems(passage[a:b]) for a, b in sentences]
    chosen: set[tuple[int, int]] = set()
    for claim in claims:
        wanted = _stems(strip_markers(claim)[0].strip(_QUOTES))
        if not wanted:
            continue
        scores = [len(wanted & have) / len(wanted) for have in stems]
        if scores and max(scores) >= min_overlap:
            chosen.add(sentences[scores.index(max(scores))])
    return sorted(chosen)
