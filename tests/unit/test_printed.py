"""A computed figure the filing prints itself is cited beside the operands: the same year, the metric's words, the
precision printed; a coincidence (another year, a rounder figure, an average) is not."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from archivist.answer import printed
from archivist.answer.compute import Calculation, compute
from archivist.index.factstore import FactRow
from archivist.index.rows import ChunkRow

INCOME = "Consolidated Statements of Operations"


def _fact(i: int, label: str, period: str, raw: str, title: str = INCOME, file_id: int = 1) -> FactRow:
    value = Decimal(raw.rstrip("%").strip("()").replace(",", "")) * (-1 if raw.startswith("(") else 1)
    unit = "%" if raw.endswith("%") else ""
    return FactRow(id=i, file_id=file_id, chunk_id=100 + i, path=Path("/docs/ACME_2020_10K.pdf"), entity="Acme",
                   title=title, label=label, column=period[2:], period=period, value=value, raw=raw, unit=unit,
                   scale="" if unit else "thousands", page=60, line=4 + i, cells="")


def _chunk(i: int, text: str, file_id: int = 1) -> ChunkRow:
    return ChunkRow(id=i, file_id=file_id, path=Path("/docs/ACME_2020_10K.pdf"), folder_id=1, text=text, prefix="",
                    page=40, line_start=1, line_end=text.count("\n") + 1, heading="Results of Operations", kind="pdf")


REVENUE = [_fact(1, "Total net revenue", "FY2020", "9,497,578"), _fact(2, "Total net revenue", "FY2019", "4,713,500")]
MDNA = ("Revenue\nTotal net revenue for the year ended December 31, 2020, increased by $4.8 billion, or 101%,\n"
        "compared to the year ended December 31, 2019. Bitcoin revenue was the largest part of the increase.")


def _growth() -> Calculation:
    calc = compute("What is the FY2019 - FY2020 total revenue growth rate for Acme? Answer in percents.", REVENUE, {})
    assert isinstance(calc, Calculation) and calc.shown == "101.5%"
    return calc


def test_the_growth_the_filing_states_in_words_is_found_at_the_precision_it_prints() -> None:
    found = printed.find(_growth(), REVENUE, [_chunk(7, "Cover page 2020 and 101 employees."), _chunk(8, MDNA)])
    assert found is not None and found.chunk_id == 8
    assert "increased by $4.8 billion, or 101%" in found.text and "2020" in found.text


def test_another_years_sentence_or_one_without_the_metrics_words_is_no_printing() -> None:
    other_year = MDNA.replace("2020", "2018").replace("2019", "2017")
    no_change = "Total net revenue was 101% of the plan for the year ended December 31, 2020."
    not_revenue = "Headcount for the year ended December 31, 2020 increased by 101%."
    assert printed.find(_growth(), REVENUE, [_chunk(8, t) for t in (other_year, no_change, not_revenue)]) is None
    # A common-size table's "Total net revenue 101%" row is no growth rate either.
    common_size = _fact(3, "Total net revenue", "FY2020", "101%", "Percent of revenue")
    assert printed.find(_growth(), [*REVENUE, common_size], []) is None


def test_a_non_gaap_table_row_of_the_year_is_found_and_a_rounder_figure_is_not() -> None:
    cash = [_fact(1, "Net cash provided by operating activities", "FY2020", "3,676.2", "Statements of Cash Flows"),
            _fact(2, "Purchases of land, buildings and equipment", "FY2020", "(460.8)", "Statements of Cash Flows")]
    calc = compute("What is Acme's FY2020 free cash flow? FCF is defined as: cash from operations - capex.", cash, {})
    assert isinstance(calc, Calculation) and calc.expression == "3,676.2 - 460.8"
    table = [_fact(9, "Free cash flow (b)", "FY2020", "3,215.4", "Fiscal Year"),
             _fact(10, "Free cash flow (b)", "FY2019", "2,269.4", "Fiscal Year")]
    found = printed.find(calc, [*cash, *table], [])
    assert found is not None and found.chunk_id == 109 and found.text == "Free cash flow (b) (2020): 3,215.4"
    # "$3.2 billion" is too round to tell 3,215.4 million from 3,150 million.
    coarse = _chunk(5, "Our free cash flow was $3.2 billion in fiscal 2020, a conversion rate of 143 percent.")
    assert printed.find(calc, cash, [coarse]) is None


def test_a_rate_printed_in_parentheses_in_a_table_of_key_indicators_is_found() -> None:
    facts = [_fact(1, "Loss before income taxes", "FY2022", "(5,022)"),
             _fact(2, "Income tax (expense)/benefit", "FY2022", "(31)"),
             _fact(3, "Effective income tax rate", "FY2022", "(0.6)%", "Key indicators")]
    calc = compute("What is Acme's FY2022 effective tax rate?", facts, {})
    assert isinstance(calc, Calculation) and calc.shown == "-0.6%"
    found = printed.find(calc, facts, [])
    assert found is not None and found.chunk_id == 103


def test_an_average_over_years_or_a_single_row_is_never_looked_for() -> None:
    assert printed.subject("3-year average net profit margin") is None
    lookup = compute("What was Acme's FY2020 total net revenue in USD thousands?", REVENUE, {})
    assert isinstance(lookup, Calculation)
    assert printed.find(lookup, REVENUE, [_chunk(1, "Total net revenue was 9,497,578 in 2020.")]) is None
