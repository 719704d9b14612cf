"""Table facts: figures read from table rows with their sign, scale, period and place, stored encrypted beside
the passages and gone with them (forget, re-index, another profile)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from conftest import PASSPHRASE

from archivist.index.migrations import MIGRATIONS
from archivist.index.rows import NewChunk
from archivist.index.store import Store
from archivist.ingest.facts import chunk_facts, column_period, parse_value, table_scale
from archivist.ingest.tables import find_tables
from archivist.retrieve.factmatch import search
from archivist.retrieve.statements import statement_of

INCOME = ("Consolidated Statements of Income\n(in millions, except per share data)\nFY2025 FY2024\n"
          "Revenue 12,400 11,250\nCost of revenue 7,130 6,600\nRestructuring 45(a) —\n"
          "Purchases of property, plant and equipment (1,577) (1,373)\nGrowth in orders n/m 12.5%\n"
          "Diluted earnings per share 1.23 1.01")
HEADING = "Consolidated Statements of Income (in millions) | FY2025 | FY2024"


@pytest.mark.parametrize(("cell", "value", "unit"), [
    ("(1,577)", Decimal("-1577"), ""), ("1,577(a)", Decimal("1577"), ""), ("—", Decimal(0), ""),
    ("-", Decimal(0), ""), ("12.5%", Decimal("12.5"), "%"), ("$ 876,560", Decimal("876560"), ""),
    ("(3.2)%", Decimal("-3.2"), "%"), ("n/m", None, ""), ("(2)", Decimal(-2), ""), ("1,577 (1)", Decimal(1577), ""),
])
def test_printed_figures_are_read_with_their_sign_and_unit(cell: str, value: Decimal | None, unit: str) -> None:
    assert parse_value(cell) == (value, unit)


def test_words_are_no_figure() -> None:
    assert parse_value("respectively") is None and parse_value("") is None


def test_columns_name_fiscal_periods_and_headers_name_the_scale() -> None:
    assert column_period("November 27, 2015") == "FY2015"
    assert column_period("FY2025") == "FY2025" and column_period("FY24") == "FY2024"
    assert column_period("Q1 2025") == "FY2025 Q1"
    assert column_period("Total") == ""
    assert table_scale("Regional sales ($ in thousands)") == "thousands"
    assert table_scale("(In millions, except per share data)") == "millions"


def _facts_of_page(page: str) -> list:
    """The facts of a page's table, as ingest cuts it (``ingest.pdf.with_tables``) and the index reads it."""
    lines = page.split("\n")
    table = find_tables(lines)[0]
    return chunk_facts("\n".join(lines[table.start:table.end]), table.heading)


def test_the_unit_the_sentence_introducing_a_table_states_is_its_scale() -> None:
    page = ("The provision for income taxes for fiscal 2016, 2015 and 2014 consisted of the following (in thousands):\n"
            "2016 2015 2014\nDomestic $ 805,749 $ 589,371 $ 191,563\nForeign 629,389 284,410 169,813\n"
            "Income before income taxes $ 1,435,138 $ 873,781 $ 361,376")
    assert {f.scale for f in _facts_of_page(page)} == {"thousands"}
    shares = ("The following table shows authorized shares and a reconciliation of common shares outstanding:\n"
              "(Millions, except where indicated) 2022 2021 2020\nShares at beginning of year 761 805 810\n"
              "Repurchases of common shares (20) (46) (7)\nShares at end of year 743 761 805")
    assert {(f.scale, f.period) for f in _facts_of_page(shares) if f.label == "Repurchases of common shares"} == {
        ("millions", "FY2022"), ("millions", "FY2021"), ("millions", "FY2020")}


def test_the_unit_stated_lines_above_in_the_introducing_paragraph_is_the_scale() -> None:
    page = ("The following selected consolidated financial data (presented in thousands, except per share amounts)\n"
            "is derived from our Consolidated Financial Statements. As our operating results are not necessarily\n"
            "indicative of future operating results, this data should be read with the notes thereto and Item 7.\n"
            "Fiscal Years\n2015 2014 2013\nRevenue $ 4,795,511 $ 4,147,065 $ 4,055,240\n"
            "Gross profit $ 4,051,194 $ 3,524,985 $ 3,468,683\nNet income $ 629,551 $ 268,395 $ 289,985")
    assert {f.scale for f in _facts_of_page(page)} == {"thousands"}


def test_a_change_between_two_years_is_no_period() -> None:
    assert column_period("2022 vs. 2021") == "" and column_period("% Change 2014-2013") == ""
    assert column_period("2020-2021") == "" and column_period("Year ended 2021") == "FY2021"
    page = ("Sales and marketing expenses increased due to the following:\n% Change\n2015-2014\n% Change\n2014-2013\n"
            "Compensation associated with headcount 3% 1%\nProfessional fees 1 2\nTotal change 4% 3%")
    assert {f.period for f in _facts_of_page(page)} == {""}


def test_two_rows_printed_on_one_line_are_two_rows() -> None:
    text = ("Divestitures (gain) loss (0.31) 0.04 Mark-to-market effects (0.17) (0.17)\n"
            "Expire in fiscal 2025 and beyond 12.6 Do not expire 163.5")
    got = [(f.label, f.period, f.value) for f in chunk_facts(text, "Per share | 2022 | 2021")]
    assert got == [("Divestitures (gain) loss", "FY2022", Decimal("-0.31")),
                   ("Divestitures (gain) loss", "FY2021", Decimal("0.04")),
                   ("Mark-to-market effects", "FY2022", Decimal("-0.17")),
                   ("Mark-to-market effects", "FY2021", Decimal("-0.17"))]
    # One column: which figure is whose cannot be told, so the line gives no fact (never a label with a figure).
    assert chunk_facts(text.split("\n")[1], "Loss carryforwards | May 29, 2022") == []


def test_the_figures_of_a_caption_are_no_cells() -> None:
    # A balance sheet caption prints its allowances: the columns' figures are the row's last ones.
    text = ("Trade accounts receivable, net of doubtful accounts - $40 and $42 1,721 2,004\n"
            "Property, plant and equipment, net of accumulated depreciation - $14,147 and $13,969 15,371 15,804\n"
            "Accounts receivable, net of allowances of $7,293 12,000 11,000")
    got = [(f.label, f.period, f.value) for f in chunk_facts(text, "Consolidated Balance Sheets | 2022 | 2021")]
    assert got == [("Trade accounts receivable, net of doubtful accounts", "FY2022", Decimal("1721")),
                   ("Trade accounts receivable, net of doubtful accounts", "FY2021", Decimal("2004")),
                   ("Property, plant and equipment, net of accumulated depreciation", "FY2022", Decimal("15371")),
                   ("Property, plant and equipment, net of accumulated depreciation", "FY2021", Decimal("15804")),
                   ("Accounts receivable, net of allowances of", "FY2022", Decimal("12000")),
                   ("Accounts receivable, net of allowances of", "FY2021", Decimal("11000"))]


def test_a_header_line_of_dated_periods_with_its_unit_names_the_columns() -> None:
    lines = ["CONSOLIDATED STATEMENTS OF INCOME",
             "Year Ended December 31 (Millions, except per share amounts) 2022 2021 2020",
             "Revenues", "Discount revenue $ 30,739 $ 24,563 $ 19,435", "Net card fees 6,070 5,195 4,664",
             "Total revenues net of interest expense 52,862 42,380 36,087"]
    (table,) = find_tables(lines)
    assert (table.title, table.scale, table.columns) == ("CONSOLIDATED STATEMENTS OF INCOME", "millions",
                                                         ("2022", "2021", "2020"))


def test_a_quarter_and_a_year_printed_side_by_side_are_two_periods() -> None:
    # An earnings release: spans over the years, "2022 2023" printed twice. Without the spans the quarter's net
    # sales were read as the year's.
    lines = ["Condensed Consolidated Statements of Income (Unaudited)",
             "Three Months Ended June 30, Twelve Months Ended June 30,",
             "($ million, except per share amounts) 2022 2023 2022 2023",
             "Net sales 3,909 3,673 14,544 14,694", "Cost of sales (3,115) (2,951) (11,724) (11,969)",
             "Gross profit 794 722 2,820 2,725"]
    (table,) = find_tables(lines)
    assert table.title == "Condensed Consolidated Statements of Income (Unaudited)"
    assert table.columns == ("Three Months Ended June 30, 2022", "Three Months Ended June 30, 2023",
                             "Twelve Months Ended June 30, 2022", "Twelve Months Ended June 30, 2023")
    text = "\n".join(lines[3:])
    got = {(f.label, f.period): f.value for f in chunk_facts(text, table.heading)}
    assert got[("Net sales", "FY2023")] == Decimal(14694) and got[("Net sales", "3M Jun 2023")] == Decimal(3673)
    assert [p for (label, p) in got if label == "Net sales"].count("FY2023") == 1
    # A 10-Q's quarter columns under one span; a 10-K's years under "Year Ended" are left as they were.
    quarter = ["Condensed Statements of Operations", "Three Months Ended", "June 30, 2023 June 30, 2022",
               "Revenues 100 90", "Costs 50 40", "Net income 10 9"]
    assert [column_period(c) for c in find_tables(quarter)[0].columns] == ["3M Jun 2023", "3M Jun 2022"]
    annual = ["Statements of Operations", "Year Ended December 31,", "2023 2022", "Revenues 100 90", "Costs 50 40",
              "Net income 10 9"]
    assert find_tables(annual)[0].columns == ("2023", "2022")


def _facts_of(lines: list[str]) -> dict[tuple[str, str], Decimal]:
    (table,) = find_tables(lines)
    body = lines[next(i for i, ln in enumerate(lines) if ln.startswith(("Net", "Operating", "Total"))):]
    return {(f.label, f.period): f.value for f in chunk_facts("\n".join(body), table.heading)}


def test_a_ten_k_quarterly_data_table_names_its_columns_by_quarter() -> None:
    # A year over the quarters' names: read as one "2020" column, no figure could be tied to it.
    by_year = ["Note 22: Unaudited Quarterly Data", "2020", "First Quarter Second Quarter Third Quarter Fourth Quarter",
               "Operating revenues $ 844 $ 931 $ 1,079 $ 923", "Operating income 239 313 433 263",
               "Net income attributable to common shareholders 124 176 264 145"]
    (table,) = find_tables(by_year)
    assert table.columns == ("First Quarter 2020", "Second Quarter 2020", "Third Quarter 2020",
                             "Fourth Quarter 2020")
    assert [column_period(c) for c in table.columns] == ["FY2020 Q1", "FY2020 Q2", "FY2020 Q3", "FY2020 Q4"]
    # Each quarter over two fiscal years: each quarter's net sales had been read as that fiscal year's, four
    # different "FY2022 net sales".
    by_quarter = ["NOTE 19. QUARTERLY DATA (UNAUDITED)", "First Quarter Second Quarter Third Quarter Fourth Quarter",
                  "Fiscal Year Fiscal Year Fiscal Year Fiscal Year", "In Millions, Except Per",
                  "Share Amounts 2022 2021 2022 2021 2022 2021 2022 2021",
                  "Net sales $ 4,539.9 $ 4,364.0 $ 5,024.0 $ 4,719.4 $ 4,537.7 $ 4,520.0 $ 4,891.2 $ 4,523.6",
                  "Gross margin 1,597.4 1,590.4 1,631.2 1,721.1 1,403.7 1,553.9 1,769.9 1,582.9",
                  "Net earnings 627.0 638.9 597.2 688.4 660.3 595.7 822.8 416.8"]
    got = _facts_of(by_quarter)
    assert got[("Net sales", "FY2022 Q4")] == Decimal("4891.2") and got[("Net sales", "FY2021 Q2")] == Decimal("4719.4")
    # Its rows are both years': a year printed alone above them starts no year's rows.
    (table,) = find_tables(by_quarter)
    stray = {(f.label, f.period) for f in chunk_facts("2020\n" + "\n".join(by_quarter[5:]), table.heading)}
    assert ("Net sales", "FY2022 Q4") in stray and ("Net sales", "FY2020 Q4") not in stray
    assert not any(period == "FY2022" for _label, period in got)
    # Ordinals over "Quarter" words, a year column after them, the year on a line of its own over the rows, and
    # a footnote mark after a label ("(1)", no figure).
    with_year = ["18. Quarterly Financial Information (Unaudited)", "First Second Third Fourth",
                 "In millions, except per share amounts Quarter Quarter Quarter Quarter Year", "2018:",
                 "Total revenues (1) $ 45,743 $ 46,922 $ 47,490 $ 54,424 $ 194,579",
                 "Operating income (loss) (1) 1,996 (1,373) 2,574 824 4,021", "Net income 1 2 3 4 10"]
    (table,) = find_tables(with_year)
    assert table.title == "18. Quarterly Financial Information (Unaudited)"
    got = _facts_of(with_year)
    assert got[("Total revenues", "FY2018 Q4")] == Decimal(54424) and got[("Total revenues", "FY2018")] == 194579
    assert got[("Operating income (loss)", "FY2018 Q2")] == Decimal(-1373)
    # "Q1 Q2 Q3 Q4 Total" under the fiscal year's end: the quarters are that fiscal year's.
    walmart = ["Note 15. Quarterly Financial Data (Unaudited)", "Fiscal Year Ended January 31, 2020",
               "(Amounts in millions, except per share data) Q1 Q2 Q3 Q4 Total",
               "Total revenues $ 123,925 $ 130,377 $ 127,991 $ 141,671 $ 523,964",
               "Net sales 122,949 129,388 126,981 140,608 519,926",
               "Cost of sales 93,034 97,923 95,900 107,748 394,605"]
    got = _facts_of(walmart)
    assert got[("Net sales", "FY2020 Q1")] == Decimal(122949) and got[("Net sales", "FY2020")] == Decimal(519926)
    # The year before's rows under its own "Fiscal Year Ended ..." line are that year's (they had been FY2020's).
    both = [*walmart, "Fiscal Year Ended January 31, 2019", "Q1 Q2 Q3 Q4 Total",
            "Net sales 116,526 121,949 122,136 135,150 495,761"]
    (table,) = find_tables(both)
    sales = {(f.period, f.raw) for f in chunk_facts("\n".join(both[3:]), table.heading) if f.label == "Net sales"}
    assert ("FY2019 Q1", "116,526") in sales and ("FY2019", "495,761") in sales
    assert ("FY2020 Q1", "122,949") in sales and not any(raw == "116,526" for p, raw in sales if p.startswith("FY2020"))


def test_a_quarterly_table_reads_each_years_rows_under_that_year() -> None:
    # One table, one header: the year's rows, then the year before's under a line "2016".
    lines = ["Quarterly Data (Unaudited)", "First", "Quarter", "Second", "Quarter", "Third", "Quarter", "Fourth",
             "Quarter Full Year", "(In millions except per share data)", "2017",
             "Net operating revenues $ 9,118 $ 9,702 $ 9,078 $ 7,512 $ 35,410",
             "Gross profit 5,605 6,043 5,683 4,823 22,154", "2016",
             "Net operating revenues $ 10,282 $ 11,539 $ 10,633 $ 9,409 $ 41,863",
             "Gross profit 6,213 7,068 6,502 5,615 25,398"]
    got = _facts_of(lines)
    assert got[("Net operating revenues", "FY2017 Q4")] == Decimal(7512)
    assert got[("Net operating revenues", "FY2016 Q4")] == Decimal(9409)
    assert _facts_of([ln.replace("2016", "Fiscal 2016") if ln == "2016" else ln for ln in lines])[
        ("Net operating revenues", "FY2016 Q4")] == Decimal(9409)  # "Fiscal 2016" opens the year's rows too
    assert got[("Net operating revenues", "FY2016")] == Decimal(41863)
    assert got[("Net operating revenues", "FY2017")] == Decimal(35410)


def test_quarters_printed_by_their_ends_are_spans_ending_at_each() -> None:
    # "Quarter Ended" over each quarter's end without its year, the fiscal year above: the dates line had read as
    # a row ("March 4 June 3 September 2 December" with one figure, "2") and the header stopped at it.
    lines = ["NOTE 18. SELECTED QUARTERLY FINANCIAL DATA (unaudited)", "2016",
             "(in thousands, except per share data) Quarter Ended", "March 4 June 3 September 2 December 2",
             "Revenue $ 1,383,335 $ 1,398,709 $ 1,463,967 $ 1,608,419",
             "Gross profit $ 1,184,763 $ 1,196,630 $ 1,261,266 $ 1,391,863",
             "Net income $ 254,307 $ 244,074 $ 270,788 $ 399,613", "2015",
             "(in thousands, except per share data) Quarter Ended", "February 27 May 29 August 28 November 27",
             "Revenue $ 1,109,181 $ 1,162,158 $ 1,217,768 $ 1,306,404",
             "Gross profit $ 942,383 $ 976,985 $ 1,026,783 $ 1,105,043",
             "Net income $ 84,888 $ 147,493 $ 174,465 $ 222,705"]
    tables = find_tables(lines)
    assert tables[0].columns == ("Quarter Ended March 4, 2016", "Quarter Ended June 3, 2016",
                                 "Quarter Ended September 2, 2016", "Quarter Ended December 2, 2016")
    assert tables[0].title == "NOTE 18. SELECTED QUARTERLY FINANCIAL DATA (unaudited)"
    facts = [f for t in tables for f in chunk_facts("\n".join(lines[t.start:t.end]), t.heading)]
    got = {(f.label, f.column): f.value for f in facts}
    assert got[("Revenue", "Quarter Ended December 2, 2016")] == Decimal(1608419)
    assert got[("Revenue", "Quarter Ended November 27, 2015")] == Decimal(1306404)
    assert {f.period for f in facts if f.label == "Revenue"} == {"3M Mar 2016", "3M Jun 2016", "3M Sep 2016",
                                                                "3M Dec 2016", "3M Feb 2015", "3M May 2015",
                                                                "3M Aug 2015", "3M Nov 2015"}
    # A fiscal year that ends in June prints its quarters "September 30 ... June 30" under "2023": the first two
    # ended in 2022.
    june = ["Quarterly Results (unaudited)", "2023", "Quarter Ended", "September 30 December 31 March 31 June 30",
            "Net sales 3,500 3,600 3,700 3,800", "Gross profit 700 720 740 760", "Net income 100 110 120 130"]
    (table,) = find_tables(june)
    assert [column_period(c) for c in table.columns] == ["3M Sep 2022", "3M Dec 2022", "3M Mar 2023", "3M Jun 2023"]
    months = ["Quarterly Financial Data", "Three Months Ended", "March 31 June 30 September 30 December 31", "2022",
              "Net sales 3,500 3,600 3,700 3,800", "Gross profit 700 720 740 760", "Net income 100 110 120 130"]
    (table,) = find_tables(months)
    assert [column_period(c) for c in table.columns] == ["3M Mar 2022", "3M Jun 2022", "3M Sep 2022", "3M Dec 2022"]
    # A 10-Q's quarter against the one before it: two dates, two years, no fiscal year's quarters.
    sequential = ["Statements of Income", "Three Months Ended", "March 31 December 31", "2023 2022",
                  "Net sales 3,500 3,600", "Gross profit 700 720", "Net income 100 110"]
    assert [column_period(c) for c in find_tables(sequential)[0].columns] == ["3M Mar 2023", "3M Dec 2022"]


def test_a_footnote_mark_is_no_figure_but_a_parenthesised_first_figure_is() -> None:
    heading = "Table (in millions) | 2023 | 2022 | 2021"
    text = ("Add: Impact of hyperinflation (3) 24 16 19\n"
            "Amortization of net actuarial loss $ (3) $ (23) $ (89) (2)\n"
            "Less: Interest income (31) (24) (14)")
    got = [(f.label, f.period, f.value) for f in chunk_facts(text, heading)]
    assert ("Add: Impact of hyperinflation", "FY2023", Decimal(24)) in got
    assert ("Less: Interest income", "FY2023", Decimal(-31)) in got
    assert not [g for g in got if g[0].startswith("Amortization")]  # four figures, three columns: not tied


def test_a_quarter_and_the_full_year_named_over_their_columns_are_two_periods() -> None:
    # An earnings release: "Fourth Quarter Full Year" over "2022 2021 2022 2021". Read as years, the quarter's
    # net revenue and the year's were two different FY2022 figures.
    lines = ["Condensed Consolidated Statements of Income", "Fourth Quarter Full Year",
             "(in millions) 2022 2021 2022 2021", "Net revenue 5,000 4,800 20,000 19,000",
             "Cost of sales 3,000 2,900 12,000 11,500", "Operating profit 500 450 2,000 1,900"]
    got = _facts_of(lines)
    assert got[("Net revenue", "FY2022 Q4")] == Decimal(5000) and got[("Net revenue", "FY2022")] == Decimal(20000)
    # A title naming them is no header of spans: its years stay the columns' ("2022 2021").
    titled = ["Fourth Quarter and Full Year 2022 Results", "(in millions) 2022 2021", "Net revenue 5,000 4,800",
              "Cost of sales 3,000 2,900", "Operating profit 500 450"]
    assert find_tables(titled)[0].columns == ("2022", "2021")


def test_a_ten_q_balance_sheet_keeps_the_month_of_each_column() -> None:
    # The quarter end and the last year end, both in 2022: read as "2022 | 2022" they were two FY2022 columns.
    sheet = ["Condensed Consolidated Balance Sheets", "(Unaudited)",
             "($ in millions, except share and per share data) December 31, 2022 June 30, 2022", "Current assets:",
             "Cash and cash equivalents $ 837 $ 775", "Trade receivables, net 1,972 1,935",
             "Total current assets 5,863 5,853"]
    (table,) = find_tables(sheet)
    assert table.columns == ("December 31, 2022", "June 30, 2022") and table.scale == "millions"
    split = ["Condensed Consolidated Balance Sheets", "(MILLIONS)", "July 2,", "2023 December 31, 2022", "(Unaudited)",
             "Cash and cash equivalents $ 2,632 $ 416", "Short-term investments 42,153 22,316",
             "Inventories 10,310 8,981"]
    assert find_tables(split)[0].columns == ("July 2, 2023", "December 31, 2022")
    # A span's date printed on the line below it belongs to the span.
    income = ["Consolidated Statements of Operations", "(In thousands)", "Three Months Ended", "June 30,",
              "Six Months Ended", "June 30,", "2023 2022 2023 2022", "Casino $ 1,951 $ 1,357 $ 3,833 $ 2,778",
              "Rooms 815 774 1,663 1,331", "Food and beverage 743 677 1,465 1,170"]
    assert [column_period(c) for c in find_tables(income)[0].columns] == ["3M Jun 2023", "3M Jun 2022",
                                                                        "6M Jun 2023", "6M Jun 2022"]


def test_a_guarantee_groups_statement_is_not_the_companys() -> None:
    # A 10-K's statements of the companies in a deed of cross guarantee: "Receivables, net 342" is not the
    # company's receivables (its balance sheet prints 1,935), and read as its balance sheet it was a quick ratio's.
    lines = ["Deed of Cross Guarantee", "Consolidated Balance Sheets", "($ in millions)", "As of June 30, 2023 2022",
             "Current assets:", "Cash and cash equivalents $ 54 $ 68", "Receivables, net 342 662", "Inventories 60 71"]
    (table,) = find_tables(lines)
    assert table.title == "Deed of Cross Guarantee - Consolidated Balance Sheets"
    assert statement_of(table.heading) is None
    assert statement_of(find_tables(["Acme Inc. and Subsidiaries", *lines[1:]])[0].heading) == "balance"


def test_a_header_of_one_date_part_a_line_keeps_the_title_above_it() -> None:
    lines = ["CONSOLIDATED STATEMENTS OF OPERATIONS", "(In thousands, except per share data)", "(Unaudited)",
             "Three Months Ended Twelve Months Ended", *["December 31,", "2022", "December 31,", "2021"] * 2,
             "Revenues", "Casino $ 1,548 $ 1,527 $ 5,734 $ 5,362", "Rooms 897 636 3,057 1,690",
             "Food and beverage 710 515 2,604 1,391"]
    (table,) = find_tables(lines)
    assert table.title == "CONSOLIDATED STATEMENTS OF OPERATIONS"
    assert table.columns[2] == "Twelve Months Ended December 31, 2022"


def test_a_per_share_section_is_per_share_however_long_its_labels() -> None:
    text = ("Net income attributable to Acme Inc. common shareholders $ 2,327 $ 9,906\n"
            "Earnings per common share--basic:\nIncome from continuing operations attributable to Acme Inc. common\n"
            "shareholders $ 0.41 $ 1.76\nDiscontinued operations--net of tax — 0.01\n"
            "Net income attributable to Acme Inc. common shareholders $ 0.41 $ 1.77\n"
            "Weighted-average shares--basic 5,646 5,593")
    got = {(f.label, f.raw): (f.unit, f.scale) for f in chunk_facts(text, "Statements of Income (in millions) | "
                                                                          "2023 | 2022")}
    # Not 0.41 million of net income beside 2,327 million: two rows that would disagree as net income.
    assert got[("Net income attributable to Acme Inc. common shareholders", "0.41")] == ("per share", "")
    assert got[("Net income attributable to Acme Inc. common shareholders", "2,327")] == ("", "millions")
    assert got[("Weighted-average shares--basic", "5,646")] == ("", "millions")
    # A passage cut after the caption: the caption ends the table's passage before it.
    rest = "shareholders $ 0.41 $ 1.73\nNet income attributable to Acme Inc. common shareholders $ 0.41 $ 1.73"
    heading = "Statements of Income (in millions) | 2023 | 2022"
    assert {f.unit for f in chunk_facts(rest, heading, above=["Earnings per common share--diluted:",
                                                              "Income from continuing operations of"])} == {"per share"}
    assert {f.unit for f in chunk_facts(rest, heading)} == {""}
    # The unit line "(... except per share amounts)" is no per-share caption: a table in billions prints cents.
    billions = "(Dollars in billions, except per share amounts)\nRevenue $ 12.34 $ 11.56\nNet income 1.23 1.11"
    assert {f.unit for f in chunk_facts(billions, "Highlights (in billions) | 2023 | 2022")} == {""}


def test_a_total_printed_without_a_label_is_its_sections_total() -> None:
    # A statement of operations that prints its revenue total as a line of figures alone under its rows.
    text = ("Revenues\nCasino $ 1,951 $ 1,357\nRooms 815 774\nFood and beverage 743 677\n3,509 2,808\n"
            "Expenses\nCasino 1,025 622\nRooms 250 232\n1,275 854\nOperating income 2,234 1,954")
    got = {(f.label, f.period): f.value for f in chunk_facts(text, "Statements of Operations (in millions) | "
                                                                   "2023 | 2022")}
    assert got[("Total Revenues", "FY2023")] == Decimal(3509) and got[("Total Expenses", "FY2022")] == Decimal(854)
    # Figures whose label is the line above them, or a passage that starts at a total, are no section's total.
    alone = "Revenues\nCasino $ 1,951 $ 1,357\nRooms 815 774\nTrade receivables, net of allowance\n1,972 1,935"
    assert not any(f.label.startswith("Total") for f in chunk_facts(alone, "Balance (in millions) | 2023 | 2022"))
    assert chunk_facts("3,509 2,808\nExpenses", "Statements of Operations (in millions) | 2023 | 2022") == []


def test_a_label_wrapped_over_two_lines_is_read_whole() -> None:
    text = ("CONSOLIDATED NET INCOME 1,283 6,550\nNET INCOME ATTRIBUTABLE TO SHAREOWNERS OF\n"
            "THE ACME COMPANY $ 1,248 $ 6,527\nCurrent assets:\nCash and cash equivalents 6,006 8,555")
    labels = {f.label for f in chunk_facts(text, "Consolidated Statements of Income (in millions) | 2017 | 2016")}
    assert labels == {"CONSOLIDATED NET INCOME", "NET INCOME ATTRIBUTABLE TO SHAREOWNERS OF THE ACME COMPANY",
                      "Cash and cash equivalents"}
    # The second line starting in lower case goes on from the first (which ends in no connective); a line in lower
    # case under a caption ending in a colon is a row of its own.
    text = ("Capital expenditures included in net cash used in investing\nactivities (1,822) (1,654)\n"
            "Capital expenditures:\neCommerce and technology 410 380")
    labels = {f.label for f in chunk_facts(text, "Selected Financial Data (in millions) | 2020 | 2019")}
    assert labels == {"Capital expenditures included in net cash used in investing activities",
                      "eCommerce and technology"}


def test_spans_shorter_than_a_year_are_no_fiscal_year() -> None:
    assert column_period("Three Months Ended June 30, 2023") == "3M Jun 2023"
    assert column_period("Nine months ended Sept. 30, 2023") == "9M Sep 2023"
    assert column_period("13 Weeks Ended April 29, 2023") == "3M Apr 2023"
    assert column_period("Twelve Months Ended June 30, 2023") == "FY2023"
    assert column_period("Fourth quarter 2023") == "FY2023 Q4"


def test_a_table_of_contents_and_a_row_of_dates_give_no_facts() -> None:
    contents = "Item 1. Business 3\nItem 1A. Risk Factors 11\nItem 2. Properties 25\nItem 4. Mine Safety Disclosures 26"
    assert chunk_facts(contents, "Form 10-K | Ended December 31, 2021") == []
    quarters = "February 27 May 29 August 28 November 27\nRevenue $ 1,109 $ 1,162 $ 1,217 $ 1,306"
    assert {f.label for f in chunk_facts(quarters, "Quarterly data (in thousands) | Q1 2016 | Q2 2016 | Q3 2016 | "
                                                   "Q4 2016")} == {"Revenue"}


def test_units_printed_once_per_column_or_per_row_are_kept() -> None:
    rates = ("Statutory tax rate 21.0 % 21.0 %\nState income tax, net of federal benefit 1.0 1.2\n"
             "Lower taxes on foreign results (1.6) (0.8)\nRemaining performance period (in years) 2.9 2.9")
    got = {(f.label, f.period): (f.value, f.unit, f.scale) for f in chunk_facts(rates, "Tax rate (in millions) | "
                                                                                     "2021 | 2020")}
    assert got[("State income tax, net of federal benefit", "FY2020")] == (Decimal("1.2"), "%", "")
    assert got[("Lower taxes on foreign results", "FY2021")] == (Decimal("-1.6"), "%", "")
    assert got[("Remaining performance period (in years)", "FY2021")] == (Decimal("2.9"), "", "")
    loans = "Card Member loans (billions) $ 108.0 $ 88.6 22 %\nBeginning balance $ 3,305 $ 5,344 (38)"
    facts = chunk_facts(loans, "Credit (in millions) | 2022 | 2021 | 2022 vs. 2021")
    assert {(f.label, f.period, f.scale, f.unit) for f in facts} == {
        ("Card Member loans (billions)", "FY2022", "billions", ""), ("Card Member loans (billions)", "FY2021",
                                                                      "billions", ""),
        ("Card Member loans (billions)", "", "", "%"), ("Beginning balance", "FY2022", "millions", ""),
        ("Beginning balance", "FY2021", "millions", "")}  # (38) in the change column: amount or percent?
    eps = ("Earnings from continuing operations per common share\nBasic 22.85 24.60\nDiluted 22.76 24.50\n"
           "Shares used to compute basic net income per share 498,345 498,764")
    units = {(f.label, f.unit) for f in chunk_facts(eps, "Selected data (in millions) | 2021 | 2020")}
    assert units == {("Basic", "per share"), ("Diluted", "per share"),
                     ("Shares used to compute basic net income per share", "")}


def test_the_years_of_a_sentence_introducing_a_table_name_no_columns() -> None:
    page = ("Stock option activity under our stock option program for\nfiscal 2015, 2014 and 2013 was as follows:\n"
            "Number of Shares Weighted Average Exercise Price\nGranted 25 $ 45.03\nExercised (15,872) $ 32.15\n"
            "Cancelled (1,584) $ 37.37")
    assert [t.columns for t in find_tables(page.split("\n"))] == [()]


def test_a_statement_passage_gives_one_fact_per_figure() -> None:
    facts = chunk_facts(INCOME, HEADING, line_start=10, line_end=18)
    got = {(f.label, f.period): f for f in facts}
    revenue = got[("Revenue", "FY2025")]
    assert (revenue.value, revenue.scale, revenue.title, revenue.line) == (
        Decimal(12400), "millions", "Consolidated Statements of Income", 13)
    assert revenue.amount == Decimal(12_400_000_000)
    assert got[("Purchases of property, plant and equipment", "FY2024")].value == Decimal(-1373)
    assert got[("Restructuring", "FY2025")].value == Decimal(45)
    assert got[("Restructuring", "FY2024")].value == 0
    assert got[("Growth in orders", "FY2025")].value is None
    percent = got[("Growth in orders", "FY2024")]
    assert (percent.unit, percent.scale, percent.amount) == ("%", "", Decimal("12.5"))
    eps = got[("Diluted earnings per share", "FY2025")]
    assert (eps.unit, eps.scale, eps.amount) == ("per share", "", Decimal("1.23"))


def test_prose_and_tables_without_columns_give_no_facts() -> None:
    assert chunk_facts("Revenue grew to 12,400 in 2025 from 11,250.", "Overview") == []
    assert chunk_facts(INCOME, "Consolidated Statements of Income") == []


def test_spreadsheet_rows_keep_cells_under_their_columns() -> None:
    text = "Region | 2025 | 2024\nNorth | 1,200 | 1,100\nSouth |  | 900"
    heading = "Sheet Sales, columns A-C > Regional sales ($ in thousands) | 2025 | 2024"
    facts = chunk_facts(text, heading, 1, 3)
    assert [(f.label, f.period, f.value, f.scale, f.line) for f in facts] == [
        ("North", "FY2025", Decimal(1200), "thousands", 2), ("North", "FY2024", Decimal(1100), "thousands", 2),
        ("South", "FY2024", Decimal(900), "thousands", 3)]


def test_html_rows_with_dollar_cells_are_tied_by_their_figures() -> None:
    text = "Net sales | $ | 5,270 | | $ | 4,650"
    facts = chunk_facts(text, "Results | 2025 | 2024", 1, 1)
    assert [(f.period, f.value) for f in facts] == [("FY2025", Decimal(5270)), ("FY2024", Decimal(4650))]


# -- in the index ----------------------------------------------------------------------------------------------

def _chunk(text: str, heading: str, line_start: int) -> NewChunk:
    return NewChunk(text, "", 3, line_start, line_start + len(text.split("\n")) - 1, heading, str(hash(text)),
                    len(text.split()))


def _write(store: Store, folder_id: int, path: Path, chunks: list[NewChunk]) -> int:
    return store.replace_file(folder_id=folder_id, path=path, size=1, mtime=1.0, sha256="x", status="indexed",
                              chunks=chunks, vectors=np.zeros((len(chunks), 384), dtype=np.float32))


def test_facts_are_stored_once_and_go_with_their_file(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    folder, _ = store.add_folder(tmp_path / "docs")
    path = tmp_path / "docs" / "ACME_2025_10K.pdf"
    # Two overlapping passages repeat the row "Cost of revenue": its facts are stored once.
    lines = INCOME.split("\n")
    first, second = "\n".join(lines[:5]), "\n".join(lines[4:])
    file_id = _write(store, folder.id, path, [_chunk(first, HEADING, 1), _chunk(second, HEADING, 5)])
    facts = store.facts_of_files([file_id])
    assert len([f for f in facts if f.label == "Cost of revenue"]) == 2
    revenue = next(f for f in facts if f.label == "Revenue" and f.period == "FY2025")
    assert revenue.where() == "ACME_2025_10K.pdf p.3 line 4"
    assert revenue.as_dict()["amount"] == "1.24E+10"
    # Re-indexing the file replaces its facts; forgetting it removes them.
    _write(store, folder.id, path, [_chunk("\n".join(lines[:4]), HEADING, 1)])
    assert {f.label for f in store.facts_in_periods(["FY2025"])} == {"Revenue"}
    store.forget(path)
    assert store.fact_count() == 0
    store.close()


def test_a_quarters_facts_are_listed_with_its_year_and_never_as_it(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    folder, _ = store.add_folder(tmp_path / "docs")
    heading = ("Statements of Income (in millions) | Three Months Ended June 30, 2023 | "
               "Twelve Months Ended June 30, 2023")
    file_id = _write(store, folder.id, tmp_path / "docs" / "ACME_2023Q4_EARNINGS.pdf",
                     [_chunk("Net sales 3,673 14,694\nCost of sales (2,951) (11,969)\nGross profit 722 2,725",
                             heading, 1)])
    got = {(f.label, f.period): f.value for f in store.facts_in_periods(["FY2023"])}
    assert got[("Net sales", "FY2023")] == Decimal(14694) and got[("Net sales", "3M Jun 2023")] == Decimal(3673)
    assert store.facts_in_periods(["FY2022"]) == [] and len(store.facts_of_files([file_id])) == 6
    store.close()


def test_a_quarter_end_balance_is_listed_by_its_date_not_as_a_fiscal_year(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    folder, _ = store.add_folder(tmp_path / "docs")
    path = tmp_path / "docs" / "ACME_2023Q2_10Q.pdf"
    _write(store, folder.id, path, [
        _chunk("Total current assets 1,000 900\nTotal current liabilities 400 600\nTotal assets 5,000 4,800",
               "Balance Sheets (in millions) | June 30, 2023 | December 31, 2022", 1),
        _chunk("Net sales 1,100 1,000\nCost of sales 600 550\nGross profit 500 450",
               "Statements of Income (in millions) | Three Months Ended June 30, 2023 | Three Months Ended June 30, "
               "2022", 10)])
    store.correct_metadata(path, {"entity": "Acme", "period": "FY2023 Q2", "doc_type": "10-Q"})
    listed = {(f.column, f.period) for _s, f in search(store, "Acme total current assets 2023")}
    assert ("June 30, 2023", "") in listed and not any(p == "FY2023" for _c, p in listed)
    # The year end beside it is the fiscal year's.
    assert ("December 31, 2022", "FY2022") in {(f.column, f.period) for _s, f in search(store, "Acme total current "
                                                                                                 "assets 2022")}
    # A quarter asked lists that quarter's column alone, of a quarterly report or of a 10-K's quarterly data.
    quarter = [(f.column, f.value) for _s, f in search(store, "Acme net sales Q2 2023")]
    assert quarter == [("Three Months Ended June 30, 2023", Decimal(1100))]
    annual = tmp_path / "docs" / "ACME_2022_10K.pdf"
    _write(store, folder.id, annual, [_chunk(
        "Net sales 950 1,000 1,050 1,100 4,100\nCost of sales 500 520 540 560 2,120\n"
        "Gross profit 450 480 510 540 1,980",
        "Quarterly Data (in millions) | First Quarter 2022 | Second Quarter 2022 | Third Quarter 2022 | "
        "Fourth Quarter 2022 | Fiscal Year 2022", 90)])
    store.correct_metadata(annual, {"entity": "Acme", "period": "FY2022", "doc_type": "10-K"})
    assert [(f.column, f.value) for _s, f in search(store, "Acme net sales in the fourth quarter of 2022")] == [
        ("Fourth Quarter 2022", Decimal(1100))]
    year = [(f.column, f.value) for _s, f in search(store, "Acme net sales 2022")]
    assert ("Fiscal Year 2022", Decimal(4100)) in year
    store.close()


def test_another_profiles_facts_are_never_returned(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    store = Store.open(db, PASSPHRASE, profile="legal")
    legal, _ = store.add_folder(tmp_path / "legal")
    store.close()
    store = Store.open(db, PASSPHRASE, profile="ops")
    ops, _ = store.add_folder(tmp_path / "ops")
    _write(store, ops.id, tmp_path / "ops" / "ops.pdf", [_chunk(INCOME, HEADING, 1)])
    assert store.fact_count() > 0
    store.close()
    store = Store.open(db, PASSPHRASE, profile="legal")
    assert store.fact_count() == 0 and store.facts_in_periods([]) == []
    store.close()


def test_an_index_made_before_facts_gets_them_from_its_passages(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    store = Store.open(db, PASSPHRASE)
    folder, _ = store.add_folder(tmp_path)
    _write(store, folder.id, tmp_path / "a.pdf", [_chunk(INCOME, HEADING, 1)])
    # Back to schema 5: drop the facts and the record of migration 6, as an older Archivist left it.
    store._conn.execute("DROP TABLE facts")
    store._conn.execute("DELETE FROM schema_migrations WHERE version = 6")
    store.close()
    store = Store.open(db, PASSPHRASE)
    assert store.schema_version() == max(MIGRATIONS)
    assert any(f.label == "Revenue" and f.value == 12400 for f in store.facts_in_periods(["FY2025"]))
    store.close()


# -- computed from them ----------------------------------------------------------------------------------------

def test_the_total_of_a_page_is_the_item_its_parts_read_as_too() -> None:
    from archivist.answer.compute import Calculation, compute
    from archivist.index.factstore import FactRow

    def row(i: int, label: str, raw: str) -> FactRow:
        return FactRow(id=i, file_id=1, chunk_id=100 + i, path=Path("/docs/ACME_2025_10K.pdf"), entity="Acme",
                       title="Consolidated Statements of Income", label=label, column="2025", period="FY2025",
                       value=Decimal(raw.replace(",", "")), raw=raw, unit="", scale="millions", page=51, line=i,
                       cells="")

    facts = [row(1, "Net sales", "495,761"), row(2, "Membership and other income", "4,582"),
             row(3, "Total revenues", "500,343"), row(4, "Operating income", "20,437")]
    calc = compute("What was Acme's FY2025 operating margin? Round to one decimal place.", facts, {})
    assert isinstance(calc, Calculation) and calc.expression == "20,437 / 500,343" and calc.shown == "4.1%"


def test_a_note_reference_in_a_label_is_no_figure() -> None:
    text = "Income before income taxes 1,797 2,426\nProvision for income taxes (Note 7) (411) (491)"
    got = {(f.label, f.period): f.value for f in chunk_facts(text, "Statements of Income (in millions) | 2022 | 2021")}
    assert got[("Provision for income taxes", "FY2022")] == Decimal(-411)


def test_figures_of_a_table_without_a_unit_are_not_mixed_with_millions() -> None:
    from archivist.answer.compute import Refusal, compute
    from archivist.index.factstore import FactRow

    def row(i: int, label: str, raw: str, scale: str) -> FactRow:
        value = Decimal(raw.strip("()").replace(",", "")) * (-1 if raw.startswith("(") else 1)
        return FactRow(id=i, file_id=1, chunk_id=100 + i, path=Path("/docs/ACME_2025_10K.pdf"), entity="Acme",
                       title="", label=label, column="2025", period="FY2025", value=value, raw=raw, unit="",
                       scale=scale, page=70 + i, line=i, cells="")

    facts = [row(1, "Income before income taxes", "1,797", "millions"), row(2, "Provision for income taxes", "411", "")]
    refusal = compute("What was Acme's FY2025 effective tax rate?", facts, {})
    assert isinstance(refusal, Refusal) and "without a unit" in refusal.message


BALANCE_SHEET = """CONSOLIDATED BALANCE SHEETS
(In thousands)
December 31,
2018 2017
Current assets
Cash and cash equivalents $ 1,526,762 $ 1,499,995
Accounts receivable, net 657,206 542,273
Total current assets 2,526,778 2,376,355
$ 30,210,706 $ 29,160,042
LIABILITIES AND STOCKHOLDERS' EQUITY
Current liabilities
Accounts payable $ 302,578 $ 255,028
Construction payable 311,793 474,807
Total current liabilities 2,948,882 3,138,297"""


def test_a_statement_continued_under_a_heading_keeps_its_columns() -> None:
    # The liabilities print no years of their own: the assets' columns, unit and title are theirs too.
    tables = find_tables(BALANCE_SHEET.split("\n"))
    assert [t.heading for t in tables] == ["CONSOLIDATED BALANCE SHEETS (in thousands) | 2018 | 2017"] * 2
    lines = BALANCE_SHEET.split("\n")
    facts = chunk_facts("\n".join(lines[tables[1].start:tables[1].end]), tables[1].heading)
    payable = {(f.label, f.period): f.value for f in facts}
    assert payable[("Accounts payable", "FY2018")] == Decimal(302578)
    assert payable[("Total current liabilities", "FY2017")] == Decimal(3138297)


def test_a_table_of_another_width_below_a_statement_is_not_its_continuation() -> None:
    page = BALANCE_SHEET.split("\n")[:8] + [
        "Segment results follow the operating review of the year, as the chief operating decision maker reads them.",
        "Casino 1,100 2,200 3,300", "Rooms 4,100 5,200 6,300", "Food 7,100 8,200 9,300"]
    tables = find_tables(page)
    assert [t.columns for t in tables] == [("2018", "2017"), ()]


ROLL_FORWARD = """Short-term borrowings
(Amounts in millions) 2020 2019 2018
Maximum amount outstanding at any month-end $ 13,315 $ 13,389 $ 11,386
Average daily short-term borrowings 7,120 10,625 8,131
Annual weighted-average interest rate 2.5% 2.4% 1.3%
Long-term Debt
The following table provides the changes in our long-term debt for fiscal 2020:
(Amounts in millions)
Long-term debt due
within one year Long-term debt Total
Balances as of February 1, 2019 $ 1,876 $ 43,520 $ 45,396
Proceeds from issuance of long-term debt — 5,492 5,492
Payments of long-term debt (1,907) — (1,907)
Reclassifications of long-term debt 5,378 (5,378) —
Balances as of January 31, 2020 $ 5,362 $ 43,714 $ 49,076"""


def test_a_roll_forward_whose_rows_are_dated_is_no_table_of_the_years_above_it() -> None:
    # Its columns are the debt's parts, not periods: "Balances as of February 1, 2019" is its first row (it had
    # named the table's one column), and the three years of the table above are not its columns either.
    lines = ROLL_FORWARD.split("\n")
    tables = find_tables(lines)
    assert [t.columns for t in tables] == [("2020", "2019", "2018"), ()]
    assert tables[1].start <= lines.index("Balances as of February 1, 2019 $ 1,876 $ 43,520 $ 45,396")
    assert chunk_facts("\n".join(lines[tables[1].start:tables[1].end]), tables[1].heading) == []


def test_a_row_labelled_by_a_year_or_a_date_is_a_row() -> None:
    from archivist.ingest.rows import parse_row

    assert parse_row("Balance, January 1, 2017 $ 12,545 $ 1,434 $ 1,074 $ 15,053").cells == \
        ("12,545", "1,434", "1,074", "15,053")
    assert parse_row("2024 1,825,986 8,763").label == "2024"
    assert parse_row("2023 (excluding the six months ended June 30, 2023) $ 899,947 $ 42,714").cells == \
        ("899,947", "42,714")
    # A header of years or dates is none, nor a year over a page number.
    assert parse_row("2023 2022 2021") is None
    assert parse_row("June 30, 2023 2022") is None
    assert parse_row("2019 55") is None


def test_a_maturity_schedule_by_year_names_no_column_by_its_rows() -> None:
    page = ["Maturities of lease liabilities were as follows:", "Operating Leases Finance Leases",
            "Year ending December 31, (In thousands)", "2023 $ 1,795,625 $ 78,710", "2024 1,825,986 8,763",
            "2025 1,856,204 8,258", "Thereafter 19,236,011 104,316",
            "Total future minimum lease payments 24,713,826 200,047"]
    tables = find_tables(page)
    assert len(tables) == 1 and tables[0].columns == () and tables[0].start <= 2


def test_a_label_whose_date_goes_on_in_the_next_line_is_read_whole() -> None:
    text = "\n".join(["In Millions Gain/(Loss)", "3.15% notes due December 15,", "2021 $ (25.3)",
                      "2.6% notes due October 12, 2022 2.5", "1.0% notes due April 27, 2023 (0.9)",
                      "Net pre-tax hedge loss in AOCI $ (45.2)"])
    tables = find_tables(text.split("\n"))
    assert [t.columns for t in tables] == [()]  # no "2021" column
    from archivist.ingest.rows import read_rows

    assert read_rows(text)[0][1].label == "3.15% notes due December 15, 2021"


def test_years_a_sentence_ends_in_name_the_columns_and_a_paragraphs_last_line_does_not() -> None:
    page = ["Presented in the table below is the components of income tax expense for the years ended December 31: "
            "2021 2020 2019", "Current income taxes:", "State $ 72 $ 8 $ 4", "Federal 75 — —",
            "Provision for income taxes $ 377 $ 215 $ 212"]
    assert find_tables(page)[0].columns == ("2021", "2020", "2019")
    page = ["If the Company sustains all of its positions, an unrecognized tax benefit of $12 million would impact the",
            "Company's effective tax rate. The Company had an insignificant amount of interest and penalties "
            "related to its tax positions in 2020", "and 2019.",
            "Presented in the table below are the changes in the valuation allowance:", "Amount",
            "Balance as of January 1, 2018 $ 13", "Increases in current period tax positions 1",
            "Balance as of December 31, 2018 $ 14"]
    assert find_tables(page)[0].columns == ()


def test_a_range_of_useful_lives_beside_a_label_is_the_labels() -> None:
    page = ["The following summarizes the components of Property, plant and equipment: Useful Lives As of December 31,",
            "(MILLIONS) (Years) 2021 2020", "Buildings 33-50 9,001 8,998", "Machinery and equipment 8-20 12,252 11,000",
            "Furniture, fixtures and other 3-12.5 4,457 4,484", "Less: Accumulated depreciation 15,074 14,661",
            "Property, plant and equipment $ 14,882 $ 13,745"]
    table = find_tables(page)[0]
    facts = {(f.label, f.period): f.value for f in chunk_facts("\n".join(page[table.start:table.end]), table.heading)}
    assert facts[("Buildings 33-50", "FY2021")] == Decimal(9001)
    assert facts[("Property, plant and equipment", "FY2020")] == Decimal(13745)


def test_a_dash_apart_from_the_next_figure_is_a_nil_not_a_minus_sign() -> None:
    from archivist.ingest.rows import parse_row

    assert parse_row("Divestitures loss 30.0 - 6.5").cells == ("30.0", "-", "6.5")
    assert parse_row("Net change -1,234 5,678").cells == ("-1,234", "5,678")
