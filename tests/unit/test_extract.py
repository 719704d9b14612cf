"""Extraction: what a user gets out of each kind of file, and the reason given when a file is refused.

Every fixture file is built on the fly in ``tmp_path`` (fpdf2 for PDFs, python-docx for DOCX), so each test
shows the exact input it is about.
"""

from __future__ import annotations

import errno
import os
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest import Block, Document, base, extract

# --------------------------------------------------------------------------------------------------------
# Fixture builders


def make_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> Path:
    """A PDF with one page per entry of ``pages``, each line of text printed on its own row."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    if title:
        pdf.set_title(title)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def make_raw_pdf(path: Path, runs: list[tuple[float, float, float, str]], *, space_reads_as_line_feed: bool = False
                 ) -> Path:
    """A one-page PDF written by hand, each run ``(x, y, font size, text)`` its own text object, as some filings'
    producers place them. ``space_reads_as_line_feed``: the font's ToUnicode map reads the space glyph as
    U+000A, as some filings' fonts do."""
    content = "".join(f"BT /F1 {size} Tf {x} {y} Td ({text}) Tj ET\n" for x, y, size, text in runs).encode()
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Spaces def\n"
            b"1 begincodespacerange <00> <FF> endcodespacerange\n1 beginbfchar <20> <000A> endbfchar\n"
            b"1 beginbfrange <21> <7E> <0021> endbfrange\n"
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
               b"/Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n%sendstream" % (len(content), content),
               font + (b" /ToUnicode 6 0 R >>" if space_reads_as_line_feed else b" >>")]
    if space_reads_as_line_feed:
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(cmap) + 1, cmap))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def make_encrypted_pdf(path: Path, user_password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(path.with_name("plain-" + path.name), [["Top secret merger terms."]])
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    writer.encrypt(user_password=user_password, owner_password="owner-pw")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_docx(path: Path) -> Path:
    """Title, two heading levels, body paragraphs and a table, in that order."""
    import docx

    document = docx.Document()
    document.add_heading("Annual Report", level=0)
    document.add_heading("Finance", level=1)
    document.add_paragraph("Revenue grew by twelve percent.")
    document.add_heading("Costs", level=2)
    document.add_paragraph("Travel costs fell sharply.")
    table = document.add_table(rows=3, cols=2)
    for r, (region, amount) in enumerate([("Region", "Amount"), ("North", "1200"), ("South", "950")]):
        table.cell(r, 0).text = region
        table.cell(r, 1).text = amount
    document.add_heading("Outlook", level=1)
    document.add_paragraph("We expect steady growth.")
    document.save(str(path))
    return path


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of ``path`` (UTF-8) that contains ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in {path}")


def block_with(doc: Document, needle: str) -> Block:
    """The first block whose text contains ``needle``."""
    for block in doc.blocks:
        if needle in block.text:
            return block
    raise AssertionError(f"no block contains {needle!r}; blocks: {[b.text for b in doc.blocks]}")


def all_text(doc: Document) -> str:
    return "\n".join(block.text for block in doc.blocks)


def _pdf(path: Path) -> Path:
    return make_pdf(path.with_suffix(".pdf"), [["Invoice number 42."]])


def _docx(path: Path) -> Path:
    return make_docx(path.with_suffix(".docx"))


def _txt(path: Path) -> Path:
    return write_lines(path.with_suffix(".txt"), ["Plain notes."])


def _md(path: Path) -> Path:
    return write_lines(path.with_suffix(".md"), ["# Notes", "", "Markdown notes."])


def _html(path: Path) -> Path:
    return write_lines(path.with_suffix(".html"), ["<html><body><p>Web notes.</p></body></html>"])


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "pdf": _pdf, "docx": _docx, "txt": _txt, "md": _md, "html": _html,
}


# --------------------------------------------------------------------------------------------------------
# PDF


def test_pdf_blocks_carry_one_based_page_numbers(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "report.pdf", [
        ["First page says alpha."],
        ["Second page says bravo."],
        ["Third page says charlie."],
    ])

    doc = extract(path)

    assert doc.kind == "pdf"
    assert doc.pages == 3
    assert [b.page for b in doc.blocks] == [1, 2, 3]
    for block, word in zip(doc.blocks, ["alpha", "bravo", "charlie"], strict=True):
        assert word in block.text
    # No page's text leaks into another page's block.
    assert "bravo" not in doc.blocks[0].text and "alpha" not in doc.blocks[2].text


def test_pdf_line_numbers_count_lines_on_the_page(tmp_path: Path) -> None:
    rows = ["Heading row", "Second row of text", "Third row mentions the budget"]
    path = make_pdf(tmp_path / "lines.pdf", [["Cover page"], rows])

    page_two = block_with(extract(path), "budget")

    assert page_two.page == 2
    assert page_two.line_start == 1
    budget_line = page_two.line_start + next(i for i, ln in enumerate(page_two.lines) if "budget" in ln)
    assert budget_line == 3


def test_pdf_running_headers_and_footers_are_blanked_and_line_numbers_kept(tmp_path: Path) -> None:
    pages = [[f"Acme Corp - Confidential - Page {n} of 4", f"Body {n} says the pump {word} failed.",
              f"Second row {n} of the body.", f"acme.example  {n}"]
             for n, word in enumerate(["alpha", "bravo", "charlie", "delta"], start=1)]
    doc = extract(make_pdf(tmp_path / "report.pdf", pages))

    text = "\n".join(b.text for b in doc.blocks)
    assert "Confidential" not in text and "acme.example" not in text  # furniture, on every page
    assert all(f"pump {w} failed" in text for w in ["alpha", "bravo", "charlie", "delta"])
    third = block_with(doc, "charlie")
    assert third.page == 3 and third.line_start + next(i for i, ln in enumerate(third.lines) if "charlie" in ln) == 2


def test_pdf_lines_repeated_on_few_pages_or_in_short_documents_are_kept(tmp_path: Path) -> None:
    short = [["Quarterly figures", f"Revenue was {n} million."] for n in (10, 12)]
    assert "Quarterly figures" in block_with(extract(make_pdf(tmp_path / "short.pdf", short)), "12 million").text
    pages = [[("Date Amount Balance" if n < 2 else f"Narrative page {n}"), f"Entry {n} was booked on time.",
              "More text here.", "And a closing line."] for n in range(5)]
    doc = extract(make_pdf(tmp_path / "ledger.pdf", pages))
    assert sum("Date Amount Balance" in b.text for b in doc.blocks) == 2  # 2 of 5 pages: content, not furniture

def test_pdf_words_whose_spaces_read_as_line_feeds_stay_on_their_line(tmp_path: Path) -> None:
    # A filing's font maps its space glyph to a line feed: each word came on a line of its own, and the
    # statement row "Accounts payable 12,602 18,869" lost its label.
    pdf = make_raw_pdf(tmp_path / "statement.pdf", [(72, 700, 10, "Liabilities and Stockholders Equity"),
                                                    (72, 686, 10, "Accounts payable 12,602 18,869")],
                       space_reads_as_line_feed=True)

    assert extract(pdf).blocks[0].lines[:2] == ("Liabilities and Stockholders Equity", "Accounts payable 12,602 18,869")


def test_pdf_names_printed_over_groups_of_columns_name_them(tmp_path: Path) -> None:
    # "Pension Benefits" and "Other Benefits" over "2025 2024 2025 2024": read as text, each row had two FY2025
    # figures of one label. Where the names are printed tells which columns each heads.
    runs = [(72, 700, 10, "Net periodic benefit cost"), (300, 680, 10, "Pension Benefits"),
            (430, 680, 10, "Other Benefits")]
    at = (305, 355, 435, 485)
    runs += [(x, 666, 10, year) for x, year in zip(at, ("2025", "2024", "2025", "2024"), strict=True)]
    rows = [("Service cost", "31", "28", "14", "15"), ("Interest cost", "73", "82", "12", "15"),
            ("Benefits paid", "(109)", "(105)", "(29)", "(25)")]
    for k, (label, *cells) in enumerate(rows):
        runs += [(72, 652 - 14 * k, 10, label)]
        runs += [(x, 652 - 14 * k, 10, cell) for x, cell in zip(at, cells, strict=True)]
    doc = extract(make_raw_pdf(tmp_path / "benefits.pdf", runs))

    table = block_with(doc, "Service cost 31 28 14 15")
    assert table.heading[-1] == ("Net periodic benefit cost | Pension Benefits 2025 | Pension Benefits 2024 | "
                                 "Other Benefits 2025 | Other Benefits 2024")


def test_pdf_closely_set_lines_are_not_glued_into_one(tmp_path: Path) -> None:
    # Lines 7 points apart in 10-point type: pdfium reads them as one line, two statement rows glued.
    rows = ["Purchases of common stock (876.8) (301.4)", "Dividends paid (1,244.5) (1,246.4)",
            "Other, net (28.0) (30.9)"]
    pdf = make_raw_pdf(tmp_path / "cash-flows.pdf", [(72, 700 - 7 * k, 10, row) for k, row in enumerate(rows)])

    assert extract(pdf).blocks[0].lines[:3] == tuple(rows)


def test_pdf_runs_side_by_side_on_one_line_stay_one_line(tmp_path: Path) -> None:
    # Rows whose label and figures are separate text objects, as in most statements, set 7 points apart.
    pdf = make_raw_pdf(tmp_path / "row.pdf", [(72, 700, 10, "Net revenues"), (300, 700, 10, "5,162,082"),
                                              (400, 700, 10, "12,899,672"), (72, 693, 10, "Net income"),
                                              (300, 693, 10, "(1,319,907)"), (400, 693, 10, "2,214,380")])

    assert extract(pdf).blocks[0].lines[:2] == ("Net revenues 5,162,082 12,899,672",
                                                "Net income (1,319,907) 2,214,380")


def test_pdf_title_comes_from_metadata_else_file_name(tmp_path: Path) -> None:
    titled = make_pdf(tmp_path / "q3.pdf", [["Numbers."]], title="Quarterly Review")
    untitled = make_pdf(tmp_path / "minutes-2024.pdf", [["Numbers."]])

    assert extract(titled).title == "Quarterly Review"
    assert extract(untitled).title == "minutes-2024"


def test_pdf_without_any_text_is_skipped_as_a_scan(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # an image-only page, as a scanner would produce
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert "scan.pdf" in str(info.value)
    assert "no text" in str(info.value)


def test_corrupt_pdf_fails_with_a_reason(tmp_path: Path) -> None:
    garbage = random.Random(7).randbytes(4096)
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + garbage)

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert type(info.value) is ExtractionError  # failed, not merely skipped
    message = str(info.value)
    assert "broken.pdf" in message
    assert "not a readable PDF" in message


def test_encrypted_pdf_fails_saying_it_is_password_protected(tmp_path: Path) -> None:
    path = make_encrypted_pdf(tmp_path / "locked.pdf", user_password="s3cret")

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert type(info.value) is ExtractionError
    message = str(info.value)
    assert "locked.pdf" in message
    assert "encrypted" in message and "password" in message
    assert "s3cret" not in message


def test_pdf_with_only_an_owner_password_is_still_read(tmp_path: Path) -> None:
    # Owner-only protection (no password to open) is common on published reports; it must not block indexing.
    path = make_encrypted_pdf(tmp_path / "restricted.pdf", user_password="")

    assert "merger terms" in all_text(extract(path))


# --------------------------------------------------------------------------------------------------------
# DOCX


def test_docx_keeps_paragraphs_headings_and_table_rows_in_order(tmp_path: Path) -> None:
    doc = extract(make_docx(tmp_path / "annual.docx"))

    assert doc.kind == "docx"
    assert doc.title == "Annual Report"
    text = all_text(doc)
    order = ["Revenue grew", "Travel costs", "North | 1200", "South | 950", "steady growth"]
    positions = [text.index(needle) for needle in order]
    assert positions == sorted(positions)
    assert block_with(doc, "Region").lines == ("Region | Amount", "North | 1200", "South | 950")


def test_docx_heading_trail_follows_heading_levels(tmp_path: Path) -> None:
    doc = extract(make_docx(tmp_path / "annual.docx"))

    assert block_with(doc, "Revenue grew").heading == ("Annual Report", "Finance")
    assert block_with(doc, "Travel costs").heading == ("Annual Report", "Finance", "Costs")
    # A table's passages also carry its columns (its first row), under the section's name.
    assert block_with(doc, "North | 1200").heading == ("Annual Report", "Finance", "Costs", "Costs | Amount")
    # A new level-1 heading closes "Finance" and its "Costs" subsection.
    assert block_with(doc, "steady growth").heading == ("Annual Report", "Outlook")


def test_docx_has_no_made_up_line_numbers(tmp_path: Path) -> None:
    doc = extract(make_docx(tmp_path / "annual.docx"))

    assert all(b.line_start is None and b.page is None for b in doc.blocks)


def test_docx_merged_cells_are_not_repeated(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Summary"
    for c, value in enumerate(["a1", "b1", "c1"]):
        table.cell(1, c).text = value
    path = tmp_path / "merged.docx"
    document.save(str(path))

    assert block_with(extract(path), "Summary").lines == ("Summary", "a1 | b1 | c1")


@pytest.mark.parametrize("content", [b"this is not a zip archive at all", b"PK\x03\x04" + bytes(200)],
                         ids=["not-a-zip", "zeroed-zip"])
def test_corrupt_docx_fails_with_a_reason(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "damaged.docx"
    path.write_bytes(content)

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert type(info.value) is ExtractionError
    assert "damaged.docx" in str(info.value)
    assert "not a readable DOCX" in str(info.value)


def test_zip_that_is_not_a_docx_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "renamed.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "just a zip")

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert "renamed.docx" in str(info.value)
    assert "not a readable DOCX" in str(info.value)


def test_docx_with_broken_xml_fails_with_a_reason(tmp_path: Path) -> None:
    good = make_docx(tmp_path / "good.docx")
    path = tmp_path / "half-saved.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b"<w:document><unclosed" if name == "word/document.xml" else src.read(name))

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert type(info.value) is ExtractionError
    assert "half-saved.docx" in str(info.value) and "not a readable DOCX" in str(info.value)


# --------------------------------------------------------------------------------------------------------
# HTML

PAGE = """<!DOCTYPE html>
<html>
<head>
  <title>Field Guide</title>
  <style>body { color: red; } .secret-style { }</style>
  <script>var trackingCode = "analytics-42";</script>
</head>
<body>
  <nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us menu</a></li></ul></nav>
  <header><div>Site banner text</div></header>
  <h1>Birds</h1>
  <p>Robins sing at dawn.</p>
  <h2>Habitat</h2>
  <p>Robins nest in hedges
  and low trees.</p>
  <table>
    <tr><th>Species</th><th>Count</th></tr>
    <tr><td>Robin</td><td>14</td></tr>
  </table>
  <h1>Mammals</h1>
  <p>Foxes hunt at night.</p>
  <div>Badgers dig setts.<script>trackEvent("badger-widget");</script><style>.promo-box { }</style></div>
  <aside><p>Sponsored sidebar advert</p></aside>
  <noscript><p>Please enable JavaScript</p></noscript>
  <div role="navigation"><p>Breadcrumb trail here</p></div>
  <footer><p>Copyright footer line</p></footer>
</body>
</html>
"""


def test_html_drops_scripts_styles_and_navigation(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(PAGE, encoding="utf-8")

    text = all_text(extract(path))

    assert "Robins sing at dawn." in text
    assert "Foxes hunt at night." in text
    assert "Badgers dig setts." in text
    for unwanted in ("trackingCode", "secret-style", "trackEvent", "promo-box", "About us menu",
                     "Site banner", "Copyright footer", "enable JavaScript", "Sponsored sidebar",
                     "Breadcrumb"):
        assert unwanted not in text


def test_html_title_heading_trail_and_table_rows(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(PAGE, encoding="utf-8")

    doc = extract(path)

    assert doc.title == "Field Guide"
    assert block_with(doc, "Robins sing").heading == ("Birds",)
    assert block_with(doc, "nest in hedges").heading == ("Birds", "Habitat")
    # A table's rows also carry its columns (its first row), under the section's name.
    assert block_with(doc, "Robin | 14").heading == ("Birds", "Habitat", "Habitat | Count")
    assert block_with(doc, "Foxes hunt").heading == ("Mammals",)


def test_html_line_numbers_point_at_the_source_line(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(PAGE, encoding="utf-8")

    doc = extract(path)

    for visible, source in [("Robins sing at dawn.", "<p>Robins sing"),
                            ("Robins nest in hedges", "<p>Robins nest"),
                            ("Robin | 14", "<tr><td>Robin"),
                            ("Foxes hunt at night.", "<p>Foxes")]:
        assert block_with(doc, visible).line_start == line_of(path, source), visible
    # The second line of a wrapped paragraph keeps its own line number.
    wrapped = block_with(doc, "nest in hedges")
    second = wrapped.line_start + next(i for i, ln in enumerate(wrapped.lines) if "low trees" in ln)
    assert second == line_of(path, "low trees")


def test_html_pre_block_keeps_true_line_numbers_across_blank_lines(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "snippet.html", [
        "<html><body>",
        "<pre>def first():",
        "    return 1",
        "",
        "def second():",
        "    return 2</pre>",
        "</body></html>",
    ])

    block = block_with(extract(path), "def second")
    offset = next(i for i, ln in enumerate(block.lines) if "def second" in ln)

    assert block.line_start + offset == line_of(path, "def second")


# --------------------------------------------------------------------------------------------------------
# Markdown, reStructuredText, code, plain text

MARKDOWN = [
    "# Install Guide",          # 1
    "",                         # 2
    "Download the archive.",    # 3
    "",                         # 4
    "## Linux",                 # 5
    "",                         # 6
    "Run the script:",          # 7
    "",                         # 8
    "```bash",                  # 9
    "# not a heading, a shell comment",  # 10
    "./install.sh",             # 11
    "```",                      # 12
    "",                         # 13
    "### Troubleshooting",      # 14
    "",                         # 15
    "Check the logs.",          # 16
    "",                         # 17
    "## Windows",               # 18
    "",                         # 19
    "Double-click setup.exe.",  # 20
]


def test_markdown_heading_trail_and_code_fences(tmp_path: Path) -> None:
    doc = extract(write_lines(tmp_path / "install.md", MARKDOWN))

    assert doc.title == "Install Guide"
    assert block_with(doc, "Download the archive").heading == ("Install Guide",)
    assert block_with(doc, "Run the script").heading == ("Install Guide", "Linux")
    # A '#' line inside a code fence is code, not a heading.
    assert block_with(doc, "./install.sh").heading == ("Install Guide", "Linux")
    assert block_with(doc, "Check the logs").heading == ("Install Guide", "Linux", "Troubleshooting")
    # A level-2 heading closes the previous level-2 section and its level-3 children.
    assert block_with(doc, "setup.exe").heading == ("Install Guide", "Windows")
    assert all("not a heading" not in h for b in doc.blocks for h in b.heading)


def test_markdown_line_numbers_match_the_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "install.md", MARKDOWN)
    doc = extract(path)

    for needle in ("Download the archive", "Run the script", "./install.sh", "Check the logs", "setup.exe"):
        block = block_with(doc, needle)
        offset = next(i for i, ln in enumerate(block.lines) if needle in ln)
        assert block.line_start + offset == line_of(path, needle), needle


RST = [
    "User Manual",              # 1
    "===========",              # 2
    "",                         # 3
    "Welcome to the manual.",   # 4
    "",                         # 5
    "Setup",                    # 6
    "-----",                    # 7
    "",                         # 8
    "Plug in the device.",      # 9
    "Then press power.",        # 10
    "",                         # 11
    "Network",                  # 12
    "~~~~~~~",                  # 13
    "",                         # 14
    "Join the office Wi-Fi.",   # 15
    "",                         # 16
    "Maintenance",              # 17
    "-----------",              # 18
    "",                         # 19
    "Clean the filter monthly.",  # 20
]


def test_rst_underlined_titles_become_the_heading_trail(tmp_path: Path) -> None:
    doc = extract(write_lines(tmp_path / "manual.rst", RST))

    assert doc.title == "User Manual"
    assert block_with(doc, "Welcome").heading == ("User Manual",)
    assert block_with(doc, "Plug in").heading == ("User Manual", "Setup")
    assert block_with(doc, "Wi-Fi").heading == ("User Manual", "Setup", "Network")
    assert block_with(doc, "filter").heading == ("User Manual", "Maintenance")
    # Underline rows are markup, not text.
    assert "====" not in all_text(doc) and "----" not in all_text(doc) and "~~~~" not in all_text(doc)


def test_rst_line_numbers_match_the_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "manual.rst", RST)
    doc = extract(path)

    for needle in ("Welcome", "Plug in", "Then press power", "Wi-Fi", "Maintenance", "filter"):
        block = block_with(doc, needle)
        offset = next(i for i, ln in enumerate(block.lines) if needle in ln)
        assert block.line_start + offset == line_of(path, needle), needle


PYTHON = [
    '"""Billing helpers."""',          # 1
    "",                                # 2
    "import math",                     # 3
    "",                                # 4
    "",                                # 5
    "def total(items):",               # 6
    "    return sum(items)",           # 7
    "",                                # 8
    "",                                # 9
    "class Invoice:",                  # 10
    "    def __init__(self, n):",      # 11
    "        self.n = n",              # 12
    "",                                # 13
    "    def vat(self):",              # 14
    "        return self.n * 0.2",     # 15
    "",                                # 16
    "",                                # 17
    "async def fetch_rates():",        # 18
    "    return math.pi",              # 19
]


def test_code_blocks_are_headed_by_their_top_level_definition(tmp_path: Path) -> None:
    doc = extract(write_lines(tmp_path / "billing.py", PYTHON))

    assert doc.kind == "code"
    assert block_with(doc, "import math").heading == ()
    assert block_with(doc, "return sum").heading == ("total",)
    assert block_with(doc, "self.n * 0.2").heading == ("Invoice",)  # methods stay under their class
    assert block_with(doc, "math.pi").heading == ("fetch_rates",)


def test_code_line_numbers_match_the_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "billing.py", PYTHON)
    doc = extract(path)

    for needle in ("import math", "def total", "return sum", "class Invoice", "def vat", "self.n * 0.2",
                   "async def fetch_rates"):
        block = block_with(doc, needle)
        offset = next(i for i, ln in enumerate(block.lines) if needle in ln)
        assert block.line_start + offset == line_of(path, needle), needle


def test_plain_text_paragraphs_and_line_numbers(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "notes.txt", [
        "",
        "Meeting notes",
        "",
        "",
        "Budget approved.",
        "Hiring paused until May.",
        "",
        "Next meeting Friday.",
    ])

    doc = extract(path)

    assert [b.lines for b in doc.blocks] == [
        ("Meeting notes",), ("Budget approved.", "Hiring paused until May."), ("Next meeting Friday.",),
    ]
    assert [b.line_start for b in doc.blocks] == [2, 5, 8]


def test_unsupported_file_type_is_skipped_naming_the_type(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(100))

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert "clip.mp4" in str(info.value)
    assert "unsupported" in str(info.value) and ".mp4" in str(info.value)


# --------------------------------------------------------------------------------------------------------
# Text encodings and binary content


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "empty.md", "empty.html"])
def test_zero_byte_file_is_skipped_as_empty(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.touch()

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert name in str(info.value)
    assert "empty" in str(info.value)


def test_whitespace_only_file_is_skipped_as_having_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n   \n\t\n")

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert "blank.txt" in str(info.value) and "no text" in str(info.value)


def test_random_bytes_named_txt_are_skipped_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(random.Random(1).randbytes(20_000))

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert "data.txt" in str(info.value)
    assert "binary" in str(info.value)


def test_binary_without_nul_bytes_is_still_skipped_as_binary(tmp_path: Path) -> None:
    rng = random.Random(2)
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(20_000)))

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert "blob.txt" in str(info.value) and "binary" in str(info.value)


def test_nul_bytes_after_the_first_8_kb_make_the_file_binary(tmp_path: Path) -> None:
    text = "Quarterly report, plain prose line.\n" * 600  # ~22 KB of clean UTF-8 first
    path = tmp_path / "notes.txt"
    path.write_bytes(text.encode() + b"\x00\x00\x01\x02payload\x00" + b"more words\n" * 10)

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert "notes.txt" in str(info.value) and "NUL" in str(info.value)
    path.write_bytes(text.encode())  # control: the same text without the tail is read
    assert "Quarterly report" in all_text(extract(path))


def test_binary_after_the_first_8_kb_of_legacy_text_makes_the_file_binary(tmp_path: Path) -> None:
    text = "Café crème brûlée, a naïve menu line for the canteen.\n" * 250  # ~14 KB of latin-1 (not UTF-8)
    rng = random.Random(3)
    tail = bytes(rng.randrange(1, 256) for _ in range(600))  # no NUL byte in it
    path = tmp_path / "menu.txt"
    path.write_bytes(text.encode("latin-1") + tail)

    with pytest.raises(SkipFile) as info:
        extract(path)

    assert "menu.txt" in str(info.value) and "binary" in str(info.value)
    path.write_bytes(text.encode("latin-1") + "Fin du menu.\x1a".encode("latin-1"))  # control: a DOS ^Z is fine
    assert "Fin du menu" in all_text(extract(path))


def test_latin1_text_is_decoded_correctly(tmp_path: Path) -> None:
    path = tmp_path / "menu.txt"
    path.write_bytes("Café crème brûlée".encode("latin-1"))

    assert all_text(extract(path)) == "Café crème brûlée"


def test_cp1252_text_is_decoded_correctly(tmp_path: Path) -> None:
    text = "The “final” price is €12 – a naïve estimate, says Zoë."
    path = tmp_path / "quote.txt"
    path.write_bytes(text.encode("cp1252"))

    assert all_text(extract(path)) == text


def test_utf16_with_bom_is_decoded_without_the_bom(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    # Python's "utf-16" codec writes a byte-order mark, as Windows tools do.
    path.write_bytes("Résumé of Łódź office\nsecond line".encode("utf-16"))

    doc = extract(path)

    assert doc.blocks[0].lines == ("Résumé of Łódź office", "second line")
    assert doc.blocks[0].line_start == 1


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.md"
    path.write_bytes(b"\xef\xbb\xbf# Heading\n\nBody text.\n")

    doc = extract(path)

    assert doc.title == "Heading"
    assert "\ufeff" not in all_text(doc)


def test_non_utf8_html_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes("<html><body><p>Crème brûlée à la française, très délicieuse.</p></body></html>"
                     .encode("latin-1"))

    assert "Crème brûlée à la française" in all_text(extract(path))


# --------------------------------------------------------------------------------------------------------
# Size limit


def test_file_above_max_bytes_is_skipped_with_the_setting_to_change(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 400)  # 2,000 bytes

    with pytest.raises(SkipFile) as info:
        extract(path, max_bytes=1_000)

    message = str(info.value)
    assert "big.txt" in message
    assert "limit" in message
    assert "max_file_mb" in message  # says what to change to index it anyway
    assert "0 MB is above the 0 MB" not in message  # sizes must be meaningful, not rounded to zero


def test_size_message_shows_the_real_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "scan-dump.txt"
    with open(path, "wb") as fh:  # sparse: 20.4 MB on paper, nothing written
        fh.truncate(20_400_000)

    with pytest.raises(SkipFile) as info:
        extract(path, max_bytes=20_000_000)

    message = str(info.value)
    assert "20.4 MB" in message and "20 MB" in message


def test_file_at_exactly_max_bytes_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.txt"
    path.write_bytes(b"x" * 999 + b"\n")

    assert extract(path, max_bytes=1_000).blocks


@pytest.mark.integration
def test_50_mb_text_file_is_skipped_at_20_mb_and_read_without_a_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.log"
    line = b"2024-01-01 12:00:00 INFO request served in 12 ms\n"  # 49 bytes
    with open(path, "wb") as fh:
        fh.write(b"FIRST LINE MARKER\n")
        chunk = line * 20_000
        while fh.tell() < 50_000_000:
            fh.write(chunk)
        fh.write(b"LAST LINE MARKER\n")
    assert path.stat().st_size > 50_000_000

    with pytest.raises(SkipFile) as info:
        extract(path, max_bytes=20_000_000)
    assert "huge.log" in str(info.value) and "20 MB" in str(info.value)

    doc = extract(path, max_bytes=None)
    assert doc.blocks[0].lines[0] == "FIRST LINE MARKER"
    assert doc.blocks[-1].lines[-1] == "LAST LINE MARKER"
    n_lines = sum(len(b.lines) for b in doc.blocks)
    assert doc.blocks[-1].line_start + len(doc.blocks[-1].lines) - 1 == n_lines


# --------------------------------------------------------------------------------------------------------
# Files that vanish or cannot be opened


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_file_deleted_before_reading_fails_saying_it_disappeared(tmp_path: Path, kind: str) -> None:
    path = BUILDERS[kind](tmp_path / "gone")
    path.unlink()

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert type(info.value) is ExtractionError
    assert path.name in str(info.value)
    assert "disappeared" in str(info.value)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_file_deleted_after_listing_but_while_opening_fails_saying_it_disappeared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = BUILDERS[kind](tmp_path / "racing")
    real_open = base._open_nofollow
    deleted: list[Path] = []

    def delete_then_open(target: Path) -> int:
        if target == path:
            target.unlink()
            deleted.append(target)
        return real_open(target)

    monkeypatch.setattr(base, "_open_nofollow", delete_then_open)

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert deleted == [path]
    assert type(info.value) is ExtractionError
    assert path.name in str(info.value) and "disappeared" in str(info.value)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_unreadable_file_fails_with_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Simulated so the test also bites when the suite runs as root (root ignores chmod 000).
    path = BUILDERS[kind](tmp_path / "private")
    real_open = base._open_nofollow

    def denied(target: Path) -> int:
        if target == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real_open(target)

    monkeypatch.setattr(base, "_open_nofollow", denied)

    with pytest.raises(ExtractionError) as info:
        extract(path)

    assert type(info.value) is ExtractionError
    message = str(info.value)
    assert path.name in message
    assert "permission denied" in message
    assert "chmod" in message  # says how to fix it


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their mode; the simulated variant above covers it")
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_chmod_000_file_fails_with_permission_denied(tmp_path: Path, kind: str) -> None:
    path = BUILDERS[kind](tmp_path / "locked")
    path.chmod(0)
    try:
        with pytest.raises(ExtractionError) as info:
            extract(path)
    finally:
        path.chmod(0o600)

    assert type(info.value) is ExtractionError
    assert path.name in str(info.value) and "permission denied" in str(info.value)
