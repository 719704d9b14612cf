"""Tables are data, through the real pipeline (sandboxed extraction, MiniLM, SQLCipher): a statement page of a
PDF and a workbook become facts with their place, and a metric is computed from them with cited operands."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import indexed_workspace

STATEMENT = ["Heron Freight", "Annual Report on Form 10-K for the fiscal year ended December 31, 2025", "",
             "Consolidated Statements of Income", "(in millions)", "FY2025 FY2024", "Revenue 8,200 7,900",
             "Cost of revenue 5,330 5,214", "Operating income 1,150(a) 1,020", "Restructuring charges 35 -"]


def _pdf(path: Path, lines: list[str]) -> None:
    """A one-page PDF with a text layer, written by hand (Helvetica, one line per text object)."""
    escaped = [ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for ln in lines]
    ops = ["BT /F1 11 Tf 14 TL 72 720 Td"] + [f"({ln}) '" for ln in escaped] + ["ET"]
    stream = "\n".join(ops).encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def _workbook(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Balance")
    ws.write(0, 0, "Balance sheet ($ in thousands)")
    ws.write_row(2, 0, ["Line item", "FY2025", "FY2024"])
    for r, row in enumerate([["Total current assets", 4200, 3900], ["Total current liabilities", 2800, 2600]],
                            start=3):
        ws.write_row(r, 0, row)
    wb.close()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, real_embedder):  # noqa: ANN201
    root = tmp_path_factory.mktemp("facts")
    docs = root / "docs"
    docs.mkdir()
    _pdf(docs / "HERON_2025_10K.pdf", STATEMENT)
    _workbook(docs / "HERON_2025_balance.xlsx")
    services, report = indexed_workspace(root, docs, real_embedder)
    assert report.added == 2, report
    yield services
    services.close()


def test_statement_and_workbook_rows_become_placed_facts(services) -> None:  # noqa: ANN001
    facts = {(f.path.name, f.label, f.period): f for f in services.store.facts_in_periods(["FY2025", "FY2024"])}
    operating = facts[("HERON_2025_10K.pdf", "Operating income", "FY2025")]
    assert (operating.value, operating.scale, operating.page, operating.line) == (1150, "millions", 1, 8)
    assert facts[("HERON_2025_10K.pdf", "Restructuring charges", "FY2024")].value == 0  # a dash
    liabilities = facts[("HERON_2025_balance.xlsx", "Total current liabilities", "FY2024")]
    # The blank row under the title is not kept in the passage: its rows are cited by the passage's range.
    assert (liabilities.amount, liabilities.cells) == (2_600_000, "Balance!A1:C5")


def test_a_metric_is_computed_with_every_operand_cited(services) -> None:  # noqa: ANN001
    answer = services.answerer().ask("What was Heron Freight's operating margin in FY2025?")
    assert answer.answer.startswith("Operating margin, FY2025: 14.0% = 1,150 / 8,200 [1].")
    assert answer.calculation["operands"] and all(o["citation"] for o in answer.calculation["operands"])
    assert answer.citations[0].path.endswith("HERON_2025_10K.pdf") and answer.citations[0].page == 1
    ratio = services.answerer().ask("What is Heron Freight's FY2025 current ratio?")
    assert ratio.calculation["shown"] == "1.50"
    assert {o["where"] for o in ratio.calculation["operands"]} == {"HERON_2025_balance.xlsx Balance!A1:C5"}
