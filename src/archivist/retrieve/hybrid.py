"""Hybrid retrieval over the store.

BM25 and vector hits are fused with reciprocal rank fusion (RRF); the best fused candidates are re-ranked
(``retrieve.rerank``: local signals, or a cross-encoder from ``models/rerank/``); every hit gets an *evidence*
score: 0.75 x its cosine similarity to the question + 0.25 x the share of the question's content words it
contains. The answer layer abstains when the best evidence is below ``answer.min_evidence``.

Why 0.75/0.25 (benchmarks/RESULTS.md, abstention): over the FinanceBench index it separates answerable from
clearly unanswerable questions by +0.037 against +0.008 for an even mix. Short off-topic questions reach a
high word coverage by sharing one common word with some passage of a large index, while long analyst
questions cover few of their many words; coverage still breaks ties cosine alone gets wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from archivist.embed.base import Embedder
from archivist.errors import ModelError
from archivist.index import boilerplate
from archivist.index.store import ChunkRow, Store
from archivist.ingest.rows import TABLE_MARK
from archivist.retrieve.focus import Focus, infer
from archivist.retrieve.glossary import expansions
from archivist.retrieve.names import unmentioned
from archivist.retrieve.rerank import (
    CROSS_ENCODER_FILES,
    CrossEncoderReranker,
    OnnxCrossEncoder,
    Reranker,
    SignalReranker,
    cross_encoder_dir,
    has_cross_encoder,
)
from archivist.retrieve.scope import file_matches, parse_scope, resolve_folder
from archivist.retrieve.statements import (
    STATEMENT_WORDS,
    issuer,
    page_statement,
    same_issuer,
    statement_of,
    untitled,
    wanted,
)
from archivist.retrieve.text import coverage, fts_query, stem, terms

if TYPE_CHECKING:
    from archivist.settings import RetrievalSettings

Mode = Literal["hybrid", "bm25", "vector"]
MAX_EXPANSION_TERMS = 12
"""Glossary words added to a question's keyword search at most (each one more posting list to read)."""
BOILERPLATE_DEPTH = 20
"""Re-ranked passages whose boilerplate is measured (those shown and quoted; ~10 ms for 50, ~4 for 20)."""
STATEMENT_FILES = 2
"""Files whose primary statements join the re-ranked candidates when the question needs one (the likeliest two:
the filing asked about, and the one most like it)."""
STATEMENT_PASSAGES = 24
"""At most this many such passages (a statement is one to three pages of one to three passages each)."""


@dataclass
class Hit:
    """One retrieved passage."""

    chunk: ChunkRow
    score: float
    """Fusion score (RRF plus the document-name signal). The hits' order is the final ranking: after a
    re-rank it can differ from the order of these scores."""
    similarity: float
    """Cosine similarity between the question and the passage (-1..1)."""
    coverage: float
    """Share of the question's content words present in the passage (0..1)."""
    bm25_rank: int | None = None
    vector_rank: int | None = None
    rerank_score: float | None = None
    """The re-ranker's score (None: not re-ranked); comparable only between hits of one search."""
    boilerplate: float = 0.0
    """Share of the passage's text that recurs in many files (``index.boilerplate``; 0 when not measured)."""
    focus: float = 0.0
    """How well the passage's document matches what the question names (``retrieve.focus``; 0..1)."""
    statement: str | None = None
    """The primary statement the passage is part of (``income``, ``balance``, ``cash``), by its table title or,
    when its table has none, its page's title; set by the search when the question needs a statement
    (``Retriever._read_statements``; None otherwise or not one)."""
    other_issuer: bool = False
    """A primary statement of another entity than its document's (an affiliate's statements filed as an
    exhibit): not the statement the question needs (``Retriever._read_statements``)."""

    @property
    def evidence(self) -> float:
        return 0.75 * max(self.similarity, 0.0) + 0.25 * self.coverage


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_vector: np.ndarray | None = None
    focus: Focus = field(default_factory=Focus)
    """The documents the question names, as matched to the files' metadata (favoured, never filtered)."""

    @property
    def evidence(self) -> float:
        return max((h.evidence for h in self.hits), default=0.0)


class Retriever:
    """Searches the store; the embedder (and a cross-encoder, if any) is built on first use.

    Args:
        store: the open index.
        embedder: builds the question embedder.
        candidates: hits taken from each of BM25 and vector search before fusion.
        rrf_k: reciprocal-rank-fusion constant.
        doc_name_weight: weight of the document-name signal.
        reranker: re-scores the best ``rerank_candidates`` fused hits (None: fused order).
        rerank_candidates: how many fused hits the reranker sees.
        cross_encoder: builds a cross-encoder that re-orders the best ``cross_encoder_candidates`` hits after
            the reranker (None: no cross-encoder).
        cross_encoder_candidates: how many hits the cross-encoder reads.
        expand: add the glossary's phrases for the terms a question names to its keyword search.
        glossary: terms of the user's own, added to the built-in glossary.
        boilerplate_weight: how far a re-ranked passage of boilerplate moves down (in re-rank score units per
            unit of boilerplate score); 0 leaves the ranking alone.
        focus_weight: fusion weight of the documents the question names (``retrieve.focus``); 0: off.
        spread_pages: one passage per page first (``spread_pages``).
    """

    def __init__(self, store: Store, embedder: Callable[[], Embedder], *, candidates: int = 200,
                 rrf_k: int = 60, doc_name_weight: float = 0.02, reranker: Reranker | None = None,
                 rerank_candidates: int = 50, cross_encoder: Callable[[], Reranker] | None = None,
                 cross_encoder_candidates: int = 10, expand: bool = True,
                 glossary: Mapping[str, Sequence[str]] | None = None, boilerplate_weight: float = 0.0,
                 focus_weight: float = 0.0, spread_pages: bool = False) -> None:
        self.store = store
        self.spread_pages = spread_pages
        self.focus_weight = focus_weight
        self._documents: tuple[tuple, dict] | None = None
        self.boilerplate_weight = boilerplate_weight
        self.expand = expand
        self.glossary = dict(glossary or {})
        self._factory = embedder
        self._embedder: Embedder | None = None
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.doc_name_weight = doc_name_weight
        self.reranker = reranker
        self.rerank_candidates = rerank_candidates
        self._cross_factory = cross_encoder
        self._cross: Reranker | None = None
        self.cross_encoder_candidates = cross_encoder_candidates

    @classmethod
    def from_settings(cls, store: Store, embedder: Callable[[], Embedder], settings: RetrievalSettings,
                      models_dir: Path) -> Retriever:
        """A retriever configured by ``[retrieval]`` (the cross-encoder folder defaults to ``models/rerank``).

        Raises:
            ModelError: ``rerank = "cross-encoder"`` and the folder holds no cross-encoder.
        """
        folder = settings.cross_encoder_path or cross_encoder_dir(models_dir)
        wanted = settings.rerank == "cross-encoder" or (settings.rerank == "auto" and has_cross_encoder(folder))
        if wanted and not has_cross_encoder(folder):
            raise ModelError(f"retrieval.rerank is \"cross-encoder\" but {folder} holds no "
                             f"{' and '.join(CROSS_ENCODER_FILES)}.",
                             hint="Put the ONNX export and its tokenizer.json there (README, Retrieval), or set "
                                  "retrieval.rerank = \"auto\".")
        return cls(store, embedder, candidates=settings.candidates, rrf_k=settings.rrf_k,
                   doc_name_weight=settings.doc_name_weight,
                   reranker=None if settings.rerank == "none" else SignalReranker(),
                   rerank_candidates=settings.rerank_candidates,
                   cross_encoder=partial(_load_cross_encoder, folder) if wanted else None,
                   cross_encoder_candidates=settings.cross_encoder_candidates,
                   expand=settings.expand_glossary, glossary=settings.glossary,
                   boilerplate_weight=settings.boilerplate_weight, focus_weight=settings.focus_weight,
                   spread_pages=settings.spread_pages)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._factory()
        return self._embedder

    @property
    def cross_encoder(self) -> Reranker | None:
        if self._cross is None and self._cross_factory is not None:
            self._cross = self._cross_factory()
        return self._cross

    def search(self, query: str, k: int = 6, *, folder_id: int | None = None, mode: Mode = "hybrid") -> SearchResult:
        """The ``k`` best passages for ``query``. Never raises on odd query text.

        ``in:FOLDER`` and ``file:GLOB`` in the query scope the search (see ``retrieve.scope``). ``mode`` "bm25"
        or "vector" returns that one first-stage list as ranked; only "hybrid" is fused and re-ranked.

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
        # Analyst vocabulary: "capital expenditure" also searches "purchases of property, plant and equipment".
        extra = expansions(query, self.glossary) if self.expand else []
        added = [t for t in dict.fromkeys(terms(" ".join(extra))) if t not in set(terms(query))][:MAX_EXPANSION_TERMS]
        match = fts_query(" ".join([query, *added]))
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
        paths = self.store.chunk_paths(list(fused)) if fused and (self.doc_name_weight or self.focus_weight) else {}
        if self.doc_name_weight and fused:
            # Document-level signal: analysts name the document they mean ("3M's FY2018 10-K"), and files are
            # often named for what they are. A passage gains weight x the share of its file name's words that
            # the question mentions. Measured on FinanceBench dev (200 candidates): R@1 .128 -> .205,
            # R@10 .577 -> .628, R@20 .679 -> .756 at weight 0.02 (benchmarks/RESULTS.md).
            qstems = {stem(t) for t in terms(query)}
            names: dict[Path, float] = {}
            for cid, path in paths.items():
                if path not in names:
                    words = {stem(t) for t in terms(path.stem.replace("_", " "))}
                    names[path] = len(words & qstems) / len(words) if words else 0.0
                fused[cid] += self.doc_name_weight * names[path]
        focus = Focus()
        file_of: dict[int, int] = {}
        if self.focus_weight and fused:
            documents = self.documents()
            focus = infer(query, documents)
            if focus:
                ids = {path: fid for fid, (path, _) in documents.items()}
                for cid, path in paths.items():
                    file_of[cid] = ids.get(path, -1)
                    fused[cid] += self.focus_weight * focus.weights.get(file_of[cid], 0.0)
        order = sorted(fused, key=lambda c: -fused[c])
        rerank = mode == "hybrid"  # bm25 / vector alone show one first-stage list as it is
        depth = max(k, self.rerank_candidates) if rerank and self.reranker is not None else k
        hits = self._hits(query, order[:depth], fused, knn, qvec, bm25_rank, vec_rank)
        if rerank and self.reranker is not None and hits:
            extra = self._statement_pages(query, hits)
            for cid in extra:
                fused.setdefault(cid, 0.0)
            hits += self._hits(query, extra, fused, knn, qvec, bm25_rank, vec_rank)
            self._read_statements(query, hits)
        for h in hits:
            h.focus = focus.weights.get(h.chunk.file_id, 0.0)
        timings["fuse_ms"] = (time.perf_counter() - t) * 1000
        if rerank and self.reranker is not None and len(hits) > 1:
            t = time.perf_counter()
            hits = _reorder(hits, self.reranker.rerank(query, hits))
            timings["rerank_ms"] = (time.perf_counter() - t) * 1000
        if rerank and hits:
            t = time.perf_counter()
            hits = self._weigh_boilerplate(hits)
            timings["boilerplate_ms"] = (time.perf_counter() - t) * 1000
        cross = self.cross_encoder if rerank and hits else None
        if cross is not None:
            t = time.perf_counter()
            n = min(self.cross_encoder_candidates, len(hits))
            hits = _reorder(hits[:n], cross.rerank(query, hits[:n])) + hits[n:]
            timings["cross_encoder_ms"] = (time.perf_counter() - t) * 1000
        if rerank and self.spread_pages:
            hits = spread_pages(hits)
        return SearchResult(query, hits[:k], timings, qvec, focus)

    def _statement_pages(self, query: str, hits: list[Hit]) -> list[int]:
        """The passages of the primary statement the question needs (``retrieve.statements``) in the two files
        with the most fused weight among ``hits``, when not among them already: a balance sheet shares few
        words with "has the quick ratio improved?", yet it is where the answer is. The re-ranker then weighs
        them like any other candidate."""
        want = wanted(query)
        if not want:
            return []
        weight: dict[int, float] = {}
        for h in hits:
            weight[h.chunk.file_id] = weight.get(h.chunk.file_id, 0.0) + h.score
        files = sorted(weight, key=lambda f: -weight[f])[:STATEMENT_FILES]
        have = {h.chunk.id for h in hits}
        found = [cid for cid, heading in self.store.chunks_headed(files, STATEMENT_WORDS)
                 if cid not in have and statement_of(heading) in want]
        return found[:STATEMENT_PASSAGES]

    def _read_statements(self, query: str, hits: list[Hit]) -> None:
        """When the question needs a primary statement, say which each passage is part of (``Hit.statement``)
        and mark those that are another entity's (``Hit.other_issuer``).

        A passage's table title names its statement; a passage whose table has no title (a statement whose
        rows the table reader could not align: long labels with figures inside them) takes its page's title,
        the statement title among the page's first lines over rows of figures (``statements.page_statement``).

        A 10-K may file an affiliate's balance sheet as an exhibit under the same title as the registrant's own
        ("CITYCENTER HOLDINGS, LLC / CONSOLIDATED BALANCE SHEETS" in a casino group's filing), with the same
        rows. A page is judged by the name printed with its title (its first passage) against the document's
        entity; only when another statement page of the same file is the document's own (so a mis-read entity
        never demotes them all), and never when the question names that other entity."""
        want = wanted(query)
        if not want:
            return
        paged = [h for h in hits if h.chunk.page is not None]
        openings = self.store.page_openings([(h.chunk.file_id, h.chunk.page) for h in paged])
        for h in hits:
            h.statement = statement_of(h.chunk.heading)
            if h.statement is None and h.chunk.page is not None and untitled(h.chunk.heading):
                h.statement = page_statement(openings.get((h.chunk.file_id, h.chunk.page), ""))
        statements = [h for h in paged if h.statement in want]
        if not statements:
            return
        documents = self.documents()
        own: dict[int, dict[int, bool]] = {}  # file -> page -> the document's own statement
        for key in {(h.chunk.file_id, h.chunk.page) for h in statements}:
            name = issuer(openings.get(key, ""))
            meta = documents.get(key[0], (None, None))[1]
            if name is None or meta is None or not meta.entity:
                continue
            own.setdefault(key[0], {})[key[1]] = same_issuer(name, [meta.entity, *meta.aliases]) \
                or same_issuer(name, [query])
        for h in statements:
            pages = own.get(h.chunk.file_id, {})
            h.other_issuer = pages.get(h.chunk.page) is False and any(pages.values())

    def unmentioned(self, question: str) -> list[str]:
        """The names ``question`` gives that no passage this profile can read mentions (``retrieve.names``):
        "Nvidia's revenue" asked of other companies' filings."""
        return unmentioned(question, lambda word: bool(self.store.keyword_search(f'"{word.lower()}"', 1)))

    def documents(self) -> dict:
        """``Store.documents()``, read again only when the files or the corrections changed."""
        version = self.store.documents_version()
        if self._documents is None or self._documents[0] != version:
            self._documents = (version, self.store.documents())
        return self._documents[1]

    def _weigh_boilerplate(self, hits: list[Hit]) -> list[Hit]:
        """Score each hit's boilerplate and move such passages down by ``boilerplate_weight``, unless the
        question is about them (it finds 80% of its words in the passage: "what did the auditor's opinion
        say?")."""
        # A table's passages are data (the figures asked for), never boilerplate, however standard their labels.
        prose = [h.chunk.id for h in hits[:BOILERPLATE_DEPTH] if TABLE_MARK not in h.chunk.heading]
        found = boilerplate.chunk_scores(self.store, prose) if prose else {}
        for h in hits:
            h.boilerplate = found.get(h.chunk.id, h.boilerplate)
        if not self.boilerplate_weight or not any(h.boilerplate for h in hits):
            return hits
        base = [h.rerank_score if h.rerank_score is not None else -float(i) / len(hits) for i, h in enumerate(hits)]
        spread = (max(base) - min(base)) or 1.0
        adjusted = [b - self.boilerplate_weight * spread * h.boilerplate * (h.coverage < 0.8) / 4
                    for b, h in zip(base, hits, strict=True)]
        order = sorted(range(len(hits)), key=lambda i: -adjusted[i])
        return [hits[i] for i in order]


    def _hits(self, query: str, top: list[int], fused: dict[int, float], knn: list[tuple[int, float]],
              qvec: np.ndarray | None, bm25_rank: dict[int, int], vec_rank: dict[int, int]) -> list[Hit]:
        """``top`` chunk ids as hits, in that order, with their cosine and word coverage."""
        rows = self.store.chunks(top)
        sims = {cid: 1.0 - d * d / 2.0 for cid, d in knn}  # unit vectors: |a-b|^2 = 2 - 2cos
        missing = [cid for cid in top if cid not in sims]
        if missing and qvec is not None:
            for cid, vec in self.store.vectors(missing).items():  # point lookups (see Store.vectors)
                sims[cid] = float(np.dot(vec, qvec))
        qterms = terms(query)
        return [Hit(rows[cid], fused[cid], sims.get(cid, 0.0),
                    coverage(qterms, rows[cid].prefix + "\n" + rows[cid].text),
                    bm25_rank.get(cid), vec_rank.get(cid)) for cid in top if cid in rows]


def spread_pages(hits: list[Hit]) -> list[Hit]:
    """The best passage of each page first, in ranked order; a page's other passages follow, in ranked order.

    A page cut into several passages otherwise fills the first places with near-duplicates (a statement page
    is often three passages), and the analyst's first ten cover fewer pages. Measured on FinanceBench dev
    (benchmarks/RESULTS.md, section 9): page-level R@10 .615 -> .705 at the same R@1. Passages without a page
    (text, Markdown, code) are each their own place.
    """
    seen: set[tuple[int, int]] = set()
    first: list[Hit] = []
    later: list[Hit] = []
    for h in hits:
        key = (h.chunk.file_id, h.chunk.page) if h.chunk.page is not None else None
        if key is None or key not in seen:
            first.append(h)
            if key is not None:
                seen.add(key)
        else:
            later.append(h)
    return first + later


def _load_cross_encoder(folder: Path) -> Reranker:
    return CrossEncoderReranker(OnnxCrossEncoder(folder))


def _reorder(hits: list[Hit], scores: np.ndarray) -> list[Hit]:
    """``hits`` sorted by ``scores`` (best first; ties keep their order), each given its score."""
    for hit, score in zip(hits, scores, strict=True):
        hit.rerank_score = float(score)
    return [hits[i] for i in np.argsort(-np.asarray(scores), kind="stable")]
