"""Names a question gives that no document mentions.

"What was Nvidia's revenue in FY2022?" asked of a folder of other companies' filings finds a revenue row all the
same, and the figure it leads with is another company's: the confident wrong answer analysts distrust most.
A name the question gives (``Nvidia's``, ``... for 3M``) that occurs in no passage the profile can read cannot
be answered from these documents, whatever the search found; the answerer then says so instead of answering.

A name is a run of capitalised words (or one that starts with a digit, "3M") written as a possessive ("Nvidia's",
"American Express's", "Gannet Logistics'") or after "for", "of", "at" or "by" ("the capex for 3M"). It counts as
mentioned when any of its own words (corporate words such as "Inc." aside) is in the keyword index: lenient on
purpose, so a name the documents spell a little differently ("Pepsico" / "PepsiCo", "Tesla Motors") is left to
the search. Periods ("FY2022", "Q2"), months and document types are no names.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"[A-Za-z0-9][\w&.\-]*(?:['’]s?)?|[(),;:?!]")
_CAPITALISED = re.compile(r"^(?:[A-Z][\w&.\-]*|\d+[A-Za-z][\w&.\-]*)$")
_POSSESSIVE = re.compile(r"^(.+?)(?:['’]s|(?<=s)['’])$")
_LEADS = frozenset({"for", "of", "at", "by"})
_NOT_NAMES = re.compile(
    r"^(?:(?:FY|Q[1-4]|H[12])\s?'?\d{0,4}(?:Q[1-4])?|\d{4}s?|(?:19|20)\d\d|Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|"
    r"June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday|\d+-?[KQ]|I|A|An|The|What|Which|Who|How|Why|When|Where|Is|Was|Did|Does|Do|"
    r"Here|There|It|That|This|Let|"
    r"Has|Have|Are|Were|In|On|And|Or|US|USD|EUR|GBP|GAAP|IFRS|EBIT|EBITDA|CAGR|ROA|ROE|EPS|CEO|CFO)$")
_CORPORATE = frozenset("inc incorporated corp corporation company co plc ltd limited llc lp holdings group "
                       "international the and &".split())


def named(question: str) -> list[str]:
    """The names ``question`` gives (see the module's docstring), in order, each once."""
    tokens = _TOKEN.findall(question)
    out: list[str] = []
    for k, token in enumerate(tokens):
        possessive = _POSSESSIVE.match(token)
        if possessive and _CAPITALISED.match(possessive.group(1)):  # with the capitalised words before it
            words = [possessive.group(1)]
            j = k - 1
            while j >= 0 and _CAPITALISED.match(tokens[j]) and not _NOT_NAMES.match(tokens[j]):
                words.insert(0, tokens[j])
                j -= 1
            _add(out, words)
        elif token.lower() in _LEADS and k + 1 < len(tokens):
            words = []
            j = k + 1
            while j < len(tokens) and _CAPITALISED.match(tokens[j]) and not _POSSESSIVE.match(tokens[j]):
                words.append(tokens[j])
                j += 1
            _add(out, words)
    return out


def _add(out: list[str], words: list[str]) -> None:
    words = [w.rstrip(".") for w in words]
    while words and _NOT_NAMES.match(words[0]):
        words.pop(0)
    while words and _NOT_NAMES.match(words[-1]):
        words.pop()
    name = " ".join(words)
    if name and any(ch.isalpha() for ch in name) and name not in out and not _NOT_NAMES.match(name):
        out.append(name)


def unmentioned(question: str, mentioned: Callable[[str], bool]) -> list[str]:
    """The names ``question`` gives none of whose own words ``mentioned`` finds (``mentioned(word)``: whether a
    passage the profile can read holds that word)."""
    out = []
    for name in named(question):
        words = [w for w in re.findall(r"[A-Za-z0-9&]+", name) if w.lower() not in _CORPORATE]
        if words and not any(mentioned(w) for w in words):
            out.append(name)
    return out
