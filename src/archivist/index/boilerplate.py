"""Boilerplate: passages that recur near-identically across many files of the index.

An auditor's opinion ("We have audited the accompanying consolidated balance sheets ... statements of cash
flows ...") shares words with every financial question, so it was quoted as the answer more than anything
else. It is the same text in every filing, give or take the company's name: the mark of boilerplate is that
its word sequences appear in many *files*, not that it is long or formal.

At index time each passage's 5-word sequences (shingles) are hashed and a fixed 1-in-8 sample of them is
stored (``chunk_shingles``; hashing is deterministic, so the same text samples the same shingles in every
file). A passage's boilerplate score is the share of its sampled shingles that occur in at least
``min_files`` files visible to the profile: 1.0 for a legend repeated verbatim, about 0.8 for an opinion
with the company's name changed, ~0 for anything a filing says once. Search weighs such passages down and
an extractive answer never quotes them, unless the question is about them.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archivist.index.store import Store

SHINGLE_WORDS = 5
SAMPLE = 8
"""Keep a shingle when its hash is divisible by this: 1 in 8, ~25 per 200-word passage."""
MIN_SHINGLES = 4
"""A passage with fewer sampled shingles is too short to call (scored 0)."""
THRESHOLD = 0.5
"""Passages scoring at least this are boilerplate."""

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d")


def shingles(text: str) -> set[int]:
    """The sampled shingle hashes of ``text``'s prose: words folded; a sequence holding a number is left out
    (statement rows share their labels across every filing, "Net cash provided by operating activities", but
    they are data, not boilerplate: their figures are what is asked for)."""
    folded = text.lower() if text.isascii() else unicodedata.normalize("NFKD", text.lower())
    words = _WORD.findall(folded)
    out: set[int] = set()
    clear = 0  # how many words without a digit end at the current one
    for i, word in enumerate(words):
        clear = 0 if _DIGITS.search(word) else clear + 1
        if clear >= SHINGLE_WORDS:
            h = zlib.crc32(" ".join(words[i - SHINGLE_WORDS + 1:i + 1]).encode("utf-8"))
            if h % SAMPLE == 0:
                out.add(h)
    return out


def min_files(n_files: int) -> int:
    """In how many files a shingle must occur to be common: 15% of the files, 3 at least and 20 at most.

    Several reports of one company repeat their own text year after year (four Adobe 10-Ks among 44
    filings): that is the company's content, not boilerplate, so a few files sharing text is not enough.
    Measured on FinanceBench dev (44 filings): at 5% (3 files) the weighting cost R@5 0.577 -> 0.500."""
    return max(3, min(20, round(0.15 * n_files)))


def rows(chunk_id: int, text: str) -> Iterable[tuple[int, int]]:
    """(chunk id, hash) rows of ``chunk_shingles`` for one passage."""
    return ((chunk_id, h) for h in shingles(text))


def scores(store: Store, texts: Sequence[str]) -> list[float]:
    """The boilerplate score (0..1) of each passage text, against the files this store's profile can read."""
    return _scores(store, [shingles(t) for t in texts])


def chunk_scores(store: Store, chunk_ids: Sequence[int]) -> dict[int, float]:
    """``scores`` of stored passages, from the shingles sampled when they were indexed (``chunk_shingles``)
    rather than sampled again from their text: what search weighs its candidates by."""
    stored = store.shingles_of(chunk_ids)
    return dict(zip(chunk_ids, _scores(store, [stored.get(cid, set()) for cid in chunk_ids]), strict=True))


def _scores(store: Store, sets: Sequence[set[int]]) -> list[float]:
    """The share of each set's shingles that occur in enough readable files (0 for a set too small to call)."""
    wanted = set().union(*sets) if sets else set()
    if not wanted:
        return [0.0] * len(sets)
    counts = store.shingle_file_counts(wanted)
    need = min_files(store.indexed_file_count())
    return [0.0 if len(s) < MIN_SHINGLES else sum(1 for h in s if counts.get(h, 0) >= need) / len(s) for s in sets]


def count(store: Store) -> int:
    """How many passages visible to the store's profile are boilerplate (for ``archivist status``)."""
    return store.boilerplate_count(min_files(store.indexed_file_count()), THRESHOLD, MIN_SHINGLES)


def backfill(conn) -> None:  # noqa: ANN001 - a sqlcipher3 connection inside the migration's transaction
    """Fill ``chunk_shingles`` for the passages of an index made before it existed (migration 4)."""
    batch: list[tuple[int, int]] = []
    for chunk_id, text in conn.execute("SELECT id, text FROM chunks").fetchall():
        batch.extend(rows(chunk_id, text))
        if len(batch) >= 50_000:
            conn.executemany("INSERT OR IGNORE INTO chunk_shingles(chunk_id, h) VALUES (?, ?)", batch)
            batch.clear()
    if batch:
        conn.executemany("INSERT OR IGNORE INTO chunk_shingles(chunk_id, h) VALUES (?, ?)", batch)
