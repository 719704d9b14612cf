"""Past questions and answers, ratings of answers, and the training data made from them."""

from __future__ import annotations

from pathlib import Path

from archivist.answer.feedback import Rating, record_feedback
from archivist.answer.service import Answer
from archivist.app.base import Base
from archivist.errors import ConfigError
from archivist.storage.state import HistoryRow


class HistoryCases(Base):
    def history(self, limit: int = 20) -> list[HistoryRow]:
        """This profile's past questions and answers, newest first."""
        return self.state.history(self.profile, limit)

    def rate(self, rating: str, *, answer_id: int | None = None,
             correction: str | None = None) -> tuple[int, HistoryRow]:
        """Rate the last answer (or answer ``answer_id`` of the history); returns the rating's id and the answer.

        Raises:
            ConfigError: there is no such answer.
        """
        rows = self.history(1000 if answer_id is not None else 20)
        row = next((h for h in rows if answer_id is None or h.id == answer_id), None)
        if row is None:
            raise ConfigError("No answer to rate." if answer_id is None else f"There is no answer {answer_id}.",
                              hint="`archivist feedback --list` shows recent answers; ask one first.")
        text = (correction or "").strip() or None
        return self.state.add_feedback(row.question, row.answer_json, rating, text, profile=self.profile), row

    def feedback(self, answer: Answer, rating: Rating, correction: str | None) -> int:
        """Store a rating of ``answer`` just given (the terminal UI)."""
        return record_feedback(self.state, answer, rating, correction)

    def export_dataset(self, output: Path, *, plaintext: bool, include_bad: bool) -> tuple[int, int]:
        """Write the rated answers as training examples (encrypted unless ``plaintext``); audited. Returns how
        many were written and how many ratings were skipped."""
        from archivist.adapters.dataset import feedback_examples, write_examples

        examples, skipped = feedback_examples(self.state.feedback(self.profile), include_bad=include_bad)
        write_examples(output, examples, None if plaintext else self.passphrase)
        self.audit("export", detail=f"dataset {len(examples)} examples{' plaintext' if plaintext else ''}")
        return len(examples), skipped
