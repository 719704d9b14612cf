"""Vectors held in memory (a long-lived process: the watch daemon, the TUI) answer as the index's own vector search
does (the same passages at the same distances), stay fresh through every kind of write (a new file, a file moved
to another folder, a deleted file, ``forget``, another process's writes), keep to the profile's folders, and give
way to the index's own search when vec0's storage is not what they read, or while another thread loads them.
Real SQLCipher and sqlite-vec, vectors made up."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pytest
from conftest import PASSPHRASE

from archivist.index import held_vectors
from archivist.index.store import NewChunk, Store

DIM = 384
PER_FILE = 25
FILES = 100
"""2,500 passages: three vec0 chunks of 1,024, and more than the prefilter keeps for k = 20 (1,000)."""


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """Passages about a few topics (cosine ~0.5 within one), as real passages are: nearest neighbours mean
    something, unlike random directions in 384 dimensions."""
    topics = _unit(rng.standard_normal((8, DIM)))
    return _unit(topics[rng.integers(0, 8, n)] + rng.standard_normal((n, DIM)).astype(np.float32) / np.sqrt(DIM))


def _write(store: Store, folder, name: str, rng: np.random.Generator) -> int:  # noqa: ANN001
    texts = [f"passage {i} of {name}" for i in range(PER_FILE)]
    return store.replace_file(
        folder_id=folder.id, path=folder.path / name, size=1, mtime=1.0, sha256=name, status="indexed",
        kind="text", vectors=_vectors(rng, PER_FILE),
        chunks=[NewChunk(t, "", 1, i, i, "", hashlib.sha256(t.encode()).hexdigest(), 4) for i, t in enumerate(texts)])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """2,500 passages in 100 files of two folders (every fifth file in a folder only profile ``audit`` reads)."""
    rng = np.random.default_rng(11)
    s = Store.open(tmp_path / "index.db", PASSPHRASE)
    shared, _ = s.add_folder(tmp_path / "shared", ["default", "audit"])
    private, _ = s.add_folder(tmp_path / "private", ["audit"])
    for f in range(FILES):
        _write(s, private if f % 5 == 4 else shared, f"doc{f}.txt", rng)
    s.close()
    return tmp_path / "index.db"


def _questions(store: Store, n: int, seed: int) -> list[np.ndarray]:
    """Questions near stored passages (their vector plus noise: cosine ~0.9), as a real question is to its answer."""
    rng = np.random.default_rng(seed)
    every = [r[0] for r in store._conn.execute("SELECT id FROM chunks ORDER BY id")]
    ids = [int(i) for i in rng.choice(every, size=n, replace=False)]
    vecs = store.vectors(ids)
    return [_unit(vecs[i] + rng.standard_normal(DIM).astype(np.float32) * 0.025) for i in ids]


def _both(store: Store, q: np.ndarray, k: int, folder_id: int | None = None) -> tuple[list, list]:
    held = store.vector_search(q, k, folder_id)
    kept, store._held = store._held, None
    try:
        own = store.vector_search(q, k, folder_id)
    finally:
        store._held = kept
    return held, own


def test_held_vectors_find_what_the_index_finds(db: Path) -> None:
    store = Store.open(db, PASSPHRASE)
    store.hold_vectors()
    store.load_held_vectors()
    try:
        recall = []
        for q in _questions(store, 30, 1):
            held, own = _both(store, q, 20)
            assert held[0][0] == own[0][0]  # the nearest passage, always
            recall.append(len({c for c, _ in held} & {c for c, _ in own}) / len(own))
            distance = dict(own)
            for cid, d in held:  # the same float32 vectors: the same distances
                if cid in distance:
                    assert d == pytest.approx(distance[cid], abs=1e-6)
        assert np.mean(recall) >= 0.95
        assert len(store._held) == FILES * PER_FILE
    finally:
        store.close()


@pytest.fixture
def exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rescore every passage: the held search must then return exactly the index's own answer."""
    monkeypatch.setattr(held_vectors, "MIN_RESCORE", 10**9)


def _same(store: Store, questions: list[np.ndarray], folder_id: int | None = None) -> None:
    """The same 20 passages in the same order at the same distances (two passages whose distances differ by under
    1e-6 may change places: float32 sums in another order round differently, ~3 questions in 2,000 here)."""
    for q in questions:
        held, own = _both(store, q, 20, folder_id)
        assert [d for _, d in held] == pytest.approx([d for _, d in own], abs=1e-6)
        ties = {c for i, (c, d) in enumerate(own) for j, (_, e) in enumerate(own) if i != j and abs(d - e) < 1e-6}
        ties |= {c for c, d in own if abs(d - own[-1][1]) < 1e-6}
        assert [c for c, _ in held if c not in ties] == [c for c, _ in own if c not in ties]


def test_every_kind_of_write_is_seen_and_only_changed_chunks_are_read_again(db: Path, exact: None) -> None:
    store = Store.open(db, PASSPHRASE)
    other = Store.open(db, PASSPHRASE)  # another process's connection (the watch daemon indexing)
    store.hold_vectors()
    store.load_held_vectors()
    rng = np.random.default_rng(5)
    try:
        questions = _questions(store, 10, 2)
        _same(store, questions)
        held = store._held
        assert held is not None and held.loads == 3

        shared, private = sorted(store.folders(), key=lambda f: f.path.name)[::-1]
        new_id = _write(store, shared, "new.txt", rng)  # a new file: only the last chunk changes
        new = [r[0] for r in store._conn.execute("SELECT id FROM chunks WHERE file_id = ?", (new_id,))]
        found = store.vector_search(store.vectors(new[:1])[new[0]], 5)
        assert found[0][0] == new[0]
        assert held.loads == 4
        _same(store, questions)

        doc3 = store.file_by_path(shared.path / "doc3.txt")
        assert doc3 is not None
        store.move_file(doc3.id, private.path / "doc3.txt", private.id, 1, 1.0)  # same passages, other folder
        loads = held.loads
        _same(store, questions, private.id)
        _same(store, questions, shared.id)
        assert held.loads == loads

        gone = store.file_by_path(shared.path / "doc10.txt")
        assert gone is not None
        gone_ids = {r[0] for r in store._conn.execute("SELECT id FROM chunks WHERE file_id = ?", (gone.id,))}
        store.delete_file(gone.id)
        _same(store, questions)
        assert not gone_ids & {c for q in questions for c, _ in store.vector_search(q, 200)}

        store.forget(shared.path / "doc20.txt")
        _same(store, questions)

        _write(other, shared, "doc30.txt", rng)  # rewritten by another connection: new vectors, same path
        _same(store, questions)
        doc30 = [r[0] for r in store._conn.execute(
            "SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.path LIKE '%/doc30.txt'")]
        assert store.vector_search(store.vectors(doc30[:1])[doc30[0]], 1)[0][0] == doc30[0]
    finally:
        other.close()
        store.close()


def test_a_profile_gets_only_its_folders_passages_from_vectors_held_once(db: Path) -> None:
    everything = Store.open(db, PASSPHRASE)  # as the watch daemon opens one store per profile
    store = Store.open(db, PASSPHRASE, profile="default")
    store.hold_vectors()
    everything.hold_vectors()
    store.load_held_vectors()
    assert store._held is everything._held  # one copy in memory
    try:
        private = {r[0] for r in everything._conn.execute(
            "SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id WHERE f.path LIKE '%/private/%'")}
        vecs = everything.vectors(sorted(private)[::50])
        for cid, v in vecs.items():
            assert everything.vector_search(v, 1)[0][0] == cid
            hits = store.vector_search(v, 100)
            assert len(hits) == 100 and not {c for c, _ in hits} & private
        assert store._held is not None and store._held.loads == 3
    finally:
        store.close()
        everything.close()


def test_an_unknown_storage_layout_falls_back_to_the_index_search(db: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(held_vectors, "TABLE", "no_such_vec")  # as if sqlite-vec laid its tables out otherwise
    store = Store.open(db, PASSPHRASE)
    store.hold_vectors()
    try:
        q = _questions(store, 1, 3)[0]
        with caplog.at_level(logging.WARNING):
            store.load_held_vectors()  # a warm-up
            hits = store.vector_search(q, 10)
        assert store._held is None and "searching the index's own way" in caplog.text
        assert hits == store.vector_search(q, 10)
    finally:
        store.close()


def test_the_first_search_loads_them_in_the_background_and_searches_the_index_meanwhile(db: Path) -> None:
    store = Store.open(db, PASSPHRASE)
    store.hold_vectors()
    held = store._held
    assert held is not None
    try:
        q = _questions(store, 1, 4)[0]
        held._lock.acquire()  # the load started by the first search cannot finish before we look
        try:
            hits = store.vector_search(q, 10)
            assert held.loads == 0 and held._loader is not None and held._loader.is_alive()
            assert store.vector_search(q, 10) == hits  # the index's own search again, not a second load
        finally:
            held._lock.release()
        held._loader.join(timeout=60)
        assert held.loads == 3 and store._held is held
        again = store.vector_search(q, 10)
        assert [c for c, _ in again] == [c for c, _ in hits]
        assert [d for _, d in again] == pytest.approx([d for _, d in hits], abs=1e-6)
    finally:
        store.close()


def test_a_store_that_cannot_open_another_connection_loads_on_its_own(db: Path, exact: None) -> None:
    opened = Store.open(db, PASSPHRASE, profile="default")
    store = opened.unfiltered()  # on the same connection, with no way to open another
    assert store._reader is None
    store.hold_vectors()
    store.load_held_vectors()
    try:
        held = store._held
        assert held is not None and held.loads == 3
        for q in _questions(store, 5, 6):
            found, own = _both(store, q, 20)
            assert [d for _, d in found] == pytest.approx([d for _, d in own], abs=1e-6)
    finally:
        opened.close()
