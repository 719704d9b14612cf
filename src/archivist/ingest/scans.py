"""Scanned documents: PDF pages without a text layer, and images (.png, .jpg, .tiff), read by OCR (``ingest.ocr``).

One page at a time is rendered (or decoded), read and dropped, so a 500-page scan needs the memory of one page;
each page read is reported (``report_progress``), which the extraction sandbox shows and counts as a sign of
life: the time budget then applies per page, not to the whole scan.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest.base import Block, Document, read_bytes, report_progress
from archivist.ingest.ocr import DPI, INSTALL_HINT, OcrFailed, OcrUnavailable, default_engine, page_block

MAX_PIXELS = 60_000_000
"""Largest page image OCRed (a letter page at 300 dpi is 8.4 million pixels); larger pages are scaled down, and an
image file above it is refused (Pillow's own decompression-bomb limit is close: 89 million)."""


MIN_PATHS = 50
"""Vector paths on a page without text or image above which its text may be drawn as outlines (worth OCR)."""


def needs_ocr(page) -> bool:  # noqa: ANN001 - a pypdfium2 PdfPage without a text layer
    """Whether a page without a text layer holds something OCR could read: an image (a scan), or many vector
    paths (text drawn as outlines). The 20 textless pages of the 44 dev filings were 17 blank or rule-only pages
    (1-4 paths; 1.2 s of OCR each, for nothing) and 3 scanned letters (images)."""
    paths = 0
    for obj in page.get_objects(max_depth=3):
        if obj.type == 3:  # FPDF_PAGEOBJ_IMAGE
            return True
        paths += obj.type == 2  # FPDF_PAGEOBJ_PATH
    return paths >= MIN_PATHS


def ocr_pages(pdf, indexes: list[int], name: str, *, any_text: bool) -> list[Block]:  # noqa: ANN001 - PdfDocument
    """The OCR blocks of the pages ``indexes`` (0-based) of ``pdf``.

    Raises:
        SkipFile: no page has text and OCR is not installed (with how to install it).
        ExtractionError: the OCR program failed on a page.
    """
    try:
        engine = default_engine()
    except OcrUnavailable:
        if any_text:
            return []  # the pages with a text layer are indexed; the scanned ones wait for OCR
        raise SkipFile(f"{name}: no text layer (a scan), and no OCR program is installed to read it.",
                       hint=INSTALL_HINT) from None
    blocks: list[Block] = []
    for done, index in enumerate(indexes):
        page = pdf[index]
        try:
            width, height = page.get_size()
            scale = min(DPI / 72, math.sqrt(MAX_PIXELS / max(width * height, 1)))
            bitmap = page.render(scale=scale, grayscale=True)
            image = bitmap.to_pil()
        finally:
            page.close()
        try:
            block = page_block(engine.read(image), index + 1)
        except OcrFailed as exc:
            raise ExtractionError(f"{name}: page {index + 1}: {exc}.", hint="Re-scan or re-export the page.") from None
        except OcrUnavailable as exc:
            raise SkipFile(f"{name}: scanned pages, and OCR could not run ({exc}).", hint=INSTALL_HINT) from None
        finally:
            del image, bitmap
        if block is not None:
            blocks.append(block)
        report_progress(done + 1, len(indexes))
    return blocks


class ImageExtractor:
    """Images are documents: each frame (a multi-page TIFF has several) is a page, read by OCR."""

    kind = "image"
    suffixes = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
    version = "1"

    def extract(self, path: Path) -> Document:
        from PIL import Image, UnidentifiedImageError

        try:
            engine = default_engine()
        except OcrUnavailable:
            raise SkipFile(f"{path.name}: an image, and no OCR program is installed to read it.",
                           hint=INSTALL_HINT) from None
        data = read_bytes(path)
        blocks: list[Block] = []
        try:
            with Image.open(io.BytesIO(data)) as image:
                frames = getattr(image, "n_frames", 1)
                for frame in range(frames):
                    image.seek(frame)
                    if image.width * image.height > MAX_PIXELS:
                        raise SkipFile(f"{path.name}: {image.width} x {image.height} pixels is too large to OCR "
                                       f"(the limit is {MAX_PIXELS // 1_000_000} million pixels).",
                                       hint="Scale it down to about 300 dpi.")
                    block = page_block(engine.read(image.copy()), frame + 1)
                    if block is not None:
                        blocks.append(block)
                    report_progress(frame + 1, frames)
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
            raise ExtractionError(f"{path.name}: not a readable image ({exc}).",
                                  hint="Re-save it as PNG or TIFF.") from None
        except OcrFailed as exc:
            raise ExtractionError(f"{path.name}: {exc}.", hint="Re-save or re-scan the image.") from None
        return Document(path, self.kind, blocks, title=path.stem, pages=frames)
