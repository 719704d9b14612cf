"""The answer on the screen: tables keep their headers, the figure asked for leads, boilerplate is never quoted.

The fixtures mimic what the PDF reader returns for annual reports (rows as ``label figure figure`` lines under
``FY2025 FY2024`` and ``(in millions)``), and five reports that share an auditor's opinion.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archivist.ingest.base import Block
from archivist.ingest.pdf import with_tables
from archivist.ingest.rows import parse_row
from archivist.ingest.tables import find_tables, split_heading
from archivist.retrieve.figures import asks_for_figure, find_figure, question_years
from archivist.retrieve.glossary import expansions

CASH_FLOWS = ["Gannet Logistics", "Consolidated Statements of Cash Flows", "(in millions)", "FY2025 FY2024",
              "Net cash provided by operating activities 2,840 2,415",
              "Purchases of property, plant and equipment (1,577) (1,373)",
              "Proceeds from sale of businesses 62 -",
              "Net cash used in investing activities (1,515) (1,373)",
              "Dividends paid (410) (388)"]
BALANCE = ["59", "ADOBE SYSTEMS INCORPORATED", " CONSOLIDATED BALANCE SHEETS", "(In thousands, except par value)",
           "November 27,", "2015", "November 28,", "2014", "ASSETS", "Current assets:",
           "Cash and cash equivalents.............................. $ 876,560 $ 1,117,400",
           "Short-term investments ................................. 3,111,524 2,622,091",
           "Deferred income taxes.................................. — 95,279",
           "Total current assets..................................... 4,821,892 4,602,328"]
AUDITOR = ("Report of Independent Registered Public Accounting Firm. We have audited the accompanying consolidated "
           "balance sheets of {name} as of December 31, 2025 and 2024, and the related consolidated statements of "
           "income, comprehensive income, cash flows and shareholders' equity for each of the years then ended. In "
           "our opinion, the financial statements present fairly, in all material respects, the financial position "
           "of the company, and the results of its operations and its cash flows, in conformity with accounting "
           "principles generally accepted in the United States of America.")


# -- rows and tables ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "label", "cells"), [
    ("Purchases of property, plant and equipment (1,577) (1,373)", "Purchases of property, plant and equipment",
     ("(1,577)", "(1,373)")),
    ("Cash and cash equivalents........ $ 876,560 $ 1,117,400", "Cash and cash equivalents", ("876,560", "1,117,400")),
    ("Deferred income taxes........ — 95,279", "Deferred income taxes", ("—", "95,279")),
    ("Service cost discount rate 5.5 % 3.2 % 2.6 %", "Service cost discount rate", ("5.5%", "3.2%", "2.6%")),
    ("Net sales 1,577(a) 1,373", "Net sales", ("1,577(a)", "1,373")),
    ("Balance at December 31 185,669 176,219", "Balance at December 31", ("185,669", "176,219")),
])
def test_a_row_is_its_label_and_its_figures_as_printed(line: str, label: str, cells: tuple[str, ...]) -> None:
    row = parse_row(line)
    assert row is not None and row.label == label and row.cells == cells


@pytest.mark.parametrize("line", ["November 28,", "The Company was founded in 1982 and employs about 2,400 people "
                                                 "across its offices in twelve countries around the world 2024",
                                  "2015", "59", "", "December 31"])
def test_dates_prose_and_page_numbers_are_not_rows(line: str) -> None:
    assert parse_row(line) is None or len(line.split()) <= 1 and False


def test_a_statement_table_keeps_its_title_unit_and_columns() -> None:
    (table,) = find_tables(CASH_FLOWS)
    assert (table.title, table.scale, table.columns) == ("Consolidated Statements of Cash Flows", "millions",
                                                         ("FY2025", "FY2024"))
    assert table.start == 0 and table.end == len(CASH_FLOWS)


def test_dates_split_over_lines_become_the_columns() -> None:
    (table,) = find_tables(BALANCE)
    assert table.title == "CONSOLIDATED BALANCE SHEETS" and table.scale == "thousands"
    assert table.columns == ("November 27, 2015", "November 28, 2014")


def test_prose_with_a_stray_figure_is_not_a_table() -> None:
    lines = ["Revenue grew in the year as the company opened new warehouses in several regions 2025",
             "Management expects capital spending to stay level next year, as described in the liquidity section.",
             "Dividends were paid quarterly."]
    assert find_tables(lines) == []


def test_every_passage_cut_from_a_pdf_table_repeats_its_headers() -> None:
    prose = ["The statements below were prepared by management, who are responsible for them and for all the notes.",
             "They were audited by the independent registered public accounting firm named in the annual report "
             "just before them."]
    page = Block(tuple(prose + CASH_FLOWS + ["Prose after it, in full sentences."]),
                 page=4, line_start=1)

    blocks = with_tables([page])

    # The prose before keeps its own block; the five words after the table stay with it (alone, a passage of
    # a few words is ranked high by keyword search for any question that names them).
    assert [b.line_start for b in blocks] == [1, 3]
    table = blocks[1]
    assert table.lines[-1] == "Prose after it, in full sentences."
    assert split_heading(" > ".join(table.heading)) == ("Consolidated Statements of Cash Flows", "millions",
                                                         ("FY2025", "FY2024"))
    assert table.lines[5] == "Purchases of property, plant and equipment (1,577) (1,373)"  # page lines kept


# -- the question ------------------------------------------------------------------------------------------------


def test_years_are_read_in_the_forms_analysts_write() -> None:
    assert question_years("What was the FY2018 capital expenditure?") == ["2018"]
    assert question_years("capex in fiscal 2019 vs FY18") == ["2019", "2018"]
    assert question_years("What is the revenue?") == []


@pytest.mark.parametrize(("question", "figure"), [
    ("What was Gannet Logistics' capital expenditure in FY2025?", True),
    ("What is the FY2018 capital expenditure amount (in USD millions) for 3M?", True),
    ("Does Adobe have an improving operating margin profile as of FY2022?", False),
    ("Why did revenue fall in FY2022?", False),
    ("What was the revenue?", False),  # no period: which column would it be?
])
def test_only_questions_for_one_figure_of_a_period_get_a_figure(question: str, figure: bool) -> None:
    assert asks_for_figure(question) is figure


def test_the_glossary_ties_an_analysts_term_to_the_statement_line() -> None:
    assert "purchases of property, plant and equipment" in expansions("What was the FY2018 capex?")
    assert "capital expenditure" in expansions("What was the FY2018 capex?")
    assert "net sales" in expansions("What were total revenues in FY2020?")
    assert "property, plant and equipment" in expansions("Did Acme grow its PPNE between FY20 and FY21?")
    assert expansions("Who audited the company?") == []
    # Plain words for the sections a filing prints them in.
    assert "legal proceedings" in expansions("Has Acme reported any ongoing legal battles?")
    assert "business combinations" in expansions("What are major acquisitions Acme has done?")
    assert expansions("What was the FY2020 NRR?", {"net revenue retention": ["NRR"]}) == ["net revenue retention"]


# -- the figure --------------------------------------------------------------------------------------------------


def _hit(text: list[str], heading: str, path: str = "/docs/GANNET_2025_10K.pdf", page: int = 4):  # noqa: ANN202
    from archivist.index.rows import ChunkRow
    from archivist.retrieve.hybrid import Hit

    chunk = ChunkRow(id=1, file_id=1, path=Path(path), folder_id=1, text="\n".join(text), prefix="", page=page,
                     line_start=2, line_end=1 + len(text), heading=heading, kind="pdf")
    return Hit(chunk, 1.0, 0.5, 0.5)


def test_the_figure_is_the_cell_of_the_row_and_period_asked() -> None:
    (table,) = find_tables(CASH_FLOWS)
    hits = [_hit(CASH_FLOWS[4:], table.heading)]

    figure = find_figure("What was Gannet Logistics' capital expenditure in FY2025?", hits)

    assert figure is not None
    assert (figure.value, figure.column, figure.unit) == ("(1,577)", "FY2025", "millions")
    assert figure.label == "Purchases of property, plant and equipment"
    assert figure.lead() == "(1,577) million in FY2025: Purchases of property, plant and equipment"
    assert find_figure("What was Gannet Logistics' capital expenditure in FY2024?", hits).value == "(1,373)"


def test_no_figure_for_a_period_the_table_lacks_or_a_ratio_asked_for() -> None:
    (table,) = find_tables(CASH_FLOWS)
    hits = [_hit(CASH_FLOWS[4:], table.heading)]

    assert find_figure("What was Gannet's capital expenditure in FY2019?", hits) is None
    # An operand is not the answer to a ratio: no row names the ratio.
    assert find_figure("What is Gannet's FY2025 operating cash flow ratio?", hits) is None
    assert find_figure("What was Gannet's FY2025 headcount?", hits) is None


def test_the_figure_of_a_quarter_or_a_span_is_read_from_its_column() -> None:
    heading = ("Statements of Income (in millions) | Three Months Ended March 31, 2023 | Three Months Ended March 31, "
               "2022 | Six Months Ended June 30, 2023 | Six Months Ended June 30, 2022")
    hits = [_hit(["Net income 504 487 730 1,077", "Revenues 3,000 2,800 6,100 5,500"], heading)]
    assert find_figure("What was Gannet's net income for the first six months of 2023?", hits).value == "730"
    assert find_figure("What was Gannet's net income for the three months ended March 31, 2022?", hits).value == "487"
    # A quarter's figure answers no question about the fiscal year.
    assert find_figure("What was Gannet's FY2023 net income?", hits) is None


def test_the_figure_of_a_quarter_in_a_ten_ks_quarterly_data_is_read_under_its_year() -> None:
    lines = ["Quarterly Data (Unaudited)", "First Quarter Second Quarter Third Quarter Fourth Quarter Full Year",
             "(In millions except per share data)", "2017",
             "Net operating revenues $ 9,118 $ 9,702 $ 9,078 $ 7,512 $ 35,410",
             "Gross profit 5,605 6,043 5,683 4,823 22,154", "2016",
             "Net operating revenues $ 10,282 $ 11,539 $ 10,633 $ 9,409 $ 41,863",
             "Gross profit 6,213 7,068 6,502 5,615 25,398"]
    (table,) = find_tables(lines)
    hits = [_hit(lines[3:], table.heading)]
    figure = find_figure("What were Gannet's net operating revenues in the fourth quarter of 2016?", hits)
    assert (figure.value, figure.column) == ("9,409", "Fourth Quarter 2016")
    assert find_figure("What were Gannet's net operating revenues in Q2 2017?", hits).value == "9,702"
    assert find_figure("What were Gannet's net operating revenues in FY2016?", hits).value == "41,863"
    assert find_figure("What were Gannet's net operating revenues in Q2 2015?", hits) is None


# -- boilerplate -------------------------------------------------------------------------------------------------


def test_shingles_recur_across_files_that_share_an_opinion() -> None:
    from archivist.index.boilerplate import shingles

    a, b = shingles(AUDITOR.format(name="Gannet Logistics")), shingles(AUDITOR.format(name="Avocet Storage"))
    assert len(a) >= 4
    assert len(a & b) / len(a) >= 0.7  # the company's name changes a few shingles only
    assert not shingles("Purchases of property, plant and equipment (1,577) (1,373) in the year.") & a


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    d = tmp_path / "reports"
    d.mkdir()
    for name in ("Gannet Logistics", "Avocet Storage", "Tern Cargo", "Plover Freight", "Curlew Haulage"):
        slug = name.split()[0].lower()
        (d / f"{slug}-2025.md").write_text(f"# {name} annual report\n\n## Auditor\n\n{AUDITOR.format(name=name)}\n\n"
                                           f"## Operations\n\n{name} runs {len(slug)} warehouses; its fleet is "
                                           f"named {slug}fleet.\n")
    (d / "gannet-2025.md").write_text((d / "gannet-2025.md").read_text() + "\nGannet Logistics' capital "
                                      "expenditure was 1,577 million in FY2025, mostly for new audited warehouses.\n")
    return d


def test_the_auditors_opinion_shared_by_five_reports_is_never_quoted(services_factory, reports: Path) -> None:
    from archivist.answer.service import Answerer

    services = services_factory()
    services.store.add_folder(reports)
    services.indexer().index_all()

    result = services.retriever().search("What did Gannet's auditor say about capital expenditure in FY2025?", 6)
    opinions = [h for h in result.hits if "We have audited" in h.chunk.text]
    assert opinions and all(h.boilerplate >= 0.5 for h in opinions)
    assert all(h.boilerplate < 0.5 for h in result.hits if "We have audited" not in h.chunk.text)

    answer = Answerer(services.retriever(), lambda: None, services.settings).ask(
        "How much capital expenditure did Gannet have in FY2025 for audited warehouses?", extractive=True)
    assert "We have audited" not in answer.answer
    assert "1,577" in answer.answer


def test_status_counts_boilerplate_passages(services_factory, reports: Path) -> None:
    from archivist.index import boilerplate

    services = services_factory()
    services.store.add_folder(reports)
    services.indexer().index_all()

    n = services.store.boilerplate_count(boilerplate.min_files(5), boilerplate.THRESHOLD, boilerplate.MIN_SHINGLES)
    assert n >= 5  # one opinion per report, at least
    assert n < services.store.counts()["chunks"]


def test_status_json_counts_them(services_factory, reports: Path) -> None:
    services = services_factory()
    services.store.add_folder(reports)
    services.indexer().index_all()

    assert services.status()["counts"]["boilerplate"] >= 5


# -- numbers are checked -----------------------------------------------------------------------------------------

ROW = "Consolidated Statements of Cash Flows (in millions)\nFY2025 FY2024\n" \
      "Purchases of property, plant and equipment (1,577) (1,373)"


@pytest.mark.parametrize("sentence", ["Capital expenditure was 1,577 million in FY2025.",
                                      "Capital expenditure was $1.58 billion in FY2025.",
                                      "Capital expenditure was (1,577) in FY2025."])
def test_a_number_the_passage_states_in_another_format_is_supported(sentence: str) -> None:
    from archivist.answer.grounding import foreign_numbers

    assert foreign_numbers(sentence, ROW, "What was capital expenditure in FY2025?") == []


def test_a_sentence_with_a_number_its_passage_lacks_is_unsupported(fake_embedder) -> None:
    from archivist.answer.grounding import ground

    sentences, _ = ground("Purchases of property, plant and equipment were 1,877 million in FY2025 [1].", [ROW],
                          fake_embedder, min_support=0.0, question="What was capital expenditure in FY2025?")

    assert [s.supported for s in sentences] == [False]
    right, _ = ground("Purchases of property, plant and equipment were 1,577 million in FY2025 [1].", [ROW],
                      fake_embedder, min_support=0.0, question="What was capital expenditure in FY2025?")
    assert [s.supported for s in right] == [True]


def test_a_docx_tables_first_row_gives_the_columns_a_figure_is_read_from(tmp_path: Path) -> None:
    import docx

    from archivist.ingest.base import extract

    document = docx.Document()
    document.add_heading("Consolidated Statements of Cash Flows", level=1)
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate([["", "FY2025", "FY2024"],
                             ["Net cash provided by operating activities", "2,840", "2,415"],
                             ["Purchases of property, plant and equipment", "(1,577)", "(1,373)"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "gannet.docx"
    document.save(path)

    doc = extract(path)
    block = next(b for b in doc.blocks if "Purchases" in b.text)
    assert split_heading(" > ".join(block.heading))[2] == ("FY2025", "FY2024")
    hits = [_hit(list(block.lines), " > ".join(block.heading), path=str(path), page=None)]
    figure = find_figure("What was Gannet's capital expenditure in FY2024?", hits)
    assert figure is not None and figure.value == "(1,373)"


def test_an_html_tables_first_row_gives_the_columns(tmp_path: Path) -> None:
    from archivist.ingest.base import extract

    path = tmp_path / "gannet.html"
    path.write_text("<html><body><h2>Consolidated Statements of Cash Flows</h2><table>"
                    "<tr><th></th><th>FY2025</th><th>FY2024</th></tr>"
                    "<tr><td>Purchases of property, plant and equipment</td><td>(1,577)</td><td>(1,373)</td></tr>"
                    "</table><p>After the table.</p></body></html>")

    doc = extract(path)
    row = next(b for b in doc.blocks if "Purchases" in b.text)
    assert row.lines == ("Purchases of property, plant and equipment | (1,577) | (1,373)",)
    assert split_heading(" > ".join(row.heading)) == ("Consolidated Statements of Cash Flows", "", ("FY2025", "FY2024"))
    after = next(b for b in doc.blocks if "After the table" in b.text)
    assert after.heading == ("Consolidated Statements of Cash Flows",)
    hits = [_hit(list(row.lines), " > ".join(row.heading), path=str(path), page=None)]
    assert find_figure("What was Gannet's capital expenditure in FY2025?", hits).value == "(1,577)"


def test_a_quoted_table_row_is_read_with_its_columns(services_factory, tmp_path: Path) -> None:
    # "Proceeds from sale of businesses | 62 | 15" quoted alone ties neither figure to a year: it is read out.
    from archivist.answer.service import Answerer

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gannet.html").write_text(
        "<html><body><h2>Gannet Logistics Consolidated Statements of Cash Flows (in millions)</h2><table>"
        "<tr><th></th><th>FY2025</th><th>FY2024</th></tr>"
        "<tr><td>Net cash provided by operating activities</td><td>2,840</td><td>2,415</td></tr>"
        "<tr><td>Purchases of property, plant and equipment</td><td>(1,577)</td><td>(1,373)</td></tr>"
        "<tr><td>Proceeds from sale of businesses</td><td>62</td><td>15</td></tr>"
        "</table></body></html>")
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()

    answer = Answerer(services.retriever(), lambda: None, services.settings).ask(
        "How much did Gannet Logistics receive from the sale of businesses?", extractive=True)

    assert "“Proceeds from sale of businesses | 62 | 15” (FY2025: 62; FY2024: 15; in millions)" in answer.answer


def test_no_figure_from_a_document_the_question_does_not_name_when_it_names_another() -> None:
    (table,) = find_tables(CASH_FLOWS)
    other = _hit(CASH_FLOWS[4:], table.heading, path="/docs/AVOCET_2025_10K.pdf")
    named = _hit(["Some prose about Gannet's year, with no table in it at all."], "", path="/docs/GANNET_2025_10K.pdf")

    assert find_figure("What was Gannet's capital expenditure in FY2025?", [other, named]) is None
    # Named nowhere (a folder of files named otherwise): the rows decide.
    assert find_figure("What was the capital expenditure in FY2025?", [other, named]).value == "(1,577)"
