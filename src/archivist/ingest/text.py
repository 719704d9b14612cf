"""Plain text, Markdown, reStructuredText and source code, with line numbers and heading trails."""

from __future__ import annotations

import re
from pathlib import Path

from archivist.errors import SkipFile
from archivist.ingest.base import Block, Document, read_bytes


def decode(data: bytes, name: str) -> str:
    """Decode file bytes: UTF-8 first, then charset detection; binary content raises SkipFile."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # The whole file counts, not its first block: text followed by binary would otherwise be stored as text
    # (NUL is valid UTF-8). ``in`` scans bytes at memory speed (under 1 ms for 20 MB).
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SkipFile(f"{name}: binary content (NUL bytes) in a text file.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = best_match(data)
    if best is None:
        raise SkipFile(f"{name}: binary content (no text encoding fits).")
    text = str(best)
    if _binary_window(text):
        raise SkipFile(f"{name}: binary content in a text file.")
    return text


def best_match(data: bytes):  # noqa: ANN201 - a charset_normalizer.CharsetMatch, or None
    """The likeliest legacy encoding of ``data`` (not UTF-8), as charset-normalizer's match, or None."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    # Short Western text fits several legacy code pages equally well, and charset-normalizer's own
    # pick among them is arbitrary: latin-1 "Café crème brûlée" came back as cp1250 "Café crčme
    # brűlée", and cp1252 curly quotes as cp775 "ōfinalö" (chaos 0.0 vs 0.037). So among candidates
    # within 0.05 chaos of the cleanest, take the most coherent, and on a tie the commonest legacy
    # encoding, cp1252. Cyrillic, Greek, Polish, Czech, Arabic and Shift-JIS samples still come out
    # in their own encodings.
    cleanest = min(m.chaos for m in matches)
    near = [m for m in matches if m.chaos <= cleanest + 0.05]
    return max(near, key=lambda m: (round(m.coherence, 2), "cp1252" in m.could_be_from_charset))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
"""Control characters other than whitespace (tab, newline, carriage return, form feed)."""
CONTROL_WINDOW = 2048
"""Characters judged together: small enough that a few hundred binary bytes after clean text stand out (500
random bytes hold ~55 control characters), large enough that one stray character (a DOS end-of-file ^Z) does
not; every window of a 20 MB text is checked in about 60 ms."""


def _binary_window(text: str) -> bool:
    """Whether any stretch of ``CONTROL_WINDOW`` characters is over 1% control characters (the "text" is
    really binary there). Every stretch is looked at, the last one aligned to the end of the text, so binary
    after clean text is caught however far in it starts, and a short last stretch is never judged alone."""
    width = min(len(text), CONTROL_WINDOW)
    starts = [*range(0, len(text) - width, CONTROL_WINDOW), len(text) - width]
    return any(len(_CONTROL.findall(text, start, start + width)) > 0.01 * width for start in starts)


def read_text(path: Path) -> str:
    return decode(read_bytes(path), path.name)


def _paragraph_blocks(lines: list[str], first_line: int, heading: tuple[str, ...]) -> list[Block]:
    """Split lines into blocks at blank lines; line numbers are 1-based file positions."""
    blocks: list[Block] = []
    current: list[str] = []
    start = first_line
    for offset, line in enumerate(lines):
        if line.strip():
            if not current:
                start = first_line + offset
            current.append(line.rstrip())
        elif current:
            blocks.append(Block(tuple(current), line_start=start, heading=heading))
            current = []
    if current:
        blocks.append(Block(tuple(current), line_start=start, heading=heading))
    return blocks


class PlainTextExtractor:
    kind = "text"
    suffixes = (".txt", ".text", ".log")
    version = "1"
    """CSV and TSV files are tables: ``ingest.spreadsheet`` reads them."""

    def extract(self, path: Path) -> Document:
        lines = read_text(path).splitlines()
        return Document(path, self.kind, _paragraph_blocks(lines, 1, ()), title=path.stem)


class CodeExtractor:
    """Source code: paragraphs at blank lines, with the enclosing top-level def/class as heading."""

    kind = "code"
    suffixes = (".py", ".js", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".c", ".h", ".cpp", ".hpp",
                ".cs", ".rb", ".php", ".sh", ".bash", ".sql", ".r", ".scala", ".kt", ".swift", ".lua",
                ".toml", ".yaml", ".yml", ".ini", ".cfg", ".json")
    version = "1"
    _definition = re.compile(r"^(?:async\s+def|def|class|func|fn|function|pub\s+fn|public\s+\w+|interface)\s+(\w+)")

    def extract(self, path: Path) -> Document:
        lines = read_text(path).splitlines()
        blocks: list[Block] = []
        heading: tuple[str, ...] = ()
        seg_start = 0
        for i, line in enumerate(lines + [""]):
            m = self._definition.match(line) if i < len(lines) else None
            if m or i == len(lines):
                blocks += _paragraph_blocks(lines[seg_start:i], seg_start + 1, heading)
                seg_start = i
                if m:
                    heading = (m.group(1),)
        return Document(path, self.kind, blocks, title=path.name)


class MarkdownExtractor:
    kind = "markdown"
    suffixes = (".md", ".markdown", ".mdx")
    version = "1"
    _atx = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")

    def extract(self, path: Path) -> Document:
        lines = read_text(path).splitlines()
        blocks: list[Block] = []
        trail: list[tuple[int, str]] = []
        seg_start, in_fence = 0, False
        title = ""

        def flush(end: int) -> None:
            blocks.extend(_paragraph_blocks(lines[seg_start:end], seg_start + 1, tuple(t for _, t in trail)))

        for i, line in enumerate(lines):
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
                continue
            m = None if in_fence else self._atx.match(line)
            if m:
                flush(i)
                level, text = len(m.group(1)), m.group(2)
                trail = [(lvl, t) for lvl, t in trail if lvl < level] + [(level, text)]
                title = title or text
                seg_start = i  # the heading line itself starts the next block (it is searchable text)
        flush(len(lines))
        return Document(path, self.kind, blocks, title=title or path.stem)


class RstExtractor:
    kind = "rst"
    suffixes = (".rst",)
    version = "1"
    _underline = re.compile(r"^([=\-~^\"'`#*+<>:._])\1{2,}\s*$")

    def extract(self, path: Path) -> Document:
        lines = read_text(path).splitlines()
        blocks: list[Block] = []
        levels: list[str] = []  # underline characters in order of first appearance = heading levels
        trail: list[tuple[int, str]] = []
        seg_start = 0
        title = ""
        for i in range(1, len(lines)):
            m = self._underline.match(lines[i])
            title_line = lines[i - 1].strip()
            underlined = m and len(lines[i].strip()) >= len(title_line)
            if underlined and title_line and not self._underline.match(lines[i - 1]):
                blocks.extend(_paragraph_blocks(lines[seg_start:i - 1], seg_start + 1, tuple(t for _, t in trail)))
                char = m.group(1)
                if char not in levels:
                    levels.append(char)
                level = levels.index(char)
                trail = [(lvl, t) for lvl, t in trail if lvl < level] + [(level, title_line)]
                title = title or title_line
                seg_start = i - 1
        blocks.extend(_paragraph_blocks(lines[seg_start:], seg_start + 1, tuple(t for _, t in trail)))
        # Blank the underline rows (kept as empty lines so line numbers stay true).
        cleaned = [Block(tuple("" if self._underline.match(ln) else ln for ln in b.lines), b.page,
                         b.line_start, b.heading) for b in blocks]
        return Document(path, self.kind, cleaned, title=title or path.stem)
