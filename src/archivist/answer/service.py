"""``ask``: retrieve -> abstain or generate -> ground -> cite. The one place the answer pipeline is wired."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from archivist.answer import kinds
from archivist.answer.followup import rewrite
from archivist.answer.generator import Generator
from archivist.answer.grounding import (
    Sentence,
    complete_sentences,
    ground,
    render,
    split_sentences,
    strip_markers,
    unwrap,
)
from archivist.answer.prompt import SYSTEM, build_prompt
from archivist.embed.base import Embedder
from archivist.index import boilerplate
from archivist.ingest.chunk import content_hash
from archivist.ingest.rows import read_rows
from archivist.ingest.tables import split_heading
from archivist.retrieve.figures import Figure, find_figure, row_reading
from archivist.retrieve.focus import Focus
from archivist.retrieve.hybrid import Hit, Retriever, SearchResult
from archivist.retrieve.scope import parse_scope
from archivist.retrieve.text import coverage, terms
from archivist.settings import Settings

NOT_FOUND = "Not found in your documents."
_MODEL_NOT_FOUND = re.compile(
    r"\bnot (?:found|mentioned|provided|stated|available)\b|\bdo(?:es)? not (?:contain|say|mention)", re.IGNORECASE)


class AnswerCancelled(Exception):
    """``Answerer.ask`` stopped because its ``cancel`` event was set (the user pressed Esc)."""


@dataclass
class Citation:
    """A passage shown to the user, numbered as in the answer."""

    n: int
    path: str
    page: int | None
    line_start: int | None
    line_end: int | None
    heading: str
    text: str
    score: float
    """Retrieval evidence for this passage (0..1): 0.75 cosine similarity + 0.25 question-word coverage."""
    support: float
    """Best support this passage gives to a sentence of the answer (0 when no sentence rests on it)."""
    chunk_id: int = 0
    """The passage's id in the index generation that answered (the audit trail records the ids shown)."""
    content_hash: str = ""
    """SHA-256 of the passage as indexed (``chunks.content_hash``): ``archivist verify`` finds it again."""
    generation: int | None = None
    """The index generation that answered (``archivist index generations``)."""


@dataclass
class Answer:
    """The result of ``ask``; ``to_json`` is the documented ``--json`` shape (schemas/ask.json)."""

    question: str
    answer: str
    mode: str
    """``generated``, ``extractive`` (quoted sentences, no model or the model's answer was unsupported) or
    ``abstained``."""
    abstained: bool
    sentences: list[Sentence]
    citations: list[Citation]
    evidence: float
    model: str | None = None
    note: str = ""
    adapter: str | None = None
    """The team adapter (LoRA) the model answered with; None: the bare model or no model call."""
    invented_markers: list[int] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    scope: dict = field(default_factory=dict)
    """The documents the question names and the answer favoured (``retrieve.focus``; ``scope_json``)."""
    follow_up: dict = field(default_factory=dict)
    """When the question followed an earlier one: what was typed, the earlier question, and ``question`` (the
    whole question it was rewritten to, which was searched and answered); empty otherwise."""
    calculation: dict = field(default_factory=dict)
    """A computed answer's worked expression, result and cited operands (``answer.computed``); else empty."""

    def to_json(self) -> dict:
        data = asdict(self)
        data["evidence"] = round(self.evidence, 4)
        data["timings_ms"] = {k: round(v, 1) for k, v in self.timings_ms.items()}
        return data


def scope_json(focus: Focus) -> dict:
    """``scope`` of ``ask --json`` and ``search --json``: what the question names, the files favoured, and the
    line shown to the analyst (empty when the question names no entity, period or document type)."""
    if not focus:
        return {}
    return {**focus.as_dict(), "summary": focus.describe()}


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise AnswerCancelled


def _citation(n: int, hit: Hit, support: float, generation: int | None = None) -> Citation:
    c = hit.chunk
    return Citation(n, str(c.path), c.page, c.line_start, c.line_end, c.heading, c.text,
                    round(hit.evidence, 4), round(support, 3), chunk_id=c.id,
                    content_hash=content_hash(c.prefix, c.text), generation=generation)


class Answerer:
    """Answers questions from the index with a local model (built on first use)."""

    def __init__(self, retriever: Retriever, generator: Callable[[], Generator], settings: Settings,
                 generation: int | None = None) -> None:
        self.retriever = retriever
        self.generation = generation
        """The index generation ``retriever`` reads (stamped on every citation)."""
        self._generator_factory = generator
        self._generator: Generator | None = None
        self.settings = settings

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            self._generator = self._generator_factory()
        return self._generator

    def warm_up(self) -> Generator:
        """Load the model and evaluate its system prompt (``LlamaGenerator.prime``), so that the first answer
        starts from it; for a shell that loads models while the analyst types."""
        generator = self.generator
        prime = getattr(generator, "prime", None)
        if prime is not None:
            prime(SYSTEM)
        return generator

    def ask(self, question: str, *, folder_id: int | None = None, extractive: bool = False,
            on_token: Callable[[str], None] | None = None, cancel: threading.Event | None = None,
            follows: str | None = None, on_draft: Callable[[Answer], None] | None = None) -> Answer:
        """Answer ``question``; ``on_token`` receives the model's raw text as it streams. ``follows``: the
        earlier question this one follows up ("and in 2019?"): it is rewritten in that one's scope
        (``answer.followup``) and the answer's ``follow_up`` says how. ``on_draft`` receives the quoted
        (extractive) answer and its passages before the model is loaded or asked, when the model is to answer:
        something true to read at once, which the returned answer replaces.

        Raises:
            AnswerCancelled: ``cancel`` was set; it is checked before generation and between tokens, so a
                cancelled answer stops within one token.
        """
        started = time.perf_counter()
        follow = None
        if follows:
            follow = rewrite(question, follows, self.retriever.documents())
            question = follow.question
        result = self.retriever.search(question, self.settings.retrieval.top_k, folder_id=folder_id)

        def scoped(answer: Answer) -> Answer:
            answer.scope = scope_json(result.focus)
            if follow is not None:
                answer.follow_up = follow.as_dict()
            return answer

        draft = (lambda a: on_draft(scoped(a))) if on_draft is not None else None
        return scoped(self._answer(question, result, started, extractive=extractive, on_token=on_token,
                                   cancel=cancel, on_draft=draft))

    def _answer(self, question: str, result: SearchResult, started: float, *, extractive: bool,
                on_token: Callable[[str], None] | None, cancel: threading.Event | None,
                on_draft: Callable[[Answer], None] | None = None) -> Answer:
        s = self.settings
        question = parse_scope(question)[0] or question  # the model sees the question without in:/file:
        timings = dict(result.timings_ms)
        timings["retrieve_ms"] = (time.perf_counter() - started) * 1000
        hits = result.hits
        from archivist.answer.computed import computed_answer  # it builds on this module's Answer

        if unknown := self.retriever.unmentioned(question):
            # "Nvidia's revenue" of other companies' filings: the search found some revenue, never Nvidia's.
            names = " or ".join(unknown)
            return self._abstain(question, hits, result.evidence, timings, started,
                                 f"Your documents never mention {names}, so nothing in them answers this; the "
                                 f"closest passages are about something else. Add documents on {names} to ask "
                                 f"about it.")
        if (computed := computed_answer(self, question, result, started)) is not None:
            return computed  # a calculation asked for leads: worked from cited table facts, or refused
        if not hits or result.evidence < s.answer.min_evidence:
            return self._abstain(question, hits, result.evidence, timings, started,
                                 f"The best passage scored {result.evidence:.2f}, "
                                 f"below the evidence threshold {s.answer.min_evidence:.2f}."
                                 )
        # The question's vector from the search, when it searched these very words (quote scoring reuses it).
        qvec = result.query_vector if result.query == question else None
        if extractive:
            answer = self._extractive(question, hits, result.evidence, timings, query_vector=qvec)
            answer.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
            return answer

        draft: Answer | None = None
        if on_draft is not None:
            draft = self._extractive(question, hits, result.evidence, dict(timings), query_vector=qvec)
            timings["draft_ms"] = (time.perf_counter() - started) * 1000
            on_draft(draft)
        _check(cancel)
        t = time.perf_counter()
        generator = self.generator
        timings["model_load_ms"] = (time.perf_counter() - t) * 1000
        _check(cancel)
        prompt = build_prompt(question, hits, generator, context_tokens=s.answer.context_tokens,
                              answer_tokens=s.answer.max_answer_tokens)
        t = time.perf_counter()
        pieces: list[str] = []
        for piece in generator.stream(prompt.messages, s.answer.max_answer_tokens, s.answer.temperature):
            if not pieces:
                timings["first_token_ms"] = (time.perf_counter() - t) * 1000
            _check(cancel)
            pieces.append(piece)
            if on_token is not None:
                on_token(piece)
            # Stop once the answer has max_sentences complete sentences: analysts want it short, and small
            # models otherwise run on into repetition until max_answer_tokens.
            if piece.rstrip().endswith((".", "!", "?")) and \
                    complete_sentences("".join(pieces)) >= s.answer.max_sentences:
                break
        timings["generate_ms"] = (time.perf_counter() - t) * 1000
        raw = "".join(pieces).strip()

        t = time.perf_counter()
        given = prompt.hits
        vectors = self.retriever.store.vectors([h.chunk.id for h in given])
        pvec = np.stack([vectors[h.chunk.id] for h in given]) if len(vectors) == len(given) else None
        sentences, invented = ground(raw, [h.chunk.text for h in given], self.retriever.embedder,
                                     min_support=s.answer.min_support, passage_vectors=pvec, question=question)
        timings["ground_ms"] = (time.perf_counter() - t) * 1000
        if not any(not x.label for x in sentences) or \
                _MODEL_NOT_FOUND.search(strip_markers(raw)[0]) and not any(x.supported for x in sentences):
            return self._abstain(question, given, result.evidence, timings, started,
                                 "The model found no answer in the passages.", model=generator.id)
        claims = [x for x in sentences if not x.label]
        if mostly_unsupported(claims):
            listed = bool(claims) and all(x.lead.startswith("\n") and x.lead.strip() for x in claims if not x.continues)
            # A team format of list items (an adapter's bullets) survives the fallback: the quotes are items too.
            if draft is not None and not listed:  # the quotes shown first are the fallback: not scored twice
                answer = draft
                answer.timings_ms.update(timings)
            else:
                answer = self._extractive(question, hits, result.evidence, timings, item="\n- " if listed else "",
                                          query_vector=qvec)
            answer.model = generator.id
            answer.adapter = getattr(generator, "adapter", None)
            answer.note = ("The model's answer was not supported by the passages; quoting them instead."
                           if not any(x.supported for x in claims) else
                           "Most of the model's answer was not supported by the passages; quoting them instead.")
            answer.invented_markers = invented
            answer.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
            return answer
        figure = find_figure(question, given, glossary=s.retrieval.glossary)
        if figure is not None:  # the cell asked for leads, cited, before what the model wrote
            sentences.insert(0, figure_sentence(figure, figure.hit + 1))
        # Passages are numbered in ranking order, the figure's passage (if any) first.
        cited = sorted({x.passage for x in sentences if x.passage is not None},
                       key=lambda n: (figure is None or n != figure.hit + 1, n))
        renumber = {old: new for new, old in enumerate(cited, start=1)}
        for x in sentences:
            x.passage = renumber.get(x.passage) if x.passage is not None else None
        citations = [_citation(renumber[n], given[n - 1],
                               max(x.support for x in sentences if x.passage == renumber[n]), self.generation)
                     for n in cited]
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        note = ""
        if invented:
            note = f"Removed citation marker(s) {invented}: the model was not given such passages."
        return Answer(question, render(sentences), "generated", False, sentences, citations, result.evidence,
                      model=generator.id, note=note, invented_markers=invented, timings_ms=timings,
                      adapter=getattr(generator, "adapter", None))

    def _abstain(self, question: str, hits: list[Hit], evidence: float, timings: dict[str, float],
                 started: float, note: str, model: str | None = None) -> Answer:
        closest = [_citation(i, h, 0.0, self.generation) for i, h in enumerate(hits[:3], start=1)]
        timings["total_ms"] = (time.perf_counter() - started) * 1000
        return Answer(question, NOT_FOUND, "abstained", True, [], closest, evidence, model=model, note=note,
                      timings_ms=timings)

    def _extractive(self, question: str, hits: list[Hit], evidence: float, timings: dict[str, float],
                    max_sentences: int = 3, item: str = "", query_vector: np.ndarray | None = None) -> Answer:
        """The best supporting sentences, quoted verbatim from the passages; no model call. ``item``
        (``"\n- "``) lays each quote out as a list item, as the model's unsupported answer was;
        ``query_vector``: the question's, as the search embedded it (else embedded here)."""
        t = time.perf_counter()
        figure = find_figure(question, hits, glossary=self.settings.retrieval.glossary)
        kind = kinds.expected(question)
        candidates = quote_candidates(hits, kind)
        chosen: list[tuple[float, int, str, bool]] = []  # score, passage, sentence, states the kind asked for
        if figure is not None:
            max_sentences -= 1  # the figure leads; its row is quoted below when it scores among the best
        if candidates and max_sentences > 0:
            scores = quote_scores(question, candidates, self.retriever.embedder,
                                  [h.chunk.prefix for h in hits[:QUOTE_PASSAGES]], query_vector)
            order = np.argsort(-scores)
            states = [kind in kinds.LEADING and kinds.carries(kind, sentence) for _, sentence in candidates]
            if not any(states[j] for j in order[: max_sentences * 3]):
                states = [False] * len(candidates)  # none of the best states it: the usual order
            # The first passage's best sentence is quoted whenever it answers at all: the ranking's first
            # passage is right more often than the best-scoring sentence's (see the ordering below). When the
            # question asks for a kind of answer (a cause, a date) that some of the best sentences state, its
            # best sentence stating it.
            first = [j for j in order if candidates[j][0] == 0 and states[j] == any(states)][:1]
            if first and scores[first[0]] >= FIRST_PASSAGE_FLOOR * float(scores[order[0]]):
                order = np.array([first[0], *(j for j in order if j != first[0])], dtype=np.int64)
            seen: set[str] = set()
            for j in order[: max_sentences * 3]:
                i, sentence = candidates[j]
                if sentence in seen or scores[j] < 0.5 * float(scores[order[0]]):
                    continue
                seen.add(sentence)
                chosen.append((float(scores[j]), i, sentence, states[j]))
                if len(chosen) == max_sentences:
                    break
        # Quotes are shown best passage first (the ranking's first passage is right more often than the best
        # scoring sentence's: FinanceBench dev .269 vs .128 on an evidence page), numbered in that order, those
        # stating the kind of answer asked for before the others ("The direct cause was ..." before "This report
        # describes the root cause"); the figure's passage, when a cell answers the question, is [1].
        chosen.sort(key=lambda c: (not c[3], c[1], -c[0]))
        used = list(dict.fromkeys(([figure.hit] if figure is not None else []) + [i for _, i, _, _ in chosen]))
        number = {i: n for n, i in enumerate(used, start=1)}
        # A table row is read with its columns after the quote ("2022: 18,992.8; 2021: 18,127.0; in millions").
        sentences = [Sentence(f"“{text}”" + (f" ({reading})" if (reading := row_reading(hits[i], text)) else ""),
                              number[i], 1.0, True, lead=item) for _, i, text, _ in chosen]
        if figure is not None:
            sentences.insert(0, figure_sentence(figure, number[figure.hit], item))
        citations = [_citation(number[i], hits[i], 1.0, self.generation) for i in used]
        timings["extract_ms"] = (time.perf_counter() - t) * 1000
        if not sentences:  # nothing quotable: only boilerplate, or passages of headings and figures alone
            closest = [_citation(i, h, 0.0, self.generation) for i, h in enumerate(hits[:3], start=1)]
            return Answer(question, NOT_FOUND, "abstained", True, [], closest, evidence, timings_ms=timings,
                          note="The passages found hold no sentence that answers it (only text repeated across "
                               "many files, such as an auditor's opinion, headings, or table rows where the "
                               "question asks why or who).")
        return Answer(question, render(sentences), "extractive", False, sentences, citations, evidence,
                      timings_ms=timings)


UNSUPPORTED_SHARE = 0.5
"""A generated answer more than this share of whose claims (sentences and clauses, labels aside) no passage
supports is replaced by the passages' quotes: one supported phrase does not vouch for five invented ones."""


def mostly_unsupported(claims: Sequence[Sentence]) -> bool:
    """Whether more than ``UNSUPPORTED_SHARE`` of ``claims`` are unsupported (True when none is supported)."""
    unsupported = sum(not x.supported for x in claims)
    return not any(x.supported for x in claims) or unsupported > UNSUPPORTED_SHARE * len(claims)


def figure_sentence(figure: Figure, n: int, lead: str = "") -> Sentence:
    """The answer's lead when a table cell answers the question (``answer.figures``): the figure, its period
    and unit, and the row it was read from, cited."""
    return Sentence(figure.lead() + ".", n, 1.0, True, lead=lead)


FIRST_PASSAGE_FLOOR = 0.3
"""The first passage's best sentence is quoted when it scores at least this share of the best sentence's."""
QUOTE_PASSAGES = 4
"""Extractive answers quote from the first passages only (the best ones after the re-rank)."""


def quote_candidates(hits: Sequence[Hit], kind: str | None = None) -> list[tuple[int, str]]:
    """(passage index, sentence) of every quotable sentence of the first ``QUOTE_PASSAGES`` passages, boilerplate
    passages aside (unless the question is about them: it finds 80% of its words there). ``kind``: the kind of
    answer asked for (``answer.kinds.expected``); a table's rows are no answer to "why?" or "who?"
    (``kinds.quotable``)."""
    out: list[tuple[int, str]] = []
    for i, hit in enumerate(hits[:QUOTE_PASSAGES]):
        if hit.boilerplate >= boilerplate.THRESHOLD and hit.coverage < 0.8:
            continue  # text repeated across many files (an auditor's opinion) is never the answer's quote
        lines = hit.chunk.text.split("\n")
        rows = read_rows(hit.chunk.text) if hit.chunk.kind != "code" else []
        if split_heading(hit.chunk.heading)[2]:  # a table: each row is quoted as a line of its own
            out += [(i, lines[offset].strip()) for offset, _row in rows  # not the header line of periods
                    if kinds.quotable(kind, lines[offset], table_row=True)]
            continue
        text = hit.chunk.text if hit.chunk.kind == "code" else without_headings(hit.chunk.text)
        if _mostly_rows(lines, len(rows)):
            # Rows of a table whose columns name no period (a roll-forward's, a vote count's) are quoted one by
            # one, not run together as one "sentence" of forty figures; the passage's prose is quoted as prose.
            out += [(i, lines[offset].strip()) for offset, _row in rows
                    if kinds.quotable(kind, lines[offset], table_row=True)]
            taken = {offset for offset, _row in rows}
            text = without_headings("\n".join(ln for k, ln in enumerate(lines) if k not in taken))
        labels = [part for part in hit.chunk.prefix.split(" > ") if len(part.split()) >= 2]
        for raw in split_sentences(unwrap(text)):
            sentence = _without_label(raw, labels)
            if len(terms(sentence)) >= 2 and kinds.quotable(kind, sentence):
                out.append((i, sentence))
    return out


def _mostly_rows(lines: list[str], rows: int) -> bool:
    """Whether a passage's ``lines`` are table rows, three or more and half its lines at least (a table whose
    columns name no period has no columns in its heading)."""
    return rows >= 3 and rows >= 0.5 * sum(1 for ln in lines if ln.strip())


_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t].*)?$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")


def without_headings(text: str) -> str:
    """``text`` with its Markdown heading lines blanked: ``# Title`` (``#`` to ``######``) and a title line
    over ``===`` or ``---``; fenced code is left as it is. A heading names a section, it answers nothing, and
    joined to the line below it would open a quote ("# Zephyr backup service runbook The Zephyr backup service
    listens..."). Blank lines keep the sentences apart; the heading stays in the passage and its heading trail.
    Source code is not passed here: its ``# comment`` lines are prose worth quoting."""
    lines = text.split("\n")
    in_fence = False
    for n, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif in_fence:
            continue
        elif _ATX_HEADING.match(line):
            lines[n] = ""
        elif _SETEXT_UNDERLINE.match(line):
            if n and lines[n - 1].strip():
                lines[n - 1] = ""
            lines[n] = ""
    return "\n".join(lines)


def quote_scores(question: str, candidates: Sequence[tuple[int, str]], embedder: Embedder,
                 contexts: Sequence[str] | None = None, query_vector: np.ndarray | None = None) -> np.ndarray:
    """How well each candidate sentence answers ``question``: ½ cosine + ½ share of the question's words
    (benchmarks/bench_quotes.py compares other mixes), plus ``kinds.CARRIES_BONUS`` when the sentence states
    the kind of answer asked for (a cause, a duration, a date: ``answer.kinds``).

    ``contexts``, per passage index: the title and headings of the sentence's passage. A question's word found
    there and not in the sentence counts half: "The direct cause was the failure of pump CWP-2" answers "what
    caused the warehouse outage?" in a report titled "Warehouse Systems Outage", not in a budget memo.
    ``query_vector``: ``question``'s vector when the search has it already."""
    qvec = query_vector if query_vector is not None else embedder.embed_batch([question])[0]
    svec = embedder.embed_batch([sentence for _, sentence in candidates])
    qterms = terms(question)
    kind = kinds.expected(question)
    words = []
    for i, sentence in candidates:
        own = coverage(qterms, sentence)
        if contexts is not None and contexts[i]:  # never lower: the title adds words, it takes none away
            own = 0.5 * (own + coverage(qterms, contexts[i] + "\n" + sentence))
        words.append(own)
    bonus = np.array([kinds.CARRIES_BONUS * kinds.carries(kind, s) for _, s in candidates])
    return 0.5 * np.clip(svec @ qvec, 0, 1) + 0.5 * np.array(words) + bonus


def _without_label(sentence: str, labels: Sequence[str]) -> str:
    """``sentence`` without a leading title or heading (a PDF line joined to the text below it): the title
    says what the document is about, not what it says, so it is never quoted as an answer."""
    for label in labels:
        words = label.split()
        head = sentence.split()
        if [w.casefold() for w in head[:len(words)]] == [w.casefold() for w in words]:
            return " ".join(head[len(words):]).lstrip(":.- ")
    return sentence
