"""Synthetic passages for the scale benchmark (``bench_scale.py``): text, vectors and questions, all seeded.

Text: a 50,000-word vocabulary ranked by a Zipf-Mandelbrot law (p(r) ~ 1 / (r + 2.7)^1.07, the shape of English
word counts), whose first ranks are the stop words Archivist drops from questions (so a question's common words
behave as real ones do: dropped, or long posting lists), the rest made-up words; each passage 120-200 words
(normal, mean 160, sd 20, clipped), ~6% of them from its topic's 12 words. 50 passages per file.

Vectors: random unit vectors are all ~90 degrees apart in 384 dimensions, so "the 20 nearest" of a random
question would be an arbitrary pick and recall against exact search meaningless. The vectors here are random
too, but clustered the way embeddings of real passages are: each passage is its topic's random unit centre
plus Gaussian noise of the same norm, normalised (cosine ~0.5 to a passage of its topic, ~0 to others; one
topic per 100 passages). A question is a stored passage's vector plus noise of norm 0.5, normalised (cosine
~0.9 to it, ~0.45 to its topic), and its words are drawn from that passage: it has true neighbours, which
the exact search ranks by small margins, as a real question's are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

DIM = 384
VOCAB = 50_000
ZIPF_S = 1.07
ZIPF_Q = 2.7
PER_FILE = 50
PER_TOPIC = 100
TOPIC_WORDS = 12
TOPIC_SHARE = 0.06
NOISE = 1.0
"""Norm of the noise added to a passage's topic centre (the centre has norm 1)."""
QUERY_NOISE = 0.5
"""Norm of the noise added to a stored vector to make a question's."""
BLOCK = 10_000
"""Passages generated per seeded block (so any block can be made again alone)."""

_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch",
           "cl", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
_CODAS = ["", "", "n", "r", "s", "l", "t", "nd", "st", "m"]


@dataclass(frozen=True)
class Spec:
    """What a synthetic index holds; ``key`` names it (a cached index is reused only for the same key)."""

    passages: int
    seed: int = 17

    @property
    def topics(self) -> int:
        return max(1, self.passages // PER_TOPIC)

    @property
    def key(self) -> str:
        raw = f"{self.passages}/{self.seed}/{DIM}/{VOCAB}/{ZIPF_S}/{ZIPF_Q}/{PER_FILE}/{PER_TOPIC}/{TOPIC_WORDS}/" \
              f"{TOPIC_SHARE}/{NOISE}/v1"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def vocabulary(stopwords: list[str], seed: int = 5) -> list[str]:
    """Stop words first (the commonest ranks), then distinct made-up words of 1-3 syllables."""
    rng = np.random.default_rng(seed)
    words = list(dict.fromkeys(stopwords))
    seen = set(words)
    while len(words) < VOCAB:
        n = int(rng.integers(1, 4))
        w = "".join(_ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))]
                    + _CODAS[rng.integers(len(_CODAS))] for _ in range(n))
        if w not in seen and len(w) > 2:
            seen.add(w)
            words.append(w)
    return words


def zipf_cdf() -> np.ndarray:
    p = 1.0 / (np.arange(VOCAB) + 1 + ZIPF_Q) ** ZIPF_S
    return np.cumsum(p / p.sum())


def centres(spec: Spec) -> np.ndarray:
    rng = np.random.default_rng([spec.seed, 1])
    c = rng.standard_normal((spec.topics, DIM), dtype=np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def topic_words(spec: Spec) -> np.ndarray:
    """Each topic's words: mid-frequency ranks (500 .. 20,000), as a document's subject words are."""
    rng = np.random.default_rng([spec.seed, 2])
    return rng.integers(500, 20_000, size=(spec.topics, TOPIC_WORDS))


@dataclass
class Block:
    """Passages ``start`` .. ``start + len(texts) - 1`` (0-based) of a synthetic index."""

    start: int
    texts: list[str]
    vectors: np.ndarray
    topics: np.ndarray


def blocks(spec: Spec, vocab: list[str]) -> Iterator[Block]:
    """Every passage, in seeded blocks of ``BLOCK``."""
    cdf = zipf_cdf()
    cent = centres(spec)
    tw = topic_words(spec)
    words = np.array(vocab, dtype=object)
    for start in range(0, spec.passages, BLOCK):
        n = min(BLOCK, spec.passages - start)
        rng = np.random.default_rng([spec.seed, 3, start])
        # passages of one file share a topic run: 50 in a row, topics cycling through the index
        topics = (start + np.arange(n)) // PER_FILE * 7919 % spec.topics  # a file's passages share a topic
        noise = rng.standard_normal((n, DIM), dtype=np.float32) * np.float32(NOISE / np.sqrt(DIM))
        vecs = cent[topics] + noise
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        lengths = np.clip(rng.normal(160, 20, n).round().astype(int), 120, 200)
        total = int(lengths.sum())
        ranks = np.searchsorted(cdf, rng.random(total), side="right").clip(0, VOCAB - 1)
        owner = np.repeat(np.arange(n), lengths)
        topical = rng.random(total) < TOPIC_SHARE
        ranks[topical] = tw[topics[owner[topical]], rng.integers(0, TOPIC_WORDS, int(topical.sum()))]
        tokens = words[ranks]
        ends = np.cumsum(lengths)
        texts = [" ".join(tokens[e - m:e]) for e, m in zip(ends, lengths, strict=True)]
        yield Block(start, texts, vecs.astype(np.float32), topics)


def question(rng: np.random.Generator, text: str, vector: np.ndarray) -> tuple[str, np.ndarray]:
    """A question about one passage: 8 of its words (stop words among them, as in real questions) and its
    vector plus noise of norm ``QUERY_NOISE``, normalised."""
    words = text.split()
    picked = [words[i] for i in rng.choice(len(words), size=8, replace=False)]
    noise = rng.standard_normal(DIM).astype(np.float32) * np.float32(QUERY_NOISE / np.sqrt(DIM))
    q = vector + noise
    return " ".join(picked), (q / np.linalg.norm(q)).astype(np.float32)
