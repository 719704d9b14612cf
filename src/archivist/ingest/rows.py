"""Table rows in extracted text: a label and its figures as printed ("Purchases of property, plant and equipment
(1,577) (1,373)"), and the rows of a passage with their labels read whole where the page wrapped them.

``ingest.tables`` finds the tables these rows make and the headers that give their figures a period; only the
layout is read here: no company, statement or dataset is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archivist.ingest.quarterly import MONTH_DAY, only_dates, only_periods

_NUMBER = r"\(?(?:-(?=[$\d]))?\$?\s?\d(?:[\d,]*\d)?(?:\.\d+)?\)?(?:\s?%)?(?:\s?\([a-z]\))?"
_CELL = rf"(?:\$\s*)?(?:{_NUMBER}|[—–-]{{1,2}}|n/?m)"
_ROW = re.compile(rf"^(?P<label>.*?[A-Za-z][^\d$]*?)[\s.…:]*(?P<cells>(?:\s+{_CELL})+)\s*$|"
                  rf"^(?P<label2>.*?[A-Za-z].*?)\.{{3,}}\s*(?P<cells2>{_CELL}(?:\s+{_CELL})*)\s*$")
_CELLS = re.compile(_CELL)
_DATED_ROW = re.compile(rf"^(?P<label>(?:.*?[A-Za-z].*?\b{MONTH_DAY.pattern},?\s+)?(?:fiscal\s+)?(?:19|20)\d{{2}}"
                        rf"(?:\s*\([^)]*\))?)[\s.…:]*(?P<cells>(?:\s+{_CELL})+)\s*$", re.IGNORECASE)
"""A row whose label ends in a date or is a year ("Balance, January 1, 2017 $ 12,545 $ 1,434", "2024 1,825,986
8,763"): its first figures are no cells."""
_RANGED_ROW = re.compile(rf"^(?P<label>.*?[A-Za-z][^\d$]*?\s\d{{1,3}}(?:\.\d+)?\s?[-–]\s?\d{{1,3}}(?:\.\d+)?"
                         rf"(?:\s+years)?)(?P<cells>(?:\s+{_CELL})+)\s*$", re.IGNORECASE)
"""A row whose label ends in a range, a column of useful lives beside the figures ("Buildings 33-50 9,001 8,998")."""
_NOTE_REF = re.compile(r"\s*\((?:see\s+)?notes?\s+\d+[A-Z]?(?:\s*(?:,|and|&)\s*\d+[A-Z]?)*\)", re.IGNORECASE)
_LEADER = re.compile(r"(?:\s*\.){3,}\s*$")
WORDS = re.compile(r"[A-Za-z]{2,}")
MAX_LABEL_WORDS = 16
"""A longer line ending in a figure is prose, not a row label."""
TABLE_MARK = " | "
"""Separates the parts of a table heading: ``title (unit) | column | column`` (and the cells of a DOCX or HTML
table row, as they are read)."""


@dataclass(frozen=True)
class Row:
    """One table row: its label and its figures as printed (``(1,577)``, ``—``, ``12.5%``)."""

    label: str
    cells: tuple[str, ...]
    marked: bool = False
    """Whether the first "figure" is printed right after the label as a footnote mark would be ("Total revenues
    (1) $ 45,743", not "... $ (3)"): ``without_mark`` tells by the number of columns."""


_CELL_ONLY = re.compile(rf"^{_CELL}$")
_ENDS_IN_CELL = re.compile(rf"[\s.]{_CELL}\s*$")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_RANGE = re.compile(r"\d\s?[-–]\s?\d")


def parse_row(line: str) -> Row | None:
    """The row in ``line`` (a label, then one figure or more; or cells joined by ``" | "`` as DOCX and HTML
    tables are read), or None when it is not one."""
    if TABLE_MARK in line:
        parts = [" ".join(p.split()) for p in line.split(TABLE_MARK)]
        label, cells = parts[0], [p.replace(" ", "").lstrip("$") for p in parts[1:] if p]
        if WORDS.search(label) and cells and all(_CELL_ONLY.match(c) for c in cells):
            return Row(label, tuple(cells))
        return None
    text = _NOTE_REF.sub("", " ".join(line.split()))  # "Provision for income taxes (Note 7) (411) (491)"
    if not text or len(text) > 400:
        return None
    if not _ENDS_IN_CELL.search(text):
        return None  # most lines of a page: every form of row ends in a figure (and the patterns below are slow)
    m = _ROW.match(text)
    if m is None:
        return _dated_row(text) or _ranged_row(text)
    label = m.group("label") if m.group("label") is not None else m.group("label2")
    cells_text = m.group("cells") if m.group("cells") is not None else m.group("cells2")
    label = _LEADER.sub("", label).strip(" .:$…")
    if not label or len(WORDS.findall(label)) == 0 or len(label.split()) > MAX_LABEL_WORDS:
        return None
    cells = tuple(c.replace(" ", "") for c in _CELLS.findall(cells_text) if c.strip() not in ("$",))
    cells = tuple(c.lstrip("$") for c in cells if c)
    if cells and _MONTH_END.search(label) and re.fullmatch(r"(?:[1-9]|[12]\d|3[01])", cells[0]):
        # "Balance at December 31 185,669 ...": the day is the label's date, no figure of the first column
        label, cells = f"{label} {cells[0]}", cells[1:]
    if not cells:
        return None
    return Row(label, cells, bool(re.match(r"\s*\([1-9]\)\s", cells_text)))


_MONTH_END = re.compile(r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                        r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?$", re.IGNORECASE)
"""A label ending in a month's name, whose day the PDF prints after it as if it were a figure."""


def _dated_row(text: str) -> Row | None:
    """The row of a roll-forward or a schedule by year, whose label ends in a date or is a year ("Balance,
    January 1, 2017 $ 12,545 $ 1,434 ..."; "2024 1,825,986 8,763"): read as a header, its date had named a column
    and its figures had joined the header's words. None when no figure is an amount (a header of years, "2023
    2022"; of dates)."""
    m = _DATED_ROW.match(text) if _YEAR.search(text) else None
    if m is None or len(m.group("label").split()) > MAX_LABEL_WORDS:
        return None
    printed = [c for c in _CELLS.findall(m.group("cells")) if c.strip() != "$"]
    if not any(re.search(r"[,.$()%]|^[—–-]", c) for c in printed):
        return None  # years or counts alone: the header's periods, or a sentence's
    cells = (c.replace(" ", "").lstrip("$") for c in printed)
    return Row(" ".join(m.group("label").split()), tuple(c for c in cells if c))


def _ranged_row(text: str) -> Row | None:
    """The row of a table that prints a range beside its label ("Buildings 33-50 9,001 8,998", "Furniture,
    fixtures and other 3-12.5 4,457 4,484": useful lives in years): the range is the label's, the figures after
    it the cells (the range had made no row at all)."""
    m = _RANGED_ROW.match(text) if _RANGE.search(text) else None
    if m is None or len(m.group("label").split()) > MAX_LABEL_WORDS:
        return None
    cells = (c.replace(" ", "").lstrip("$") for c in _CELLS.findall(m.group("cells")) if c.strip() != "$")
    return Row(" ".join(m.group("label").split()), tuple(c for c in cells if c))


def is_prose(line: str) -> bool:
    return len(line.split()) > MAX_LABEL_WORDS and parse_row(line) is None


def without_mark(row: Row, width: int) -> Row:
    """``row`` without the footnote mark printed after its label ("Total revenues (1) $ 45,743 $ 46,922 ...",
    whose "(1)" reads as a figure), when it prints one figure more than the table's ``width`` columns (two or
    more: in one column, "(4) (105)" may be a count of shares and their cost)."""
    if row.marked and width >= 2 and len(row.cells) == width + 1:
        return Row(row.label, row.cells[1:])
    return row


def split_glued(row: Row, width: int) -> list[Row]:
    """The rows a PDF printed on one line, each with its ``width`` figures: ``Divestitures (gain) loss (0.31) 0.04
    Mark-to-market effects (0.17) (0.17)`` is two rows, not one labelled ``Divestitures ... Mark-to-market
    effects``. ``[row]`` when its label holds no such run of figures (or runs of another length: a label such
    as ``Fair value hedges - Interest rate contracts`` is left whole)."""
    if width < 2:
        return [row]
    parts: list[Row] = []
    words: list[str] = []
    run: list[str] = []
    for token in row.label.split():
        if token == "$" or _CELL_ONLY.match(token):
            run.append(token)
            continue
        if run:
            cells = [c.lstrip("$") for c in run if c != "$"]
            if len(cells) != width or not words or not WORDS.search(" ".join(words)):
                return [row]
            parts.append(Row(" ".join(words), tuple(cells)))
            words, run = [], []
        words.append(token)
    if not parts or run or not WORDS.search(" ".join(words)):
        return [row]
    if _CONNECTIVE.match(" ".join(words)):
        return [row]  # "..., net of doubtful accounts - $40 and $42 1,721 2,004": figures of the caption
    return [*parts, Row(" ".join(words), row.cells)]


_CONNECTIVE = re.compile(r"^(?:and|or|&|to|through|thru)$", re.IGNORECASE)


def read_rows(text: str) -> list[tuple[int, Row]]:
    """(line offset, row) of every row in a passage's text. A label the page wrapped over two lines, the first
    ending in a word that cannot end one ("NET INCOME ATTRIBUTABLE TO SHAREOWNERS OF" over "THE COCA-COLA COMPANY
    $ 1,248 $ 6,527") or the second starting in lower case ("... per basic" / "common share $ 3.91"), is read
    whole."""
    lines = text.split("\n")
    out: list[tuple[int, Row]] = []
    for i, line in enumerate(lines):
        row = parse_row(line)
        if row is None and (total := _unlabelled_total(lines, i)):
            row = Row(total, tuple(c.replace(" ", "").lstrip("$") for c in _CELLS.findall(line)
                                   if c.strip() != "$"))
        if row is None or only_periods(line) or only_dates(line):
            continue
        above = " ".join(lines[i - 1].split()) if i else ""
        wrapped = above and TABLE_MARK not in line and (_WRAPPED.search(above) or _goes_on(above, row.label)) \
            and not re.search(r"\d", above) and len(above.split()) <= MAX_LABEL_WORDS and parse_row(above) is None
        if wrapped or date_goes_on(above, line):
            row = Row(f"{above} {row.label}", row.cells, row.marked)
        out.append((i, row))
    return out


_FIGURES_ONLY = re.compile(rf"^\s*{_CELL}(?:\s+{_CELL})+\s*$")
_CAPTION = re.compile(r"^[A-Za-z][A-Za-z ,&'’()-]*:?$")


def _unlabelled_total(lines: list[str], i: int) -> str:
    """``Total Revenues`` for a line of figures alone that ends a section ("Revenues" / "Casino $ 1,951,382 ..." /
    "Rooms 815,323 ..." / "3,942,207 3,264,888"): a statement that prints its totals without a label. "" when the
    line is no such total: at least two rows of the section between it and a caption line (a few words, no
    figure) above them."""
    if not _FIGURES_ONLY.match(lines[i]) or only_periods(lines[i]):
        return ""
    rows = 0
    for k in range(i - 1, max(-1, i - 16), -1):
        line = " ".join(lines[k].split())
        if not line:
            continue
        if parse_row(line) is not None and not _FIGURES_ONLY.match(line):
            rows += 1
            continue
        if rows >= 2 and _CAPTION.match(line) and len(line.split()) <= 6:
            return f"Total {line.rstrip(':').strip()}"
        return ""
    return ""


def date_goes_on(above: str, line: str) -> bool:
    """Whether ``line``, a row labelled by a year, ends the date the line ``above`` began ("3.15% notes due
    December 15," / "2021 $ (25.3)"): one label, not a header over a row of 2021."""
    above = " ".join(above.split())
    if not re.search(rf"{MONTH_DAY.pattern},?$", above, re.IGNORECASE) or not WORDS.search(MONTH_DAY.sub("", above)) \
            or parse_row(above) is not None or len(above.split()) >= MAX_LABEL_WORDS:
        return False
    row = parse_row(line)
    return row is not None and bool(re.fullmatch(r"(?:19|20)\d{2}", row.label))


def _goes_on(above: str, label: str) -> bool:
    """Whether ``label`` goes on from the line ``above``: it starts in lower case ("Net income attributable to
    common shareholders per basic" / "common share $ 3.91"; "... used in investing" / "activities (1,822)") under
    a line that is no caption ("Capital expenditures:")."""
    return label[:1].islower() and not above.endswith(":")


_WRAPPED = re.compile(r"\b(?:of|to|and|for|in|from|the|by|on|at|with|attributable)$", re.IGNORECASE)
"""The last word of a label line the page wrapped: the label goes on in the next line."""
