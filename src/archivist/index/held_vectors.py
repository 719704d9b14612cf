"""The index's vectors held in memory, for a process that answers many questions (the watch daemon, the TUI).

vec0's exact search reads and compares every stored vector for each question: ~30-45 ms at 100k passages and
~320-380 ms at 1M on an idle machine (``NOTES-dependencies``), several times that while another process holds a
core. Held in memory, each passage is also a 384-bit code: the signs of its vector less the mean of all vectors
(centred, the signs split the passages evenly on every dimension). A question's code is compared with every
passage's (hamming distance: 48 bytes each, ``RESCORE`` x k kept), and those few are ranked by their exact L2
distance to the question, from the same float32 vectors vec0 holds (so the distances and the evidence scores built
on them are the ones an in-process search gives). Memory: 1,584 bytes a passage (1,536 of float32, 48 of code):
~160 MB at 100k, ~1.6 GB at 1M, what the exact scan's page cache holds of the vectors once warm (``Store`` sizes
the cache above the index so that a scan does not decrypt them again); a load reads them on a connection of its
own, leaving that cache alone. A one-shot command never holds them (loading costs more than one scan). Every
store of a process open on the same file shares one copy (the watch daemon opens one per profile); each search
keeps to its store's folders.

Loading reads vec0's own storage rather than ``SELECT embedding FROM chunk_vec`` (one virtual-table row at a time,
~12 us each): its shadow tables keep 1,024 vectors per row (``chunk_vec_chunks``: validity bitmap and rowids;
``chunk_vec_vector_chunks00``: the float32 vectors; ``chunk_vec_metadatachunks00``: the folder ids). That layout is
sqlite-vec's (0.1.x, pinned in the lock); anything else found there (another version) makes the store fall back
to vec0's own search, and ``tests/unit/test_held_vectors.py`` compares the two on every kind of write. Synthetic indexes
(benchmarks/RESULTS.md, "A million passages"): vector search 3.9 ms at 100k and 21 ms at 1M, against 97 and 958 ms
for vec0's scan in the same run; first load 2 s and 17 s.

Fresh without being told: before a search, SQLite's ``data_version`` (another connection committed) and this
connection's ``total_changes`` (it wrote) are compared with the last look; when either moved, every chunk's
validity, rowids and folder ids (~16 KB per 1,024 passages) are read again, and the vectors of only the chunks whose
rows changed. The store never rewrites a vector in place and keeps it (it deletes and inserts; ``forget`` zeroes
one and deletes it in the same transaction), so a chunk whose validity and rowids are unchanged holds the same
vectors.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TABLE = "chunk_vec"
DIM = 384
WORDS = DIM // 64
"""A code is ``WORDS`` uint64 (the 384 sign bits)."""
RESCORE = 8
"""Codes kept per passage asked for, then ranked by their exact distance (k = 200 candidates: 1,600 rescored)."""
MIN_RESCORE = 1000
BLOCK = 65536
"""Vectors coded (or averaged) at a time during a load."""
FAR = np.uint16(DIM + 1)
"""Hamming distance given to slots a search may not return (empty, deleted, another profile's folder)."""


_Usable = tuple[np.ndarray, np.ndarray, int]
"""The slots a search may return: a mask, the distance added to the others (0 or ``FAR``), and their count."""


_SHARED: weakref.WeakValueDictionary[str, HeldVectors] = weakref.WeakValueDictionary()
_SHARING = threading.Lock()


class LayoutUnknown(Exception):
    """vec0's storage is not laid out as this module reads it (another sqlite-vec version)."""


@dataclass
class _Chunk:
    """One vec0 chunk as loaded: where its slots start in the arrays and the rows that identify its contents."""

    base: int
    validity: bytes
    rowids: bytes


class HeldVectors:
    """Every vector of the index in memory (and its code), kept fresh against the database it came from."""

    def __init__(self) -> None:
        self._chunks: dict[int, _Chunk] = {}
        self._ids = np.zeros(0, dtype=np.int64)
        self._folders = np.zeros(0, dtype=np.int64)
        self._valid = np.zeros(0, dtype=bool)
        self._vectors = np.zeros((0, DIM), dtype=np.float32)
        self._codes = np.zeros((WORDS, 0), dtype=np.uint64)
        """Word-major (one row per 64 bits of every code): each word's XOR and bit count run over contiguous
        memory, 4x faster at 1M than one row per code."""
        self._centre: np.ndarray | None = None
        self._used = 0
        self._seen: weakref.WeakKeyDictionary[object, tuple[int, int]] = weakref.WeakKeyDictionary()
        """What each reader (a ``Store``: its connection) saw at its last look: SQLite's ``data_version`` is per
        connection, and one ``HeldVectors`` serves every store open on the same file in this process."""
        self._loaded = False
        self._masks: dict[tuple, _Usable] = {}
        self._lock = threading.Lock()
        """One load, refresh or search at a time."""
        self._loader: threading.Thread | None = None
        """The background load the first search started (None: none started, or it failed and may be retried)."""
        self._failed: LayoutUnknown | None = None
        self.loads = 0
        """How many chunks were read from the database so far (tests: only changed chunks are read again)."""

    # -- keeping fresh -------------------------------------------------------------------------------------------

    @classmethod
    def of(cls, path: Path) -> HeldVectors:
        """The vectors of the index file at ``path``, shared by every store of this process open on it (the watch
        daemon opens one per profile: one copy in memory, each profile's searches kept to its folders)."""
        key = str(path.resolve())
        with _SHARING:
            held = _SHARED.get(key)
            if held is None:
                held = _SHARED[key] = cls()
            return held

    @staticmethod
    def _look(conn: Any) -> tuple[int, int]:  # noqa: ANN401 - a sqlcipher3 connection
        return int(conn.execute("PRAGMA data_version").fetchone()[0]), int(conn.total_changes)

    def load(self, connect: Callable[[], Any] | None, conn: Any) -> None:  # noqa: ANN401
        """Read every vector now unless done already, on a connection of its own when ``connect`` opens one (the
        reader's page cache is left as it is: its searches meanwhile scan the index through that cache), else on
        ``conn`` past its page cache (which would otherwise end up holding a second copy of every vector).

        Raises:
            LayoutUnknown: vec0's shadow tables are not what this module reads.
        """
        with self._lock:
            if self._loaded:
                return
            if self._failed is not None:
                raise self._failed
            own = connect() if connect is not None else None
            try:
                self._refresh(None, own if own is not None else conn, past_cache=own is None)
            except LayoutUnknown as exc:
                self._failed = exc
                raise
            finally:
                if own is not None:
                    own.close()

    def _load_in_background(self, connect: Callable[[], Any] | None, conn: Any) -> None:  # noqa: ANN401
        with _SHARING:
            if self._loader is not None:
                return
            self._loader = threading.Thread(target=self._load_quietly, args=(connect, conn),
                                            name="archivist-held-vectors", daemon=True)
        self._loader.start()

    def _load_quietly(self, connect: Callable[[], Any] | None, conn: Any) -> None:  # noqa: ANN401
        try:
            self.load(connect, conn)
        except Exception as exc:  # noqa: BLE001 - kept for the next search to report (LayoutUnknown) or retry
            log.warning("vectors not loaded into memory: %s", exc)
            with _SHARING:
                self._loader = None

    def refresh(self, reader: object, conn: Any) -> None:  # noqa: ANN401
        """Read what changed in the database since ``reader`` (a store, on ``conn``) last looked.

        Raises:
            LayoutUnknown: vec0's shadow tables are not what this module reads.
        """
        with self._lock:
            self._refresh(reader, conn)

    def _refresh(self, reader: object | None, conn: Any, *, past_cache: bool | None = None) -> None:  # noqa: ANN401
        """``reader`` None: a load, whose look is not kept. ``past_cache``: read many chunks past ``conn``'s page
        cache (default: when ``conn`` is a reader's, whose cache serves its other queries)."""
        if self._failed is not None:
            raise self._failed
        look = self._look(conn)
        if reader is not None and look == self._seen.get(reader):
            return
        try:
            rows = conn.execute(
                f"SELECT c.chunk_id, c.size, c.validity, c.rowids, m.data FROM {TABLE}_chunks c "
                f"JOIN {TABLE}_metadatachunks00 m ON m.rowid = c.chunk_id ORDER BY c.chunk_id").fetchall()
        except Exception as exc:  # noqa: BLE001 - any SQL error here means the layout is not the known one
            raise LayoutUnknown(str(exc)) from exc
        changed: list[tuple[int, int, bytes, bytes, bytes]] = []
        present = set()
        for chunk_id, size, validity, rowids, folders in rows:
            if len(validity) * 8 != size or len(rowids) != 8 * size or len(folders) != 8 * size:
                raise LayoutUnknown(f"chunk {chunk_id}: {size} slots, {len(validity)} validity bytes, "
                                    f"{len(rowids)} rowid bytes, {len(folders)} metadata bytes")
            present.add(chunk_id)
            held = self._chunks.get(chunk_id)
            if held is None or held.validity != validity or held.rowids != rowids:
                changed.append((chunk_id, size, validity, rowids, folders))
            else:  # same passages; their folder may have changed (a file moved to another folder)
                self._folders[held.base:held.base + size] = np.frombuffer(folders, dtype=np.int64)
        for chunk_id in set(self._chunks) - present:
            gone = self._chunks.pop(chunk_id)
            self._valid[gone.base:gone.base + len(gone.validity) * 8] = False
        if past_cache is None:
            past_cache = reader is not None
        if len(changed) > 8 and past_cache:  # on a reader's connection: read past its page cache
            size = conn.execute("PRAGMA cache_size").fetchone()[0]
            conn.execute("PRAGMA cache_size = -8192")
            try:
                self._read(conn, changed)
            finally:
                conn.execute(f"PRAGMA cache_size = {int(size)}")
        elif changed:
            self._read(conn, changed)
        self._masks.clear()
        if reader is not None:
            self._seen[reader] = look  # as it was before reading: a write since then is read next time
        self._loaded = True

    def _read(self, conn: Any, changed: list[tuple[int, int, bytes, bytes, bytes]]) -> None:  # noqa: ANN401
        first = self._centre is None
        need = self._used + sum(size for chunk_id, size, *_ in changed if chunk_id not in self._chunks)
        if need > len(self._ids):
            self._grow(max(need, int(len(self._ids) * 1.25)))
        for chunk_id, size, validity, rowids, folders in changed:
            held = self._chunks.get(chunk_id)
            if held is None:
                held = _Chunk(self._used, validity, rowids)
                self._used += size
            row = conn.execute(f"SELECT vectors FROM {TABLE}_vector_chunks00 WHERE rowid = ?",
                                     (chunk_id,)).fetchone()
            if row is None or len(row[0]) != size * DIM * 4:
                raise LayoutUnknown(f"chunk {chunk_id}: vectors of {len(row[0]) if row else 0} bytes")
            part = slice(held.base, held.base + size)
            self._vectors[part] = np.frombuffer(row[0], dtype=np.float32).reshape(size, DIM)
            self._ids[part] = np.frombuffer(rowids, dtype=np.int64)
            self._folders[part] = np.frombuffer(folders, dtype=np.int64)
            self._valid[part] = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")[:size] > 0
            held.validity, held.rowids = validity, rowids
            self._chunks[chunk_id] = held
            self.loads += 1
            if not first:
                self._encode(part)
        if first:  # the centre is the mean of the first load, and stays (later chunks are coded against it)
            total, count = np.zeros(DIM, dtype=np.float64), 0
            for start in range(0, self._used, BLOCK):  # in blocks: a copy of every vector would double the memory
                part = slice(start, min(self._used, start + BLOCK))
                valid = self._valid[part]
                total += self._vectors[part][valid].sum(axis=0, dtype=np.float64)
                count += int(valid.sum())
            self._centre = (total / max(1, count)).astype(np.float32)
            for start in range(0, self._used, BLOCK):
                self._encode(slice(start, min(self._used, start + BLOCK)))

    def _encode(self, part: slice) -> None:
        assert self._centre is not None
        signs = self._vectors[part] > self._centre
        self._codes[:, part] = np.packbits(signs, axis=1).view(np.uint64).T

    def _grow(self, size: int) -> None:
        def grown(a: np.ndarray) -> np.ndarray:
            out = np.zeros((size, *a.shape[1:]), dtype=a.dtype)  # zeroed pages are only touched when written
            out[:len(a)] = a
            return out

        self._ids, self._folders = grown(self._ids), grown(self._folders)
        self._valid, self._vectors = grown(self._valid), grown(self._vectors)
        codes = np.zeros((WORDS, size), dtype=np.uint64)
        codes[:, :self._codes.shape[1]] = self._codes
        self._codes = codes

    # -- searching -------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._valid[:self._used].sum())

    def _usable(self, folders: tuple[int, ...] | None, folder_id: int | None) -> _Usable:
        key = (folders, folder_id)
        found = self._masks.get(key)
        if found is None:
            mask = self._valid[:self._used].copy()
            if folders is not None:
                mask &= np.isin(self._folders[:self._used], folders)
            if folder_id is not None:
                mask &= self._folders[:self._used] == folder_id
            found = (mask, np.where(mask, 0, FAR).astype(np.uint16), int(mask.sum()))
            self._masks = {key: found}  # one profile and scope at a time in practice
        return found

    def search(self, reader: object, conn: Any, vector: np.ndarray, k: int, *,  # noqa: ANN401
               folders: tuple[int, ...] | None = None, folder_id: int | None = None,
               connect: Callable[[], Any] | None = None) -> list[tuple[int, float]] | None:
        """The ``k`` nearest passages of ``folders`` (None: any; and of ``folder_id`` when given): (chunk id, L2
        distance) nearest first, as vec0's KNN answers. None until they are loaded: the first search starts the
        load in the background (on a connection ``connect`` opens, if given), as a warm-up would have (at 1M it
        takes ~20 s; the caller searches the index's own way meanwhile).

        Raises:
            LayoutUnknown: vec0's shadow tables are not what this module reads.
        """
        if self._failed is not None:
            raise self._failed
        if not self._loaded:
            self._load_in_background(connect, conn)
            return None
        if not self._lock.acquire(blocking=True):
            return None
        try:
            self._refresh(reader, conn)
            return self._search(vector, k, self._usable(folders, folder_id))
        finally:
            self._lock.release()

    def _search(self, vector: np.ndarray, k: int, usable: _Usable) -> list[tuple[int, float]]:
        mask, penalty, count = usable
        if count == 0 or k <= 0:
            return []
        vector = np.ascontiguousarray(vector, dtype=np.float32)
        keep = min(count, max(k * RESCORE, MIN_RESCORE))
        if keep < count:
            assert self._centre is not None
            code = np.packbits(vector > self._centre).view(np.uint64)
            hamming = penalty.copy()
            word, bits = np.empty(self._used, dtype=np.uint64), np.empty(self._used, dtype=np.uint8)
            for w in range(WORDS):
                np.bitwise_xor(self._codes[w, :self._used], code[w], out=word)
                hamming += np.bitwise_count(word, out=bits)
            near = np.argpartition(hamming, keep - 1)[:keep]
        else:
            near = np.flatnonzero(mask)
        diff = self._vectors[near] - vector
        dist = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        order = np.argsort(dist, kind="stable")[:k]
        return [(int(self._ids[near[i]]), float(dist[i])) for i in order]

