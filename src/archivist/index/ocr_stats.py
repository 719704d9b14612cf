"""How much of the index was read by OCR, for ``archivist status``: pages and their mean confidence.

OCRed pages are the passages whose heading trail holds ``Scanned page (OCR, confidence N%)`` (``ingest.ocr``),
so this needs no table of its own, and counts only the folders the store's profile may read.
"""

from __future__ import annotations

from archivist.index.store import Store
from archivist.ingest.location import TRAIL_SEP
from archivist.ingest.ocr import OCR_PART


def ocr_summary(store: Store) -> dict[str, float | int | None]:
    """``{"pages": N, "files": M, "mean_confidence": 0.93}`` (confidence None when no page was OCRed)."""
    rows = store._conn.execute(  # noqa: SLF001 - a read of the store's own tables, under its profile
        "SELECT c.file_id, c.page, c.heading FROM chunks c JOIN files f ON f.id = c.file_id "
        f"WHERE c.heading LIKE '%Scanned page (OCR, confidence %' AND f.folder_id IN ({store._visible()})")  # noqa: SLF001
    pages: dict[tuple[int, int | None, str], int] = {}
    for file_id, page, heading in rows:
        parts = heading.split(TRAIL_SEP)
        for k, part in enumerate(parts):
            m = OCR_PART.match(part)
            if m:  # an attachment's page is its own page: the trail before it tells them apart
                pages[(file_id, page, TRAIL_SEP.join(parts[:k]))] = int(m.group("confidence"))
    files = {key[0] for key in pages}
    mean = round(sum(pages.values()) / len(pages) / 100, 3) if pages else None
    return {"pages": len(pages), "files": len(files), "mean_confidence": mean}
