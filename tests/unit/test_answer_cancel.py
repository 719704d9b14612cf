"""Cancelling an answer: ``Answerer.ask(cancel=...)`` stops between tokens; without it nothing changes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from conftest import FakeGenerator

from archivist.answer.service import AnswerCancelled

QUESTION = "What port does the Zephyr backup service listen on?"
REPLY = "The Zephyr backup service listens on port 7431 and it writes snapshots every six hours [1]."


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "runbook.md").write_text("The Zephyr backup service listens on port 7431 and writes snapshots to the "
                                  "vault every six hours.\n")
    return d


def _services(services_factory, docs: Path, gen: FakeGenerator):  # noqa: ANN001, ANN202
    services = services_factory(gen)
    services.store.add_folder(docs)
    services.indexer().index_all()
    return services


def test_setting_cancel_stops_the_stream_within_one_token(services_factory, docs: Path) -> None:
    gen = FakeGenerator(REPLY)
    answerer = _services(services_factory, docs, gen).answerer()
    cancel = threading.Event()
    seen: list[str] = []

    def on_token(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            cancel.set()

    with pytest.raises(AnswerCancelled):
        answerer.ask(QUESTION, on_token=on_token, cancel=cancel)
    assert len(seen) == 3 < len(REPLY.split(" "))


def test_a_cancel_set_before_generation_never_calls_the_model(services_factory, docs: Path) -> None:
    gen = FakeGenerator(REPLY)
    answerer = _services(services_factory, docs, gen).answerer()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AnswerCancelled):
        answerer.ask(QUESTION, cancel=cancel)
    assert gen.prompts == []


def test_an_unset_cancel_changes_nothing(services_factory, docs: Path) -> None:
    answerer = _services(services_factory, docs, FakeGenerator(REPLY)).answerer()
    with_event = answerer.ask(QUESTION, cancel=threading.Event())
    without = answerer.ask(QUESTION)
    assert with_event.answer == without.answer and not with_event.abstained
