"""Names a question gives that no document mentions: the answer says so instead of answering from another's."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeGenerator

from archivist.retrieve.names import named, unmentioned


@pytest.mark.parametrize(("question", "names"), [
    ("What was Nvidia's revenue in FY2022?", ["Nvidia"]),
    ("What is the FY2018 capital expenditure amount for 3M?", ["3M"]),
    ("What was Gannet Logistics' gross margin in FY2025?", ["Gannet Logistics"]),
    ("What is American Express’s largest liability in 2022?", ["American Express"]),
    ("Which region had the worst topline performance for MGM during FY2022?", ["MGM"]),
    # periods, document types and a question's own words are no names
    ("As of FY2023Q1, why did the company raise its guidance for Q2 2023?", []),
    ("Here's the question: what is the company's 10-K revenue for FY2022?", []),
    ("Is the business subject to cyclicality?", []),
])
def test_the_names_a_question_gives(question: str, names: list[str]) -> None:
    assert named(question) == names


def test_a_name_counts_as_mentioned_when_any_of_its_own_words_is() -> None:
    words = {"gannet", "logistics", "inc"}

    def index(word: str) -> bool:
        return word.lower() in words

    assert unmentioned("What was Nvidia's revenue?", index) == ["Nvidia"]
    assert unmentioned("What was Gannet Logistics' revenue?", index) == []
    assert unmentioned("What was Gannet Freight's revenue?", index) == []  # spelt a little differently
    assert unmentioned("What was Acme Inc.'s revenue?", index) == ["Acme Inc"]  # "Inc" names nobody


def test_asking_about_a_company_the_documents_never_mention_is_not_answered(services_factory, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gannet-2025.md").write_text("# Gannet Logistics annual report 2025\n\nGannet Logistics' revenue was "
                                         "12,400 million in FY2025, up from 11,250 million in FY2024.\n")
    services = services_factory(FakeGenerator("Revenue was 12,400 million [1]."))
    services.store.add_folder(docs)
    services.indexer().index_all()
    answerer = services.answerer()

    other = answerer.ask("What was Nvidia's revenue in FY2025?")
    assert other.abstained and "12,400" not in other.answer
    assert "never mention Nvidia" in other.note and other.citations  # the closest passages are still shown
    own = answerer.ask("What was Gannet Logistics' revenue in FY2025?", extractive=True)
    assert not own.abstained and "12,400" in own.answer
