"""Feedback on answers: stored encrypted, migrated onto older indexes, validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from archivist.answer.feedback import record_feedback
from archivist.answer.service import Answer
from archivist.index.store import Store


def _answer() -> Answer:
    return Answer("How long are contracts kept?", "Eleven years [1].", "generated", False, [], [], 0.7)


def test_feedback_is_stored_with_the_whole_answer(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    record_feedback(store, _answer(), "bad", "  Twelve years, since the 2025 amendment.  ")
    record_feedback(store, _answer(), "good", "   ")
    rows = store.feedback()
    store.close()
    assert [(r.rating, r.correction) for r in rows] == [("bad", "Twelve years, since the 2025 amendment."),
                                                       ("good", None)]
    assert rows[0].question == "How long are contracts kept?"
    assert json.loads(rows[0].answer_json)["answer"] == "Eleven years [1]."
    assert rows[0].created_at.endswith("Z")


def test_a_rating_must_be_good_or_bad(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    with pytest.raises(ValueError, match="good"):
        record_feedback(store, _answer(), "meh")  # type: ignore[arg-type]
    store.close()


def test_feedback_is_not_readable_at_rest(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    store = Store.open(db, PASSPHRASE)
    record_feedback(store, _answer(), "bad", "canary-walrusquill correction")
    store.close()
    for path in tmp_path.iterdir():
        assert b"walrusquill" not in path.read_bytes(), path


def test_an_index_at_schema_1_gains_the_feedback_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archivist.index.store as store_mod
    from archivist.index import migrations

    db = tmp_path / "index.db"
    monkeypatch.setattr(store_mod, "MIGRATIONS", {1: migrations.MIGRATIONS[1]})
    monkeypatch.setattr(store_mod, "LATEST", 1)
    old = Store.open(db, PASSPHRASE)
    old.add_folder(tmp_path)
    assert old.schema_version() == 1
    old.close()
    monkeypatch.undo()
    new = Store.open(db, PASSPHRASE)
    assert new.schema_version() == migrations.LATEST >= 2
    record_feedback(new, _answer(), "good")
    assert len(new.feedback()) == 1 and [f.path for f in new.folders()] == [tmp_path]
    new.close()
