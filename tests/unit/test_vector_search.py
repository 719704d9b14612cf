"""Vector search of a large index (binary codes first, then the float vectors of the best): the passages it
returns are those the exact scan returns, it keeps to the profile's folders, and it stays in step with every
change of the index; an index made before the binary codes existed gets them when it is opened."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import PASSPHRASE

from archivist.index import search_queries
from archivist.index.store import NewChunk, Store

DIM = 384
TOPICS = 20
PER_FILE = 40
FILES = 30


def _vectors(rng: np.random.Generator, n: int, centres: np.ndarray, topic: int) -> np.ndarray:
    """Passages of one topic: its centre plus noise of the same norm (cosine ~0.5 within a topic, as real
    passages about one subject; pure random vectors would all be equally far apart)."""
    v = centres[topic] + rng.standard_normal((n, DIM)).astype(np.float32) / np.sqrt(DIM)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _chunks(n: int, name: str) -> list[NewChunk]:
    texts = [f"passage {i} of {name}" for i in range(n)]
    return [NewChunk(t, "", 1, i, i, "", hashlib.sha256(t.encode()).hexdigest(), 4) for i, t in enumerate(texts)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """1,200 passages in 30 files of two folders (the second readable by profile ``audit`` only)."""
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((TOPICS, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    s = Store.open(tmp_path / "index.db", PASSPHRASE)
    shared, _ = s.add_folder(tmp_path / "shared", ["default", "audit"])
    private, _ = s.add_folder(tmp_path / "private", ["audit"])
    for f in range(FILES):
        folder = private if f % 5 == 4 else shared
        s.replace_file(folder_id=folder.id, path=folder.path / f"doc{f}.txt", size=1, mtime=1.0, sha256=str(f),
                       status="indexed", kind="text", chunks=_chunks(PER_FILE, f"doc{f}"),
                       vectors=_vectors(rng, PER_FILE, centres, f % TOPICS))
    yield s
    s.close()


def _questions(store: Store, n: int, seed: int = 3) -> list[tuple[int, np.ndarray]]:
    """(passage id, a question's vector near it: the passage's own vector plus noise)."""
    rng = np.random.default_rng(seed)
    ids = [r[0] for r in store._conn.execute("SELECT id FROM chunks ORDER BY id")]
    picked = [ids[i] for i in rng.choice(len(ids), size=n, replace=False)]
    out = []
    for cid, vec in store.vectors(picked).items():
        q = vec + rng.standard_normal(DIM).astype(np.float32) * 0.5 / np.sqrt(DIM)
        out.append((cid, (q / np.linalg.norm(q)).astype(np.float32)))
    return out


def _search(store: Store, mode: str, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
    store.vector_index = mode  # type: ignore[assignment]
    try:
        return store.vector_search(vector, k)
    finally:
        store.vector_index = "auto"


def test_binary_first_search_returns_the_passages_exact_search_returns(store: Store) -> None:
    recalls = []
    for source, q in _questions(store, 25):
        exact = _search(store, "exact", q, 20)
        binary = _search(store, "binary", q, 20)
        assert binary[0][0] == source == exact[0][0]  # the passage asked about comes first
        recalls.append(len({c for c, _ in exact} & {c for c, _ in binary}) / 20)
        # the distances are the float vectors' own, not the codes'
        exact_d = dict(exact)
        for cid, d in binary:
            if cid in exact_d:
                assert d == pytest.approx(exact_d[cid], abs=1e-5)
        assert [d for _, d in binary] == sorted(d for _, d in binary)
    assert np.mean(recalls) >= 0.95


def test_auto_switches_to_binary_codes_for_large_indexes_with_the_same_answers(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    questions = _questions(store, 10, seed=11)
    small = [store.vector_search(q, 10)[0][0] for _, q in questions]
    monkeypatch.setattr(search_queries, "EXACT_BELOW", 100)  # this index (1,200 passages) is now "large"
    large = [store.vector_search(q, 10)[0][0] for _, q in questions]
    assert small == large == [source for source, _ in questions]


def test_binary_search_keeps_to_the_profile_and_to_a_folder(store: Store, tmp_path: Path) -> None:
    store.vector_index = "binary"
    default = Store.open(store.path, PASSPHRASE, profile="default")
    default.vector_index = "binary"
    try:
        private = {f.id for f in store.folders() if f.profiles == ("audit",)}
        private_ids = {cid for cid, row in store.chunks(
            [r[0] for r in store._conn.execute("SELECT id FROM chunks")]).items() if row.folder_id in private}
        for source, q in _questions(store, 20, seed=5):
            hits = default.vector_search(q, 50)
            assert hits and not {c for c, _ in hits} & private_ids
            if source in private_ids:
                assert store.vector_search(q, 5)[0][0] == source  # all folders: found
                folder = next(iter(private))
                assert {c for c, _ in store.vector_search(q, 30, folder_id=folder)} <= private_ids
    finally:
        default.close()


def test_binary_codes_follow_deletes_moves_and_forget(store: Store, tmp_path: Path) -> None:
    store.vector_index = "binary"
    (source, q), = _questions(store, 1, seed=9)
    row = store.chunks([source])[source]
    store.move_file(row.file_id, tmp_path / "private" / "moved.txt",
                    next(f.id for f in store.folders() if f.profiles == ("audit",)), 1, 1.0)
    default = Store.open(store.path, PASSPHRASE, profile="default")
    default.vector_index = "binary"
    try:
        assert source not in {c for c, _ in default.vector_search(q, 50)}  # moved out of the profile's folders
    finally:
        default.close()
    assert store.vector_search(q, 5)[0][0] == source
    store.delete_file(row.file_id)
    assert source not in {c for c, _ in store.vector_search(q, 50)}
    (other, q2), = _questions(store, 1, seed=10)
    path = store.chunks([other])[other].path
    code = bytes(store._conn.execute("SELECT vec_quantize_binary(?)",
                                     (store.vectors([other])[other].tobytes(),)).fetchone()[0])

    def stored() -> bool:
        return any(code in bytes(b) for (b,) in store._conn.execute("SELECT vectors FROM chunk_bits_vector_chunks00"))

    assert stored()
    store.forget(path)
    assert other not in {c for c, _ in store.vector_search(q2, 50)}
    assert not stored()  # forget leaves no trace of the passage's code in the table's storage either
    left = store._conn.execute("SELECT count(*) FROM chunk_bits").fetchone()[0]
    assert left == store._conn.execute("SELECT count(*) FROM chunks").fetchone()[0]


FIXTURES = Path(__file__).parents[1] / "fixtures" / "schema1"


def test_an_index_from_before_the_binary_codes_searches_the_same_after_opening(tmp_path: Path) -> None:
    """The first release's index (tests/fixtures/schema1) gets the binary codes of its stored vectors when
    opened, and finds each passage by its own vector whichever way it scans."""
    db = tmp_path / "index.db"
    shutil.copyfile(FIXTURES / "index.db", db)
    store = Store.open(db, "schema-1-fixture")
    try:
        ids = [r[0] for r in store._conn.execute("SELECT id FROM chunks ORDER BY id")]
        vectors = store.vectors(ids)
        assert len(vectors) == 3
        for cid, vec in vectors.items():
            assert _search(store, "binary", vec, 3)[0][0] == cid == _search(store, "exact", vec, 3)[0][0]
            assert [c for c, _ in _search(store, "binary", vec, 3)] == [c for c, _ in _search(store, "exact", vec, 3)]
    finally:
        store.close()
