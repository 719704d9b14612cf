"""OCR, offline: scanned pages and images read by Tesseract (the Debian ``tesseract-ocr`` package).

Chosen by measurement (benchmarks/RESULTS.md, "OCR"): on 20 pages of dev-filing text rendered with this
machine's fonts, Tesseract 5.3 read 0.9996 of the characters right at 0.25 pages/s (one thread, a loaded
2-core machine); RapidOCR (rapidocr-onnxruntime 1.4.4, PP-OCRv4 models inside its wheel) read 0.71 at 0.03
pages/s and pulls opencv-python (85 MB). Tesseract is a program, not a library: it is run once per page with the
image on its standard input and the words on its standard output, so no page image or text touches the disk,
and it never sees a URL (its library can fetch one; Archivist only ever passes ``stdin``).

A page's OCR text keeps page and line numbers (lines as Tesseract finds them, top to bottom). Its blocks carry
the heading ``Scanned page (OCR, confidence 93%)``: the reader of a quote knows it came from OCR, ``status``
counts OCRed pages and their mean confidence from it, and ``ingest.location`` shows it in a hit.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from archivist.ingest.base import Block

if TYPE_CHECKING:
    from PIL.Image import Image

DPI = 300
"""Resolution scanned PDF pages are rendered at for OCR (Tesseract reads 10-point text best at 300 dpi)."""
PAGE_TIMEOUT_S = 180.0
"""One page's OCR at most (a normal page takes 3-5 s here)."""
OCR_PART = re.compile(r"^Scanned page \(OCR, confidence (?P<confidence>\d{1,3})%\)$")
INSTALL_HINT = ("Install Tesseract to read scanned pages and images: `apt-get install tesseract-ocr` "
                "(packaging/bootstrap.sh does it), then run `archivist index` again.")


def ocr_part(confidence: float) -> str:
    """The heading part of an OCRed page's blocks."""
    return f"Scanned page (OCR, confidence {round(confidence * 100)}%)"


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float
    """Mean confidence of its words, 0..1."""


class OcrEngine(Protocol):
    """Reads the text of one page image, top to bottom."""

    def read(self, image: Image) -> list[OcrLine]: ...


class OcrUnavailable(Exception):  # noqa: N818 - a state, handled by the extractors
    """No OCR program on this machine."""


class TesseractEngine:
    """The ``tesseract`` command, one process per page.

    Args:
        program: the executable (found on PATH when None).
        language: Tesseract's language code(s), ``eng`` (Debian's tesseract-ocr brings eng and osd).
    """

    def __init__(self, program: str | None = None, language: str = "eng") -> None:
        found = program or shutil.which("tesseract")
        if found is None:
            raise OcrUnavailable("tesseract is not installed")
        self.program = found
        self.language = language

    def read(self, image: Image) -> list[OcrLine]:
        buffer = io.BytesIO()
        image.convert("L").save(buffer, "PPM")  # uncompressed: nothing to encode or decode
        # One OpenMP thread: on two shared cores more threads made each page slower, not faster.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C"}
        try:
            done = subprocess.run([self.program, "stdin", "stdout", "-l", self.language, "--dpi", str(DPI), "tsv"],
                                  input=buffer.getvalue(), capture_output=True, env=env, timeout=PAGE_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise OcrFailed(f"OCR of a page took longer than {PAGE_TIMEOUT_S:g} s") from None
        except OSError as exc:
            raise OcrUnavailable(f"tesseract could not be started ({exc.strerror or exc})") from None
        if done.returncode != 0:
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise OcrFailed(f"tesseract failed on a page ({reason[0][:200]})")
        return parse_tsv(done.stdout.decode("utf-8", "replace"))


class OcrFailed(Exception):  # noqa: N818
    """The OCR program failed on one page."""


def parse_tsv(tsv: str) -> list[OcrLine]:
    """Lines (words joined, mean word confidence) from Tesseract's TSV output, in reading order."""
    lines: dict[tuple[int, int, int, int], list[tuple[str, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":  # level 5 = a word
            continue
        word = cols[11].strip()
        if not word:
            continue
        key = (int(cols[1]), int(cols[2]), int(cols[3]), int(cols[4]))  # page, block, paragraph, line
        lines.setdefault(key, []).append((word, max(0.0, float(cols[10])) / 100))
    return [OcrLine(" ".join(w for w, _ in words), sum(c for _, c in words) / len(words))
            for _, words in sorted(lines.items())]


def page_block(lines: list[OcrLine], page: int) -> Block | None:
    """An OCRed page as one block (line numbers 1.. on the page), or None when nothing was read."""
    if not lines:
        return None
    confidence = sum(ln.confidence for ln in lines) / len(lines)
    return Block(tuple(ln.text for ln in lines), page=page, line_start=1, heading=(ocr_part(confidence),))


_ENGINE: OcrEngine | None = None
Progress = Callable[[int, int], None]


def default_engine() -> OcrEngine:
    """The machine's OCR engine (Tesseract), built once per process.

    Raises:
        OcrUnavailable: Tesseract is not installed.
    """
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = TesseractEngine()
    return _ENGINE


def set_engine(engine: OcrEngine | None) -> None:
    """Use ``engine`` for OCR in this process (tests pass a fake; None: Tesseract again)."""
    global _ENGINE
    _ENGINE = engine
