"""The embedder interface and the word-piece counter the chunker relies on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class TokenCounter(Protocol):
    """Counts and splits text in the embedder's own word pieces (special tokens excluded)."""

    def count(self, texts: Sequence[str]) -> list[int]: ...

    def split(self, text: str, max_tokens: int) -> list[str]: ...


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors.

    Attributes:
        id: names the model, backend and weights (a different id means vectors are not comparable).
        dim: vector width.
        max_tokens: word pieces the model reads before silently truncating (without [CLS]/[SEP]).
        tokens: the matching word-piece counter.
    """

    id: str
    dim: int
    max_tokens: int
    tokens: TokenCounter

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray: ...


class WordPieceCounter:
    """Counts word pieces with the model's own ``tokenizer.json`` (Rust tokenizers: fast, no torch)."""

    def __init__(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_json))
        self._tok.no_truncation()
        self._tok.no_padding()

    def count(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def split(self, text: str, max_tokens: int) -> list[str]:
        """Cut ``text`` into pieces of at most ``max_tokens`` word pieces, at word boundaries."""
        enc = self._tok.encode(text, add_special_tokens=False)
        offsets = enc.offsets
        pieces: list[str] = []
        start_tok = 0
        while start_tok < len(offsets):
            end_tok = min(start_tok + max_tokens, len(offsets))
            # Back off to a word boundary (a token whose text starts after whitespace) when possible.
            if end_tok < len(offsets):
                cut = end_tok
                while cut > start_tok + max_tokens // 2 and offsets[cut][0] == offsets[cut - 1][1]:
                    cut -= 1
                end_tok = cut
            piece = text[offsets[start_tok][0]:offsets[end_tok - 1][1]].strip()
            if piece:
                pieces.append(piece)
            start_tok = end_tok
        return pieces


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
