"""Which statement a question needs, which passages are that statement, and that search brings them in."""

from __future__ import annotations

from pathlib import Path

import pytest

from archivist.retrieve.statements import IMPLIED_WEIGHT, NAMED_WEIGHT, statement_of, wanted, weight


@pytest.mark.parametrize(("question", "needs"), [
    ("Using the cash flow statement, how much did Acme spend on buybacks in FY2020?", {"cash"}),
    ("Based on the balance sheet and the statement of income, what is FY2020 DSO?", {"balance", "income"}),
    ("Per the statement of financial position, what are Acme's total assets?", {"balance"}),
    ("Does Acme have an improving gross margin profile as of FY2022?", {"income"}),
    ("What is the FY2017 operating cash flow ratio for Acme?", {"cash", "balance"}),
    ("Has Acme's quick ratio improved between FY2022 and FY2023?", {"balance"}),
    ("What is the FY2021 capital expenditure amount for Acme?", {"cash"}),
    ("Did Acme grow its PPNE between FY20 and FY21?", {"balance"}),  # analysts' abbreviation of PP&E
    # "cash" is a balance-sheet line, but not inside "operating cash flow".
    ("What was Acme's operating cash flow in FY2019?", {"cash"}),
    ("Who are the primary customers of Acme?", set()),
    ("Has Acme reported any ongoing legal battles?", set()),
])
def test_the_statements_a_question_needs(question: str, needs: set[str]) -> None:
    assert wanted(question) == needs


@pytest.mark.parametrize(("heading", "kind"), [
    ("Consolidated Statements of Operations (in millions) | ended December 31, 2022 | 2021", "income"),
    ("ACME INC. CONSOLIDATED STATEMENTS OF INCOME (in thousands) | 2016", "income"),
    ("U.S. GAAP Condensed Consolidated Statements of Income (Unaudited) | 2023", "income"),
    ("Consolidated Balance Sheets (in millions) | 2023 | 2022", "balance"),
    ("Consolidated Statements of Financial Position | 2023", "balance"),
    ("Consolidated Statements of Cash Flows (in millions) | 2020 | 2019", "cash"),
    # Not a primary statement: MD&A tables, notes, comprehensive income, prose.
    ("Results of Operations (in millions) | 2022 | 2021", None),
    ("Notes to the Consolidated Statements of Cash Flows", None),
    ("Consolidated Statements of Comprehensive Income | 2022", None),
    ("Liquidity and Capital Resources", None),
    ("", None),
    # About a statement, not the statement: notes, MD&A tables, guarantor and parent-company statements, the
    # sentence that leads into a table.
    ("NOTE 10 - OTHER CONSOLIDATED BALANCE SHEET COMPONENTS (NON-CURRENT) (in thousands) | 2016", None),
    ("Key Balance Sheet Data (in millions) | 2020 | 2019", None),
    ("TABLE 9: USCS SELECTED INCOME STATEMENT DATA (in millions)", None),
    ("CONDENSED CONSOLIDATING BALANCE SHEET INFORMATION (in thousands) | December 31, 2018", None),
    ("PARENT COMPANY – CONDENSED STATEMENTS OF CASH FLOWS | 2022", None),
    ("Balance Sheet for Obligor Group (in millions) | 2022", None),
    ("The components of certain Consolidated Balance Sheet accounts are as follows (in millions)", None),
    ("cash in the consolidated statements of cash flows (in millions)", None),
    ("Consolidated Balance Sheets Acme Incorporated and Subsidiary Companies (in millions)", "balance"),
    ("Condensed Consolidated Statement of Cash Flows (continued) (in millions) | 2023", "cash"),
    # The columns after the title do not count.
    ("Segment revenue | Consolidated Statements of Income", None),
])
def test_a_passage_is_a_statement_by_its_title(heading: str, kind: str | None) -> None:
    assert statement_of(heading) == kind


def test_a_named_statement_counts_more_than_an_implied_one() -> None:
    assert weight("Using the cash flow statement, what is FY2020 capex?") == NAMED_WEIGHT
    assert weight("What is the FY2020 capex?") == IMPLIED_WEIGHT
    assert weight("Who founded Acme?") == 1.0


def _filing(folder: Path) -> None:
    prose = "\n\n".join(
        f"## Discussion {i}\n\nManagement discussed the quick improvement of liquidity ratio targets "
        f"in meeting {i}, and whether the ratio improved against plan {i}." for i in range(12))
    (folder / "acme-10k.md").write_text(
        f"# Acme annual report\n\n{prose}\n\n"
        "## Consolidated Balance Sheets\n\n"
        "| Item | 2023 | 2022 |\n|---|---|---|\n"
        "| Cash and cash equivalents | 410 | 380 |\n| Accounts receivable, net | 220 | 240 |\n"
        "| Total current assets | 1,200 | 1,150 |\n| Total current liabilities | 800 | 790 |\n")


def test_search_brings_in_the_statement_the_question_needs(services_factory, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    _filing(docs)
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    retriever = services.retriever()
    # Few candidates, so the balance sheet (no word in common with the question) is not among them by itself.
    retriever.candidates = retriever.rerank_candidates = 3

    def headings(question: str) -> list[str]:
        return [h.chunk.heading for h in retriever.search(question, 15).hits]

    question = "Has Acme's quick ratio improved?"
    assert any(statement_of(h) == "balance" for h in headings(question))
    # The same search without knowing which statement the quick ratio needs does not find it.
    monkeypatch.setattr("archivist.retrieve.hybrid.wanted", lambda q: frozenset())
    assert not any(statement_of(h) == "balance" for h in headings(question))
