"""Runs a question file against the index: retrieval metrics, answer checks, and why each failure failed.

Failures are classified so a team knows what to fix:
- **retrieval miss**: the evidence was not in the top k — a knowledge problem (retrieval, scoping, corpus);
- **grounding miss**: the evidence was retrieved but the answer is unsupported, wrong, or abstained;
- **format miss**: the answer ignores the declared format — a behaviour problem a style adapter fixes;
- **false answer**: the question is not answerable from the documents and Archivist answered anyway.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from archivist.answer.service import Answerer
from archivist.eval.metrics import KS, answer_matches, first_hit, ndcg_at, recall_at, reciprocal_rank
from archivist.eval.questions import Question
from archivist.retrieve.hybrid import Retriever
from archivist.settings import Settings


class EvalTarget(Protocol):
    """What an evaluation reads (``app.Workspace`` is one): the settings and how to retrieve and answer."""

    settings: Settings

    def retriever(self) -> Retriever: ...

    def answerer(self) -> Answerer: ...

Progress = Callable[[int, int], None]


@dataclass
class QuestionResult:
    id: str
    question: str
    answerable: bool
    first_hit: int | None = None
    """1-based rank of the first passage from the evidence, None if not in the top k (or no sources given)."""
    retrieval: dict[str, float] = field(default_factory=dict)
    answer: str | None = None
    mode: str | None = None
    abstained: bool | None = None
    supported_rate: float | None = None
    citations_valid: bool | None = None
    answer_match: bool | None = None
    format_ok: bool | None = None
    verdict: str = "ok"
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class EvalRun:
    questions: list[QuestionResult]
    summary: dict[str, float | int | None]
    breakdown: dict[str, int]
    advice: str
    settings: dict

    def to_json(self) -> dict:
        from dataclasses import asdict

        return {"summary": self.summary, "breakdown": self.breakdown, "advice": self.advice,
                "settings": self.settings, "questions": [asdict(q) for q in self.questions]}


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))], 1)


def run_eval(services: EvalTarget, questions: list[Question], *, k: int = 20, answer: bool = True,
             extractive: bool = False, folder_id: int | None = None,
             progress: Progress | None = None) -> EvalRun:
    """Evaluate every question; ``answer=False`` measures retrieval only (no model)."""
    retriever = services.retriever()
    answerer = services.answerer() if answer else None
    results: list[QuestionResult] = []
    for done, q in enumerate(questions):
        if progress:
            progress(done, len(questions))
        r = QuestionResult(q.id, q.question, q.answerable)
        t = time.perf_counter()
        hits = retriever.search(q.question, k, folder_id=folder_id).hits
        r.timings_ms["search_ms"] = (time.perf_counter() - t) * 1000
        shown = {(str(h.chunk.path), h.chunk.text) for h in hits}
        if q.sources:
            relevant = [any(s.matches(h.chunk.path, h.chunk.page, h.chunk.line_start, h.chunk.line_end)
                            for s in q.sources) for h in hits]
            rank = first_hit(relevant)
            r.first_hit = None if rank is None else rank + 1
            r.retrieval = {f"recall@{n}": recall_at(relevant, n) for n in KS if n <= k}
            r.retrieval["mrr"] = reciprocal_rank(relevant, k)
            r.retrieval["ndcg@10"] = ndcg_at(relevant, 10)
        if answerer is not None:
            a = answerer.ask(q.question, folder_id=folder_id, extractive=extractive)
            r.answer, r.mode, r.abstained = a.answer, a.mode, a.abstained
            r.timings_ms.update({k_: v for k_, v in a.timings_ms.items() if k_.endswith("_ms")})
            numbers = {c.n for c in a.citations}
            r.citations_valid = all(s.passage in numbers for s in a.sentences if s.passage is not None) and all(
                (c.path, c.text) in shown for c in a.citations) if not a.abstained else True
            if a.sentences:
                claims = [s for s in a.sentences if not s.label] or a.sentences  # labels are structure
                r.supported_rate = sum(s.supported for s in claims) / len(claims)
            if q.answer is not None and not a.abstained:
                r.answer_match = answer_matches(q.answer, a.answer + " " + " ".join(c.text for c in a.citations
                                                                                   if a.mode == "extractive"))
            if q.format is not None and not a.abstained:
                r.format_ok = re.search(q.format, a.answer, re.MULTILINE) is not None
        r.verdict = _verdict(q, r, k)
        results.append(r)
    if progress:
        progress(len(questions), len(questions))
    summary = _summarise(results, k)
    breakdown: dict[str, int] = {}
    for r in results:
        breakdown[r.verdict] = breakdown.get(r.verdict, 0) + 1
    return EvalRun(results, summary, breakdown, advice(breakdown, len(results)),
                   {"k": k, "answer": answer, "extractive": extractive,
                    "top_k": services.settings.retrieval.top_k,
                    "min_evidence": services.settings.answer.min_evidence})


def _verdict(q: Question, r: QuestionResult, k: int) -> str:
    if not q.answerable:
        return "ok" if r.abstained in (True, None) else "false answer"
    if q.sources and r.first_hit is None:
        return "retrieval miss"
    if r.abstained:
        return "grounding miss"
    if r.answer_match is False or (r.supported_rate is not None and r.supported_rate == 0):
        return "grounding miss"
    if r.format_ok is False:
        return "format miss"
    return "ok"


def _summarise(results: list[QuestionResult], k: int) -> dict[str, float | int | None]:
    with_sources = [r for r in results if r.retrieval]
    s: dict[str, float | int | None] = {"questions": len(results), "with_sources": len(with_sources)}
    for key in [f"recall@{n}" for n in KS if n <= k] + ["mrr", "ndcg@10"]:
        s[key] = _mean([r.retrieval[key] for r in with_sources])
    answered = [r for r in results if r.abstained is False]
    s["answered"] = len(answered)
    s["supported_sentence_rate"] = _mean([r.supported_rate for r in answered if r.supported_rate is not None])
    s["citation_validity"] = _mean([float(r.citations_valid) for r in results if r.citations_valid is not None])
    judged = [r for r in results if r.abstained is not None]
    s["abstain_accuracy"] = _mean([float(r.abstained == (not r.answerable)) for r in judged])
    s["answer_match"] = _mean([float(r.answer_match) for r in results if r.answer_match is not None])
    s["format_ok"] = _mean([float(r.format_ok) for r in results if r.format_ok is not None])
    for stage in sorted({key for r in results for key in r.timings_ms}):
        values = [r.timings_ms[stage] for r in results if stage in r.timings_ms]
        s[f"{stage[:-3]}_p50_ms"] = _pct(values, 50)
        s[f"{stage[:-3]}_p95_ms"] = _pct(values, 95)
    return s


def advice(breakdown: dict[str, int], total: int) -> str:
    """What to do next, in plain words, from the failure breakdown."""
    knowledge = breakdown.get("retrieval miss", 0)
    grounding = breakdown.get("grounding miss", 0) + breakdown.get("false answer", 0)
    behaviour = breakdown.get("format miss", 0)
    if knowledge + grounding + behaviour == 0:
        return f"All {total} questions passed. Keep this file as a regression gate (`archivist eval --compare`)."
    parts = []
    if knowledge >= max(grounding, behaviour):
        parts.append(f"Most failures ({knowledge}) are retrieval misses: a knowledge problem. Improve retrieval "
                     "or scoping (in:FOLDER / file:GLOB), or add the missing documents — an adapter will not help.")
    if grounding:
        parts.append(f"{grounding} grounding miss(es): the evidence was found but the answer was unsupported, "
                     "wrong or abstained — try a stronger model (--model) or --extractive; check min_evidence.")
    if behaviour:
        parts.append(f"{behaviour} format miss(es): a behaviour problem — train a style adapter on rated answers.")
    return " ".join(parts)
