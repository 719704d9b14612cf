"""Index generations: the promotion gate (both generations measured on the analyst's questions, retrieval only).
Listing, rolling back and pruning are ``index.generations``' own functions, which need no open index."""

from __future__ import annotations

from pathlib import Path

from archivist.app.workspace import Workspace
from archivist.eval.gate import GateResult
from archivist.index.generations import Generation


def gate(ws: Workspace, candidate: Generation, questions: Path, *, k: int = 20,
         tolerance: float = 0.02) -> tuple[GateResult, dict]:
    """Compare ``ws``' generation (the current one) with ``candidate`` on ``questions``; both summaries are kept
    in the manifest even when the switch will be refused. Returns the result and the candidate's summary.

    Raises:
        ConfigError: the question file cannot be read.
        WrongPassphrase, StoreError: the candidate's file cannot be opened.
    """
    from archivist.eval.gate import run_gate, summary
    from archivist.eval.questions import load_questions
    from archivist.index import generations as g

    result = run_gate(ws, candidate, load_questions(questions), k=k, tolerance=tolerance)
    eval_summary = summary(result.candidate)
    with g.update(ws.paths) as m:
        m.get(m.current).eval = summary(result.current)
        m.get(candidate.id).eval = eval_summary
    return result, eval_summary
