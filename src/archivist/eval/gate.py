"""The promotion gate: evaluate the current and a candidate generation on the same questions, retrieval only.

Retrieval metrics need no model (``archivist eval --no-answer``), so the gate is quick and deterministic;
the comparison is ``archivist eval --compare``'s: a quality metric that drops by more than the tolerance
blocks the promotion.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

from archivist.eval.questions import Question
from archivist.eval.report import Change, compare
from archivist.eval.runner import EvalTarget, run_eval
from archivist.index.generations import Generation
from archivist.index.store import Store
from archivist.paths import Paths


class GateTarget(EvalTarget, Protocol):
    """An evaluation target (``app.Workspace``, a dataclass) that can be copied onto another generation's file."""

    paths: Paths
    store: Store
    passphrase: str

SUMMARY_KEYS = ("questions", "with_sources", "recall@1", "recall@5", "recall@10", "recall@20", "mrr", "ndcg@10")
"""Metrics kept in the manifest as a generation's eval summary (numbers only: no question text)."""


@dataclass
class GateResult:
    current: dict
    """The current generation's run (``EvalRun.to_json()``)."""
    candidate: dict
    changes: list[Change]
    tolerance: float

    @property
    def regressed(self) -> list[str]:
        return [c.metric for c in self.changes if c.regressed]

    @property
    def compared(self) -> bool:
        """Whether any gated metric could be measured (questions without ``sources`` give no retrieval metric)."""
        return any(c.before is not None for c in self.changes if c.metric.startswith(("recall@", "mrr", "ndcg@")))


def summary(run: dict) -> dict:
    """The part of a run's summary worth keeping next to a generation."""
    return {k: run["summary"].get(k) for k in SUMMARY_KEYS if run["summary"].get(k) is not None}


def run_gate(services: GateTarget, candidate: Generation, questions: list[Question], *, k: int = 20,
             tolerance: float = 0.02) -> GateResult:
    """Evaluate ``services``' generation (the current one) and ``candidate`` on ``questions``.

    Raises:
        WrongPassphrase, StoreError: the candidate's file cannot be opened.
    """
    current_run = run_eval(services, questions, k=k, answer=False).to_json()
    profile = getattr(services.store, "profile", None)  # the candidate is read as the current one is
    store = Store.open(candidate.path(services.paths), services.passphrase, cache_mb=services.settings.cache_mb,
                       **({"profile": profile} if profile is not None else {}))
    try:
        # Same settings, embedder and state; only the index differs. Never closed: it shares them.
        other = dataclasses.replace(services, store=store)  # type: ignore[type-var]
        candidate_run = run_eval(other, questions, k=k, answer=False).to_json()
    finally:
        store.close()
    changes = [c for c in compare(current_run, candidate_run, tolerance=tolerance) if not c.metric.endswith("_ms")]
    return GateResult(current_run, candidate_run, changes, tolerance)
