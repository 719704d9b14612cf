"""Every file an analyst keeps, through the real pipeline (real extraction in the sandbox, MiniLM, SQLCipher, and
Tesseract for the scan): each fact is found first by a plain question, and the hit says where it is."""

from __future__ import annotations

import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import indexed_workspace

from archivist.ingest.location import location

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None,
                                reason="tesseract-ocr is not installed (packaging/bootstrap.sh installs it)")


def _workbook(path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("FY2025")
    ws.write(0, 0, "Regional sales, fiscal 2025 (EUR thousands)")
    ws.write_row(2, 0, ["Region", "Q1", "Q2", "Q3", "Q4"])
    for r, row in enumerate([["Northgate", 31200, 29870, 33010, 35550], ["Tamarind Quay", 44980, 46120, 48215, 47330],
                             ["Cobalt Ridge", 12500, 13010, 12890, 14420]], start=3):
        ws.write_row(r, 0, row)
    wb.close()


def _deck(path: Path) -> None:
    from pptx import Presentation

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Port strategy review"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Harbor expansion"
    second.placeholders[1].text_frame.text = "The Pelican berth opens in March 2027 with four cranes."
    second.notes_slide.notes_text_frame.text = "Confirm the lynxmarble dredging permit before announcing."
    deck.save(str(path))


def _mail(path: Path) -> None:
    msg = EmailMessage()
    msg["From"] = "Lena Brandt <lena@halvard.example>"
    msg["Subject"] = "Osprey support contract renewal"
    msg.set_content("The renewal price is EUR 91,400 per year. The service schedule is attached.")
    msg.add_attachment(b"Service schedule\n\nOsprey support hours are 07:00 to 19:00 CET on working days.\n",
                       maintype="text", subtype="plain", filename="service-schedule.txt")
    path.write_bytes(msg.as_bytes())


def _scan(path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(["Halvard Freight - Facilities memo", "",
                              "The Kestrel warehouse lease ends on 31 October 2028.",
                              "Renewal talks start in the spring of 2028."]):
        draw.text((200, 200 + i * 60), line, font=font, fill=0)
    image.save(path, "PDF", resolution=300)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, real_embedder):  # noqa: ANN201
    root = tmp_path_factory.mktemp("formats")
    docs = root / "docs"
    docs.mkdir()
    _workbook(docs / "regional-sales.xlsx")
    _deck(docs / "board-deck.pptx")
    _mail(docs / "osprey-renewal.eml")
    _scan(docs / "scanned-memo.pdf")
    (docs / "budget.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    services, report = indexed_workspace(root, docs, real_embedder)
    assert report.added == 4 and report.failed == 1, report
    yield services
    services.close()


@pytest.mark.parametrize(("question", "file", "where"), [
    ("Tamarind Quay Q3 sales", "regional-sales.xlsx", "FY2025!A"),
    ("When does the Pelican berth open?", "board-deck.pptx", "slide 2"),
    ("lynxmarble dredging permit", "board-deck.pptx", "slide 2, speaker notes"),
    ("Osprey support hours", "osprey-renewal.eml", 'Message "Osprey support contract renewal" > service-schedule.txt'),
    ("Kestrel warehouse lease end", "scanned-memo.pdf", "page 1, OCR (confidence"),
])
def test_each_fact_is_found_first_and_the_hit_says_where(services, question: str, file: str, where: str) -> None:
    hit = services.retriever().search(question, 3).hits[0]
    assert hit.chunk.path.name == file
    assert where in (location(hit.chunk.path, hit.chunk.heading, hit.chunk.page, hit.chunk.line_start,
                              hit.chunk.line_end) or "")


def test_the_scan_is_read_with_its_page_and_lines(services) -> None:
    hit = services.retriever().search("Kestrel warehouse lease end", 1).hits[0]
    assert hit.chunk.page == 1 and "31 October 2028" in hit.chunk.text and hit.chunk.line_start >= 1


def test_a_corrupt_outlook_message_is_named_with_what_to_do(services) -> None:
    problems = {p.name: reason for p, _, reason in services.store.problems()}
    assert "not a readable Outlook message" in problems["budget.msg"] and ".eml" in problems["budget.msg"]


def test_status_counts_the_ocred_pages_and_their_confidence(services) -> None:
    from archivist.index.ocr_stats import ocr_summary

    summary = ocr_summary(services.store)
    assert summary["pages"] == 1 and summary["files"] == 1 and 0.8 <= summary["mean_confidence"] <= 1.0


def test_a_scan_read_in_the_sandbox_reports_each_page(tmp_path: Path) -> None:
    from PIL import Image

    from archivist.errors import SkipFile
    from archivist.ingest.isolate import ExtractionSandbox, ReadBudget

    _scan(tmp_path / "one.pdf")
    image = Image.new("L", (1240, 1754), 255)
    image.save(tmp_path / "three.pdf", "PDF", resolution=150, save_all=True, append_images=[image, image])
    box = ExtractionSandbox(ReadBudget(timeout_s=60))
    seen: list[tuple[str, int, int]] = []
    box.on_progress = lambda path, done, total: seen.append((path.name, done, total))
    try:
        box.extract(tmp_path / "one.pdf")
        with pytest.raises(SkipFile, match="no text"):
            box.extract(tmp_path / "three.pdf")  # blank scans: read page by page, nothing found
    finally:
        box.close()
    assert seen == [("one.pdf", 1, 1), ("three.pdf", 1, 3), ("three.pdf", 2, 3), ("three.pdf", 3, 3)]
