"""Text the terminal UI shows or copies, built from core results. Plain Python and Rich: no Textual here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text

from archivist.answer.grounding import render, strip_markers
from archivist.answer.service import Answer, Citation
from archivist.answer.spans import supporting_spans
from archivist.terminal import safe_line

HIGHLIGHT = "bold reverse"
"""Style of a supporting span: reverse video stays visible with NO_COLOR and on monochrome terminals."""


def where(page: int | None, line_start: int | None, line_end: int | None) -> str:
    """``page 3, lines 12-20`` (empty when the passage has neither)."""
    parts = []
    if page is not None:
        parts.append(f"page {page}")
    if line_start is not None:
        parts.append(f"lines {line_start}-{line_end}" if line_end not in (None, line_start) else f"line {line_start}")
    return ", ".join(parts)


def display_path(path: str | Path, folders: Sequence[Path]) -> str:
    """``folder-name/relative/path`` for a file under an added folder (short, and the same on every machine);
    the full path otherwise. Control characters and newlines in it are shown escaped (``archivist.terminal``)."""
    p = Path(path)
    best = max((f for f in folders if f in p.parents), key=lambda f: len(f.parts), default=None)
    return safe_line(str(p.relative_to(best.parent)) if best is not None else str(p))


def citing_sentences(answer: Answer | None, n: int) -> list[str]:
    """The answer sentences that rest on citation ``n``."""
    if answer is None or answer.abstained:
        return []
    return [s.text for s in answer.sentences if s.supported and s.passage == n]


def answer_markdown(answer: Answer) -> str:
    """The checked answer as Markdown: supported sentences end with a bold ``[n]``, unsupported ones are
    marked in words (not only by colour)."""
    if answer.abstained:
        return f"**{answer.answer}**"
    return render(answer.sentences, supported="{body} **[{n}]**{end}",
                  unsupported="{body}{end} *(unsupported)*") or answer.answer


def answer_plain_text(answer: Answer) -> str:
    """The answer with its citations (full paths) as plain text, for the clipboard."""
    lines = [f"Q: {answer.question}", f"A: {answer.answer}"]
    if answer.note:
        lines.append(f"({answer.note})")
    if answer.citations:
        lines += ["", "Closest passages:" if answer.abstained else "Sources:"]
        for c in answer.citations:
            loc = where(c.page, c.line_start, c.line_end)
            lines.append(f"[{c.n}] {c.path}" + (f", {loc}" if loc else ""))
            text = " ".join(c.text.split())
            lines.append("    " + text[:300] + ("…" if len(text) > 300 else ""))
    return "\n".join(lines)


def shorten(path: str, width: int) -> str:
    """``path`` in at most ``width`` characters, keeping its end (the file name matters most)."""
    if len(path) <= width:
        return path
    return "…" + path[len(path) - max(width - 1, 1):]


def citation_label(c: Citation, answer: Answer | None, folders: Sequence[Path], width: int = 80) -> Text:
    """Three short lines for the passages list: number and file (shortened from the left to fit ``width``);
    page, lines and score; whether answer sentences rest on it (in words, not only colour)."""
    rests = len(citing_sentences(answer, c.n))
    text = Text(no_wrap=True, overflow="ellipsis")
    number = f"[{c.n}] "
    text.append(number, style="bold")
    text.append(shorten(display_path(c.path, folders), width - len(number)))
    loc = where(c.page, c.line_start, c.line_end).replace("page ", "p.").replace("lines ", "l.").replace("line ", "l.")
    text.append(f"\n    {loc + ' · ' if loc else ''}score {c.score:.2f}\n    ", style="dim")
    if rests:
        text.append(f"✓ supports {rests} sentence{'s' if rests > 1 else ''}", style="bold green")
    else:
        text.append("not cited by the answer", style="dim")
    return text


def highlighted_passage(c: Citation, answer: Answer | None, question: str) -> tuple[Text, int]:
    """The passage with its supporting span(s) highlighted, and how many spans there are.

    The claims are the answer sentences resting on the passage; for a passage nothing rests on (abstained,
    search-only, not cited) the question's words are highlighted instead.
    """
    claims = citing_sentences(answer, c.n) or [question]
    text = Text(c.text)
    spans = supporting_spans(c.text, [strip_markers(x)[0] for x in claims])
    for start, end in spans:
        text.stylize(HIGHLIGHT, start, end)
    return text, len(spans)


def local_time(utc_iso: str | None) -> str:
    """``2026-05-01T10:22:03Z`` -> local ``2026-05-01 12:22`` (``never`` for None)."""
    if not utc_iso:
        return "never"
    when = dt.datetime.strptime(utc_iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def index_summary(outcome) -> str:  # noqa: ANN001 - app.indexing.IndexOutcome
    """One line saying what a re-index did, and the next generation when one was built."""
    report, missing = outcome.report, outcome.missing
    summary = (f"Indexed: {report.added} added, {report.updated} updated, {report.removed} removed, "
               f"{report.unchanged} unchanged, {len(report.problems)} not indexed.")
    if missing:
        summary += f" {len(missing)} folder(s) missing (index kept)."
    if outcome.built is not None:  # the settings changed: the next generation was built too
        built = outcome.built.generation
        summary += (f" Generation {built.id} is {built.status}"
                    + (f": `archivist index promote {built.id}` switches." if built.status == "ready" else "."))
    return summary
