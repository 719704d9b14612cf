"""Groups of columns named by what is printed over them (``ingest.column_groups``), on page lines whose character
positions are faked: each character of a line is 5 points wide at its index, so wide gaps are runs of spaces."""

from __future__ import annotations

from archivist.ingest.column_groups import group_of, grouped
from archivist.ingest.facts import chunk_facts
from archivist.ingest.tables import find_tables


def layout(lines: list[str]) -> list[list[tuple[float, float, float]]]:
    return [[(5.0 * i, 5.0 * i + 4.5, 7.0) for i in range(len(line))] for line in lines]


def squeezed(lines: list[str]) -> list[str]:
    """The lines as the PDF reader gives them: one space between words, however far apart they are printed."""
    return [" ".join(line.split()) for line in lines]


PENSION = [
    "Net periodic benefit cost",
    "                              Pension Benefits           Other Benefits",
    "                              2025        2024           2025        2024",
    "Service cost                  31          28             4           4",
    "Interest cost                 73          82             12          15",
    "Benefits paid                 (109)       (105)          (29)        (25)",
]


def _with_boxes(lines: list[str]) -> tuple[list[str], list[list[tuple[float, float, float]]]]:
    """Lines one space apart, each character keeping the box it had in the spaced-out ``lines``."""
    out_lines, out_boxes = [], []
    for line in lines:
        boxes = layout([line])[0]
        text, kept = "", []
        for i, ch in enumerate(line):
            if ch == " " and (not text or text.endswith(" ")):
                continue
            text += ch
            kept.append(boxes[i])
        out_lines.append(text.rstrip())
        out_boxes.append(kept[:len(text.rstrip())])
    return out_lines, out_boxes


def test_names_printed_over_groups_of_columns_name_them() -> None:
    lines, boxes = _with_boxes(PENSION)

    (table,) = find_tables(lines, boxes)

    assert table.columns == ("Pension Benefits 2025", "Pension Benefits 2024", "Other Benefits 2025",
                             "Other Benefits 2024")
    assert table.title == "Net periodic benefit cost"  # the names over the groups are no title
    facts = chunk_facts("\n".join(lines[3:]), table.heading)
    service = {f.column: f.raw for f in facts if f.label == "Service cost"}
    assert service == {"Pension Benefits 2025": "31", "Pension Benefits 2024": "28", "Other Benefits 2025": "4",
                       "Other Benefits 2024": "4"}
    assert {f.period for f in facts if f.label == "Service cost"} == {"FY2025", "FY2024"}


def test_without_positions_the_groups_stay_unnamed_as_before() -> None:
    (table,) = find_tables(squeezed(PENSION))

    assert table.columns == ("2025", "2024", "2025", "2024")


def test_a_name_over_two_groups_heads_both_and_wrapped_names_are_read_whole() -> None:
    lines, boxes = _with_boxes([
        "Plan costs (in millions)",
        "                         Pension                    Retiree Medical and",
        "                U.S.               International    Life Insurance Plans",
        "                2025     2024      2025     2024    2025     2024",
        "Service cost    10       11        20       21      30       31",
        "Interest cost   12       13        22       23      32       33",
        "Benefits paid   (1)      (2)       (3)      (4)     (5)      (6)",
    ])

    (table,) = find_tables(lines, boxes)

    assert table.columns == ("Pension U.S. 2025", "Pension U.S. 2024", "Pension International 2025",
                             "Pension International 2024", "Retiree Medical and Life Insurance Plans 2025",
                             "Retiree Medical and Life Insurance Plans 2024")


def test_groups_named_alike_or_left_unnamed_keep_their_columns() -> None:
    # One caption centred over every column tells no group from another.
    lines, boxes = _with_boxes([
        "                        Benefit costs",
        "                2025    2024    2025    2024",
        "Service cost    10      11      20      21",
        "Interest cost   12      13      22      23",
        "Benefits paid   (1)     (2)     (3)     (4)",
    ])
    (table,) = find_tables(lines, boxes)
    assert table.columns == ("2025", "2024", "2025", "2024")

    # Columns that come in no groups are not renamed, whatever is printed over them.
    columns, used = grouped(("2025", "2024"), lines, [0, 1], boxes, 1)
    assert columns == ("2025", "2024") and not used


def test_a_caption_over_a_column_of_text_names_no_group() -> None:
    lines, boxes = _with_boxes([
        "               Recognized in OCI    Location of gain reclassified       Reclassified",
        "                2025      2024                                       2025      2024",
        "Swaps           10        11           Revenue                       20        21",
        "Forwards        12        13           Revenue                       22        23",
        "Options         14        15           Cost of sales                 24        25",
    ])
    columns, _used = grouped(("2025", "2024", "2025", "2024"), lines, [0, 1], boxes, 1)

    assert columns == ("Recognized in OCI 2025", "Recognized in OCI 2024", "Reclassified 2025", "Reclassified 2024")


def test_a_columns_group_is_its_name_without_the_period() -> None:
    assert group_of("Pension Benefits 2020") == "Pension Benefits"
    assert group_of("U.S. GDP Growth (Contraction) December 31, 2022") == "U.S. GDP Growth (Contraction)"
    assert group_of("Three Months Ended June 30, 2023") == ""
    assert group_of("FY2020 Q4") == ""
    assert group_of("12 Weeks Ended 3/19/2022") == ""
    assert group_of("2020") == ""


def _hit(text: list[str], heading: str):  # noqa: ANN202
    from pathlib import Path

    from archivist.index.rows import ChunkRow
    from archivist.retrieve.hybrid import Hit

    chunk = ChunkRow(id=1, file_id=1, path=Path("/docs/GANNET_2025_10K.pdf"), folder_id=1, text="\n".join(text),
                     prefix="", page=4, line_start=2, line_end=1 + len(text), heading=heading, kind="pdf")
    return Hit(chunk, 1.0, 0.5, 0.5)


def test_the_figure_asked_is_read_from_the_group_the_question_names() -> None:
    from archivist.retrieve.figures import find_figure

    lines, boxes = _with_boxes(PENSION)
    (table,) = find_tables(lines, boxes)
    hits = [_hit(lines[3:], table.heading)]

    other = find_figure("What was Gannet's FY2025 service cost of its other benefits?", hits)
    assert (other.value, other.column) == ("4", "Other Benefits 2025")
    pension = find_figure("What was Gannet's FY2024 pension service cost?", hits)
    assert (pension.value, pension.column) == ("28", "Pension Benefits 2024")


def test_a_total_row_under_a_group_of_columns_is_the_groups_figure() -> None:
    from archivist.retrieve.figures import find_figure

    lines, boxes = _with_boxes([
        "Total assets and capital spending of each division (in millions)",
        "                    Total Assets              Capital Spending",
        "                    2025        2024          2025       2024",
        "North America       12,400      11,900        610        580",
        "Europe              8,100       7,700         420        390",
        "Total               20,500      19,600        1,030      970",
    ])
    (table,) = find_tables(lines, boxes)
    hits = [_hit(lines[3:], table.heading)]

    figure = find_figure("What was Gannet's capital spending in FY2025?", hits)
    assert figure is not None and figure.lead() == "1,030 million in Capital Spending 2025: Total"


def test_a_quoted_row_reads_each_figure_with_its_group_and_year() -> None:
    from archivist.retrieve.figures import row_reading

    lines, boxes = _with_boxes(PENSION)
    (table,) = find_tables(lines, boxes)
    hit = _hit(lines[3:], table.heading)

    assert row_reading(hit, "Service cost 31 28 4 4") == \
        "Pension Benefits 2025: 31, 2024: 28; Other Benefits 2025: 4, 2024: 4"
    assert row_reading(hit, "Net periodic benefit cost") == ""  # no row of the table


SEGMENTS = [
    "Segment information",
    "(in millions)",
    "                                   Digital        Document                       ",
    "                                   Media          Cloud        Publishing        Total",
    "                                                         Fiscal 2025",
    "Revenue                            12,400         4,100        300               16,800",
    "Cost of revenue                    1,200          1,000        40                2,240",
    "Gross profit                       11,200         3,100        260               14,560",
    "                                                         Fiscal 2024",
    "Revenue                            11,000         3,900        310               15,210",
    "Cost of revenue                    1,100          950          45                2,095",
    "Gross profit                       9,900          2,950        265               13,115",
    "Unallocated charges                                                              (120)",
]


def test_names_printed_over_single_columns_under_one_period_name_them() -> None:
    lines, boxes = _with_boxes(SEGMENTS)

    (table,) = find_tables(lines, boxes)

    assert table.columns == ("Digital Media Fiscal 2025", "Document Cloud Fiscal 2025", "Publishing Fiscal 2025",
                             "Total Fiscal 2025")
    assert table.title == "Segment information"
    facts = chunk_facts("\n".join(lines[5:]), table.heading)
    revenue = {(f.when(), f.raw) for f in facts if f.label == "Revenue"}
    # The rows under "Fiscal 2024" are that year's, not the header's year.
    assert ("Digital Media FY2025", "12,400") in revenue and ("Total FY2025", "16,800") in revenue
    assert ("Digital Media FY2024", "11,000") in revenue and ("Total FY2024", "15,210") in revenue
    # A row printing one figure (the total's) is the period's, as it was before the columns were named.
    assert [(f.when(), f.raw) for f in facts if f.label == "Unallocated charges"] == [("FY2024", "(120)")]


def test_without_positions_a_segment_table_gives_its_rows_no_facts() -> None:
    (table,) = find_tables(squeezed(SEGMENTS))

    assert table.columns == ("Fiscal 2025",)
    assert [f for f in chunk_facts("\n".join(squeezed(SEGMENTS)[5:]), table.heading) if f.label == "Revenue"] == []


def test_names_printed_under_each_of_several_periods_name_the_columns_of_each() -> None:
    lines, boxes = _with_boxes([
        "Earnings per share (in millions, except per share amounts)",
        "                           2025                        2024",
        "                           Income       Shares         Income       Shares",
        "Net income                 9,100        1,390          8,000        1,400",
        "Dilutive securities        -            7              -            8",
        "Diluted                    9,100        1,397          8,000        1,408",
        "Diluted net income per common share   $ 6.51             $ 5.68",
    ])

    (table,) = find_tables(lines, boxes)

    assert table.columns == ("Income 2025", "Shares 2025", "Income 2024", "Shares 2024")
    facts = chunk_facts("\n".join(lines[3:]), table.heading)
    assert {(f.when(), f.raw) for f in facts if f.label == "Net income"} == {
        ("Income FY2025", "9,100"), ("Shares FY2025", "1,390"), ("Income FY2024", "8,000"), ("Shares FY2024", "1,400")}
    eps = [(f.when(), f.raw, f.unit) for f in facts if f.label == "Diluted net income per common share"]
    assert eps == [("FY2025", "6.51", "per share"), ("FY2024", "5.68", "per share")]


def test_a_column_printed_with_a_date_of_its_own_names_no_columns() -> None:
    # A roll-forward: its first column is the balance at the year's start, its last at its end: not one period.
    lines, boxes = _with_boxes([
        "Goodwill by segment (in millions)",
        "                                      2025",
        "                    Balance at                                    Balance at",
        "                    January 1     Acquisitions     Currency       December 31",
        "East                1,000         200              (10)           1,190",
        "West                500           -                (5)            495",
        "Total               1,500         200              (15)           1,685",
    ])

    (table,) = find_tables(lines, boxes)

    assert table.columns == ("2025",)


def test_the_whole_companys_figure_is_the_total_column_unless_a_segment_is_named() -> None:
    from archivist.retrieve.figures import find_figure

    lines, boxes = _with_boxes(SEGMENTS)
    (table,) = find_tables(lines, boxes)
    hits = [_hit(lines[5:], table.heading)]

    whole = find_figure("What was Gannet's FY2025 revenue?", hits)
    assert (whole.value, whole.column) == ("16,800", "Total Fiscal 2025")
    cloud = find_figure("What was the revenue of Gannet's Document Cloud segment in FY2024?", hits)
    assert (cloud.value, cloud.column) == ("3,900", "Document Cloud Fiscal 2024")


def test_groups_without_a_total_answer_no_question_that_names_none_of_them() -> None:
    from archivist.retrieve.figures import find_figure

    lines, boxes = _with_boxes(PENSION)
    (table,) = find_tables(lines, boxes)
    hits = [_hit(lines[3:], table.heading)]

    # A pension plan's service cost or the retiree plans'? The question does not say: no figure is its answer.
    assert find_figure("What was Gannet's FY2025 service cost?", hits) is None


def _with_header(lines: list[str], heading: str):  # noqa: ANN202
    """A passage of the filer's, its context header naming it as an indexed passage's does."""
    from dataclasses import replace

    hit = _hit(lines, heading)
    return replace(hit, chunk=replace(hit.chunk, prefix="Gannet Inc. 10-K FY2025"))


INCOME = ["Consolidated Statements of Income", "(in millions)", "FY2025 FY2024", "Revenue 16,800 15,210",
          "Cost of revenue 2,240 2,095", "Gross profit 14,560 13,115"]


def test_a_part_the_question_names_is_never_answered_with_the_whole_companys_row() -> None:
    from archivist.retrieve.figures import find_figure

    (statement,) = find_tables(INCOME)
    company = _with_header(INCOME[3:], statement.heading)
    question = "What was Gannet's Document Cloud revenue in FY2025?"

    # The company's revenue is not Document Cloud's: no figure leads the answer rather than the wrong one.
    assert find_figure(question, [company]) is None
    lines, boxes = _with_boxes(SEGMENTS)
    (segments,) = find_tables(lines, boxes)
    figure = find_figure(question, [company, _with_header(lines[5:], segments.heading)])
    assert figure is not None and (figure.value, figure.column) == ("4,100", "Document Cloud Fiscal 2025")
    # Asked without a part, the company's row answers.
    assert find_figure("What was Gannet's revenue in FY2025?", [company]).value == "16,800"


def test_an_acronym_the_passages_print_as_a_name_is_a_part_a_ticker_is_not() -> None:
    from archivist.retrieve.figures import find_figure

    (statement,) = find_tables(INCOME)
    company = _with_header(INCOME[3:], statement.heading)
    lines, boxes = _with_boxes([
        "Revenue by segment",
        "(in millions)",
        "                          FY2025",
        "                  DMX        INTL        Total",
        "Revenue           12,400     4,400       16,800",
        "Cost of revenue   1,200      1,040       2,240",
        "Gross profit      11,200     3,360       14,560",
    ])
    (segments,) = find_tables(lines, boxes)
    part = _with_header(lines[4:], segments.heading)

    # "INTL" is printed as a column's name: the company's revenue is not its answer, the column's is.
    figure = find_figure("What was Gannet's INTL revenue in FY2025?", [company, part])
    assert figure is not None and (figure.value, figure.column) == ("4,400", "INTL FY2025")
    # "GNT" (its ticker) is printed in no passage: the company's row answers.
    assert find_figure("What was GNT's revenue in FY2025?", [company, part]).value == "16,800"


def test_a_change_column_beside_the_periods_keeps_the_periods_columns_their_figures() -> None:
    lines, boxes = _with_boxes([
        "Revenue by product",
        "(in millions)",
        "                           2025        2024        2023",
        "                                                                 % Change",
        "                                                                 2025-2024",
        "Subscription               10,459      9,546       7,736         10 %",
        "Product                    532         555         507           (4) %",
        "Services and other         615         650         658           (5) %",
        "Total revenue              11,606      10,751      8,901         8 %",
        "Percentage of total revenue 92 %       90 %        87 %",
    ])

    (table,) = find_tables(lines, boxes)

    assert table.columns == ("2025", "2024", "2023", "% Change 2025-2024")
    facts = chunk_facts("\n".join(lines[5:]), table.heading)
    assert [(f.period, f.raw) for f in facts if f.label == "Total revenue"] == [
        ("FY2025", "11,606"), ("FY2024", "10,751"), ("FY2023", "8,901"), ("", "8%")]
    # A row printing one figure a period (no change) is the periods', as before.
    assert [(f.period, f.raw) for f in facts if f.label == "Percentage of total revenue"] == [
        ("FY2025", "92%"), ("FY2024", "90%"), ("FY2023", "87%")]
    # Without positions the rows print more figures than there are columns: they give none.
    (plain,) = find_tables(squeezed(lines))
    assert plain.columns == ("2025", "2024", "2023")
    assert not [f for f in chunk_facts("\n".join(squeezed(lines)[5:]), plain.heading) if f.label == "Product"]


def test_a_page_that_cannot_be_read_again_leaves_its_columns_as_the_text_names_them() -> None:
    import pypdfium2 as pdfium

    from archivist.ingest.pdf import _PageBoxes

    class Vanished:  # the document's page can no longer be loaded (a damaged object stream)
        def __getitem__(self, index: int) -> None:
            raise pdfium.PdfiumError("Failed to load page.")

    lines = squeezed(SEGMENTS)
    (table,) = find_tables(lines, _PageBoxes(Vanished(), 0, "\n".join(lines)))

    assert table.columns == ("Fiscal 2025",)  # no names read, nothing made up, no error


def test_changes_named_on_the_periods_line_keep_the_periods_columns_their_figures() -> None:
    lines, boxes = _with_boxes([
        "Revenue (in thousands, except for percentages)",
        "                                   Year Ended December 31,",
        "                              2025          2024          $ Change       % Change",
        "Transaction-based revenue     $ 3,294,978   $ 3,081,074   $ 213,904      7 %",
        "Subscription revenue          1,539,403     1,031,456     507,947        49 %",
        "Total net revenue             $ 4,834,381   $ 4,112,530   $ 721,851      18 %",
    ])

    (table,) = find_tables(lines, boxes)

    assert table.columns == ("2025", "2024", "$ Change", "% Change")
    facts = chunk_facts("\n".join(lines[3:]), table.heading)
    assert [(f.period, f.raw) for f in facts if f.label == "Total net revenue"] == [
        ("FY2025", "4,834,381"), ("FY2024", "4,112,530"), ("", "18%")]  # a change in dollars is no period's


def test_a_name_around_the_filers_word_is_the_filers_only_when_its_full_name_is_unknown() -> None:
    from dataclasses import replace

    from archivist.retrieve.figures import find_figure

    (statement,) = find_tables(INCOME)
    known = _with_header(INCOME[3:], statement.heading)  # "Gannet Inc.": its name was read from its pages
    only_file = replace(known, chunk=replace(known.chunk, prefix="GANNET 10-K FY2025"))  # its file name's word

    # "Gannet International" is not "Gannet Inc.": a part of it, whose revenue the company's row is not.
    assert find_figure("What was Gannet International's revenue in FY2025?", [known]) is None
    # Known by its file name alone, "Gannet Logistics" may well be the filer: its row answers.
    assert find_figure("What was Gannet Logistics' revenue in FY2025?", [only_file]).value == "16,800"
