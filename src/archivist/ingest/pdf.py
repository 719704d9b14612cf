"""PDF: text per page with pypdfium2 (measured ~19x faster than pypdf here: benchmarks/RESULTS.md).

Running headers and footers (a line at the top or bottom of most pages, page numbers aside: ``Company -
Confidential - Page 3 of 9``) are page furniture, not content: they are blanked (line numbers stay) so they
are neither quoted as an answer nor matched as if each page said them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping
from pathlib import Path

from archivist.errors import ExtractionError
from archivist.ingest.base import Block, Document, read_bytes
from archivist.ingest.column_groups import Boxes, Layout
from archivist.ingest.scans import needs_ocr, ocr_pages
from archivist.ingest.tables import find_tables


class PdfExtractor:
    kind = "pdf"
    suffixes = (".pdf",)
    version = "pdfium-13"
    """2: running headers and footers blanked (``furniture``). 3: tables kept with their headers
    (``with_tables``: each table's title, unit and columns head every passage cut from it). 4: pages without a
    text layer are OCRed (``ingest.scans``). 5: lines as printed: a space the PDF encodes as a line feed is a
    space, closely set lines pdfium joined are parted (``page_text``). 6: the cover's entity is read through
    non-breaking spaces, small capitals on one line and a name broken before its "Inc." (``ingest.metadata``;
    the entity heads every passage, so the files are read again); a header line of dated periods with its unit
    ("Year Ended December 31 (Millions, ...) 2022 2021 2020") names the columns; a caption's own figures ("...,
    net of doubtful accounts - $40 and $42") are no cells of its row (``ingest.tables``, ``ingest.facts``). 7: a
    column under a span shorter than a year ("Three Months Ended June 30, | Twelve Months Ended June 30," over
    "2022 2023 2022 2023") is named with its span, so a quarter's figure is not read as the year's; a row label
    wrapped over two lines is read whole (``rows.read_rows``: facts are written with the passages). 8: a date
    over each column keeps its month ("December 31, 2022 June 30, 2022": a 10-Q's quarter end and its last year
    end were both "2022"), and a span's date printed on the line below it is the span's ("Three Months Ended" /
    "June 30,"); a long row label of a per-share section, its figures in cents, is per share (Pfizer's "Net income
    attributable to Pfizer Inc. common shareholders $ 0.41" under "Earnings per common share--basic:"); quarters of
    12 or 16 weeks, numeric dates ("12 Weeks Ended 3/25/2023") and "First-Quarter 2023" are no fiscal year; a
    section's total printed as figures alone is its total ("Revenues" / rows / "3,942,207 ..." is "Total
    Revenues"; ``rows.read_rows``). 9: a 10-K's quarterly data name their columns by quarter ("2020" over "First
    Quarter ... Fourth Quarter" had been one "2020" column, or each quarter's figure a fiscal year's); a footnote
    mark after a row's label ("Total revenues (1) $ 45,743 ...") is no figure; a label wrapped before a word in
    lower case is read whole ("... per basic" / "common share $ 3.91" had been "common share") (``ingest.quarterly``,
    ``rows.without_mark``, ``rows.read_rows``). 10: a row labelled by a date or a year ("Balance, January 1,
    2017 $ 12,545 ..."; "2024 1,825,986 8,763"; "3.15% notes due December 15," / "2021 $ (25.3)") is a row, not a
    header whose date named a column (roll-forwards and maturity schedules had taken a balance's date, or their
    rows' figures, for their columns); a table introduced by a sentence or a unit of its own does not take the
    columns of the table above it on the page; a paragraph's last line ("... in 2020 and 2019.") names no column,
    and years a sentence ends in ("... for the years ended December 31: 2021 2020 2019") do (``tables``, ``rows``).
    11: a range beside a row's label is the label's ("Buildings 33-50 9,001 8,998", a column of useful lives: no
    row had been read), and a dash printed apart from the figure after it is a nil of its own column ("Divestitures
    loss 30.0 - 6.5": "- 6.5" had been one negative figure) (``rows``). 12: names printed over groups of columns
    name them, read by where they are printed ("Pension Benefits" and "Other Benefits" over "2020 2019 2020 2019"
    had left each row two FY2020 figures of one label) (``column_groups``, ``char_boxes``); a day printed after a
    label's month is the label's ("Balance at December 31 185,669 ..." had read "31" as the first column's
    figure) (``rows``). 13: names printed over single columns name them when the rows print more figures than
    there are periods over them (a segment note's "USCS | CS | ... | Consolidated" under "2022", "Income |
    Shares" under each year: none of those rows had given a fact), and year lines inside such a table ("2021" /
    rows) give their rows that year (``column_groups.named``); a change's column printed beside the periods'
    ("% Change" / "2022-2021" under the years, "2020 2019 $ Change % Change") no longer keeps the rows from
    their periods (``beside``); the character boxes are read only for the lines a table asks for."""

    def extract(self, path: Path) -> Document:
        import pypdfium2 as pdfium

        # Open from bytes: the file may vanish or be rewritten while we read page by page.
        data = read_bytes(path)
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            reason = str(exc)
            if "password" in reason.lower():
                raise ExtractionError(
                    f"{path.name}: the PDF is encrypted (password protected).",
                    hint="Save an unprotected copy to index it.",
                ) from None
            raise ExtractionError(
                f"{path.name}: not a readable PDF ({reason.rstrip('.')}).",
                hint="Re-export or repair the file; the rest of the folder was indexed.",
            ) from None
        try:
            blocks: list[Block] = []
            layouts: dict[int, Boxes] = {}
            scanned: list[int] = []
            for index in range(len(pdf)):
                page = pdf[index]
                textpage = page.get_textpage()
                text = page_text(textpage)
                lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
                # Columns named by where the names are printed over them: the boxes of the lines a table asks
                # for, read when it does (most pages' tables need none).
                layouts[index + 1] = _PageBoxes(pdf, index, text)
                textpage.close()
                if any(line.strip() for line in lines):
                    blocks.append(Block(tuple(line.rstrip() for line in lines), page=index + 1, line_start=1))
                elif needs_ocr(page):
                    scanned.append(index)
                page.close()
            if scanned:  # pages without a text layer are read by OCR; a page with one keeps it
                blocks = sorted(blocks + ocr_pages(pdf, scanned, path.name, any_text=bool(blocks)),
                                key=lambda b: b.page or 0)
            blocks = with_tables(blank_furniture(blocks), layouts)
            title = (pdf.get_metadata_dict().get("Title") or "").strip()
            return Document(path, self.kind, blocks, title=title or path.stem, pages=len(pdf))
        finally:
            pdf.close()


def page_text(textpage) -> str:  # noqa: ANN001 - a pypdfium2 PdfTextPage
    """The page's text, each line of print on a line of its own, as pdfium reads it with two corrections by
    the characters' boxes (pdfium's own line breaks are ``\\r\\n``):

    - a lone ``\\n`` between two characters on one baseline, the second to the right of the first, is a space:
      some PDFs map the space glyph to U+000A, and each word of a line then came on a line of its own
      ("Liabilities / and / Stockholders' / Equity"), breaking sentences and a statement's rows from their labels;
    - a space between a character and the next, lower and back to the left, is a line break: pdfium
      joins closely set lines ("Purchases of common stock (876.8) (301.4) (3.4) Dividends paid (1,244.5) ..."),
      gluing a statement's rows into one."""
    import pypdfium2.raw as pdfium_c

    text = textpage.get_text_range()
    if len(text) != textpage.count_chars():  # the character boxes index the text 1:1 only then
        return text
    out = list(text)
    for k in range(1, len(text) - 1):
        ch = text[k]
        if ch not in " \n" or text[k - 1] in " \r\n" or text[k + 1] in " \r\n":
            continue
        if ch == " " and not pdfium_c.FPDFText_IsGenerated(textpage, k):  # one the PDF prints is a space
            continue
        left, bottom, right, top = textpage.get_charbox(k - 1)
        n_left, n_bottom, n_right, n_top = textpage.get_charbox(k + 1)
        if ch == "\n":
            overlap = min(top, n_top) - max(bottom, n_bottom)
            if overlap > 0.5 * min(top - bottom, n_top - n_bottom) > 0 and n_left >= right - 0.5:
                out[k] = " "
        elif n_right < left and (top + bottom) - (n_top + n_bottom) > min(top - bottom, n_top - n_bottom) > 0:
            out[k] = "\n"  # back to the left, and its middle more than half a character lower
    return "".join(out)


def char_boxes(textpage, text: str, lines: Collection[int]) -> Layout:  # noqa: ANN001 - a PdfTextPage
    """Each line of ``text`` (``page_text``'s, its line breaks as ``extract`` splits them), each character's box
    on the page: (left, right, height), for the ``lines`` asked (others have none: reading a box costs). No line
    has any when the text does not index the boxes 1:1."""
    if len(text) != textpage.count_chars():
        return []
    out: list[list[tuple[float, float, float]]] = [[]]
    for k, ch in enumerate(text):
        if ch == "\r" and text[k + 1:k + 2] == "\n":
            continue
        if ch in "\r\n":
            out.append([])
            continue
        if len(out) - 1 not in lines:
            continue
        left, bottom, right, top = textpage.get_charbox(k)
        out[-1].append((left, right, top - bottom))
    return out


class _PageBoxes:
    """The character boxes of one page's lines (``char_boxes``), read for the lines a table asks for, once."""

    def __init__(self, pdf, index: int, text: str) -> None:  # noqa: ANN001 - a PdfDocument
        self._pdf, self._index, self._text = pdf, index, text
        self._read: set[int] = set()
        self._layout: list[list[tuple[float, float, float]]] = []

    def __call__(self, lines: Collection[int]) -> Layout:
        import pypdfium2 as pdfium

        if want := set(lines) - self._read:
            try:
                page = self._pdf[self._index]
                textpage = page.get_textpage()
            except pdfium.PdfiumError:
                boxes: Layout = []  # a page that cannot be read again: its columns stay as the text names them
            else:
                try:
                    boxes = char_boxes(textpage, self._text, want)
                finally:
                    textpage.close()
                    page.close()
            self._layout += [[] for _ in range(len(boxes) - len(self._layout))]
            for k in want:
                if k < len(boxes):
                    self._layout[k] = list(boxes[k])
            self._read |= want
        return self._layout


EDGE_LINES = 3
"""How many non-empty lines at the top and at the bottom of a page may be a running header or footer."""
MIN_PAGES = 3
"""Shorter documents keep every line: two pages agreeing says little."""
MAX_FURNITURE_CHARS = 120

_DIGITS = re.compile(r"\d+")


def _shape(line: str) -> str:
    """A line with its numbers abstracted (``Page 3 of 9`` and ``Page 4 of 9`` match), spaces folded."""
    return _DIGITS.sub("#", " ".join(line.split()).lower())


def furniture(pages: list[tuple[str, ...]]) -> set[str]:
    """Shapes of the lines that head or foot at least 60% of ``pages`` (and three of them at least)."""
    if len(pages) < MIN_PAGES:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        filled = [ln for ln in lines if ln.strip()]
        edges = filled[:EDGE_LINES] + filled[-EDGE_LINES:]
        seen.update({_shape(ln) for ln in edges if len(ln.strip()) <= MAX_FURNITURE_CHARS})
    need = max(MIN_PAGES, -(-len(pages) * 3 // 5))  # on 60% of the pages at least
    return {shape for shape, n in seen.items() if n >= need and shape.strip("# ")}


def blank_furniture(blocks: list[Block]) -> list[Block]:
    """``blocks`` (one per page) with running header and footer lines emptied; a page left empty is dropped."""
    shapes = furniture([b.lines for b in blocks])
    if not shapes:
        return blocks
    out = []
    for b in blocks:
        filled = [i for i, ln in enumerate(b.lines) if ln.strip()]
        edges = set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])
        lines = tuple("" if i in edges and _shape(ln) in shapes else ln for i, ln in enumerate(b.lines))
        if any(ln.strip() for ln in lines):
            out.append(Block(lines, page=b.page, line_start=b.line_start, heading=b.heading))
    return out


SMALL_FRAGMENT_WORDS = 20
"""Lines left between or around tables with fewer words than this join the table next to them: alone they made
passages of a page number and a company name that keyword search ranked high for any question naming it."""


def with_tables(blocks: list[Block], layouts: Mapping[int, Layout | Boxes] | None = None) -> list[Block]:
    """Each page block cut at its tables: a table's lines become a block of their own whose heading is the
    table's title, unit and columns (``ingest.tables``), so no passage cut from it loses them. Line numbers
    stay the page's; a few words left around a table stay with it. ``layouts``: by page, where each character
    of a line is printed (``char_boxes``), for pages whose columns come in groups."""
    out: list[Block] = []
    for b in blocks:
        tables = find_tables(b.lines, (layouts or {}).get(b.page or 0))
        if not tables:
            out.append(b)
            continue
        # Spans of (start, end, heading): the tables, and the text around them.
        spans: list[tuple[int, int, tuple[str, ...]]] = []
        cursor = 0
        for t in tables:
            if t.start > cursor:
                spans.append((cursor, t.start, b.heading))
            spans.append((t.start, t.end, (*b.heading, t.heading)))
            cursor = t.end
        if cursor < len(b.lines):
            spans.append((cursor, len(b.lines), b.heading))
        merged: list[tuple[int, int, tuple[str, ...]]] = []
        for k, (start, end, heading) in enumerate(spans):
            words = sum(len(line.split()) for line in b.lines[start:end])
            is_table = heading != b.heading
            if not is_table and words < SMALL_FRAGMENT_WORDS:
                if k + 1 < len(spans):  # join the table below (a page header above a statement)
                    nxt = spans[k + 1]
                    spans[k + 1] = (start, nxt[1], nxt[2])
                    continue
                if merged:  # or the table above (a page number below it)
                    prev = merged[-1]
                    merged[-1] = (prev[0], end, prev[2])
                    continue
            merged.append((start, end, heading))
        for start, end, heading in merged:
            out.append(Block(b.lines[start:end], b.page, b.line_start + start, heading))
    return [b for b in out if any(line.strip() for line in b.lines)]
