"""Vector search and the passage lookups behind it over an index of many files: the nearest passages come back
with their own files, only from the profile's folders; an index that had the binary codes of migration 7 opens
without them and searches the same."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from conftest import PASSPHRASE

from archivist.index.migrations import LATEST
from archivist.index.store import NewChunk, Store

DIM = 384
FILES = 60
PER_FILE = 10


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """600 passages in 60 files of two folders (every fifth file in a folder only profile ``audit`` reads)."""
    rng = np.random.default_rng(7)
    s = Store.open(tmp_path / "index.db", PASSPHRASE)
    shared, _ = s.add_folder(tmp_path / "shared", ["default", "audit"])
    private, _ = s.add_folder(tmp_path / "private", ["audit"])
    for f in range(FILES):
        folder = private if f % 5 == 4 else shared
        texts = [f"passage {i} of doc{f}" for i in range(PER_FILE)]
        vectors = rng.standard_normal((PER_FILE, DIM)).astype(np.float32)
        s.replace_file(folder_id=folder.id, path=folder.path / f"doc{f}.txt", size=1, mtime=1.0, sha256=str(f),
                       status="indexed", kind="text", vectors=vectors / np.linalg.norm(vectors, axis=1, keepdims=True),
                       chunks=[NewChunk(t, "", 1, i, i, "", hashlib.sha256(t.encode()).hexdigest(), 4)
                               for i, t in enumerate(texts)])
    s.close()
    return tmp_path / "index.db"


def _near(store: Store, cid: int, seed: int) -> np.ndarray:
    """A question's vector near passage ``cid``: its own vector plus a little noise."""
    v = store.vectors([cid])[cid] + np.random.default_rng(seed).standard_normal(DIM).astype(np.float32) * 0.02
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_each_passage_is_found_by_its_vector_with_its_own_file(db: Path) -> None:
    store = Store.open(db, PASSPHRASE)
    try:
        ids = [r[0] for r in store._conn.execute("SELECT id FROM chunks ORDER BY id")]
        for n, cid in enumerate(ids[::37]):
            hits = store.vector_search(_near(store, cid, n), 20)
            assert hits[0][0] == cid
            top = [c for c, _ in hits]
            rows, paths = store.chunks(top), store.chunk_paths(top)
            assert set(rows) == set(paths) == set(top)
            for c in top:
                assert paths[c] == rows[c].path and rows[c].text.endswith(rows[c].path.stem)
    finally:
        store.close()


def test_a_profile_gets_only_its_folders_passages_and_paths(db: Path) -> None:
    store = Store.open(db, PASSPHRASE, profile="default")
    everything = Store.open(db, PASSPHRASE)
    try:
        all_ids = [r[0] for r in everything._conn.execute("SELECT id FROM chunks ORDER BY id")]
        private = {c for c, row in everything.chunks(all_ids).items() if "private" in row.path.parts}
        assert private
        for n, cid in enumerate(sorted(private)[::7]):
            q = _near(everything, cid, n)
            assert everything.vector_search(q, 5)[0][0] == cid
            hits = [c for c, _ in store.vector_search(q, 50)]
            assert hits and not set(hits) & private
        assert not set(store.chunks(all_ids)) & private
        assert not set(store.chunk_paths(all_ids)) & private
    finally:
        store.close()
        everything.close()


def test_an_index_with_the_binary_codes_of_migration_7_opens_without_them(db: Path) -> None:
    """Migration 7 added ``chunk_bits`` (binary codes) and 8 dropped it: an index opened by the code between the
    two has the table; the next opening removes it and search is unchanged."""
    store = Store.open(db, PASSPHRASE)
    ids = [r[0] for r in store._conn.execute("SELECT id FROM chunks ORDER BY id")][::50]
    before = {cid: store.vector_search(_near(store, cid, 1), 10) for cid in ids}
    c = store._conn
    c.execute("CREATE VIRTUAL TABLE chunk_bits USING vec0(embedding bit[384], folder_id integer)")
    c.execute("INSERT INTO chunk_bits(rowid, embedding, folder_id) "
              "SELECT rowid, vec_quantize_binary(embedding), folder_id FROM chunk_vec")
    c.execute("DELETE FROM schema_migrations WHERE version > 7")
    store.close()
    store = Store.open(db, PASSPHRASE)
    try:
        assert store.schema_version() == LATEST
        assert not store._conn.execute("SELECT 1 FROM sqlite_master WHERE name LIKE 'chunk_bits%'").fetchall()
        assert {cid: store.vector_search(_near(store, cid, 1), 10) for cid in ids} == before
    finally:
        store.close()
