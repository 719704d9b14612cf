"""A computed answer as the user sees it: the worked line first, then each operand's row, each cited.

``Answerer`` calls ``computed_answer`` before anything else; when the question asks for a calculation
(``answer.compute``) the answer is the calculation (no model call: a small model cannot check arithmetic, and
the worked line already says everything), or why it cannot be made, with the closest rows cited. Otherwise
None, and the question is answered as any other.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from archivist.answer import printed
from archivist.answer.compute import Calculation, Refusal, compute, compute_trend, plan, trend
from archivist.answer.grounding import Sentence, render
from archivist.answer.service import Answer, Citation
from archivist.ingest.chunk import content_hash
from archivist.retrieve.focus import infer

if TYPE_CHECKING:
    from archivist.answer.service import Answerer
    from archivist.index.factstore import FactRow
    from archivist.retrieve.hybrid import SearchResult


def computed_answer(answerer: Answerer, question: str, result: SearchResult, started: float) -> Answer | None:
    """The answer to ``question`` when it asks for a calculation, else None (see the module's docstring)."""
    across = trend(question) is not None
    asks = not across and plan(question) is not None
    if not asks and not across:
        return None
    t = time.perf_counter()
    retriever = answerer.retriever
    documents = retriever.documents()
    focus = result.focus if result.focus else infer(question, documents)
    if focus.entities:
        files = [fid for fid, (_p, meta) in documents.items() if meta.entity in focus.entities]
    elif result.hits:
        # No entity named: the one of the best passage's document (never a mix of companies' figures).
        top = result.hits[0].chunk.file_id
        entity = documents[top][1].entity if top in documents else ""
        files = [fid for fid, (_p, meta) in documents.items() if entity and meta.entity == entity] or [top]
    else:
        return None
    facts = retriever.store.facts_of_files(files)
    if asks:
        outcome = compute(question, facts, documents, focus.weights)
        worked = [outcome] if isinstance(outcome, Calculation) else []
    else:  # a yes/no question about a metric's direction or sign: the metric of each year it needs
        worked = compute_trend(question, facts, focus.weights, documents) or []
        outcome = worked[-1] if worked else None
    if outcome is None:
        return None
    rows = [o.fact for c in worked for o in c.operands] if worked else outcome.candidates
    # The filing's own printing of the result, when it prints one (a second source: answer.printed).
    found = None
    if isinstance(outcome, Calculation) and printed.subject(outcome.name) is not None:
        own = {o.fact.file_id for o in outcome.operands}
        store = retriever.store
        found = printed.find(outcome, facts, store.chunks(store.chunk_ids_of_files(sorted(own))).values())
    chunk_ids = list(dict.fromkeys([*(f.chunk_id for f in rows), *([found.chunk_id] if found else [])]))
    chunks = retriever.store.chunks(chunk_ids)
    number = {cid: n for n, cid in enumerate((c for c in chunk_ids if c in chunks), start=1)}
    evidence = {h.chunk.id: h.evidence for h in result.hits}
    citations = [Citation(n, str(chunks[cid].path), chunks[cid].page, chunks[cid].line_start, chunks[cid].line_end,
                          chunks[cid].heading, chunks[cid].text, round(evidence.get(cid, 0.0), 4), 1.0, chunk_id=cid,
                          content_hash=content_hash(chunks[cid].prefix, chunks[cid].text),
                          generation=answerer.generation) for cid, n in number.items()]
    timings = dict(result.timings_ms)
    timings["compute_ms"] = (time.perf_counter() - t) * 1000
    timings["total_ms"] = (time.perf_counter() - started) * 1000
    if isinstance(outcome, Refusal):
        sentences = [Sentence(outcome.message, None, 0.0, False, label=True)]
        sentences += [Sentence(_row(f) + ".", number[f.chunk_id], 1.0, True, lead="\n- ")
                      for f in outcome.candidates if f.chunk_id in number]
        if outcome.candidates:
            sentences.insert(1, Sentence("Closest rows:", None, 0.0, False, label=True, lead="\n"))
        return Answer(question, render(sentences), "abstained", True, sentences, citations, result.evidence,
                      note="A calculation was asked for and an operand is missing; nothing was guessed.",
                      timings_ms=timings)
    line = outcome.line() if asks else _trend_line(worked)
    whose = outcome.operands[0].fact.entity
    if not focus.entities and whose:
        # The question named no company Archivist knows ("3M" with no 3M filing indexed): say whose figures
        # these are, first, so a calculation for another company is never read as the one asked about.
        line = f"{whose} (the question names no company of your documents; figures of the best passage's): {line}"
    lead = Sentence(line + ".", number.get(outcome.operands[0].fact.chunk_id), 1.0, True)
    sentences = [lead] + [Sentence(_row(o.fact, o.name, o.period) + ".", number.get(o.fact.chunk_id), 1.0, True,
                                   lead="\n- ")
                          for o in _distinct(worked)]
    if found is not None:
        sentences.append(Sentence(f"Printed in the filing: “{found.text}”.", number.get(found.chunk_id), 1.0, True,
                                  lead="\n"))
    answer = Answer(question, render(sentences), "extractive", False, sentences, citations, result.evidence,
                    note="Computed from the cited table figures (exact decimal arithmetic; no model call).",
                    timings_ms=timings)
    answer.calculation = calculation_json(outcome, number)
    if found is not None:
        answer.calculation["printed"] = {"text": found.text, "citation": number.get(found.chunk_id)}
    return answer


def _trend_line(worked: list[Calculation]) -> str:
    """``Gross margin, FY2016: 86.2% = ...; FY2017: 85.7% = ... (lower in FY2017)``, or for one year, its
    sign: ``Working capital, FY2021: 2,853 million = 7,453 - 4,600 (positive)``. The figures, not a verdict:
    whether lower is better is the analyst's reading."""
    first = worked[0]
    text = f"{first.name[:1].upper()}{first.name[1:]}, " + "; ".join(
        f"{c.period}: {c.shown} = {c.expression}" for c in worked)
    if len(worked) == 1:
        sign = "positive" if first.result > 0 else "negative" if first.result < 0 else "zero"
        return f"{text} ({sign})"
    last, before = worked[-1], worked[-2]
    way = "higher" if last.result > before.result else "lower" if last.result < before.result else "unchanged"
    by = ""
    if way != "unchanged" and not re.search(r"(?:thousand|million|billion)$", last.shown):
        # By how much, at the precision shown: percentage points for a percentage.
        def figure(c: Calculation) -> Decimal:
            return Decimal(c.shown.rstrip("%").replace(",", ""))
        places = len(last.shown.rstrip("%").partition(".")[2])
        step = abs(figure(last) - figure(before))
        by = f"{step:.{places}f}{' percentage points' if last.shown.endswith('%') else ''} "
    return f"{text} ({by}{way} {_in(last.period)} than {_in(before.period)})"


def _in(period: str) -> str:
    """``in FY2023``, ``in Q2 FY2023 (...)``, ``at June 30, 2023`` (a date)."""
    return f"at {period}" if re.match(r"[A-Z][a-z]+\.? \d", period) else f"in {period}"


def _distinct(worked: list[Calculation]) -> list:
    seen: set[int] = set()
    out = []
    for o in (o for calc in worked for o in calc.operands):
        if o.fact.id not in seen:
            seen.add(o.fact.id)
            out.append(o)
    return out


def _row(fact: FactRow, name: str = "", period: str = "") -> str:
    """``Revenue (FY2025): 12,400 million, Consolidated Statements of Income`` (``as cost of revenue`` when
    the row's label is not the formula's word for it; ``period``: the operand's, a quarter's by its column)."""
    text = f"{fact.label} ({period or fact.when()}): {fact.shown()}"
    if name and name.lower() not in fact.label.lower():
        text += f", as {name}"
    return text + (f", {fact.title}" if fact.title else "")


def calculation_json(calc: Calculation, number: dict[int, int]) -> dict:
    """``calculation`` of ``ask --json`` (schemas/ask.json): the worked expression, the result as shown, and
    each operand with the citation number of its passage."""
    return {"name": calc.name, "period": calc.period, "expression": calc.expression, "result": str(calc.result),
            "shown": calc.shown,
            "operands": [{"label": o.name, "row": o.fact.label, "value": o.fact.raw, "amount": str(o.amount),
                          "scale": o.fact.scale, "period": o.period, "citation": number.get(o.fact.chunk_id),
                          "where": o.fact.where()} for o in calc.operands]}
