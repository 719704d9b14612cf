"""Chunking by the embedder's own word pieces, with overlap, never across PDF pages or sections.

MiniLM silently truncates past 256 word pieces (96% of 200-*word* chunks were cut), so every chunk is
sized in word pieces, and the heading/title prefix that is embedded with it is counted too.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import dataclass, replace
from itertools import groupby

from archivist.embed.base import TokenCounter
from archivist.ingest.base import Document
from archivist.ingest.metadata import DocMeta
from archivist.ingest.rows import TABLE_MARK

MAX_PREFIX_TOKENS = 40


@dataclass(frozen=True)
class Chunk:
    """A passage as stored, embedded and cited."""

    text: str
    page: int | None
    line_start: int | None
    line_end: int | None
    heading: tuple[str, ...]
    prefix: str
    """Title and heading trail, embedded with the text so a passage knows what it is about."""
    n_tokens: int

    @property
    def embed_text(self) -> str:
        return embed_text(self.prefix, self.text)

    @property
    def content_hash(self) -> str:
        return content_hash(self.prefix, self.text)


def embed_text(prefix: str, text: str) -> str:
    """What is embedded for a passage: its heading trail, then its text."""
    return f"{prefix}\n{text}" if prefix else text


def content_hash(prefix: str, text: str) -> str:
    """The passage's content hash as stored in ``chunks.content_hash`` (and carried by citations)."""
    return hashlib.sha256(embed_text(prefix, text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Line:
    number: int | None
    text: str
    tokens: int
    continues: bool = False
    """A later piece of a cut source line: rejoined to the piece before it with a space, not a newline."""


def _prefix(name: str, title: str, heading: tuple[str, ...], meta: DocMeta | None = None) -> str:
    # The context header says what the document is (entity, type, period: ``ingest.metadata``); the file name
    # often names it best too (``ACME_2019_10K.pdf``) and is kept unless the header already says all it says;
    # the title and heading trail say what the passage is about. Embedded and keyword-indexed with the text.
    header = meta.header() if meta else ""
    parts = [name] if not header or not _covered(name, header, meta.aliases if meta else ()) else []
    parts += [header] if header else []
    if title and title.lower() != name.lower() and title != header:
        parts.append(title)
    parts += [h for h in (_table_title(h) for h in heading) if h not in parts]
    return " > ".join(p for p in parts if p)


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _covered(name: str, header: str, aliases: tuple[str, ...]) -> bool:
    """Whether every word of the file name is in the header or the aliases ("ACME 2019 10K" in
    "Acme Corp 10-K FY2019" with alias "ACME")."""
    known = _squash(" ".join([header, *aliases]))
    return all(_squash(w) in known for w in name.split() if _squash(w))


def _table_title(heading: str) -> str:
    """A table's heading as embedded: its title and unit, not its columns (``ingest.tables``); the passage's
    stored heading keeps the columns, for the figure reader and the citation."""
    if TABLE_MARK not in heading:
        return heading
    title = heading.split(TABLE_MARK, 1)[0]
    return "" if title == "Table" else title


def chunk_document(doc: Document, counter: TokenCounter, max_tokens: int, overlap_tokens: int,
                   hard_limit: int, *, meta: DocMeta | None = None, sentence_ends: bool = True) -> list[Chunk]:
    """Cut ``doc`` into chunks.

    Args:
        doc: extracted document.
        counter: the embedder's word-piece counter.
        max_tokens: target size of a chunk's text (word pieces).
        overlap_tokens: word pieces of trailing lines repeated at the start of the next chunk.
        hard_limit: the embedder's limit; prefix + text never exceed it.
        meta: what the document is; its context header starts every chunk's prefix.
        sentence_ends: end a prose chunk after the last sentence that ends in its second half, rather than
            wherever the budget runs out (tables, whose rows are units, and source code are cut by lines).
    """
    chunks: list[Chunk] = []
    # Group consecutive blocks by (page, heading): a chunk never spans two pages or two sections.
    for (page, heading), group in groupby(doc.blocks, key=lambda b: (b.page, b.heading)):
        blocks = list(group)
        prefix = _prefix(doc.path.stem.replace("_", " "), doc.title, heading, meta)
        prefix_tokens = counter.count([prefix])[0] + 1 if prefix else 0
        if prefix_tokens > MAX_PREFIX_TOKENS:
            prefix = counter.split(prefix, MAX_PREFIX_TOKENS - 1)[0]
            prefix_tokens = counter.count([prefix])[0] + 1
        budget = max(16, min(max_tokens, hard_limit - prefix_tokens))
        raw: list[tuple[int | None, str]] = []
        for block in blocks:
            for offset, text in enumerate(block.lines):
                if text.strip():
                    number = block.line_start + offset if block.line_start is not None else None
                    raw.append((number, text.strip()))
        counts = counter.count([t for _, t in raw])
        lines: list[_Line] = []
        for (number, text), n in zip(raw, counts, strict=True):
            if n <= budget:
                lines.append(_Line(number, text, n))
            else:
                # A line past the budget (a soft-wrapped paragraph, minified code) gets cut mid-sentence.
                # Cut it in pieces no longer than the overlap so that, as with short lines, the last
                # pieces of one chunk are repeated at the start of the next (before: no overlap at all).
                step = min(budget, overlap_tokens) if overlap_tokens > 0 else budget
                pieces = counter.split(text, step)
                for i, (piece, n_piece) in enumerate(zip(pieces, counter.count(pieces), strict=True)):
                    lines.append(_Line(number, piece, n_piece, continues=i > 0))
        prose = sentence_ends and doc.kind != "code" and not any(TABLE_MARK in h for h in heading)
        chunks.extend(_pack(lines, budget, overlap_tokens, page, heading, prefix, counter if prose else None))
    return chunks


_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def _sentence_cut(current: list[_Line], budget: int, counter: TokenCounter) -> tuple[list[_Line], list[_Line]] | None:
    """``current`` split after its last sentence end in its second half: (the chunk, what starts the next one),
    a line cut at the sentence end when it is inside the line. None when it already ends a sentence, or no
    sentence ends late enough (a chunk is never shortened below half the budget)."""
    if not current or _SENTENCE_END.search(current[-1].text):
        return None
    floor = budget // 2
    before = sum(ln.tokens for ln in current)
    for k in range(len(current) - 1, -1, -1):
        line = current[k]
        before -= line.tokens  # word pieces of current[:k]
        if before + line.tokens < floor:
            return None
        if k < len(current) - 1 and _SENTENCE_END.search(line.text):
            return current[:k + 1], current[k + 1:]
        breaks = [m for m in _SENTENCE_BREAK.finditer(line.text)]
        for m in reversed(breaks):
            head, tail = line.text[:m.start()].rstrip(), line.text[m.end():]
            n_head, n_tail = counter.count([head, tail])
            if before + n_head < floor:
                break
            return (current[:k] + [replace(line, text=head, tokens=n_head)],
                    [replace(line, text=tail, tokens=n_tail, continues=True)] + current[k + 1:])
    return None


def _pack(lines: list[_Line], budget: int, overlap: int, page: int | None, heading: tuple[str, ...],
          prefix: str, counter: TokenCounter | None = None) -> list[Chunk]:
    """Lines packed into chunks of at most ``budget`` word pieces, each repeating up to ``overlap`` word pieces
    of the one before. With ``counter``, a chunk ends at a sentence end when one falls in its second half
    (``_sentence_cut``); the rest of the cut sentence opens the next chunk."""
    out: list[Chunk] = []
    current: list[_Line] = []
    size = 0  # word pieces, plus one per line break (a newline is not a word piece, but be conservative)

    def emit() -> None:
        numbers = [ln.number for ln in current if ln.number is not None]
        text = current[0].text
        for ln in current[1:]:
            text += (" " if ln.continues else "\n") + ln.text
        out.append(Chunk(
            text=text, page=page,
            line_start=min(numbers) if numbers else None, line_end=max(numbers) if numbers else None,
            heading=heading, prefix=prefix, n_tokens=sum(ln.tokens for ln in current),
        ))

    queue = deque(lines)
    while queue:
        line = queue.popleft()
        if current and size + line.tokens > budget:
            rest: list[_Line] = []
            cut = _sentence_cut(current, budget, counter) if counter is not None else None
            if cut is not None and sum(ln.tokens for ln in cut[1]) + line.tokens <= budget:
                current, rest = cut
            emit()
            # Carry trailing lines (up to `overlap` word pieces) into the next chunk, before the lines of the
            # sentence the chunk stopped short of.
            after = sum(ln.tokens for ln in rest) + line.tokens
            carry: list[_Line] = []
            carried = 0
            for prev in reversed(current):
                if carried + prev.tokens > overlap or carried + prev.tokens + after > budget:
                    break
                carry.insert(0, prev)
                carried += prev.tokens
            current, size = carry + rest, carried + after - line.tokens
        current.append(line)
        size += line.tokens
    if current:
        emit()
    return out
