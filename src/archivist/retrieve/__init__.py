"""Hybrid retrieval: FTS5 BM25 + vec0 KNN fused with reciprocal rank fusion."""

from archivist.retrieve.hybrid import Hit, Retriever, SearchResult

__all__ = ["Hit", "Retriever", "SearchResult"]
