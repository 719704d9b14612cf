"""Grounding: every answer sentence is scored for support against the passages it could rest on.

support(sentence, passage) = 0.5 * cosine(sentence, passage) + 0.5 * share of the sentence's content words
found in the passage, halved when the sentence states a number the passage does not contain (analysts
distrust an invented figure more than anything). Each sentence is linked to its best passage; markers the
model wrote for passages it was not given are removed; sentences below ``min_support`` are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from archivist.embed.base import Embedder
from archivist.retrieve.text import fold, stem, terms

_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,–-]\s*\d+)*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")  # 07:10 and 1,184.5 are one number each
_CLAUSE = re.compile(r",\s+(?=(?:which|who|whose|where|while|but|although|because|after|before|and then)\b)|;\s+")


@dataclass
class Sentence:
    """One sentence of the answer with the passage it rests on."""

    text: str
    passage: int | None
    """1-based number of the best supporting passage, None when nothing supports it."""
    support: float
    supported: bool
    continues: bool = False
    """This is a clause continuing the previous unit's sentence (joined with a comma)."""
    label: bool = False
    """A section label such as ``Findings:`` (structure, not a claim): never grounded, shown as written."""
    lead: str = ""
    """How the model laid it out: ``""`` (same line as the previous sentence), ``"\n"`` (a new line) or
    ``"\n- "`` / ``"\n2. "`` (a list item). Kept so a team adapter's format (bullets, sections) shows."""


_LIST_NUMBER = re.compile(r"^(?:\d{1,3}|[a-zA-Z]|[ivx]{1,4})[.)]$")


_WRAPPED = re.compile(r"(?<=[^\n.!?:])\n(?![-*•#|>]|\d+[.)]\s|[A-Z][A-Za-z ]{0,40}\n)")


def unwrap(text: str) -> str:
    """Join lines a PDF or editor wrapped mid-sentence; keep list items, headings and table rows apart."""
    return _WRAPPED.sub(" ", text)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences (also at line breaks: bullet lists); list numbers stay with their item."""
    out: list[str] = []
    carry = ""
    for raw in _SENTENCE_END.split(text.strip()):
        part = (raw or "").strip(" \t-•*")
        if not part:
            continue
        if _LIST_NUMBER.match(part):
            carry = part + " "
            continue
        out.append(carry + part)
        carry = ""
    return out


_ITEM = re.compile(r"^\s*(?:([-*•])|(\d{1,3})[.)])\s+")


def split_laid_out(text: str) -> list[tuple[str, str]]:
    """Like ``split_sentences``, with each sentence's ``lead`` (see ``Sentence.lead``): line breaks and list
    items of the model's text survive the check."""
    out: list[tuple[str, str]] = []
    for line in text.strip().splitlines():
        if not line.strip():
            continue
        item = _ITEM.match(line)
        lead = "\n" if out else ""
        body = line
        if item:
            lead = "\n- " if item.group(1) else f"\n{item.group(2)}. "
            body = line[item.end():]
        for k, sentence in enumerate(split_sentences(body)):
            out.append(((lead if out or item else "") if k == 0 else "", sentence))
    return out


def is_label(text: str) -> bool:
    """``Summary:``, ``Key findings:``: a short line ending in a colon."""
    return text.rstrip().endswith(":") and len(text.split()) <= 4


def complete_sentences(text: str) -> int:
    """Sentences of ``text`` that are statements (a label line such as ``Findings:`` is not one)."""
    return sum(1 for part in split_sentences(text) if not part.rstrip().endswith(":"))


def strip_markers(text: str) -> tuple[str, list[int]]:
    """Remove [n] / [n, m] markers; return the clean text and the numbers it cited."""
    cited: list[int] = []
    for m in _MARKER.finditer(text):
        for part in re.split(r"\s*[,–-]\s*", m.group(1)):
            cited.append(int(part))
    return _MARKER.sub("", text).strip(), cited


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


_AMOUNT = re.compile(r"(?<![\w.])\(?-?\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\)?\s*%?\s*"
                     r"(thousand|million|billion|trillion|mn|bn|k|m|b)?\b", re.IGNORECASE)
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
          "trillion": 1e12}


def amounts(text: str) -> list[float]:
    """The numbers of ``text`` as values: ``(1,577)``, ``$1,577``, ``1577`` -> 1577; ``1.58 billion`` -> 1.58e9.
    Time of day (``07:10``) is two numbers; a sign or parentheses do not change the magnitude compared."""
    out = []
    for m in _AMOUNT.finditer(text):
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        out.append(value * _SCALE.get((m.group(3) or "").lower(), 1.0))
    return out


def _same(a: float, b: float) -> bool:
    return a == b or (max(abs(a), abs(b)) > 0 and abs(a - b) / max(abs(a), abs(b)) <= 0.005)


def foreign_numbers(sentence: str, passage: str, question: str = "") -> list[float]:
    """Numbers ``sentence`` states that ``passage`` does not (nor the question): compared as values, the
    passage's at every scale (a table "in millions" prints 1,577 for 1.577 billion), within the rounding of
    half a percent (``1.58 billion``)."""
    have = amounts(passage)
    scaled = {v * k for v in have for k in (1.0, 1e3, 1e6, 1e9)}
    asked = amounts(question)
    return [v for v in amounts(sentence)
            if not any(_same(v, h) for h in scaled) and not any(_same(v, q) for q in asked)]


def lexical_support(sentence: str, passage: str, question: str = "") -> float:
    """Share of the sentence's content words that the passage contains, halved for foreign numbers.

    Words the sentence merely repeats from the question are not evidence (a model echoing "the outage was
    caused by ..." would otherwise look half supported by any passage about the outage).
    """
    words = {stem(w) for w in terms(sentence)}
    if question:
        words -= {stem(w) for w in terms(question)}
    if not words:
        return 0.0  # nothing beyond the question's own words: it answers nothing
    have = {stem(w) for w in re.findall(r"\w+", fold(passage))}
    score = len(words & have) / len(words)
    missing_numbers = _numbers(sentence) - _numbers(passage)
    return score * 0.5 if missing_numbers else score


def support_matrix(sentences: Sequence[str], passages: Sequence[str], embedder: Embedder,
                   passage_vectors: np.ndarray | None = None, question: str = "") -> np.ndarray:
    """support[i, j] of sentence i by passage j (0..1)."""
    if not sentences or not passages:
        return np.zeros((len(sentences), len(passages)), dtype=np.float32)
    svec = embedder.embed_batch(list(sentences))
    pvec = passage_vectors if passage_vectors is not None else embedder.embed_batch(list(passages))
    cos = np.clip(svec @ pvec.T, 0.0, 1.0)
    if question:  # an echo of the question is not an answer, however similar it is to the passage
        qterms = set(terms(question))
        echo = np.array([not ({stem(w) for w in terms(s)} - {stem(w) for w in qterms}) for s in sentences])
        cos[echo] = 0.0
    lex = np.array([[lexical_support(s, p, question) for p in passages] for s in sentences], dtype=np.float32)
    penalty = np.array([[0.5 if _numbers(s) - _numbers(p) else 1.0 for p in passages] for s in sentences],
                       dtype=np.float32)
    return (0.5 * cos * penalty + 0.5 * lex).astype(np.float32)


def clauses(sentence: str, question: str = "") -> list[str]:
    """Split a sentence at relative/adverbial clause boundaries; pieces with fewer than two new content
    words stay with the previous piece. A model often appends an invented clause to a true one."""
    qterms = set(terms(question))
    out: list[str] = []
    for piece in _CLAUSE.split(sentence):
        if out and len(set(terms(piece)) - qterms) < 2:
            out[-1] += ", " + piece
        else:
            out.append(piece)
    return out


def ground(answer: str, passages: Sequence[str], embedder: Embedder, *, min_support: float,
           passage_vectors: np.ndarray | None = None, question: str = "") -> tuple[list[Sentence], list[int]]:
    """Score each sentence of ``answer`` against ``passages``.

    Returns:
        The sentences, each linked to its best passage (or flagged), and the marker numbers the model
        invented (cited passages it was never given), which are dropped from the text.
    """
    raw = split_laid_out(answer)
    clean: list[str] = []
    leads: dict[int, str] = {}
    seen: set[str] = set()
    continuing: set[int] = set()
    invented: list[int] = []
    for lead, sentence in raw:
        text, cited = strip_markers(sentence)
        invented += [n for n in cited if not 1 <= n <= len(passages)]
        if text and text not in seen:  # small models loop: a repeated sentence is said once
            seen.add(text)
            if lead:  # the first one too: an answer that opens with a bullet keeps it
                leads[len(clean)] = lead
            # Each clause is grounded on its own: a model often appends an invented clause to a true one.
            for k, part in enumerate(clauses(text, question)):
                if k:
                    continuing.add(len(clean))
                clean.append(part)
    scores = support_matrix(clean, passages, embedder, passage_vectors, question)
    out: list[Sentence] = []
    for i, text in enumerate(clean):
        j = int(np.argmax(scores[i])) if len(passages) else -1
        best = float(scores[i, j]) if j >= 0 else 0.0
        # A number the cited passage does not state makes the sentence unsupported, however close its words.
        ok = best >= min_support and not foreign_numbers(text, passages[j], question)
        if is_label(text) and i not in continuing:
            out.append(Sentence(text, None, 0.0, False, label=True, lead=leads.get(i, "")))
            continue
        out.append(Sentence(text, j + 1 if ok else None, round(best, 3), ok, continues=i in continuing,
                            lead=leads.get(i, "")))
    return out, sorted(set(invented))


def render(sentences: Sequence[Sentence], *, supported: str = "{body} [{n}]{end}",
           unsupported: str = "{body}{end} [unsupported]", quote: Callable[[str], str] = str) -> str:
    """The checked answer as text: supported sentences end with their marker before the full stop,
    unsupported ones are marked, clauses of one sentence are joined with commas.

    Args:
        supported, unsupported: formats with ``{body}``, ``{end}`` (the final . ! or ?) and ``{n}``; the
            CLI and the UI pass their own markup.
        quote: escapes the sentence text for that markup.
    """
    out = ""
    for s in sentences:
        body = s.text.rstrip()
        end = ""
        if body and body[-1] in ".!?":
            body, end = body[:-1], body[-1]
        fmt = supported if s.supported else unsupported
        piece = quote(s.text.rstrip()) if s.label else fmt.format(body=quote(body), end=end, n=s.passage)
        if not out:
            out = s.lead.lstrip("\n") + piece
        elif s.continues:
            out += ", " + piece
        else:
            out += (s.lead or " ") + piece
    return out
