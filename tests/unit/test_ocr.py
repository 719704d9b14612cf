"""OCR as a user meets it, with a fake engine: scanned pages and images are read, a page with a text layer keeps
it, OCR text keeps page and line numbers and says it is OCR, and a machine without OCR says what to install."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_extract import make_pdf

from archivist.errors import SkipFile
from archivist.ingest import base, extract, ocr
from archivist.ingest.location import location
from archivist.ingest.ocr import OcrLine, OcrUnavailable, parse_tsv


class FakeOcr:
    """Reads every page as the same two lines; counts the pages it was given."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, int]] = []

    def read(self, image) -> list[OcrLine]:  # noqa: ANN001
        self.pages.append(image.size)
        # Each page says something of its own: the same lines on every page would be running headers.
        topic = ["Facilities memo", "Insurance review", "Parking rules", "Canteen hours"][len(self.pages) % 4]
        return [OcrLine(topic, 0.96), OcrLine(f"The Kestrel warehouse lease ends on 31 October 2028 ({topic}).", 0.9)]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeOcr:
    engine = FakeOcr()
    monkeypatch.setattr(ocr, "_ENGINE", engine)
    return engine


def scanned_pdf(path: Path, pages: int = 2) -> Path:
    from PIL import Image, ImageDraw

    frames = []
    for _ in range(pages):
        image = Image.new("L", (850, 1100), 255)
        ImageDraw.Draw(image).rectangle((100, 100, 700, 140), fill=0)  # ink, no text layer
        frames.append(image)
    frames[0].save(path, "PDF", resolution=100, save_all=True, append_images=frames[1:])
    return path


def test_pages_without_a_text_layer_are_ocred_with_page_and_line_numbers(tmp_path: Path, fake: FakeOcr) -> None:
    doc = extract(scanned_pdf(tmp_path / "memo.pdf"))
    assert [b.page for b in doc.blocks] == [1, 2] and len(fake.pages) == 2
    lease = doc.blocks[0]
    assert lease.line_start == 1 and lease.lines[1].startswith("The Kestrel warehouse lease")
    assert lease.heading == ("Scanned page (OCR, confidence 93%)",)
    assert location(tmp_path / "memo.pdf", lease.heading[0], 1, 2, 2) == "page 1, OCR (confidence 93%)"
    width, height = fake.pages[0]  # rendered at 300 dpi: 8.5 x 11 inches
    assert abs(width - 2550) <= 1 and abs(height - 3300) <= 1


def test_a_page_with_a_text_layer_keeps_it(tmp_path: Path, fake: FakeOcr) -> None:
    doc = extract(make_pdf(tmp_path / "text.pdf", [["The Heron berth opens in March."]]))
    assert fake.pages == [] and "Heron berth" in doc.blocks[0].text and doc.blocks[0].heading == ()


def test_each_ocred_page_is_reported_as_progress(tmp_path: Path, fake: FakeOcr) -> None:
    seen: list[tuple[int, int]] = []
    with base.progress_to(lambda done, total: seen.append((done, total))):
        extract(scanned_pdf(tmp_path / "memo.pdf", pages=3))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_images_are_documents(tmp_path: Path, fake: FakeOcr) -> None:
    from PIL import Image

    frames = [Image.new("L", (600, 800), 255) for _ in range(2)]
    frames[0].save(tmp_path / "fax.tiff", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "photo.jpg")
    fax = extract(tmp_path / "fax.tiff")
    assert fax.pages == 2 and [b.page for b in fax.blocks] == [1, 2] and "Kestrel" in fax.blocks[1].text
    assert extract(tmp_path / "photo.jpg").kind == "image"


def test_without_ocr_a_scan_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> None:
        raise OcrUnavailable("tesseract is not installed")

    monkeypatch.setattr("archivist.ingest.scans.default_engine", unavailable)
    with pytest.raises(SkipFile, match="no text layer") as caught:
        extract(scanned_pdf(tmp_path / "memo.pdf"))
    assert "tesseract-ocr" in (caught.value.hint or "")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(SkipFile, match="no OCR program"):
        extract(tmp_path / "photo.png")


def test_a_broken_image_fails_with_a_reason(tmp_path: Path, fake: FakeOcr) -> None:
    from archivist.errors import ExtractionError

    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(ExtractionError, match="not a readable image"):
        extract(tmp_path / "photo.png")


def test_tesseract_tsv_becomes_lines_in_reading_order_with_confidence() -> None:
    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
           "4\t1\t1\t1\t1\t0\t0\t0\t9\t9\t-1\t\n"
           "5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t96.0\tKestrel\n"
           "5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t90.0\tlease\n"
           "5\t1\t1\t2\t1\t1\t0\t0\t9\t9\t80.0\tends\n"
           "5\t1\t1\t2\t1\t2\t0\t0\t9\t9\t-1\t \n")
    lines = parse_tsv(tsv)
    assert [ln.text for ln in lines] == ["Kestrel lease", "ends"]
    assert [ln.confidence for ln in lines] == pytest.approx([0.93, 0.8])


def test_doctor_says_whether_scans_can_be_read(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    from types import SimpleNamespace

    from archivist.doctor.checks import WARN, _ocr

    monkeypatch.setattr(ocr, "_ENGINE", None)
    monkeypatch.setattr("shutil.which", lambda name: None)
    check = _ocr(SimpleNamespace(models_dir=tmp_path / "models"), None)  # type: ignore[arg-type]
    assert check.status == WARN and "tesseract-ocr" in check.fix
