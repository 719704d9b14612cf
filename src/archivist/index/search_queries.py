"""Search and bulk reads of the index, mixed into ``Store``: keyword (FTS5 BM25) and vector (sqlite-vec KNN)
hits, the passages and vectors they point to, and the shingle counts behind boilerplate detection. Every query
keeps to the folders the store's profile may read (``Store._visible``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archivist.index.held_vectors import HeldVectors, LayoutUnknown
from archivist.index.rows import ChunkRow, Folder

log = logging.getLogger(__name__)


class SearchQueries:
    """The ``Store`` methods that search and read passages (mixed into ``Store``; access rules as there)."""

    _conn: Any
    path: Path
    profile: str | None

    def _visible(self) -> str: ...  # provided by Store

    def folders(self) -> list[Folder]: ...  # provided by Store

    def shingle_file_counts(self, hashes: set[int]) -> dict[int, int]:
        """In how many files visible to this profile each shingle hash occurs (``index.boilerplate``)."""
        out: dict[int, int] = {}
        ordered = sorted(hashes)
        for start in range(0, len(ordered), 5000):
            part = ordered[start:start + 5000]
            marks = ",".join("?" * len(part))
            for h, n in self._conn.execute(
                    f"SELECT s.h, COUNT(DISTINCT c.file_id) FROM chunk_shingles s CROSS JOIN chunks c "
                    f"ON c.id = s.chunk_id CROSS JOIN files f ON f.id = c.file_id WHERE s.h IN ({marks}) "
                    f"AND f.folder_id IN ({self._visible()}) GROUP BY s.h", part):
                out[h] = n
        return out

    def shingles_of(self, chunk_ids: Sequence[int]) -> dict[int, set[int]]:
        """The sampled shingle hashes stored for each of ``chunk_ids`` visible to this profile
        (``index.boilerplate``); a passage without any is absent."""
        out: dict[int, set[int]] = {}
        for start in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[start:start + 500])
            marks = ",".join("?" * len(part))
            for cid, h in self._conn.execute(
                    f"SELECT s.chunk_id, s.h FROM chunk_shingles s CROSS JOIN chunks c ON c.id = s.chunk_id "
                    f"CROSS JOIN files f ON f.id = c.file_id WHERE s.chunk_id IN ({marks}) "
                    f"AND f.folder_id IN ({self._visible()})", part):
                out.setdefault(cid, set()).add(h)
        return out

    def indexed_file_count(self) -> int:
        """Files with passages, visible to this profile."""
        return self._conn.execute(f"SELECT COUNT(*) FROM files WHERE status = 'indexed' AND folder_id IN "
                                  f"({self._visible()})").fetchone()[0]

    def boilerplate_count(self, need: int, threshold: float, min_shingles: int) -> int:
        """Passages visible to this profile whose sampled shingles occur in ``need`` files or more for at least
        ``threshold`` of them (``index.boilerplate``; for ``status``)."""
        visible = f"SELECT c.id, c.file_id FROM chunks c JOIN files f ON f.id = c.file_id " \
                  f"WHERE f.folder_id IN ({self._visible()})"
        return self._conn.execute(
            f"WITH v AS ({visible}), "
            f"s AS (SELECT cs.chunk_id, cs.h, v.file_id FROM chunk_shingles cs JOIN v ON v.id = cs.chunk_id), "
            f"common AS (SELECT h FROM s GROUP BY h HAVING COUNT(DISTINCT file_id) >= ?) "
            f"SELECT COUNT(*) FROM (SELECT chunk_id FROM s GROUP BY chunk_id "
            f"HAVING COUNT(*) >= ? AND AVG(h IN (SELECT h FROM common)) >= ?)",
            (need, min_shingles, threshold)).fetchone()[0]

    def vectors_for_hashes(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for these chunk content hashes (unchanged text is never embedded twice)."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            part = unique[start:start + 500]
            marks = ",".join("?" * len(part))
            rows = self._conn.execute(
                f"SELECT c.content_hash, v.embedding FROM chunks c JOIN chunk_vec v ON v.rowid = c.id "
                f"WHERE c.content_hash IN ({marks}) AND v.folder_id IN ({self._visible()})", part)
            for h, blob in rows:
                found.setdefault(h, np.frombuffer(blob, dtype=np.float32))
        return found

    def keyword_search(self, match: str, limit: int, folder_id: int | None = None,
                       file_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """FTS5 BM25 hits for an already-sanitised MATCH expression: (chunk id, bm25) best first.

        ``folder_id`` and ``file_ids`` restrict the hits inside the query (scoping)."""
        if folder_id is None and file_ids is None:
            # The best matches first, then whose they are: joining every match (thousands for a question of
            # twenty words) to its passage and file before the sort cost ~9 ms of ~45 on the FinanceBench dev
            # index. When passages this profile may not read take places among the best, the slower query
            # below keeps the limit exact.
            over = 2 * limit
            rows = self._conn.execute(
                f"SELECT s.rowid, s.score, fi.folder_id IN ({self._visible()}) FROM (SELECT rowid, "
                f"bm25(chunks_fts, 0.5, 1.0) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score "
                f"LIMIT ?) s LEFT JOIN chunks c ON c.id = s.rowid LEFT JOIN files fi ON fi.id = c.file_id "
                f"ORDER BY s.score", (match, over)).fetchall()
            readable = [(r[0], r[1]) for r in rows if r[2]]
            if len(readable) >= limit or len(rows) < over:  # else unreadable ones took places: the query below
                return readable[:limit]
        return self._keyword_search_joined(match, limit, folder_id, file_ids)

    def _keyword_search_joined(self, match: str, limit: int, folder_id: int | None = None,
                               file_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """``keyword_search`` exactly: every match joined to its passage and file, filtered, then sorted."""
        sql = ("SELECT f.rowid, bm25(chunks_fts, 0.5, 1.0) AS score FROM chunks_fts f "
               "JOIN chunks c ON c.id = f.rowid JOIN files fi ON fi.id = c.file_id")
        args: list = [match]
        where = ["chunks_fts MATCH ?", f"fi.folder_id IN ({self._visible()})"]
        if folder_id is not None:
            where.append("fi.folder_id = ?")
            args.append(folder_id)
        if file_ids is not None:
            where.append(f"fi.id IN ({','.join(str(int(i)) for i in file_ids) or 'NULL'})")
        sql += " WHERE " + " AND ".join(where) + " ORDER BY score LIMIT ?"
        args.append(limit)
        return [(r[0], r[1]) for r in self._conn.execute(sql, args)]

    def chunk_paths(self, ids: Sequence[int]) -> dict[int, Path]:
        """The file path of each chunk (no text: cheap enough for every fused candidate)."""
        out: dict[int, Path] = {}
        made: dict[str, Path] = {}  # one Path per file, not per chunk (400 candidates are a few files)
        # CROSS JOIN keeps SQLite on the given passages first: with a plain JOIN it walked every file of the
        # visible folders and probed each for the ids (22 ms for 400 ids over 200 files, 1 ms this way; it
        # grows with the number of files). The same in ``chunks`` and ``shingle_file_counts``.
        for start in range(0, len(ids), 500):
            part = list(ids[start:start + 500])
            marks = ",".join("?" * len(part))
            sql = (f"SELECT c.id, f.path FROM chunks c CROSS JOIN files f ON f.id = c.file_id WHERE c.id IN ({marks}) "
                   f"AND f.folder_id IN ({self._visible()})")
            for cid, path in self._conn.execute(sql, part):
                out[cid] = made.get(path) or made.setdefault(path, Path(path))
        return out

    def chunk_ids_of_files(self, file_ids: Sequence[int]) -> list[int]:
        marks = ",".join(str(int(i)) for i in file_ids) or "NULL"
        return [r[0] for r in self._conn.execute(
            f"SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.file_id IN ({marks}) "
            f"AND f.folder_id IN ({self._visible()})")]

    def page_openings(self, pages: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]:
        """The text of the first passage of each (file id, page): where a page prints whose statement it is."""
        wanted: dict[int, set[int]] = {}
        for fid, page in pages:
            wanted.setdefault(int(fid), set()).add(int(page))
        out: dict[tuple[int, int], str] = {}
        for fid, numbers in wanted.items():
            marks = ",".join(str(n) for n in sorted(numbers))
            for page, text in self._conn.execute(
                    f"SELECT c.page, c.text FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.file_id = ? "
                    f"AND c.page IN ({marks}) AND f.folder_id IN ({self._visible()}) ORDER BY c.seq", (fid,)):
                out.setdefault((fid, page), text)
        return out

    def chunks_headed(self, file_ids: Sequence[int], words: Sequence[str]) -> list[tuple[int, str]]:
        """(chunk id, heading) of the passages of ``file_ids`` whose heading contains one of ``words`` (any
        case), in reading order: the pages a table title names ("balance sheets")."""
        if not file_ids or not words:
            return []
        marks = ",".join(str(int(i)) for i in file_ids)
        like = " OR ".join("c.heading LIKE ?" for _ in words)
        return list(self._conn.execute(
            f"SELECT c.id, c.heading FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.file_id IN ({marks}) "
            f"AND f.folder_id IN ({self._visible()}) AND ({like}) ORDER BY c.file_id, c.seq",
            [f"%{w}%" for w in words]))

    _held: HeldVectors | None = None
    _reader: Callable[[], Any] | None = None
    """Opens another connection to this index (``Store.open`` sets it): held vectors load on one of their own."""

    def hold_vectors(self, hold: bool = True) -> None:
        """From now on, search vectors held in memory (``index.held_vectors``): for a process that answers many
        questions. The first search loads them; each later one reads only what changed since. ``False``: let
        them go and search the index's own way."""
        if not hold:
            self._held = None
        elif self._held is None:
            self._held = HeldVectors.of(self.path)

    def load_held_vectors(self) -> None:
        """Load (or bring up to date) the vectors held in memory now, rather than at the next search (a warm-up)."""
        if self._held is not None:
            try:
                self._held.load(self._reader, self._conn)
                self._held.refresh(self, self._conn)
            except LayoutUnknown as exc:
                log.warning("vectors not held in memory (%s): searching the index's own way", exc)
                self._held = None

    def vector_search(self, vector: np.ndarray, k: int, folder_id: int | None = None) -> list[tuple[int, float]]:
        """KNN hits: (chunk id, L2 distance between unit vectors) nearest first."""
        if self._held is not None:
            folders = None if self.profile is None else tuple(f.id for f in self.folders())
            try:
                found = self._held.search(self, self._conn, vector, k, folders=folders, folder_id=folder_id,
                                          connect=self._reader)
            except LayoutUnknown as exc:
                log.warning("vectors not held in memory (%s): searching the index's own way", exc)
                self._held = None
            else:
                if found is not None:  # None: still loading, in the background
                    return found
        sql = (f"SELECT rowid, distance FROM chunk_vec WHERE embedding MATCH ? AND k = ? "
               f"AND folder_id IN ({self._visible()})")
        args: list = [np.ascontiguousarray(vector, dtype=np.float32).tobytes(), k]
        if folder_id is not None:
            sql += " AND folder_id = ?"
            args.append(folder_id)
        return [(r[0], r[1]) for r in self._conn.execute(sql + " ORDER BY distance", args)]

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        out: dict[int, ChunkRow] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start:start + 500])
            marks = ",".join("?" * len(part))
            for r in self._conn.execute(
                    f"SELECT c.id, c.file_id, f.path, f.folder_id, c.text, c.prefix, c.page, c.line_start, "
                    f"c.line_end, c.heading, f.kind FROM chunks c CROSS JOIN files f ON f.id = c.file_id "
                    f"WHERE c.id IN ({marks}) AND f.folder_id IN ({self._visible()})", part):
                out[r[0]] = ChunkRow(id=r[0], file_id=r[1], path=Path(r[2]), folder_id=r[3], text=r[4], prefix=r[5],
                                      page=r[6], line_start=r[7], line_end=r[8], heading=r[9], kind=r[10])
        return out

    def chunks_by_hash(self, content_hash: str) -> list[ChunkRow]:
        """Passages with this content hash, wherever they are now (``archivist verify``), this profile's only."""
        ids = [r[0] for r in self._conn.execute(
            f"SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.content_hash = ? "
            f"AND f.folder_id IN ({self._visible()}) ORDER BY c.id", (content_hash,))]
        found = self.chunks(ids)
        return [found[i] for i in ids if i in found]

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored vectors of these passages (only those this profile may read).

        One id per statement: vec0 answers ``rowid = ?`` with a point lookup (~0.03 ms) but ``rowid IN (a, b,
        ...)`` with a scan of every vector (20-30 ms at 30k; EXPLAIN QUERY PLAN)."""
        visible = None if self.profile is None else {f.id for f in self.folders()}
        out: dict[int, np.ndarray] = {}
        for cid in dict.fromkeys(ids):
            row = self._conn.execute("SELECT embedding, folder_id FROM chunk_vec WHERE rowid = ?", (cid,)).fetchone()
            if row is not None and (visible is None or row[1] in visible):
                out[cid] = np.frombuffer(row[0], dtype=np.float32)
        return out
