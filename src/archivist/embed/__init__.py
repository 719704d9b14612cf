"""Embeddings behind one small interface (``Embedder.embed_batch``)."""

from archivist.embed.base import Embedder, TokenCounter

__all__ = ["Embedder", "TokenCounter"]
