"""Spreadsheets: what a user finds in a workbook or a CSV file, and where a passage says it is.

Workbooks are written on the fly with XlsxWriter (a dependency of python-pptx); CSV files by hand.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest import extract
from archivist.ingest.location import location
from archivist.ingest.sheets import cell_range, column_letters, read_rows


def make_workbook(path: Path) -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("FY2025")
    ws.write(0, 0, "Regional sales, fiscal 2025 (EUR thousands)")
    ws.write_row(2, 0, ["Region", "Q1", "Q2", "Q3", "Q4", "Total"])
    ws.write_row(3, 0, ["Northgate", 31200, 29870, 33010, 35550])
    ws.write_formula(3, 5, "=SUM(B4:E4)", None, 129630)
    ws.write_row(4, 0, ["Tamarind Quay", 44980, 46120, 48215, 47330])
    ws.write_formula(4, 5, "=SUM(B5:E5)", None, 186645)
    ws.write(5, 0, "Note: Tamarind Quay includes the ocelotbrine pilot.")
    dates = wb.add_worksheet("Q3 plan")
    dates.merge_range("B1:C1", "FY2026")
    dates.write_row(1, 0, ["Milestone", "Start", "Owner"])
    dates.write_datetime(2, 1, dt.datetime(2026, 3, 31), wb.add_format({"num_format": "yyyy-mm-dd"}))
    dates.write(2, 0, "Berth survey")
    dates.write(2, 2, "Harbour office")
    hidden = wb.add_worksheet("Old")
    hidden.write_row(0, 0, ["Code", "Value"])
    hidden.write_row(1, 0, ["quokkaslate", 7])
    hidden.hide()
    wb.close()
    return path


def passages(path: Path) -> list[tuple[str, int, str]]:
    """(heading trail, first row, text) of every block."""
    return [(" > ".join(b.heading), b.line_start, b.text) for b in extract(path).blocks]


def test_each_row_is_read_with_its_sheet_header_and_cell_range(tmp_path: Path) -> None:
    rows = [r for r in read_rows(make_workbook(tmp_path / "sales.xlsx")) if r.role == "data"]
    tamarind = next(r for r in rows if r.label == "Tamarind Quay")
    assert tamarind.sheet == "FY2025" and tamarind.cell_range == "FY2025!A5:F5"
    assert tamarind.cells == ("Tamarind Quay", "44980", "46120", "48215", "47330", "186645")
    assert tamarind.column_of(3) == "Q3" and tamarind.title.startswith("Regional sales")


def test_formula_cells_give_their_cached_value(tmp_path: Path) -> None:
    rows = {r.label: r for r in read_rows(make_workbook(tmp_path / "sales.xlsx")) if r.role == "data"}
    assert rows["Northgate"].cells[-1] == "129630"  # =SUM(B4:E4) as last saved, not the formula text


def test_dates_read_as_dates_and_merged_headers_span_their_columns(tmp_path: Path) -> None:
    rows = [r for r in read_rows(make_workbook(tmp_path / "sales.xlsx")) if r.sheet == "Q3 plan"]
    survey = next(r for r in rows if r.label == "Berth survey")
    assert survey.cells[1] == "2026-03-31"  # not the serial number 46112
    assert survey.column_of(1) == "FY2026 Start" and survey.column_of(2) == "FY2026 Owner"
    assert survey.cell_range == "'Q3 plan'!A3:C3"


def test_hidden_sheets_are_indexed_and_marked(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "sales.xlsx")
    old = [p for p in passages(path) if "quokkaslate" in p[2]]
    assert old and old[0][0].startswith("Sheet Old (hidden)")
    assert location(path, old[0][0], None, 1, 2) == "Old!A1:B2 (hidden sheet)"


def test_a_passage_carries_the_table_title_and_columns_and_cites_its_cells(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "sales.xlsx")
    heading, first_row, text = next(p for p in passages(path) if "Tamarind Quay | 44980" in p[2])
    assert heading == ("Sheet FY2025, columns A-F > Regional sales, fiscal 2025 (EUR thousands)"
                       " | Q1 | Q2 | Q3 | Q4 | Total")
    assert "Region | Q1 | Q2 | Q3 | Q4 | Total" in text and "ocelotbrine" in text
    assert location(path, heading, None, first_row, 6) == "FY2025!A1:F6"


def make_ods(path: Path) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (no ODS writer is a dependency)."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')

    def cell(value: str | int) -> str:
        kind = f'office:value-type="float" office:value="{value}"' if isinstance(value, int) else \
            'office:value-type="string"'
        return f"<table:table-cell {kind}><text:p>{value}</text:p></table:table-cell>"

    rows = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
                   for row in [["Berth", "Length"], ["Pelican", 1200], ["Heron", 800]])
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="Berths">{rows}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                   '<manifest:file-entry manifest:full-path="/" '
                   'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
    return path


def test_ods_sheets_are_read_like_workbooks(tmp_path: Path) -> None:
    rows = [r for r in read_rows(make_ods(tmp_path / "berths.ods")) if r.role == "data"]
    assert [(r.label, r.cells[1], r.column_of(1), r.cell_range) for r in rows] == [
        ("Pelican", "1200", "Length", "Berths!A2:B2"), ("Heron", "800", "Length", "Berths!A3:B3")]


def test_csv_is_a_table_named_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "berths.csv"
    path.write_text('Berth;Length;Draft\nPelican;"1,200";14.5\n"Heron\nNorth";800;11\n\nOsprey;650;9\n',
                    encoding="utf-8")
    rows = [r for r in read_rows(path) if r.role == "data"]
    assert [r.label for r in rows] == ["Pelican", "Heron North", "Osprey"]
    assert [r.row for r in rows] == [2, 3, 5]  # a quoted field across lines is one row, as a spreadsheet shows it
    assert rows[0].cells == ("Pelican", "1,200", "14.5") and rows[0].cell_range == "berths!A2:C2"


def test_tsv_and_latin1_csv(tmp_path: Path) -> None:
    tsv = tmp_path / "crew.tsv"
    tsv.write_text("Name\tShift\nAnna, chief\tnight\n", encoding="utf-8")
    assert [r.cells for r in read_rows(tsv) if r.role == "data"] == [("Anna, chief", "night")]
    latin = tmp_path / "caf\u00e9.csv"
    latin.write_bytes("Item,Price\nCaf\u00e9 cr\u00e8me,3\nTh\u00e9,2\n".encode("latin-1"))
    assert "Café crème | 3" in extract(latin).blocks[0].text


def test_a_large_csv_streams_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "ledger.csv"
    with path.open("w") as fh:
        fh.write("Entry,Account,Amount\n")
        for i in range(50_000):
            fh.write(f"E{i},Account {i % 97},{i * 3}\n")
    tracemalloc.start()
    count = sum(1 for r in read_rows(path) if r.role == "data")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 50_000
    # Held whole, these rows are ~10 MB of Python objects; streamed, a few rows at a time.
    assert peak < 2_000_000, f"reading 50,000 rows held {peak:,} bytes at once"


def test_column_letters_and_ranges() -> None:
    assert [column_letters(n) for n in (1, 26, 27, 702, 703)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert cell_range("Sales 2025", 7, 7, 1, 5) == "'Sales 2025'!A7:E7"
    assert cell_range("O'Neil", 1, 2, 1, 1) == "'O''Neil'!A1:A2"


def test_a_markdown_heading_starting_with_sheet_is_not_a_location() -> None:
    assert location("notes.md", "Sheet metal, columns A-B", None, 3, 4) is None


def test_encrypted_and_corrupt_workbooks_fail_with_a_reason(tmp_path: Path) -> None:
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)  # Office encryption is an OLE file
    with pytest.raises(ExtractionError, match="encrypted"):
        extract(encrypted)
    corrupt = tmp_path / "broken.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ExtractionError, match="not a readable"):
        extract(corrupt)


def test_a_workbook_declaring_entities_is_refused(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "sales.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', 1)
            dst.writestr(item, data)
    with pytest.raises(SkipFile, match="entities"):
        extract(bomb)
