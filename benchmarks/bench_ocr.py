"""OCR: character accuracy and pages/s of Archivist's OCR engine (Tesseract) on dev-filing text rendered as scans.

Twenty pages of FinanceBench dev filings (page 10 of each filing that has one with at least 1,500 characters,
in file-name order) are taken as text (pypdfium2), wrapped at 95 characters, cut at 55 lines, and drawn with this
machine's fonts (DejaVu Sans, 40 px: about 10 pt at 300 dpi) on an A4 page image: a clean scan whose true text
is known. Each page is read by ``TesseractEngine`` exactly as indexing reads a scanned page. Character accuracy
= 1 - edit distance / characters of the truth, after folding whitespace runs, typographic quotes and dashes on
both sides. The dev set itself is also scanned for pages without a text layer (those indexing would OCR).

A second engine can be measured in the same run when it is importable (``--engine rapidocr`` with
rapidocr-onnxruntime installed in the environment running this script; it is not one of Archivist's
dependencies).

    .venv/bin/python benchmarks/bench_ocr.py [--quick] [--pages N] [--engine tesseract|rapidocr]
"""

from __future__ import annotations

import os
import textwrap
import time
import unicodedata

import _common as c
import numpy as np

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_FOLD = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-"}


def pages(n: int) -> list[tuple[str, object]]:
    """(true text, page image) of ``n`` rendered pages."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 40)
    out: list[tuple[str, object]] = []
    for path in sorted((c.FINANCEBENCH / "pdfs").glob("*.pdf")):
        pdf = pdfium.PdfDocument(path.read_bytes())
        try:
            if len(pdf) < 12:
                continue
            text = pdf[9].get_textpage().get_text_range()
        finally:
            pdf.close()
        lines = [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()]
        wrapped = [w for ln in lines for w in textwrap.wrap(ln, 95)][:55]
        if sum(len(ln) for ln in wrapped) < 1500:
            continue
        image = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(wrapped):
            draw.text((150, 150 + i * 58), line, font=font, fill=0)
        out.append(("\n".join(wrapped), image))
        if len(out) == n:
            break
    return out


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    for a, b in _FOLD.items():
        text = text.replace(a, b)
    return " ".join(text.split())


def distance(a: str, b: str) -> int:
    """Levenshtein distance, one row at a time in numpy (insertions by a running minimum)."""
    if not a or not b:
        return max(len(a), len(b))
    codes = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1, dtype=np.int64)
    prev = idx.copy()
    row = np.empty(len(b) + 1, dtype=np.int64)
    for i, ch in enumerate(a, 1):
        row[0] = i
        np.minimum(prev[1:] + 1, prev[:-1] + (codes != ord(ch)), out=row[1:])
        prev = np.minimum.accumulate(row - idx) + idx
    return int(prev[-1])


def accuracy(truth: str, read: str) -> float:
    t, r = fold(truth), fold(read)
    return 1 - distance(t, r) / max(len(t), 1)


def engine(name: str):  # noqa: ANN201
    if name == "tesseract":
        from archivist.ingest.ocr import TesseractEngine

        ocr = TesseractEngine()
        return lambda image: "\n".join(ln.text for ln in ocr.read(image)), ocr.program
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # before ONNX Runtime loads (README, Privacy model)
    from rapidocr_onnxruntime import RapidOCR

    rapid = RapidOCR()

    def read(image) -> str:  # noqa: ANN001
        result, _ = rapid(np.array(image.convert("RGB")))
        return "\n".join(text for _, text, _ in sorted(result or [], key=lambda r: (r[0][0][1], r[0][0][0])))

    return read, "rapidocr-onnxruntime"


def text_layers() -> tuple[int, int, int]:
    """(pages, pages without a text layer, of which indexing OCRs) of the dev filings."""
    import pypdfium2 as pdfium

    from archivist.ingest.scans import needs_ocr

    total = empty = ocred = 0
    for path in sorted((c.FINANCEBENCH / "pdfs").glob("*.pdf")):
        pdf = pdfium.PdfDocument(path.read_bytes())
        try:
            for i in range(len(pdf)):
                total += 1
                if not pdf[i].get_textpage().get_text_range().strip():
                    empty += 1
                    ocred += needs_ocr(pdf[i])
        finally:
            pdf.close()
    return total, empty, ocred


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--engine", choices=["tesseract", "rapidocr"], default="tesseract")
    p.add_argument("--pages", type=int, default=None, help="pages to read (default 20, quick 4)")
    args = p.parse_args()
    started = time.perf_counter()
    n = args.pages or (4 if args.quick else 20)
    sample = pages(n)
    read, what = engine(args.engine)
    read(sample[0][1])  # start-up and first-call costs out of the timing
    scores, seconds = [], []
    for k, (truth, image) in enumerate(sample, 1):
        t = time.perf_counter()
        got = read(image)
        seconds.append(time.perf_counter() - t)
        scores.append(accuracy(truth, got))
        c.progress_line(f"page {k}/{len(sample)}: accuracy {scores[-1]:.4f}, {seconds[-1]:.1f} s")
    total_pages, no_text, ocred = text_layers()
    mean = sum(scores) / len(scores)
    rate = len(sample) / sum(seconds)
    data = {"engine": args.engine, "program": what, "pages": len(sample), "accuracy": scores, "mean_accuracy": mean,
            "min_accuracy": min(scores), "seconds": seconds, "pages_per_s": rate,
            "dev_pages": total_pages, "dev_pages_without_text": no_text, "dev_pages_ocred": ocred}
    md = "\n".join([
        "## 10. OCR of scanned pages",
        "",
        f"{len(sample)} pages of dev-filing text drawn with this machine's fonts (DejaVu Sans, ~10 pt at 300 dpi, "
        f"A4), each read as indexing reads a scanned page ({args.engine}, one thread).",
        "",
        c.table(["engine", "pages", "character accuracy (mean)", "worst page", "pages/s"],
                [[args.engine, len(sample), c.f(mean, 4), c.f(min(scores), 4), c.f(rate)]]),
        "",
        f"The {total_pages:,} pages of the 44 dev filings include {no_text:,} without a text layer; {ocred} of them "
        "hold an image (scanned letters) and are OCRed at ingest, the others are blank or hold a few rules and are "
        "left alone (`ingest.scans.needs_ocr`). Every page with a text layer is read as before.",
    ])
    c.save_section("ocr", args.quick, data, md, started)


if __name__ == "__main__":
    main()
