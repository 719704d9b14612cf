"""Chunking: every passage fits the embedder, overlaps its neighbour, and cites the right page and lines.

Sizes are measured with the bundled MiniLM's own word-piece tokenizer, the same one that truncates at 256
positions when the passage is embedded.
"""

from __future__ import annotations

import random
import re
from itertools import pairwise
from pathlib import Path

import pytest

from archivist.embed.base import WordPieceCounter
from archivist.embed.minilm import MAX_TOKENS, bundled_model_dir
from archivist.ingest import Block, Document, extract
from archivist.ingest.chunk import Chunk, chunk_document

# The shipped defaults (settings.ChunkSettings) and the model limit.
MAX, OVERLAP, HARD = 200, 32, MAX_TOKENS


@pytest.fixture(scope="module")
def counter() -> WordPieceCounter:
    return WordPieceCounter(bundled_model_dir() / "tokenizer.json")


def n_tokens(counter: WordPieceCounter, text: str) -> int:
    return counter.count([text])[0]


def assert_fits(counter: WordPieceCounter, chunks: list[Chunk]) -> None:
    for chunk in chunks:
        size = n_tokens(counter, chunk.embed_text)
        assert size <= HARD, f"{size} word pieces in a chunk starting {chunk.text[:60]!r}"


def doc_of(lines: list[str], title: str = "notes", heading: tuple[str, ...] = ()) -> Document:
    block = Block(tuple(lines), line_start=1, heading=heading)
    return Document(Path("notes.txt"), "text", [block], title=title)


def squash(text: str) -> str:
    """Text without any whitespace, to compare pieces of a line cut at arbitrary points."""
    return re.sub(r"\s+", "", text)


def prose(rng: random.Random, n_words: int) -> str:
    vocab = ["the", "committee", "approved", "internationalization", "budget", "of", "3.14159", "for",
             "re-evaluation", "quarterly", "naïve", "Zürich", "e-mail", "subsection", "(see", "appendix)",
             "2024-03-01", "ISO/IEC", "27001", "and", "compliance;", "don't", "co-operate", "x86_64"]
    return " ".join(rng.choice(vocab) for _ in range(n_words))


# --------------------------------------------------------------------------------------------------------
# The model limit


@pytest.mark.parametrize("line", [
    "alpha.beta,gamma;delta/" * 3000,                 # punctuation-separated, no spaces
    "x=f(y);if(x>1){z[x]=y+2}else{q.push(x)};" * 1500,  # minified code
    "中文文本检索系统测试" * 800,                       # CJK: one word piece per character
], ids=["punctuation", "minified", "cjk"])
def test_single_giant_line_without_spaces_is_cut_to_fit_the_model(
    counter: WordPieceCounter, line: str
) -> None:
    assert n_tokens(counter, line) > 10 * HARD
    doc = doc_of([line], title="Build output")

    chunks = chunk_document(doc, counter, max_tokens=HARD, overlap_tokens=OVERLAP, hard_limit=HARD)

    assert len(chunks) > 10
    assert_fits(counter, chunks)
    assert all(c.prefix == "notes > Build output" for c in chunks)  # file name, then title
    assert all(c.embed_text.startswith("notes > Build output\n") for c in chunks)
    # Nothing is lost: the start and the end of the line are both in the index.
    assert squash(line).startswith(squash(chunks[0].text))
    assert squash(line).endswith(squash(chunks[-1].text))
    assert all(squash(c.text) in squash(line) for c in chunks)


@pytest.mark.parametrize("max_tokens", [64, MAX, HARD])
def test_long_paragraphs_fit_the_model_with_their_heading_prefix(
    counter: WordPieceCounter, max_tokens: int
) -> None:
    rng = random.Random(3)
    paragraphs = [prose(rng, rng.randrange(150, 600)) for _ in range(12)]
    heading = ("Part II: Financial statements of the group",
               "Note 14 — Provisions and contingent liabilities")
    doc = Document(Path("report.md"), "markdown",
                   [Block((p,), line_start=2 * i + 1, heading=heading) for i, p in enumerate(paragraphs)],
                   title="Annual report and accounts for the year ended 31 December 2024")

    chunks = chunk_document(doc, counter, max_tokens=max_tokens, overlap_tokens=OVERLAP, hard_limit=HARD)

    assert_fits(counter, chunks)
    assert all(n_tokens(counter, c.text) <= max_tokens for c in chunks)
    assert all(c.prefix.endswith("Provisions and contingent liabilities") for c in chunks)
    # Every word of every paragraph is in some chunk.
    indexed = squash("".join(c.text for c in chunks))
    for p in paragraphs:
        for word in p.split()[::25]:
            assert squash(word) in indexed


def test_an_enormous_title_is_shortened_rather_than_pushing_text_past_the_limit(
    counter: WordPieceCounter,
) -> None:
    rng = random.Random(4)
    title = prose(rng, 300)
    body = [prose(rng, 12) for _ in range(100)]

    chunks = chunk_document(doc_of(body, title=title), counter, MAX, OVERLAP, HARD)

    assert_fits(counter, chunks)
    assert all(c.prefix.startswith("notes > ") and title.startswith(c.prefix.removeprefix("notes > "))
               for c in chunks)
    assert all(n_tokens(counter, c.text) >= 100 for c in chunks[:-1])  # the text still gets most of the room


# --------------------------------------------------------------------------------------------------------
# Overlap


def wrapped_prose(n_lines: int) -> list[str]:
    """Hard-wrapped lines (as in e-mails, PDFs and plain text), each identifiable by its number."""
    return [f"Line {i} records that shipment {i} left the depot on time." for i in range(1, n_lines + 1)]


def test_consecutive_chunks_overlap_by_whole_trailing_lines(counter: WordPieceCounter) -> None:
    lines = wrapped_prose(80)

    chunks = chunk_document(doc_of(lines), counter, max_tokens=120, overlap_tokens=OVERLAP, hard_limit=HARD)

    assert len(chunks) > 3
    for cur, nxt in pairwise(chunks):
        cur_lines, nxt_lines = cur.text.splitlines(), nxt.text.splitlines()
        shared = [ln for ln in nxt_lines if ln in cur_lines]
        assert shared, f"no overlap between chunk ending {cur_lines[-1]!r} and next"
        assert nxt_lines[:len(shared)] == cur_lines[-len(shared):]  # the tail of one is the head of the next
        assert n_tokens(counter, "\n".join(shared)) <= OVERLAP
        assert nxt.line_start is not None and cur.line_end is not None
        assert nxt.line_start <= cur.line_end
    # Every line is indexed somewhere.
    assert {ln for c in chunks for ln in c.text.splitlines()} == set(lines)


def test_no_overlap_when_overlap_is_zero(counter: WordPieceCounter) -> None:
    lines = wrapped_prose(80)

    chunks = chunk_document(doc_of(lines), counter, max_tokens=120, overlap_tokens=0, hard_limit=HARD)

    indexed = [ln for c in chunks for ln in c.text.splitlines()]
    assert indexed == lines  # each line exactly once, in order
    assert all(nxt.line_start == cur.line_end + 1 for cur, nxt in pairwise(chunks))


def test_a_long_line_cut_across_chunks_is_overlapped_at_the_cut(counter: WordPieceCounter) -> None:
    # One paragraph written as a single line (soft-wrapped Markdown, a DOCX paragraph): the cut falls
    # mid-sentence, which is exactly where a passage needs its neighbour's last words.
    words = [f"item{i}" for i in range(900)]
    line = " ".join(words)

    chunks = chunk_document(doc_of([line]), counter, max_tokens=MAX, overlap_tokens=OVERLAP, hard_limit=HARD)

    assert len(chunks) > 2
    assert_fits(counter, chunks)
    for cur, nxt in pairwise(chunks):
        cur_words, nxt_words = cur.text.split(), nxt.text.split()
        assert nxt_words[0] in cur_words, f"chunk starting {nxt_words[0]} repeats nothing of the previous one"
        k = len(cur_words) - cur_words.index(nxt_words[0])
        assert nxt_words[:k] == cur_words[-k:]
        assert 0 < n_tokens(counter, " ".join(cur_words[-k:])) <= OVERLAP
    assert {w for c in chunks for w in c.text.split()} == set(words)


# --------------------------------------------------------------------------------------------------------
# Pages, sections and line numbers


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_pdf_chunks_never_mix_two_pages(tmp_path: Path, counter: WordPieceCounter) -> None:
    pages = [[f"page{p}marker row {r} of the contract terms and conditions" for r in range(40)]
             for p in (1, 2, 3)]
    doc = extract(make_pdf(tmp_path / "contract.pdf", pages))

    chunks = chunk_document(doc, counter, MAX, OVERLAP, HARD)

    assert {c.page for c in chunks} == {1, 2, 3}
    assert len(chunks) > 3  # pages are long enough to need several chunks each
    for chunk in chunks:
        markers = {int(m) for m in re.findall(r"page(\d)marker", chunk.text)}
        assert markers == {chunk.page}, f"chunk cited as page {chunk.page} holds text of pages {markers}"


def test_short_pages_are_not_merged_into_one_chunk(counter: WordPieceCounter) -> None:
    doc = Document(Path("memo.pdf"), "pdf", [
        Block(("Page one: the offer.",), page=1, line_start=1),
        Block(("Page two: the price.",), page=2, line_start=1),
        Block(("Page three: the signature.",), page=3, line_start=1),
    ], title="memo", pages=3)

    chunks = chunk_document(doc, counter, MAX, OVERLAP, HARD)

    assert [(c.page, c.text) for c in chunks] == [
        (1, "Page one: the offer."), (2, "Page two: the price."), (3, "Page three: the signature."),
    ]


MARKDOWN = """# Install Guide

Download the archive from the release page.

## Linux

{linux}

```bash
# a comment, not a heading
./install.sh --prefix /opt/archivist
```

### Troubleshooting

{trouble}

## Windows

Double-click setup.exe and follow the wizard.
"""


@pytest.fixture()
def guide(tmp_path: Path) -> Path:
    rng = random.Random(5)
    linux = "\n".join(prose(rng, 14) for _ in range(30))  # hard-wrapped paragraph
    trouble = prose(rng, 700)  # one very long line
    path = tmp_path / "setup_notes.md"
    path.write_text(MARKDOWN.format(linux=linux, trouble=trouble), encoding="utf-8")
    return path


def test_headings_become_the_prefix_embedded_with_each_chunk(guide: Path, counter: WordPieceCounter) -> None:
    chunks = chunk_document(extract(guide), counter, MAX, OVERLAP, HARD)

    by_text = {needle: next(c for c in chunks if needle in c.text)
               for needle in ("Download the archive", "./install.sh", "setup.exe")}
    # File name, then the heading trail (the first heading is the title and is not repeated).
    assert by_text["Download the archive"].prefix == "setup notes > Install Guide"
    assert by_text["./install.sh"].prefix == "setup notes > Install Guide > Linux"
    assert by_text["setup.exe"].prefix == "setup notes > Install Guide > Windows"
    assert by_text["setup.exe"].heading == ("Install Guide", "Windows")
    trouble = [c for c in chunks if c.heading == ("Install Guide", "Linux", "Troubleshooting")]
    assert len(trouble) > 1
    assert all(c.embed_text.startswith("setup notes > Install Guide > Linux > Troubleshooting\n")
               for c in trouble)


def test_a_chunk_never_spans_two_sections(guide: Path, counter: WordPieceCounter) -> None:
    chunks = chunk_document(extract(guide), counter, MAX, OVERLAP, HARD)

    assert not [c for c in chunks if "./install.sh" in c.text and "setup.exe" in c.text]
    windows = next(c for c in chunks if "setup.exe" in c.text)
    assert windows.text == "## Windows\nDouble-click setup.exe and follow the wizard."


def assert_lines_are_true(path: Path, chunks: list[Chunk]) -> None:
    """Each chunk's line_start..line_end covers exactly the source lines its text came from."""
    source = path.read_text(encoding="utf-8").splitlines()
    for chunk in chunks:
        assert chunk.line_start is not None and chunk.line_end is not None
        assert 1 <= chunk.line_start <= chunk.line_end <= len(source)
        span = [ln.strip() for ln in source[chunk.line_start - 1:chunk.line_end]]
        text_lines = chunk.text.splitlines()
        where = f"chunk cited as lines {chunk.line_start}-{chunk.line_end}"
        assert squash(text_lines[0]) in squash(span[0]), where
        assert squash(text_lines[-1]) in squash(span[-1]), where
        for ln in text_lines:
            assert any(squash(ln) in squash(s) for s in span), f"{where} holds {ln[:50]!r} from elsewhere"


def test_chunk_line_numbers_point_at_the_markdown_source(guide: Path, counter: WordPieceCounter) -> None:
    chunks = chunk_document(extract(guide), counter, max_tokens=60, overlap_tokens=16, hard_limit=HARD)

    assert len(chunks) > 10
    assert_lines_are_true(guide, chunks)
    setup = next(c for c in chunks if "setup.exe" in c.text)
    assert (setup.line_start, setup.line_end) == (
        guide.read_text().splitlines().index("## Windows") + 1,
        guide.read_text().splitlines().index("Double-click setup.exe and follow the wizard.") + 1,
    )


def test_chunk_line_numbers_point_at_the_text_file_source(tmp_path: Path, counter: WordPieceCounter) -> None:
    rng = random.Random(6)
    lines: list[str] = []
    for _ in range(25):
        lines += [prose(rng, rng.randrange(3, 20)) for _ in range(rng.randrange(1, 8))]
        lines += [""] * rng.randrange(1, 3)
    path = tmp_path / "log.txt"
    path.write_text("\n".join(lines), encoding="utf-8")

    chunks = chunk_document(extract(path), counter, max_tokens=50, overlap_tokens=12, hard_limit=HARD)

    assert len(chunks) > 10
    assert_lines_are_true(path, chunks)


def test_chunk_line_numbers_point_at_the_code_source(tmp_path: Path, counter: WordPieceCounter) -> None:
    functions = []
    for i in range(8):
        body = "\n".join(f"    value_{j} = compute(value_{j - 1}, factor={i * j})" for j in range(1, 12))
        functions.append(f"def step_{i}(value_0):\n    \"\"\"Step {i}.\"\"\"\n{body}\n    return value_11\n")
    path = tmp_path / "pipeline.py"
    path.write_text("import math\n\n\n" + "\n\n".join(functions), encoding="utf-8")

    chunks = chunk_document(extract(path), counter, max_tokens=80, overlap_tokens=16, hard_limit=HARD)

    assert_lines_are_true(path, chunks)
    source = path.read_text().splitlines()
    first, after = source.index("def step_3(value_0):") + 1, source.index("def step_4(value_0):") + 1
    step3 = [c for c in chunks if c.heading == ("step_3",)]
    assert step3 and step3[0].text.startswith("def step_3(value_0):")
    assert all(first <= c.line_start and c.line_end < after for c in step3)  # type: ignore[operator]
    assert all(c.prefix.startswith("pipeline") and c.prefix.endswith(" > step_3") for c in step3)


def test_a_tables_passages_embed_its_title_and_store_its_columns(counter: WordPieceCounter) -> None:
    # Measured on FinanceBench dev: the columns in the embedded prefix cost recall@10 (.654 vs .679 without).
    heading = ("Consolidated Statements of Cash Flows (in millions) | FY2025 | FY2024",)
    rows = [f"Line item {i} {1000 + i:,} {900 + i:,}" for i in range(120)]

    chunks = chunk_document(doc_of(rows, heading=heading), counter, MAX, OVERLAP, HARD)

    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.heading == heading  # every passage keeps the columns for the figure reader
        assert chunk.prefix == "notes > Consolidated Statements of Cash Flows (in millions)"


# --------------------------------------------------------------------------------------------------------
# Sentence ends


def report_lines(n_sentences: int) -> list[str]:
    """A report's prose hard-wrapped at 60 characters, as a PDF page gives it: sentences start and end
    anywhere on a line. Each sentence names its own figure, so a cut one is easy to spot."""
    text = " ".join(f"Incident {i} lasted {i} hours and {i + 7} minutes in depot {i} after the pump failed."
                    for i in range(1, n_sentences + 1))
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > 60:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line]


def test_prose_chunks_end_where_a_sentence_ends_and_every_sentence_is_whole_in_one(
    counter: WordPieceCounter,
) -> None:
    lines = report_lines(60)

    chunks = chunk_document(doc_of(lines), counter, MAX, OVERLAP, HARD)

    assert len(chunks) > 3
    assert_fits(counter, chunks)
    assert all(c.text.endswith(".") for c in chunks), [c.text[-40:] for c in chunks if not c.text.endswith(".")]
    joined = [" ".join(c.text.split()) for c in chunks]
    for i in range(1, 61):
        sentence = f"Incident {i} lasted {i} hours and {i + 7} minutes in depot {i} after the pump failed."
        assert any(sentence in text for text in joined), f"sentence {i} is whole in no passage"
    for cur, nxt in pairwise(chunks):
        assert nxt.line_start is not None and cur.line_end is not None
        assert nxt.line_start <= cur.line_end + 1  # nothing skipped; a line cut at a sentence end is cited twice
        assert n_tokens(counter, cur.text) >= MAX // 2 - 10  # never shortened much below half the budget


def test_without_sentence_ends_a_chunk_stops_wherever_the_budget_runs_out(counter: WordPieceCounter) -> None:
    lines = report_lines(60)

    chunks = chunk_document(doc_of(lines), counter, MAX, OVERLAP, HARD, sentence_ends=False)

    assert not all(c.text.endswith(".") for c in chunks[:-1])  # the setting (and older indexes) cut mid-sentence
    assert [ln for c in chunks for ln in c.text.splitlines() if ln in lines]  # whole lines, as before


def test_a_paragraph_without_sentence_ends_is_still_cut_to_fit(counter: WordPieceCounter) -> None:
    lines = [f"row {i} of the shipping manifest lists pallet {i} and crate {i} for depot {i}" for i in range(200)]

    chunks = chunk_document(doc_of(lines), counter, MAX, OVERLAP, HARD)

    assert_fits(counter, chunks)
    assert {ln for c in chunks for ln in c.text.splitlines()} == set(lines)  # whole lines, each in some chunk
