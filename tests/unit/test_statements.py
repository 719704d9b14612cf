"""Which statement a question needs, which passages are that statement, and that search brings them in."""

from __future__ import annotations

from pathlib import Path

import pytest

from archivist.index.store import ChunkRow
from archivist.ingest.metadata import DocMeta
from archivist.retrieve.hybrid import Hit, Retriever
from archivist.retrieve.rerank import SIGNALS, signals
from archivist.retrieve.statements import (
    IMPLIED_WEIGHT,
    NAMED_WEIGHT,
    issuer,
    page_statement,
    same_issuer,
    statement_of,
    wanted,
    weight,
)


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


# -- whose statement it is ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("opening", "name"), [
    ("ACME HOLDINGS INC. AND SUBSIDIARIES\nCONSOLIDATED BALANCE SHEETS\n(In thousands)",
     "ACME HOLDINGS INC. AND SUBSIDIARIES"),
    ("Exhibit 99.3\nRIVERSIDE VENTURES,\nLLC\nCONSOLIDATED BALANCE SHEETS\n(In thousands)", "RIVERSIDE VENTURES, LLC"),
    ("Table of Contents\nConsolidated Balance Sheets Acme Incorporated and Subsidiary Companies\n(in millions)",
     "Acme Incorporated and Subsidiary Companies"),
    ("Table of Contents\nPART II\nItem 8\nThe Acme Company and Subsidiaries\nConsolidated Statements of Operations",
     "The Acme Company and Subsidiaries"),
    ("62\nCONSOLIDATED STATEMENTS OF INCOME\n(In thousands)", None),  # no name printed: not judged
])
def test_the_name_a_statement_page_prints_with_its_title(opening: str, name: str | None) -> None:
    assert issuer(opening) == name


def test_the_issuer_is_the_documents_entity_however_it_is_written() -> None:
    assert same_issuer("ACME HOLDINGS INC. AND SUBSIDIARIES", ["Acme Holdings Inc."])
    assert same_issuer("A CME H OLDINGS I NC. AND SUBSIDIARIES", ["Acme Holdings Inc."])  # letter-spaced capitals
    assert same_issuer("Acme Incorporated and Subsidiary Companies", ["ACME INC"])
    assert not same_issuer("RIVERSIDE VENTURES, LLC", ["Acme Holdings Inc.", "ACME"])


class _Filing:
    """A store holding one filing whose pages 57 (the registrant's balance sheet) and 174 (an affiliate's,
    filed as an exhibit) print the same title."""

    openings = {(1, 57): "ACME HOLDINGS INC. AND SUBSIDIARIES\nCONSOLIDATED BALANCE SHEETS\n(In thousands)",
                (1, 174): "Exhibit 99.3\nRIVERSIDE VENTURES,\nLLC\nCONSOLIDATED BALANCE SHEETS\n(In thousands)"}

    def __init__(self, entity: str = "Acme Holdings Inc.", aliases: tuple[str, ...] = ("ACME",)) -> None:
        self.entity, self.aliases = entity, aliases

    def documents_version(self) -> tuple:
        return (self.entity,)

    def documents(self) -> dict:
        return {1: (Path("/docs/acme-10k.pdf"), DocMeta("Acme 10-K", self.entity, "FY2018", "10-K", self.aliases))}

    def page_openings(self, pages):  # noqa: ANN001, ANN201
        return {key: self.openings[key] for key in pages if key in self.openings}


def _statement_hits(pages: list[int], headings: list[str] | None = None) -> list[Hit]:
    headings = headings or ["CONSOLIDATED BALANCE SHEETS (in thousands) | 2018 | 2017"] * len(pages)
    return [Hit(ChunkRow(id=n, file_id=1, path=Path("/docs/acme-10k.pdf"), folder_id=1,
                         text="Accounts payable 303,000 255,000", prefix="", page=page, line_start=None,
                         line_end=None, heading=heading, kind="pdf"), 0.03, 0.5, 0.5)
            for n, (page, heading) in enumerate(zip(pages, headings, strict=True))]


def test_an_affiliates_statement_filed_as_an_exhibit_is_not_the_statement_asked_for() -> None:
    question = "Based on the balance sheet, what were Acme's FY2018 accounts payable?"
    hits = _statement_hits([174, 57])
    Retriever(_Filing(), lambda: None)._read_statements(question, hits)
    assert [h.other_issuer for h in hits] == [True, False]
    statement = SIGNALS.index("statement")
    assert signals(question, hits)[:, statement].tolist() == [0.0, 1.0]


def test_an_other_issuer_is_never_judged_without_the_documents_own_or_when_the_question_names_it() -> None:
    alone = _statement_hits([174])  # the registrant's own statement is not among the candidates
    Retriever(_Filing(), lambda: None)._read_statements("What is Acme's balance sheet total?", alone)
    assert not alone[0].other_issuer
    named = _statement_hits([174, 57])
    Retriever(_Filing(), lambda: None)._read_statements("What does Riverside Ventures' balance sheet show?", named)
    assert not any(h.other_issuer for h in named)
    # An entity mis-read at ingest, and a question naming no company: neither page is known to be the
    # document's own, so neither is demoted.
    misread = _statement_hits([174, 57])
    Retriever(_Filing("Annual Report", ()), lambda: None)._read_statements("What is the balance sheet total?",
                                                                              misread)
    assert not any(h.other_issuer for h in misread)


# -- a statement page whose table has no title ---------------------------------------------------------------------

_ROWS = "\n".join(f"Line item {i} 1,{i}00 9{i}0" for i in range(8))


@pytest.mark.parametrize(("opening", "kind"), [
    (f"CONSOLIDATED BALANCE SHEETS\nDecember 31 (Millions) 2022 2021\n{_ROWS}", "balance"),
    (f"Acme Inc. and Subsidiary Companies\nConsolidated Statements of Cash Flows\n{_ROWS}", "cash"),
    # A note about balance sheet items, a title over prose, a sentence naming the statement: none of them.
    (f"Table of Contents\nNote 14 — Supplemental Financial Information\nBalance Sheet\n{_ROWS}", None),
    ("BALANCE SHEET\nCash and Cash Equivalents\nCash and cash equivalents include cash and amounts due from banks.\n"
     "Investments are carried at fair value.", None),
    (f"The hedged liabilities are recorded within Long-term debt on the Consolidated Balance Sheets.\n{_ROWS}",
     None),
])
def test_a_page_is_a_statement_by_its_title_over_rows_of_figures(opening: str, kind: str | None) -> None:
    assert page_statement(opening) == kind


def test_a_passage_whose_table_has_no_title_takes_its_pages() -> None:
    filing = _Filing()
    filing.openings = {(1, 98): f"CONSOLIDATED BALANCE SHEETS\nDecember 31 (Millions) 2022 2021\n{_ROWS}",
                       (1, 99): f"Note 9 — Other liabilities\nBalance Sheet\n{_ROWS}"}
    # The page's rows the table reader could not align (no title), a row taken for a title, a note's page.
    hits = _statement_hits([98, 98, 99], ["", "less reserves for credit losses: 2022, $3,747 104,217 | 2022", ""])
    question = "What was the largest liability in Acme's balance sheet in 2022?"
    Retriever(filing, lambda: None)._read_statements(question, hits)
    assert [h.statement for h in hits] == ["balance", "balance", None]
    statement = SIGNALS.index("statement")
    assert signals(question, hits)[:, statement].tolist() == [1.0, 1.0, 0.0]
