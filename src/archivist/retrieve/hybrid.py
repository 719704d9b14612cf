"""Hybrid retrieval over the store.

BM25 and vector hits are fused with reciprocal rank fusion (RRF), then every fused hit gets an *evidence*
score: 0.75 x its cosine similarity to the question + 0.25 x the share of the question's content words it
contains. The answer layer abstains when the best evidence is below ``answer.min_evidence``.

Why 0.75/0.25 (benchmarks/RESULTS.md, abstention): over the FinanceBench index it separates answerable from
clearly unanswerable questions by +0.037 against +0.008 for an even mix. Short off-topic questions reach a
high word coverage by sharing one common word with some passage of a large index, while long analyst
questions cover few of their many words; coverage still breaks ties cosine alone gets wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from archivist.embed.base import Embedder
from archivist.index.store import ChunkRow, Store
from archivist.retrieve.scope import file_matches, parse_scope, resolve_folder
from archivist.retrieve.text import coverage, fts_query, stem, terms

Mode = Literal["hybrid", "bm25", "vector"]


@dataclass
class Hit:
    """One retrieved passage."""

    chunk: ChunkRow
    score: float
    """RRF score (ranking)."""
    similarity: float
    """Cosine similarity between the question and the passage (-1..1)."""
    coverage: float
    """Share of the question's content words present in the passage (0..1)."""
    bm25_rank: int | None = None
    vector_rank: int | None = None

    @property
    def evidence(self) -> float:
        return 0.75 * max(self.similarity, 0.0) + 0.25 * self.coverage


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_vector: np.ndarray | None = None

    @property
    def evidence(self) -> float:
        return max((h.evidence for h in self.hits), default=0.0)


class Retriever:
    """Searches the store; the embedder is built on first use."""

    def __init__(self, store: Store, embedder: Callable[[], Embedder], *, candidates: int = 200,
                 rrf_k: int = 60, doc_name_weight: float = 0.02) -> None:
        self.store = store
        self._factory = embedder
        self._embedder: Embedder | None = None
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.doc_name_weight = doc_name_weight

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._factory()
        return self._embedder

    def search(self, query: str, k: int = 6, *, folder_id: int | None = None, mode: Mode = "hybrid") -> SearchResult:
        """The ``k`` best passages for ``query``. Never raises on odd query text.

        ``in:FOLDER`` and ``file:GLOB`` in the query scope the search (see ``retrieve.scope``).

        Raises:
            FolderNotFound: ``in:`` names no added folder.
        """
        query, scope = parse_scope(query)
        file_ids: list[int] | None = None
        if scope.folder:
            folder_id = resolve_folder(scope.folder, self.store.folders())
        if scope.file_glob:
            file_ids = [f.id for f in self.store.files(folder_id) if f.status == "indexed"
                        and file_matches(scope.file_glob, f.path)]
        timings: dict[str, float] = {}
        bm25: list[tuple[int, float]] = []
        knn: list[tuple[int, float]] = []
        qvec = None
        t = time.perf_counter()
        match = fts_query(query)
        if mode in ("hybrid", "bm25") and match is not None:
            bm25 = self.store.keyword_search(match, self.candidates, folder_id, file_ids)
        timings["bm25_ms"] = (time.perf_counter() - t) * 1000
        if query.strip():
            t = time.perf_counter()
            qvec = self.embedder.embed_batch([query])[0]
            timings["embed_ms"] = (time.perf_counter() - t) * 1000
            if mode in ("hybrid", "vector"):
                t = time.perf_counter()
                if file_ids is None:
                    knn = self.store.vector_search(qvec, self.candidates, folder_id)
                else:  # scoped to some files: exact search over their vectors (the scope is small)
                    vecs = self.store.vectors(self.store.chunk_ids_of_files(file_ids))
                    ids = list(vecs)
                    if ids:
                        sims = np.stack([vecs[i] for i in ids]) @ qvec
                        order = np.argsort(-sims)[: self.candidates]
                        knn = [(ids[j], float(np.sqrt(max(0.0, 2 - 2 * sims[j])))) for j in order]
                timings["vector_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        fused: dict[int, float] = {}
        bm25_rank = {cid: r for r, (cid, _) in enumerate(bm25)}
        vec_rank = {cid: r for r, (cid, _) in enumerate(knn)}
        for ranks in (bm25_rank, vec_rank):
            for cid, r in ranks.items():
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (self.rrf_k + r + 1)
        if self.doc_name_weight and fused:
            # Document-level signal: analysts name the document they mean ("3M's FY2018 10-K"), and files are
            # often named for what they are. A passage gains weight x the share of its file name's words that
            # the question mentions. Measured on FinanceBench dev (200 candidates): R@1 .128 -> .205,
            # R@10 .577 -> .628, R@20 .679 -> .756 at weight 0.02 (benchmarks/RESULTS.md).
            qstems = {stem(t) for t in terms(query)}
            names: dict[Path, float] = {}
            for cid, path in self.store.chunk_paths(list(fused)).items():
                if path not in names:
                    words = {stem(t) for t in terms(path.stem.replace("_", " "))}
                    names[path] = len(words & qstems) / len(words) if words else 0.0
                fused[cid] += self.doc_name_weight * names[path]
        top = sorted(fused, key=lambda c: -fused[c])[:k]
        rows = self.store.chunks(top)
        sims = {cid: 1.0 - d * d / 2.0 for cid, d in knn}  # unit vectors: |a-b|^2 = 2 - 2cos
        missing = [cid for cid in top if cid not in sims]
        if missing and qvec is not None:
            for cid, vec in self.store.vectors(missing).items():
                sims[cid] = float(np.dot(vec, qvec))
        qterms = terms(query)
        hits = [Hit(rows[cid], fused[cid], sims.get(cid, 0.0),
                    coverage(qterms, rows[cid].prefix + "\n" + rows[cid].text),
                    bm25_rank.get(cid), vec_rank.get(cid)) for cid in top if cid in rows]
        timings["fuse_ms"] = (time.perf_counter() - t) * 1000
        return SearchResult(query, hits, timings, qvec)
