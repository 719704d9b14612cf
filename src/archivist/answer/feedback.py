"""Feedback on answers: a rating (good/bad) and an optional correction, stored in the encrypted state file.

The rows are the raw material of the adapter data set (issue 6): the question, the whole answer as shown
(``Answer.to_json``, with its citations) and what the analyst said about it.
"""

from __future__ import annotations

import json
from typing import Literal

from archivist.answer.service import Answer
from archivist.storage.state import StateStore

Rating = Literal["good", "bad"]


def record_feedback(state: StateStore, answer: Answer, rating: Rating, correction: str | None = None) -> int:
    """Store ``rating`` of ``answer``; an empty correction is stored as none. Returns the row id.

    Raises:
        ValueError: ``rating`` is neither ``good`` nor ``bad``.
    """
    text = (correction or "").strip() or None
    return state.add_feedback(answer.question, json.dumps(answer.to_json(), ensure_ascii=False), rating, text)
