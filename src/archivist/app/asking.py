"""Asking and searching: answers and passages, each recorded in the encrypted history and audit trail with the
passages' ids, whichever shell asked; and measuring both on a question file (``archivist eval``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from archivist.answer.service import Answer, Citation
from archivist.answer.service import _citation as citation  # the one way a hit becomes a citation
from archivist.app.base import Base
from archivist.errors import ArchivistError
from archivist.index.generations import generation_of
from archivist.retrieve.hybrid import Hit, SearchResult

__all__ = ["AskCases", "compare_runs", "load_questions", "save_eval"]


def load_questions(path: Path) -> list:
    """The questions of a question file (JSON Lines; ``eval.questions``), to ``evaluate``.

    Raises:
        ConfigError: the file cannot be read or a line is not a question.
    """
    from archivist.eval.questions import load_questions as load

    return load(path)


def save_eval(run: dict, *, output: Path | None = None, report: Path | None = None) -> None:
    """Write an evaluation run (``EvalRun.to_json()``) as JSON to ``output`` (for ``compare_runs``) and as a
    Markdown report to ``report``: 0600 and atomically, as both quote document text."""
    import json

    from archivist.eval.report import markdown
    from archivist.storage.private import write_private

    if output:
        write_private(output, json.dumps(run, indent=1))
    if report:
        write_private(report, markdown(run))


def compare_runs(a: Path, b: Path, *, tolerance: float) -> list:
    """The metric changes from run ``a`` to run ``b`` (files ``save_eval`` wrote); a quality metric that drops
    by more than ``tolerance`` is ``regressed``.

    Raises:
        ConfigError: a run cannot be read.
    """
    import json

    from archivist.errors import ConfigError
    from archivist.eval.report import compare

    try:
        runs = [json.loads(p.read_text()) for p in (a, b)]
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read an eval run: {exc}.", hint="Pass two files written by --output.") from None
    return compare(*runs, tolerance=tolerance)


class AskCases(Base):
    def folder_id(self, folder: Path | None) -> int | None:
        raise NotImplementedError  # app.folders

    def ask(self, question: str, *, folder: Path | None = None, extractive: bool = False,
            follows: str | None = None, on_token: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None, asked_as: Callable[[str], None] | None = None,
            on_draft: Callable[[Answer], None] | None = None) -> Answer:
        """Answer ``question`` from this profile's documents (``follows``: the earlier question it follows up;
        ``asked_as`` is then told the whole question it is asked as), and keep it in the history and audit trail.
        ``on_draft`` gets the quoted answer before the model starts (``Answerer.ask``); only the final answer
        is recorded.

        Raises:
            FolderNotFound: ``folder`` is not an added folder.
            AnswerCancelled: ``cancel`` was set.
            ModelError: the model cannot be loaded.
        """
        answerer = self.answerer()
        folder_id = self.folder_id(folder)
        if follows is not None and asked_as is not None:
            from archivist.answer.followup import rewrite

            asked_as(rewrite(question, follows, answerer.retriever.documents()).question)
        answer = answerer.ask(question, folder_id=folder_id, extractive=extractive, on_token=on_token, cancel=cancel,
                              follows=follows, on_draft=on_draft)
        with self.lock:  # the model has finished: only the recording waits for other threads' writes
            self.record_answer(answer)
        return answer

    def search(self, query: str, *, k: int | None = None, folder: Path | None = None,
               mode: str = "hybrid") -> SearchResult:
        """The passages that best match ``query`` (no model call), recorded in the audit trail."""
        result = self.answerer().retriever.search(query, k or self.settings.retrieval.top_k,
                                                  folder_id=self.folder_id(folder), mode=mode)  # type: ignore[arg-type]
        self.audit("search", query, [h.chunk.id for h in result.hits])
        return result

    def evaluate(self, questions: Sequence, *, k: int = 20, answer: bool = True, extractive: bool = False,
                 folder: Path | None = None, progress: Callable[[int, int], None] | None = None):  # noqa: ANN201
        """Run a question file (``eval.questions``) against this index: retrieval metrics, answer checks and a
        verdict per question (``eval.runner.EvalRun``)."""
        from archivist.eval.runner import run_eval

        return run_eval(self, list(questions), k=k, answer=answer, extractive=extractive,
                        folder_id=self.folder_id(folder), progress=progress)

    def citations(self, hits: Sequence[Hit]) -> list[Citation]:
        """Search hits shaped as citations (numbered by rank, nothing rests on them), with their passage ids and
        generation: opening one is audited like a cited passage."""
        generation = generation_of(self.paths, self.store.path)
        return [citation(n, h, 0.0, generation) for n, h in enumerate(hits, start=1)]

    def earlier_question(self, history_id: int | None = None) -> str:
        """The question a follow-up follows: this profile's last one, or the one with ``history_id``.

        Raises:
            ArchivistError: there is none.
        """
        rows = self.state.history(self.profile, limit=1 if history_id is None else 100_000)
        row = rows[0] if history_id is None and rows else next((r for r in rows if r.id == history_id), None)
        if row is None:
            raise ArchivistError("There is no earlier question to follow up." if history_id is None
                                 else f"No question {history_id} in your history.",
                                 hint="`archivist history` lists your questions with their ids; or ask the whole "
                                      "question.")
        return row.question

    def opened(self, c: Citation) -> None:
        """Record in the audit trail that a passage's source was opened."""
        self.audit("open", c.path, [c.chunk_id] if c.chunk_id else [])
