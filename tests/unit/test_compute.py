"""Computed answers: formulas as analysts write them, metrics by name, each operand a cited fact of the right
period, rounded as asked, and a refusal that names what is missing instead of a guess."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, FakeGenerator

from archivist.answer.compute import Calculation, Refusal, compute, compute_trend, plan
from archivist.answer.computed import _trend_line
from archivist.answer.formula import Bin, Num, Ref, definitions, parse
from archivist.cli import cli
from archivist.index.factstore import FactRow
from archivist.ingest.metadata import DocMeta

# -- formulas --------------------------------------------------------------------------------------------------


def test_a_written_formula_is_parsed_with_its_periods() -> None:
    node = parse("FY2017 net income / (average total assets between FY2016 and FY2017)")
    assert node == Bin("/", Ref("net income", 2017),
                       Bin("/", Bin("+", Ref("total assets", 2016), Ref("total assets", 2017)), Num(Decimal(2))))
    assert parse("total current assets divided by total current liabilities") == \
        Bin("/", Ref("total current assets"), Ref("total current liabilities"))
    assert parse("change in inventory") == Bin("-", Ref("inventory"), Ref("inventory", None, -1))
    assert parse("unadjusted operating income + depreciation and amortization [from cash flow statement]") == \
        Bin("+", Ref("operating income"), Ref("depreciation and amortization"))


def test_definitions_are_found_and_used_by_name() -> None:
    q = ("What is the FY2019 cash conversion cycle (CCC)? CCC is defined as: DIO + DSO. DIO is defined as: "
         "365 * inventory / COGS. DSO is defined as: 365 * receivables / revenue. Round to two decimal places.")
    assert [name for name, _expr, _at in definitions(q)] == ["CCC", "DIO", "DSO"]
    p = plan(q)
    assert p is not None and p.name == "ccc"
    assert {r.words for r in _refs(p.nodes[0])} == {"inventory", "COGS", "receivables", "revenue"}


def _refs(node) -> list[Ref]:  # noqa: ANN001
    if isinstance(node, Ref):
        return [node]
    return _refs(node.left) + _refs(node.right) if isinstance(node, Bin) else []


def test_questions_that_ask_why_are_not_computed() -> None:
    assert plan("What drove the change in gross margin in FY2022?") is None
    assert plan("Who is the CFO?") is None
    assert plan("For Acme, which region had the biggest drop in Q2 2023 year over year revenues?") is None


# -- computing from facts --------------------------------------------------------------------------------------

def _fact(i: int, label: str, period: str, raw: str, title: str = "Consolidated Statements of Income",
          scale: str = "millions", page: int = 3) -> FactRow:
    value = Decimal(raw.strip("()").replace(",", "")) * (-1 if raw.startswith("(") else 1)
    return FactRow(id=i, file_id=1, chunk_id=100 + i, path=Path("/docs/ACME_2025_10K.pdf"), entity="Acme", title=title,
                   label=label, column=period, period=period, value=value, raw=raw, unit="", scale=scale, page=page,
                   line=4 + i, cells="")


FACTS = [
    _fact(1, "Total revenues", "FY2025", "12,400"), _fact(2, "Total revenues", "FY2024", "11,250"),
    _fact(3, "Cost of sales", "FY2025", "7,130"), _fact(4, "Cost of sales", "FY2024", "6,600"),
    _fact(5, "Net cash provided by operating activities", "FY2025", "2,840", "Statements of Cash Flows", page=5),
    _fact(6, "Purchases of property, plant and equipment", "FY2025", "(1,577)", "Statements of Cash Flows", page=5),
    _fact(7, "Total current liabilities", "FY2025", "2,213", "Consolidated Balance Sheets", page=4),
    _fact(8, "Other current liabilities", "FY2024", "900", "Consolidated Balance Sheets", page=4),
]


def test_a_named_metric_is_worked_out_from_the_facts_of_its_period() -> None:
    calc = compute("What was Acme's gross margin in FY2025?", FACTS, {})
    assert isinstance(calc, Calculation)
    assert calc.shown == "42.5%" and calc.expression == "(12,400 - 7,130) / 12,400"
    assert [o.fact.id for o in calc.operands] == [1, 3, 1]
    growth = compute("What is Acme's FY2024 - FY2025 revenue growth rate? Round to two decimal places.", FACTS, {})
    assert isinstance(growth, Calculation) and growth.shown == "10.22%"


def test_an_outflow_enters_as_its_magnitude_and_amounts_are_shown_as_asked() -> None:
    calc = compute("What is Acme's FY2025 free cash flow? Answer in USD billions.", FACTS, {})
    assert isinstance(calc, Calculation)
    assert calc.expression == "2,840 - 1,577" and calc.shown == "1.26 billion"


def test_a_stated_formula_wins_and_is_rounded_as_asked() -> None:
    q = ("What is the FY2025 operating cash flow ratio for Acme? Operating cash flow ratio is defined as: cash from "
         "operations / total current liabilities. Round your answer to three decimal places.")
    calc = compute(q, FACTS, {})
    assert isinstance(calc, Calculation) and calc.shown == "1.283" and calc.expression == "2,840 / 2,213"


def test_a_missing_operand_is_refused_with_the_closest_rows() -> None:
    q = "What is Acme's FY2024 operating cash flow ratio? Round your answer to two decimal places."
    refusal = compute(q, FACTS, {})
    assert isinstance(refusal, Refusal)
    assert "no FY2024 operating cash flow found" in refusal.message
    assert [f.id for f in refusal.candidates] == [5]  # the FY2025 row, never "Other current liabilities"


def test_two_rows_that_disagree_are_not_chosen_between() -> None:
    rival = _fact(9, "Total revenues", "FY2025", "12,900")
    refusal = compute("What was Acme's gross margin in FY2025?", [*FACTS, rival], {})
    assert isinstance(refusal, Refusal) and "disagree" in refusal.message



def test_an_affiliates_results_of_operations_are_not_the_income_statement() -> None:
    # A note summarising an unconsolidated affiliate's "results of operations" names no statement of the
    # filer's own: the filer's revenue (here in its MD&A table, its income statement printing no label on the
    # total) is the one a ratio is worked from.
    facts = [_fact(1, "Net revenues", "FY2018", "11,763,096", "The following table summarizes our operating results",
                   scale="thousands", page=42),
             _fact(2, "Net revenues", "FY2018", "1,277,745", "Summarized results of operations are as follows",
                   scale="thousands", page=80),
             _fact(3, "Capital expenditures", "FY2018", "(1,486,843)", "Consolidated Statements of Cash Flows",
                   scale="thousands", page=67)]
    q = "What is Acme's FY2018 capex as a % of revenue? Answer in units of percents and round to one decimal place."
    calc = compute(q, facts, {})
    assert isinstance(calc, Calculation) and calc.shown == "12.6%" and calc.expression == "1,486,843 / 11,763,096"

def test_a_lookup_that_is_not_found_is_left_to_the_answerer() -> None:
    assert compute("What were Acme's FY2025 total assets?", FACTS, {}) is None


def test_any_line_item_of_a_year_is_read_as_printed() -> None:
    calc = compute("What is Acme's FY2025 total current liabilities (in USD millions) per the balance sheet?",
                   FACTS, {})
    assert isinstance(calc, Calculation) and calc.expression == "2,213" and calc.operands[0].fact.id == 7
    # "total current assets" holds the words of "total assets" (total is no word of a label): not that metric.
    current = plan("What were Acme's total current assets at the end of FY2025?")
    assert current is not None and current.name == "current assets"
    # Not an amount asked, or a caption only a stem of which is written ("borrow"): no lookup.
    assert plan("Which debt securities are registered on a national exchange under Acme's name as of 2022?") is None
    assert plan("As of May 26, 2023, what is the total amount Acme may borrow under its credit agreements?") is None


def test_an_expense_is_read_from_the_statement_that_prints_it_and_enters_as_its_magnitude() -> None:
    # A segment's "Research and development" in management's discussion reads exactly as the item; the income
    # statement's "Research and development expense, net" (printed as an outflow) is the company's.
    facts = [_fact(1, "Total revenues", "FY2022", "66,608", "Consolidated Statements of Operations"),
             _fact(2, "Research and development expense, net", "FY2022", "(2,852)",
                   "Consolidated Statements of Operations"),
             _fact(3, "Research and development", "FY2022", "1,510", "Results of Operations", page=31)]
    for q in ("What is Acme's FY2022 R&D expense as a % of revenue?",
              "What is Acme's FY2022 R&D as a percentage of revenue?"):
        calc = compute(q, facts, {})
        assert isinstance(calc, Calculation) and calc.shown == "4.3%" and calc.expression == "2,852 / 66,608", q


def test_a_caption_qualified_by_net_of_is_its_item() -> None:
    # A bank's revenue line is qualified ("net of interest expense"); a later line qualifies it further.
    facts = [_fact(1, "Total revenues net of interest expense", "FY2022", "52,862"),
             _fact(2, "Total revenues net of interest expense after provisions for credit losses", "FY2022",
                   "50,680"),
             _fact(3, "Trade accounts receivable, net of doubtful accounts", "FY2022", "1,721",
                   "Consolidated Balance Sheets", page=4),
             _fact(4, "Trade accounts receivable", "FY2022", "113", "Consolidated Statements of Cash Flows", page=5)]
    revenue = compute("What is Acme's FY2022 total revenues net of interest expense in USD millions?", facts, {})
    assert isinstance(revenue, Calculation) and revenue.expression == "52,862"
    # The balance sheet's receivables, not the cash flow statement's change in them.
    receivables = compute("What is the year end FY2022 net AR for Acme? Answer in USD millions.", facts, {})
    assert isinstance(receivables, Calculation) and receivables.expression == "1,721"


@pytest.mark.parametrize(("question", "years"), [
    ("Does Acme have an improving gross margin profile as of FY2025?", [2024, 2025]),
    ("Has Acme's gross margin improved or declined between FY2025 and FY2024? If not useful, explain why.",
     [2024, 2025]),
    ("Is Acme's gross margin positive based on FY2025 data?", [2025]),
    ("Does Acme have a gross margin above its peers in FY2025?", None),  # neither a direction nor a sign
    ("Does Acme have an improving brand profile as of FY2025?", None),  # no metric
    ("How much has Acme's gross margin changed between FY2024 and FY2025?", [2024, 2025]),
    ("How does Acme's gross margin in FY2025 compare to FY2024?", [2024, 2025]),
    ("How much did Acme's operating income change between FY2024 and FY2025?", None),  # a growth metric's own
    ("How much has Acme's adjusted gross margin changed between FY2024 and FY2025?", None),  # the company's own
])
def test_a_yes_no_question_about_a_metric_is_worked_for_the_years_it_needs(question: str,
                                                                           years: list[int] | None) -> None:
    worked = compute_trend(question, FACTS)
    assert ([int(c.period[2:]) for c in worked] if worked else None) == years
    if worked:
        assert worked[-1].shown == "42.5%"
    if worked and len(worked) == 2:
        assert _trend_line(worked).endswith("(1.2 percentage points higher in FY2025 than in FY2024)")


def test_a_segments_figure_is_not_answered_with_the_whole_companys() -> None:
    # The consolidated revenue would be a confident wrong answer to a question about one division or region.
    assert compute("What were Acme's FY2025 total revenues of its Industrial division?", FACTS, {}) is None
    assert compute("What was the revenue of Acme's North America segment in FY2025?", FACTS, {}) is None
    whole = compute("What were Acme's FY2025 total revenues?", FACTS, {})
    assert isinstance(whole, Calculation) and whole.expression == "12,400"


def test_a_line_item_qualified_by_another_word_is_no_lookup_of_the_item() -> None:
    facts = [_fact(1, "Total assets", "FY2025", "87,896", "Consolidated Balance Sheets"),
             _fact(2, "Depreciation and amortization", "FY2025", "4,681", "Statements of Cash Flows")]
    # Pension plan assets are no total assets, a segment's depreciation no company's.
    assert compute("What were Acme's total U.S. pension plan assets in FY2025?", facts, {}) is None
    assert compute("What was Acme's Biopharma depreciation and amortization in FY2025?", facts, {}) is None
    # A part's or a brand's possessive is no company's ("Acme International's", "Sam's Club's").
    assert compute("What was Acme International's depreciation and amortization in FY2025?", facts, {}) is None
    assert compute("What were Sam's Club's total assets in FY2025?", facts, {}) is None
    # A year, a possessive, "annual", the company's own name before the caption qualify nothing.
    for question in ("What were Acme's total assets in FY2025?", "What is the FY2025 total assets of Acme?",
                     "What were the company's total assets in FY2025?", "What were Acme Corp's total assets in FY2025?",
                     "How much depreciation and amortization did Acme report in FY2025?",
                     "What was Acme depreciation and amortization in FY2025?"):
        assert isinstance(compute(question, facts, {}), Calculation), question


def test_a_lookup_reads_the_row_the_question_names_not_only_its_item() -> None:
    # Both rows read as net income; the question names the one attributable to the company.
    facts = [_fact(1, "Net income", "FY2021", "7,679"), _fact(2, "Net income attributable to Acme", "FY2021", "7,618")]
    attributable = compute("What is the FY2021 net income attributable to Acme (in USD millions)?", facts, {})
    assert isinstance(attributable, Calculation) and attributable.expression == "7,618"
    plain = compute("What is Acme's FY2021 net income in USD millions?", facts, {})
    assert isinstance(plain, Calculation) and plain.expression == "7,679"


def test_cogs_margin_is_cost_of_revenue_over_revenue() -> None:
    calc = compute("What is the FY2025 COGS % margin for Acme? Calculate it using the income statement.", FACTS, {})
    assert isinstance(calc, Calculation) and calc.expression == "7,130 / 12,400" and calc.shown == "57.5%"


def test_a_tax_expense_printed_as_a_deduction_is_an_expense_and_a_signed_caption_says_which_sign_is_which() -> None:
    deducted = [_fact(1, "Income before income taxes", "FY2022", "1,797"),
                _fact(2, "Provision for income taxes", "FY2022", "(411)")]
    calc = compute("What is Acme's FY2022 effective tax rate?", deducted, {})
    assert isinstance(calc, Calculation) and calc.shown == "22.9%"
    # A benefit on a loss: "(expense)/benefit" printed positive is a benefit, so the rate on the loss is positive.
    signed = [_fact(1, "Loss before income taxes", "FY2021", "(5,033)"),
              _fact(2, "Income tax (expense)/benefit", "FY2021", "743")]
    benefit = compute("What is Acme's FY2021 effective tax rate?", signed, {})
    assert isinstance(benefit, Calculation) and benefit.shown == "14.8%" and benefit.expression == "-743 / -5,033"


def test_total_debt_is_worked_from_the_balance_sheets_parts() -> None:
    sheet = "Consolidated Balance Sheets"
    parts = [_fact(1, "Notes payable", "FY2022", "811.4", sheet), _fact(2, "Current portion of long-term debt",
                                                                       "FY2022", "1,674.2", sheet),
             _fact(3, "Long-term debt", "FY2022", "9,134.8", sheet)]
    calc = compute("What is Acme's FY2022 total debt in USD millions?", parts, {})
    assert isinstance(calc, Calculation) and calc.shown == "11,620.40 million"
    assert calc.expression == "9,134.8 + 1,674.2 + 811.4"
    # A debt note's "Total debt" may be long-term debt alone: the balance sheet's parts come first; the row is
    # read when they are not printed.
    note = _fact(4, "Total debt", "FY2022", "10,809.0", "Debt", page=9)
    with_note = compute("What is Acme's FY2022 total debt in USD millions?", [*parts, note], {})
    assert isinstance(with_note, Calculation) and with_note.expression == "9,134.8 + 1,674.2 + 811.4"
    printed = compute("What is Acme's FY2022 total debt in USD millions?", [note], {})
    assert isinstance(printed, Calculation) and printed.expression == "10,809.0"
    # Long-term debt asked is long-term debt only.
    long_term = compute("What was Acme's FY2022 long-term debt?", parts, {})
    assert isinstance(long_term, Calculation) and long_term.expression == "9,134.8"


def test_a_balance_is_never_read_from_a_statement_of_flows() -> None:
    # The income statement's interest expense on "Debt" is no total debt: the balance sheet's parts are.
    facts = [_fact(1, "Debt", "FY2020", "2,262", "Consolidated Statements of Income"),
             _fact(2, "Long-term debt", "FY2020", "43,714", "Consolidated Balance Sheets"),
             _fact(3, "Short-term borrowings", "FY2020", "575", "Consolidated Balance Sheets")]
    calc = compute("What is Acme's FY2020 total debt?", facts, {})
    assert isinstance(calc, Calculation) and calc.expression == "43,714 + 575"
    assert compute("What is Acme's FY2020 total debt?", facts[:1], {}) is None  # not found: answered from passages
    # The cash a statement of cash flows ends the year with is the balance sheet's cash.
    flows = [_fact(4, "Cash and cash equivalents at end of year", "FY2020", "1,944", "Statements of Cash Flows")]
    cash = compute("What was Acme's cash at FY2020 year end in USD millions?", flows, {})
    assert isinstance(cash, Calculation) and cash.expression == "1,944"


def test_the_filers_name_in_a_caption_is_no_other_item() -> None:
    # "Total Acme shareholders' equity" is the company's equity, as another filer's "Total shareholders' equity";
    # the balance sheet's "Total equity" adds noncontrolling interests.
    sheet = "Consolidated Balance Sheets"
    facts = [_fact(1, "Long-term debt", "FY2020", "43,714", sheet),
             _fact(2, "Total Acme shareholders' equity", "FY2020", "74,669", sheet),
             _fact(3, "Total equity", "FY2020", "81,552", sheet)]
    calc = compute("What is Acme's FY2020 debt to equity ratio?", facts, {})
    assert isinstance(calc, Calculation) and calc.expression == "43,714 / 74,669"


def test_net_income_is_not_the_income_from_continuing_operations() -> None:
    facts = [_fact(1, "NET INCOME FROM CONTINUING OPERATIONS", "FY2017", "1,182"),
             _fact(2, "CONSOLIDATED NET INCOME", "FY2017", "1,283")]
    calc = compute("What was Acme's FY2017 net income in USD millions?", facts, {})
    assert isinstance(calc, Calculation) and calc.expression == "1,283"


def test_one_row_is_never_two_operands() -> None:
    # Both captions of the formula read as the one row printed: added to itself it would count it twice.
    sheet = "Consolidated Balance Sheets"
    facts = [_fact(1, "Long-term debt", "FY2022", "9,000", sheet), _fact(2, "Notes payable", "FY2022", "500", sheet)]
    calc = compute("What is Acme's FY2022 funding? Funding is defined as: long-term debt + long-term borrowings.",
                   facts, {})
    assert isinstance(calc, Refusal) and "one row (Long-term debt)" in calc.message
    # A caption that holds two items is read as the one it starts with (not added to its other part again).
    both = [_fact(1, "Short-term borrowings and current portion of long-term debt", "FY2022", "2,000", sheet),
            _fact(2, "Long-term debt", "FY2022", "9,000", sheet)]
    total = compute("What is Acme's FY2022 total debt in USD millions?", both, {})
    assert isinstance(total, Calculation) and total.shown == "11,000.00 million"


# -- quarters, spans and dates shorter than a year ------------------------------------------------------------

def _dated(i: int, file_id: int, label: str, column: str, period: str, raw: str, title: str) -> FactRow:
    value = Decimal(raw.replace(",", ""))
    return FactRow(id=i, file_id=file_id, chunk_id=200 + i, path=Path(f"/docs/ACME_{file_id}.pdf"), entity="Acme",
                   title=title, label=label, column=column, period=period, value=value, raw=raw, unit="",
                   scale="millions", page=3, line=4 + i, cells="")


_SHEET, _OPS = "Condensed Consolidated Balance Sheets", "Condensed Consolidated Statements of Operations"
QUARTERLY = [  # a 10-Q for the quarter ended June 30, 2023, beside the last year end
    _dated(1, 2, "Total current assets", "June 30, 2023", "FY2023", "1,000", _SHEET),
    _dated(2, 2, "Total current assets", "December 31, 2022", "FY2022", "900", _SHEET),
    _dated(3, 2, "Total current liabilities", "June 30, 2023", "FY2023", "400", _SHEET),
    _dated(4, 2, "Total current liabilities", "December 31, 2022", "FY2022", "600", _SHEET),
    _dated(5, 2, "Total revenues", "Three Months Ended June 30, 2023", "3M Jun 2023", "1,100", _OPS),
    _dated(6, 2, "Total revenues", "Three Months Ended June 30, 2022", "3M Jun 2022", "1,000", _OPS),
    _dated(7, 2, "Total revenues", "Six Months Ended June 30, 2023", "6M Jun 2023", "2,100", _OPS),
    _dated(8, 2, "Total revenues", "Six Months Ended June 30, 2022", "6M Jun 2022", "1,900", _OPS),
]
TEN_Q = {2: (Path("/docs/ACME_2.pdf"), DocMeta("Acme 10-Q", "Acme", "FY2023 Q2", "10-Q"))}


@pytest.mark.parametrize(("question", "shown", "period"), [
    ("What is Acme's current ratio as of June 30, 2023?", "2.50", "June 30, 2023"),
    ("What was Acme's total revenues in Q2 2023?", "1,100 million", "Q2 FY2023 (quarter ended Jun 2023)"),
    ("What were Acme's total revenues for the six months ended June 30, 2023?", "2,100 million",
     "six months ended June 30, 2023"),
    ("What was Acme's year-over-year total revenue growth in Q2 FY2023?", "10.0%",
     "Q2 FY2023 (quarter ended Jun 2023)"),
    ("What is Acme's FY2022 current ratio?", "1.50", "FY2022"),
])
def test_a_quarter_a_span_or_a_date_is_worked_from_the_columns_that_print_it(question: str, shown: str,
                                                                            period: str) -> None:
    calc = compute(question, QUARTERLY, TEN_Q)
    assert isinstance(calc, Calculation), calc
    assert (calc.shown, calc.period) == (shown, period)


def test_a_quarter_end_balance_is_no_fiscal_year_end() -> None:
    # Read as FY2023 (the date's year), June 30, 2023 gave a "FY2023 current ratio" of a quarter.
    refusal = compute("What is Acme's FY2023 current ratio?", QUARTERLY, TEN_Q)
    assert isinstance(refusal, Refusal) and "no FY2023 current assets" in refusal.message
    # Nor is a quarter's revenue the year's.
    assert compute("What were Acme's FY2023 total revenues?", QUARTERLY, TEN_Q) is None
    # What flows over a span is not printed at a date: the refusal says what to ask instead.
    refusal = compute("What is Acme's net profit margin as of June 30, 2023?", QUARTERLY, TEN_Q)
    assert isinstance(refusal, Refusal) and "ask for the span" in refusal.message


def test_a_ratio_between_two_dates_is_worked_at_each() -> None:
    worked = compute_trend("Has Acme's current ratio improved between December 31, 2022 and June 30, 2023?",
                           QUARTERLY, {}, TEN_Q)
    assert worked is not None
    assert [(c.period, c.shown) for c in worked] == [("FY2022", "1.50"), ("June 30, 2023", "2.50")]
    assert _trend_line(worked).endswith("(1.00 higher at June 30, 2023 than in FY2022)")


def test_which_quarter_ends_when_follows_the_filers_year_end() -> None:
    # A June year end: Q2 FY2023 is the quarter ended December 31, 2022. The 10-Q's own name says so; without
    # it, the year-end month its columns print.
    facts = [_dated(1, 2, "Net sales", "Three Months Ended December 31, 2022", "3M Dec 2022", "3,642", _OPS),
             _dated(2, 2, "Net sales", "Six Months Ended December 31, 2022", "6M Dec 2022", "7,354", _OPS),
             _dated(3, 2, "Total current assets", "December 31, 2022", "FY2022", "5,863", _SHEET),
             _dated(4, 2, "Total current assets", "June 30, 2022", "FY2022", "5,853", _SHEET)]
    named = {2: (Path("/docs/ACME_2.pdf"), DocMeta("Acme 10-Q", "Acme", "FY2023 Q2", "10-Q"))}
    unnamed = {2: (Path("/docs/acme-q.pdf"), DocMeta("Acme 10-Q", "Acme", "quarter ended 2022-12-31", "10-Q"))}
    for documents in (named, unnamed):
        calc = compute("What were Acme's net sales in the first half of FY2023?", facts, documents)
        assert isinstance(calc, Calculation) and calc.shown == "7,354 million", calc
        calc = compute("What were Acme's net sales in the second quarter of fiscal 2023?", facts, documents)
        assert isinstance(calc, Calculation) and calc.shown == "3,642 million", calc
    # FY2022's balance is the year end's, not the quarter's.
    calc = compute("What were Acme's FY2022 total current assets?", facts, named)
    assert isinstance(calc, Calculation) and calc.shown == "5,853 million"


def test_a_quarter_named_by_its_column_is_read_without_knowing_when_it_ended() -> None:
    # A 10-K's quarterly data ("Fourth Quarter 2018"): no quarterly report says when the quarter ended.
    facts = [_dated(1, 1, "Net sales", "Fourth Quarter 2018", "FY2018 Q4", "7,945", "Quarterly Data"),
             _dated(2, 1, "Net sales", "Fourth Quarter 2017", "FY2017 Q4", "7,990", "Quarterly Data"),
             _dated(3, 1, "Net sales", "2018", "FY2018", "32,765", _OPS)]
    calc = compute("What were Acme's net sales in Q4 2018?", facts, {})
    assert isinstance(calc, Calculation) and (calc.shown, calc.period) == ("7,945 million", "Q4 FY2018")
    growth = compute("What was Acme's year-over-year net sales growth in Q4 2018?", facts, {})
    assert isinstance(growth, Calculation) and growth.shown == "-0.6%"
    # A first half cannot be read so: refused, never the year's.
    refusal = compute("What is Acme's gross margin in the first half of 2018?", facts, {})
    assert isinstance(refusal, Refusal) and "cannot be told" in refusal.message


# -- through the CLI -------------------------------------------------------------------------------------------

@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator",
                        lambda settings, model=None: FakeGenerator("The margin was 99% [1]."))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def _index_statement(run, tmp_path: Path, last_row: str) -> None:  # noqa: ANN001
    """Gannet's income statement as a CSV (revenue, cost of revenue, then ``last_row``), added and indexed."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "GANNET_2025_10K.csv").write_text(
        "Consolidated Statements of Income (in millions)\nLine item,FY2025,FY2024\nRevenue,\"12,400\",\"11,250\"\n"
        f"Cost of revenue,\"7,130\",\"6,600\"\n{last_row}\n")
    assert run("add", str(docs)).exit_code == 0 and run("index").exit_code == 0


def test_facts_and_a_computed_answer_from_a_spreadsheet(run, tmp_path: Path) -> None:
    _index_statement(run, tmp_path, 'Operating income,"2,360","1,950"')
    listed = json.loads(run("facts", "--json", "Gannet revenue 2025").stdout)
    first = listed["facts"][0]  # the exact label first; labels that contain the words follow
    assert (first["label"], first["period"], first["amount"], first["cells"]) == (
        "Revenue", "FY2025", "1.24E+10", "GANNET_2025_10K!A3:C3")
    assert {f["period"] for f in listed["facts"]} == {"FY2025"}
    assert "6,600 million" in run("facts", "cost of revenue FY2024").stdout
    ask = json.loads(run("ask", "--json", "What was Gannet's gross margin in FY2025?").stdout)
    jsonschema.validate(ask, json.loads(resources.files("archivist").joinpath("schemas/ask.json").read_text()))
    assert ask["answer"].startswith("Gross margin, FY2025: 42.5% = (12,400 - 7,130) / 12,400 [1].")
    assert all(o["citation"] == 1 for o in ask["calculation"]["operands"])
    assert ask["citations"][0]["path"].endswith("GANNET_2025_10K.csv")
    # A company the folder never mentions: no figure of another's is given for it.
    other = json.loads(run("ask", "--json", "What was 3M's gross margin in FY2025?").stdout)
    assert other["abstained"] is True and other["calculation"] == {}
    assert "never mention 3M" in other["note"]
    # No company named at all: the best passage's company's figures, and the answer says whose, first.
    unnamed = json.loads(run("ask", "--json", "What was the gross margin in FY2025?").stdout)["answer"]
    assert unnamed.split(" (", 1)[0].lower().startswith("gannet") and "names no company of your documents" in unnamed
    refused = json.loads(run("ask", "--json", "What was Gannet's gross margin in FY2023?").stdout)
    assert refused["abstained"] is True and refused["calculation"] == {}
    assert refused["answer"].startswith("Cannot compute gross margin: no FY2023 revenue found.")
    # A yes/no question about the metric's direction: the figures of both years, not a verdict.
    improving = json.loads(run("ask", "--json", "Does Gannet have an improving gross margin profile as of FY2025? "
                                                "If gross margin is not useful here, explain why.").stdout)
    assert improving["answer"].startswith("Gross margin, FY2024: 41.3% = (11,250 - 6,600) / 11,250; FY2025: 42.5% "
                                          "= (12,400 - 7,130) / 12,400 (1.2 percentage points higher in FY2025 than "
                                          "in FY2024) [1].")
    assert improving["calculation"]["period"] == "FY2025"


def test_a_result_the_filing_prints_is_cited_where_it_is_printed(run, tmp_path: Path) -> None:
    _index_statement(run, tmp_path, "Gross margin,42.5%,41.3%")
    ask = json.loads(run("ask", "--json", "What was Gannet's gross margin in FY2025?").stdout)
    jsonschema.validate(ask, json.loads(resources.files("archivist").joinpath("schemas/ask.json").read_text()))
    assert ask["calculation"]["printed"] == {"text": "Gross margin (FY2025): 42.5%", "citation": 1}
    assert "Printed in the filing: “Gross margin (FY2025): 42.5%” [1]." in ask["answer"]


def test_a_segments_column_is_never_an_operand_and_the_consolidated_column_may_be() -> None:
    from dataclasses import replace

    segment = replace(_fact(1, "Total revenues", "FY2025", "9,100", "Segment information"),
                      column="Digital Media Fiscal 2025")
    # The segment's revenue alone is no answer to the company's revenue: refused for want of the company's row.
    assert not isinstance(compute("What were Acme's FY2025 total revenues?", [segment], {}), Calculation)
    whole = replace(_fact(2, "Total revenues", "FY2025", "12,400", "Segment information"),
                    column="Consolidated Fiscal 2025")
    calc = compute("What were Acme's FY2025 total revenues?", [segment, whole], {})
    assert isinstance(calc, Calculation) and calc.expression == "12,400"
