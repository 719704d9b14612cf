"""Index generations: list them, promote one past the gate (both generations measured on the analyst's
questions, retrieval only), roll back, prune. ``index.generations`` keeps the manifest; none of this needs the
passphrase except the gate, which opens the workspace it is given.

The shells print generations with the names re-exported here (states, ``human_size``, ``eval_text``), so
they never reach below the application layer for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archivist.index.generations import (
    BUILDING,
    CURRENT,
    READY,
    RETIRED,
    Generation,
    GenerationError,
    eval_text,
    human_size,
)
from archivist.paths import Paths
from archivist.settings import Settings

if TYPE_CHECKING:
    from archivist.app.workspace import Workspace
    from archivist.eval.gate import GateResult

__all__ = ["BUILDING", "CURRENT", "READY", "RETIRED", "Generation", "GenerationError", "Overview", "Promotion",
           "eval_text", "gate", "human_size", "overview", "promote", "prune", "rollback"]


@dataclass
class Overview:
    """Every generation with its state, the disk they take and how many are kept."""

    current: int
    generations: list[Generation]
    disk_bytes: int
    files: int
    """Database files on disk (each generation's encrypted file)."""
    keep: int
    """``index.keep_generations``."""

    def to_json(self) -> dict:
        return {"current": self.current, "disk_bytes": self.disk_bytes, "keep": self.keep,
                "generations": [vars(x) for x in self.generations]}


def overview(paths: Paths, settings: Settings) -> Overview:
    """The generations of the manifest (no passphrase needed)."""
    from archivist.index import generations as g

    return Overview(g.load(paths).current, g.list_generations(paths), g.disk_usage(paths),
                    len(g.database_files(paths)), settings.index.keep_generations)


@dataclass
class Pruned:
    """What retention removed, and the disk the generations take now."""

    removed: list[Generation]
    keep: int
    disk_bytes: int


def prune(paths: Paths, keep: int) -> Pruned:
    """Delete the retired generations beyond the newest ``keep`` (their encrypted files, WAL and shared memory)."""
    from archivist.index import generations as g

    removed = g.prune(paths, keep)
    return Pruned(removed, keep, g.disk_usage(paths))


def rollback(paths: Paths, gen_id: int | None = None) -> tuple[Generation, int]:
    """Switch back to ``gen_id``, or to the generation that answered before the last switch (no comparison);
    returns it and the id of the one it replaced.

    Raises:
        GenerationError: nothing to roll back to, or the target cannot answer.
    """
    from archivist.index import generations as g

    was = g.load(paths).current
    return g.rollback(paths, gen_id), was


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


@dataclass
class Promotion:
    """The outcome of ``promote``: the generation that answers now, or the metrics that refused the switch."""

    previous: int
    """The generation that answered before."""
    promoted: Generation | None = None
    regressed: list[str] = field(default_factory=list)
    """The metrics the candidate retrieves worse on beyond the tolerance (then nothing was switched)."""
    pruned: Pruned | None = None


def promote(paths: Paths, settings: Settings, gen_id: int, *, questions: Path | None = None, force: bool = False,
            tolerance: float = 0.02, k: int = 20, open_workspace: Callable[[], Workspace],
            measured: Callable[[GateResult, int], None] | None = None) -> Promotion:
    """Make generation ``gen_id`` the one that answers if it does not retrieve worse on ``questions`` (default:
    ``index.promotion_questions``) than the current one, then prune to ``index.keep_generations``. ``force``
    switches unchecked. The gate opens the index with ``open_workspace`` and tells ``measured`` its result and
    the current generation's id.

    Raises:
        GenerationError: unknown id, already current, still building (without ``force``).
        ConfigError: no questions, or none that names its sources (nothing to compare).
    """
    from archivist.errors import ConfigError
    from archivist.index import generations as g

    manifest = g.load(paths)
    target = manifest.get(gen_id)
    outcome = Promotion(manifest.current)
    if target.status == CURRENT:
        raise GenerationError(f"Generation {gen_id} is already the current one.",
                              hint="`archivist index generations` lists the others.")
    eval_summary = None
    source = questions or settings.index.promotion_questions
    if not force:
        if target.status == BUILDING:
            raise GenerationError(f"Generation {gen_id} is still being built: it would answer from part of "
                                  "your documents.", hint="Finish it first: archivist index build")
        if source is None:
            raise ConfigError("Promotion compares both generations on your questions, and none were given.",
                              hint="Pass --questions FILE (examples/sample-questions.jsonl fits the sample "
                                   "folder), set index.promotion_questions, or --force to switch unchecked.")
        ws = open_workspace()
        try:
            result, eval_summary = gate(ws, target, Path(source).expanduser(), k=k, tolerance=tolerance)
        finally:
            ws.close()
        if measured is not None:
            measured(result, outcome.previous)
        if not result.compared:
            raise ConfigError(f"None of the questions in {source} names its sources, so retrieval cannot be "
                              "compared.", hint="Add \"sources\" to the questions (see README), or --force.")
        if result.regressed:
            outcome.regressed = result.regressed
            return outcome
    outcome.promoted = g.promote(paths, gen_id, eval_summary=eval_summary, force=force)
    outcome.pruned = prune(paths, settings.index.keep_generations)
    return outcome
