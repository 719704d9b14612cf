"""What kind of answer a question expects, and which sentences carry one (issue "The answer on the screen", 6).

"What caused the outage?" is answered by a sentence that gives a cause ("The direct cause was the failure of
pump CWP-2"), "How long ...?" by one that states a duration, "When ...?" by one with a date. Such a sentence
often shares few words with the question (the question's subject is in the passage's title, not in the
sentence), so word coverage and cosine alone prefer a sentence that repeats the subject and answers nothing.
The extractive answer adds a bonus to the quote candidates that carry the expected kind
(``answer.service.quote_scores``). Amounts asked of a table are the figure reader's (``retrieve.figures``).

Plain English patterns, no per-document rules; a question of no recognised kind changes nothing.
"""

from __future__ import annotations

import re

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
          r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?")
_UNIT = r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|quarters?)"

_ASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cause", re.compile(r"(?:^|[,;]\s*|\band\s+)why\b"
                         r"|\bwhat\s+(?:was\s+|were\s+|is\s+|are\s+)?(?:the\s+)?(?:root\s+|main\s+|primary\s+)?"
                         r"(?:caused?|causes|reasons?|led\s+to|drove|drives|triggered|behind)\b"
                         r"|\b(?:caused|triggered)\s+by\s+what\b|\breasons?\s+for\b", re.IGNORECASE)),
    ("duration", re.compile(r"\bhow\s+long\b|\bduration\b|\bhow\s+many\s+" + _UNIT + r"\b", re.IGNORECASE)),
    ("date", re.compile(r"^\W*when\b|\b(?:what|which)\s+(?:date|day|month|year)\b|\bon\s+what\s+date\b",
                        re.IGNORECASE)),
    ("percentage", re.compile(r"\bpercent(?:age)?\b|%|\bwhat\s+share\b", re.IGNORECASE)),
    ("count", re.compile(r"\bhow\s+many\b", re.IGNORECASE)),
    ("amount", re.compile(r"\bhow\s+much\b|\bwhat\s+(?:is|was)\s+the\s+(?:\w+\s+){0,3}(?:cost|price|amount|cap|"
                          r"limit|budget|fee|value)\b", re.IGNORECASE)),
    ("person", re.compile(r"^\W*who\b|\bwhich\s+(?:person|employee|manager|engineer|officer)\b", re.IGNORECASE)),
)

_CARRIES: dict[str, re.Pattern[str]] = {
    # A cause stated, not named: "the direct cause was ...", not "this report describes the root cause".
    "cause": re.compile(r"\b(?:because|due\s+to|caused\s+by|causes?\s+(?:was|were|is|are)|as\s+a\s+result\s+of"
                        r"|resulted\s+from|results\s+from|driven\s+by|thanks\s+to"
                        # "Net income attributable to PepsiCo" is a statement line (whose income), not a cause.
                        r"|owing\s+to|(?<!income\s)(?<!loss\s)(?<!earnings\s)(?<!losses\s)attributable\s+to"
                        r"|stemm(?:ed|ing)\s+from|triggered\s+by|led\s+to"
                        r"|the\s+reason)\b"
                        r"|^\W*given\s+(?:our|the|its|their|this|these|that)\b", re.IGNORECASE),
    "duration": re.compile(r"\b\d+(?:[.,]\d+)?\s*" + _UNIT + r"\b", re.IGNORECASE),
    "date": re.compile(r"\b\d{1,2}\s+" + _MONTH + r"(?:\s+\d{4})?\b|\b" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?"
                       r"(?:,?\s+\d{4})?\b|\b\d{4}-\d{2}-\d{2}\b|\b" + _MONTH + r"\s+\d{4}\b"
                       r"|\b(?:at|from|since|until)\s+\d{1,2}:\d{2}\b"),  # a day, or a time of it
    "percentage": re.compile(r"\d\s*(?:%|percent\b|per\s+cent\b)", re.IGNORECASE),
    "count": re.compile(r"(?<![\w.,])\d[\d,]*(?![\d.,]*\s*(?:%|percent))"),
    "amount": re.compile(r"(?:[$€£¥]|\b(?:USD|EUR|GBP|CHF|JPY)\b)\s*\d|\d[\d,.]*\s*(?:million|billion|thousand|"
                         r"USD|EUR|GBP|dollars|euros?)\b", re.IGNORECASE),
    "person": re.compile(r"\b[A-Z][a-z]+(?:\s+(?:van|de|der|von|da|di)\b)?\s+[A-Z][a-z]+\b"),
}

CARRIES_BONUS = 0.3
"""Added to a quote candidate's score (½ cosine + ½ word coverage, 0..1) when it carries the expected kind."""


LEADING = frozenset({"cause", "duration", "date", "person"})
"""Kinds whose quotes lead the extractive answer, even from a later passage. Numbers (amounts, percentages,
counts) are in most sentences of a report, so stating one says little: those quotes keep the passage order
(FinanceBench dev, first citation on an evidence page: .436 kept, .423 with every kind leading)."""


_PROSE_KINDS = frozenset({"cause", "person"})
_FIGURE_TOKEN = re.compile(r"^[(\[]?[-+$€£]?\d[\d,.]*[)\]]?%?$|^[%—–-]$")


def _figure_row(sentence: str) -> bool:
    """Whether ``sentence`` is a table's row read as text: a Markdown row (``| label | 7.27 |``), or at least
    half its words are figures or dashes."""
    if sentence.lstrip().startswith("|") and sentence.count("|") >= 3:
        return True
    tokens = sentence.split()
    return bool(tokens) and 2 * sum(bool(_FIGURE_TOKEN.match(t)) for t in tokens) >= len(tokens)


def quotable(kind: str | None, sentence: str, table_row: bool = False) -> bool:
    """Whether ``sentence`` may be quoted as an answer of ``kind``: a table's row (``table_row``, or text that
    is mostly figures) is no answer to "why?" or "who?" (its label shares the question's words: "Net income
    attributable to Acme", "Boeing Capital $2 $23 $32")."""
    return not (kind in _PROSE_KINDS and (table_row or _figure_row(sentence)))


def expected(question: str) -> str | None:
    """The kind of answer ``question`` asks for (``cause``, ``duration``, ``date``, ``percentage``, ``count``,
    ``amount``, ``person``), or None. The first that matches wins: "how many hours" is a duration. Only the
    question's first sentence is read: "... If the margin is not useful, explain why." asks for no cause."""
    first = re.split(r"(?<=[?.!])\s+", question.strip(), maxsplit=1)[0]
    for kind, pattern in _ASKS:
        if pattern.search(first):
            return kind
    return None


def carries(kind: str | None, sentence: str) -> bool:
    """Whether ``sentence`` states an answer of ``kind`` (a cause, a duration, a date, ...)."""
    if kind is None:
        return False
    if kind == "count":  # a count is a number that is not a year
        return any(not re.fullmatch(r"(?:19|20)\d\d", m.group()) for m in _CARRIES["count"].finditer(sentence))
    return _CARRIES[kind].search(sentence) is not None
