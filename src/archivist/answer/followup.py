"""Follow-up questions: "and in 2019?" or "what about PepsiCo?" after "What was 3M's FY2018 capital expenditure?"
carry the previous question's scope, so retrieval gets a whole question ("What was PepsiCo's FY2018 capital
expenditure?"). The rewritten question is always shown: the analyst sees what was asked and can ask it whole.

Only what the follow-up names changes: its entity replaces the previous one where the previous question named
it, its year replaces the previous years (a range shifts with it), its quarter the previous quarter. A
follow-up that names a new measure instead ("and the operating margin?") is asked about the previous
question's entity and period.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from archivist.ingest.metadata import DocMeta
from archivist.retrieve.focus import asked_quarter, asked_years, entity_mentions

_LEAD = re.compile(
    r"^\s*(?:(?:and|but|also|ok(?:ay)?|so|then)[\s,]+)?(?:(?:what|how)\s+about|same\s+(?:for|in)|the\s+same\s+for"
    r"|and\s+(?:for|in|of|at|during)?|also\s+(?:for|in))\s*", re.IGNORECASE)
_ANY_YEAR = re.compile(r"\bFY\s?'?(\d\d)\b|(?<!\d)((?:19|20)\d\d)(?!\d)", re.IGNORECASE)
_QUARTER = re.compile(r"\bQ[1-4]\b|\b(?:first|second|third|fourth)[- ]quarter\b", re.IGNORECASE)
_ORDINALS = ("first", "second", "third", "fourth")
_QUESTION_WORD = re.compile(r"(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|has|have"
                            r"|can|could|should|will|would|list|show|give|compare|explain|describe)\b", re.IGNORECASE)
MAX_WORDS = 8
"""A question this short that starts like a follow-up ("and in 2019?") is one; longer ones stand alone."""


@dataclass(frozen=True)
class FollowUp:
    """A follow-up rewritten as a whole question."""

    asked: str
    """What the analyst typed."""
    previous: str
    """The question it follows."""
    question: str
    """The whole question that was searched and answered."""

    def as_dict(self) -> dict:
        return {"asked": self.asked, "previous": self.previous, "question": self.question}


def looks_like_follow_up(question: str) -> bool:
    """Whether ``question`` reads as a follow-up (the terminal UI's chat decides by this; the CLI is told)."""
    return len(question.split()) <= MAX_WORDS and bool(_LEAD.match(question)) and bool(_LEAD.sub("", question))


def rewrite(question: str, previous: str, documents: Mapping[int, tuple[Path, DocMeta]]) -> FollowUp:
    """``question`` as a whole question in the scope of ``previous`` (``documents``: ``Store.documents()``)."""
    rest = _LEAD.sub("", question).strip().rstrip("?").strip()
    if not rest:
        return FollowUp(question, previous, previous)
    out = previous
    changed = False
    years = asked_years(rest)
    if years:
        replaced = _replace_years(out, max(years))
        changed |= replaced != out
        out = replaced
    quarter = asked_quarter(rest)
    if quarter and _QUARTER.search(out):
        out = _QUARTER.sub(lambda m: f"Q{quarter}" if m.group(0)[0] in "Qq" else f"{_ORDINALS[quarter - 1]} quarter",
                           out)
        changed = True
    elif quarter:
        out = f"{out.rstrip().rstrip('?')}, Q{quarter}?"
        changed = True
    new = entity_mentions(rest, documents)
    if new:
        name = rest[new[0][0]:new[0][1]]
        old = entity_mentions(out, documents)
        if old:
            for start, end in reversed(old):
                out = out[:start] + name + out[end:]
        else:
            out = f"{out.rstrip().rstrip('?')} for {name}?"
        changed = True
    if not changed:
        # A new measure: asked about what the previous question was about (its entity and period).
        scope = [previous[a:b] for a, b in entity_mentions(previous, documents)]
        scope += [m.group(0) for m in re.finditer(r"\b(?:FY\s?)?(?:19|20)\d\d\b", previous)]
        scope += [m.group(0) for m in _QUARTER.finditer(previous)]
        if not _QUESTION_WORD.match(rest):
            rest = f"What is {rest}"
        out = f"{rest} ({', '.join(dict.fromkeys(scope))})?" if scope else f"{rest}? (after: {previous})"
    return FollowUp(question, previous, out)


def _replace_years(text: str, latest: int) -> str:
    """Every year in ``text`` moved so the latest becomes ``latest`` ("FY2017 to FY2018" -> "FY2018 to FY2019");
    a question without a year gets "in FY<latest>"."""
    found = [2000 + int(m.group(1)) if m.group(1) else int(m.group(2)) for m in _ANY_YEAR.finditer(text)]
    if not found:
        return f"{text.rstrip().rstrip('?')} in FY{latest}?"
    shift = latest - max(found)
    return _ANY_YEAR.sub(lambda m: f"FY{2000 + int(m.group(1)) + shift}" if m.group(1)
                         else str(int(m.group(2)) + shift), text)
