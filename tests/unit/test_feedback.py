"""Feedback on answers: stored encrypted in the state file, moved out of older indexes, validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from archivist.answer.feedback import record_feedback
from archivist.answer.service import Answer
from archivist.index.store import Store
from archivist.storage.state import StateStore


def _answer() -> Answer:
    return Answer("How long are contracts kept?", "Eleven years [1].", "generated", False, [], [], 0.7)


def test_feedback_is_stored_with_the_whole_answer(tmp_path: Path) -> None:
    state = StateStore.open(tmp_path / "state.db", PASSPHRASE)
    record_feedback(state, _answer(), "bad", "  Twelve years, since the 2025 amendment.  ")
    record_feedback(state, _answer(), "good", "   ")
    rows = state.feedback()
    state.close()
    assert [(r.rating, r.correction) for r in rows] == [("bad", "Twelve years, since the 2025 amendment."),
                                                       ("good", None)]
    assert rows[0].question == "How long are contracts kept?"
    assert json.loads(rows[0].answer_json)["answer"] == "Eleven years [1]."
    assert rows[0].created_at.endswith("Z")


def test_a_rating_must_be_good_or_bad(tmp_path: Path) -> None:
    state = StateStore.open(tmp_path / "state.db", PASSPHRASE)
    with pytest.raises(ValueError, match="good"):
        record_feedback(state, _answer(), "meh")  # type: ignore[arg-type]
    state.close()


def test_feedback_is_not_readable_at_rest_and_the_file_is_private(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state = StateStore.open(db, PASSPHRASE)
    record_feedback(state, _answer(), "bad", "canary-walrusquill correction")
    state.close()
    assert db.stat().st_mode & 0o777 == 0o600
    for path in tmp_path.iterdir():
        assert b"walrusquill" not in path.read_bytes(), path


def test_ratings_kept_inside_an_older_index_move_to_the_state_file(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    store._conn.execute("INSERT INTO feedback(question, answer_json, rating) VALUES (?, ?, ?)",  # noqa: SLF001
                        ("Old question?", json.dumps({"answer": "old"}), "good"))  # as an older version kept it
    state = StateStore.open(tmp_path / "state.db", PASSPHRASE)
    assert state.import_feedback(store) == 1
    assert state.import_feedback(store) == 0  # moved once, not copied on every start
    assert [r.question for r in state.feedback()] == ["Old question?"]
    assert store.feedback() == []
    store.close()
    state.close()
