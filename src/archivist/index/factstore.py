"""Table facts in the index (``ingest.facts``): written beside each file's passages, read back for ``archivist
facts`` and computed answers (``answer.compute``).

Facts are derived from the stored passages themselves, in the transaction that writes them (``write``), so a
file's facts are replaced, forgotten and scrubbed with its passages (the rows cascade from ``chunks`` and
``files``), and an index built before facts existed gets them from its passages when it is migrated
(``backfill``). Every read goes through the store's profile rule (``_visible``), as passages do.

A row repeated by two overlapping passages gives its facts once, from the first passage.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from archivist.ingest.facts import Figure, chunk_facts
from archivist.ingest.location import location
from archivist.ingest.rows import TABLE_MARK

if TYPE_CHECKING:
    from collections.abc import Sequence

_ABOVE = 8
"""Lines of the table's previous passage read as printed above a passage (a section's caption)."""
_COLS = ("f.id, f.file_id, f.chunk_id, fi.path, f.entity, f.title, f.label, f.col, f.period, f.value, f.raw, "
         "f.unit, f.scale, f.page, f.line, f.cells")


@dataclass(frozen=True, kw_only=True)
class FactRow(Figure):
    """A stored fact: the fields of ``ingest.facts.Figure``, then where it was read."""

    id: int
    file_id: int
    chunk_id: int
    path: Path
    entity: str
    page: int | None
    line: int | None
    cells: str
    """A spreadsheet row's cell range (``FY2025!A7:E7``); "" for other formats (page and line say where)."""

    def where(self) -> str:
        """``GANNET_2025_10K.pdf p.3 line 8`` or ``sales.xlsx FY2025!A7:E7``."""
        parts = [self.path.name]
        if self.cells:
            parts.append(self.cells)
        else:
            if self.page is not None:
                parts.append(f"p.{self.page}")
            if self.line is not None:
                parts.append(f"line {self.line}")
        return " ".join(parts)

    def shown(self) -> str:
        """The figure as printed with its unit: ``(1,577) million``, ``12.5%``, ``1.23 per share``."""
        unit = {"thousands": " thousand", "millions": " million", "billions": " billion"}.get(self.scale, "")
        if self.unit == "per share":
            unit = " per share"
        return f"{self.raw}{unit}"

    def as_dict(self) -> dict:
        return {"entity": self.entity, "title": self.title, "label": self.label, "column": self.column,
                "period": self.period, "value": None if self.value is None else str(self.value), "raw": self.raw,
                "unit": self.unit, "scale": self.scale,
                "amount": None if self.amount is None else str(self.amount.normalize()),
                "path": str(self.path), "page": self.page, "line": self.line, "cells": self.cells or None,
                "chunk_id": self.chunk_id, "citation": self.where()}


def write(conn, file_id: int) -> int:  # noqa: ANN001 - a SQLCipher connection
    """Read the facts of the file's stored table passages and store them; returns how many."""
    row = conn.execute("SELECT path, entity FROM files WHERE id = ?", (file_id,)).fetchone()
    if row is None:
        return 0
    path, entity = row
    seen: set[tuple] = set()
    values: list[tuple] = []
    before: tuple[str, str] = ("", "")  # the previous table passage's heading and text
    for cid, text, heading, page, start, end in conn.execute(
            "SELECT id, text, heading, page, line_start, line_end FROM chunks WHERE file_id = ? AND heading LIKE ? "
            "ORDER BY seq", (file_id, f"%{TABLE_MARK}%")).fetchall():
        # A passage cut from the same table after another: its caption lines may end the one before.
        above = before[1].split("\n")[-_ABOVE:] if before[0] == heading else []
        before = (heading, text)
        for fact in chunk_facts(text, heading, start, end, above):
            key = (page, fact.line, fact.title, fact.label, fact.column, fact.raw,
                   None if fact.line is not None else text.split("\n")[fact.offset])
            if key in seen:
                continue
            seen.add(key)
            cells = ""
            if heading.startswith("Sheet "):  # the row's cells; the passage's when blank rows were cut from it
                cells = location(path, heading, page, fact.line or start, fact.line or end) or ""
            values.append((file_id, cid, entity or "", fact.title, fact.label, fact.column, fact.period,
                           None if fact.value is None else str(fact.value), fact.raw, fact.unit, fact.scale,
                           page, fact.line, cells))
    conn.executemany("INSERT INTO facts(file_id, chunk_id, entity, title, label, col, period, value, raw, unit, "
                     "scale, page, line, cells) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values)
    return len(values)


def backfill(conn) -> None:  # noqa: ANN001
    """Facts for the files indexed before facts existed, from their stored passages."""
    for (fid,) in conn.execute("SELECT id FROM files WHERE status = 'indexed'").fetchall():
        write(conn, fid)


class FactQueries:
    """The ``Store`` methods for table facts (mixed into ``Store``; access rules as everywhere there)."""

    _conn: object
    def _visible(self) -> str: ...  # provided by Store
    def documents(self) -> dict: ...  # provided by MetadataQueries

    def _fact_rows(self, where: str, args: Sequence = ()) -> list[FactRow]:
        # The entity as corrected by the analyst (``archivist meta``) wins over the one stored at ingest.
        entities = {fid: meta.entity for fid, (_path, meta) in self.documents().items()}
        out = []
        for r in self._conn.execute(  # type: ignore[attr-defined]
                f"SELECT {_COLS} FROM facts f JOIN files fi ON fi.id = f.file_id WHERE fi.folder_id IN "
                f"({self._visible()}) AND {where} ORDER BY f.file_id, f.id", tuple(args)):
            value = None if r[9] is None else Decimal(r[9])
            out.append(FactRow(id=r[0], file_id=r[1], chunk_id=r[2], path=Path(r[3]),
                               entity=entities.get(r[1]) or r[4], title=r[5], label=r[6], column=r[7], period=r[8],
                               value=value, raw=r[10], unit=r[11], scale=r[12], page=r[13], line=r[14], cells=r[15]))
        return out

    def facts_of_files(self, file_ids: Sequence[int]) -> list[FactRow]:
        """Every fact of these files (those this profile may read)."""
        ids = ",".join(str(int(i)) for i in file_ids) or "NULL"
        return self._fact_rows(f"f.file_id IN ({ids})")

    def facts_in_periods(self, periods: Sequence[str]) -> list[FactRow]:
        """Every fact of these periods (``FY2025``; a quarter's ``FY2025 Q1`` and the spans shorter than a year
        that end in its year, ``3M Jun 2025``, too), or of all when empty."""
        if not periods:
            return self._fact_rows("1")
        where = " OR ".join("f.period = ? OR f.period LIKE ? OR f.period LIKE ?" for _ in periods)
        return self._fact_rows(f"({where})", [a for p in periods
                                              for a in (p, p + " %", "%M %" + p.removeprefix("FY"))])

    def fact_count(self) -> int:
        """Facts visible to this profile."""
        return self._conn.execute(  # type: ignore[attr-defined]
            f"SELECT count(*) FROM facts f JOIN files fi ON fi.id = f.file_id "
            f"WHERE fi.folder_id IN ({self._visible()})").fetchone()[0]
