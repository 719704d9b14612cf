"""HTML: one streaming pass; scripts, styles and navigation dropped; headings kept as the trail.

The reader is the standard library's event parser, not a tree: every start tag, end tag and run of text is
handled once, so the time is linear in the file. The previous tree walk asked each ``div`` whether it held a
block (``tag.find``) and each block whether it sat inside another (``find_parent``): 100,000 nested divs (a
1.1 MB file) had not finished after 500 s and held up the rest of the folder; here they take well under a
second.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from archivist.ingest.base import Block, Document
from archivist.ingest.rows import TABLE_MARK, parse_row
from archivist.ingest.text import read_text

_DROP = frozenset(("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg",
                   "iframe", "button", "select", "head"))
_DROP_ROLES = frozenset(("navigation", "banner", "contentinfo"))
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = frozenset(("p", "li", "pre", "blockquote", "td", "th", "dd", "dt", "figcaption", "caption", "address"))
_CELLS = frozenset(("td", "th"))
# Tags that end the text run before them: a new unit starts after them (a ``div`` with text and a ``p``
# inside gives two units, the text before the ``p`` included).
_BREAKS = frozenset(("div", "section", "article", "main", "table", "thead", "tbody", "tfoot", "tr", "ul", "ol",
                     "dl", "body", "html", "hr", "figure", "details", "summary", "center", "fieldset",
                     "hgroup", "menu", "dialog")) | frozenset(_HEADINGS) | _BLOCKS
_VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr", "keygen"))
# A start tag of these closes an open element of the same name first (HTML's implied end tags).
_SELF_CLOSING_SIBLINGS = frozenset(("p", "li", "tr", "td", "th", "dd", "dt", "option"))
_SCOPES = {"li": frozenset(("ul", "ol", "menu")), "tr": frozenset(("table",)), "td": frozenset(("tr", "table")),
           "th": frozenset(("tr", "table")), "dd": frozenset(("dl",)), "dt": frozenset(("dl",)),
           "option": frozenset(("select", "datalist"))}


@dataclass
class _Table:
    """An open ``<table>``: rows read so far and, once its first row named them, its columns heading."""

    rows: int = 0
    heading: str = ""


@dataclass
class _Unit:
    """The text of one block being read: where it began and its pieces (cells, for a table row)."""

    kind: str  # "text", "heading", "pre" or "row"
    level: int = 0
    line: int | None = None
    pieces: list[str] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self.first_heading = ""
        self._trail: list[tuple[int, str]] = []
        self._stack: list[str] = []
        self._open: Counter[str] = Counter()
        self._dropping = 0  # how many open elements are being dropped (their text is not content)
        self._drop_marks: list[int] = []  # stack depths at which a dropped element opened
        self._in_title = False
        self._title_parts: list[str] = []
        self._unit: _Unit | None = None
        self._unit_depth = 0  # stack depth of the element that owns the unit (a heading, block or row)
        self._tables: list[_Table] = []  # the tables open around the current element, innermost last

    # -- the stack ------------------------------------------------------------------------------------------

    def _push(self, tag: str) -> None:
        self._stack.append(tag)
        self._open[tag] += 1

    def _pop_to(self, tag: str) -> None:
        """Close every element down to and including the innermost open ``tag``."""
        while self._stack:
            top = self._stack.pop()
            self._open[top] -= 1
            self._closed(top, len(self._stack))
            if top == tag:
                return

    def _closed(self, tag: str, depth: int) -> None:
        if tag == "table" and self._tables:
            self._tables.pop()
        if self._drop_marks and self._drop_marks[-1] == depth:
            self._drop_marks.pop()
            self._dropping -= 1
            return
        unit = self._unit
        if unit is None:
            return
        if self._unit_depth < 0:  # a loose run of text ends at any block boundary
            if tag in _BREAKS:
                self._flush()
        elif depth == self._unit_depth:
            self._flush()

    def _implied_end(self, tag: str) -> None:
        """Close an open ``tag`` that a new ``tag`` ends (``<li>a<li>b``, ``<p>a<p>b``, ``<td>a<td>b``), looking
        down the stack only as far as the element that scopes it (a nested list keeps its parent item open)."""
        if not self._open[tag]:
            return
        scope = _SCOPES.get(tag, _BREAKS)
        for i in range(len(self._stack) - 1, -1, -1):
            name = self._stack[i]
            if name == tag:
                self._pop_to(tag)
                return
            if name in scope:
                return

    # -- events ---------------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self.title:
            self._in_title = True
        if tag in _VOID:
            return
        if tag in _SELF_CLOSING_SIBLINGS:
            self._implied_end(tag)
        if tag in _BREAKS and tag != "p" and self._stack and self._stack[-1] == "p":
            self._pop_to("p")  # a block start ends an open paragraph
        self._push(tag)
        depth = len(self._stack) - 1
        if tag == "table":
            self._tables.append(_Table())
        if tag in _DROP or dict(attrs).get("role") in _DROP_ROLES:
            self._dropping += 1
            self._drop_marks.append(depth)
            return
        if self._dropping:
            return
        unit = self._unit
        if unit is not None and self._unit_depth >= 0:
            if unit.kind == "row" and tag in _CELLS:
                unit.cells.append([])
            return  # nested blocks are part of their parent's text
        if tag in _HEADINGS or tag in _BLOCKS or tag == "tr":
            if unit is not None:
                self._flush()
            kind = "heading" if tag in _HEADINGS else "pre" if tag == "pre" else "row" if tag == "tr" else "text"
            self._unit = _Unit(kind, level=_HEADINGS.get(tag, 0))
            self._unit_depth = depth
        elif tag in _BREAKS and unit is not None:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)
        else:  # <div/> in HTML is an open tag; treat it as an empty element
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            self.title = self.title or " ".join("".join(self._title_parts).split())
        if self._open[tag]:
            self._pop_to(tag)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)
            return
        if self._dropping or not data:
            return
        unit = self._unit
        if unit is None:
            if not data.strip():
                return
            unit = self._unit = _Unit("text")
            self._unit_depth = -1  # a loose run of text: ended by the next block boundary
        if unit.line is None and (unit.kind == "pre" or data.strip()):
            line, _ = self.getpos()
            lead = data if unit.kind == "pre" else data[:len(data) - len(data.lstrip())]
            unit.line = line + lead.count("\n") if unit.kind != "pre" else line
        if unit.kind == "row":
            if not unit.cells:
                unit.cells.append([])
            unit.cells[-1].append(data)
        else:
            unit.pieces.append(data)

    def close(self) -> None:
        super().close()
        while self._stack:
            self._pop_to(self._stack[-1])
        if self._unit is not None:
            self._flush()

    # -- blocks ---------------------------------------------------------------------------------------------

    def _flush(self) -> None:
        unit, self._unit = self._unit, None
        if unit is None:
            return
        if unit.kind == "pre":
            text = "".join(unit.pieces)
        elif unit.kind == "row":
            text = " | ".join(_words(c) for c in unit.cells if _words(c))
        else:
            text = _words(unit.pieces, keep_lines=True)
        if not text.strip():
            return
        if unit.kind == "heading":
            one_line = " ".join(text.split())
            self._trail = [(lvl, t) for lvl, t in self._trail if lvl < unit.level] + [(unit.level, one_line)]
            self.first_heading = self.first_heading or one_line
        heading = tuple(t for _, t in self._trail)
        if unit.kind == "row" and self._tables:
            table = self._tables[-1]
            cells = [_words(c) for c in unit.cells]
            if table.rows == 0 and len(cells) >= 2 and parse_row(text) is None:
                # A first row of names over figures: the table's columns, in the heading of every row after it.
                table.heading = TABLE_MARK.join([heading[-1] if heading else "Table", *cells[1:]])
            table.rows += 1
            if table.heading and table.rows > 1:
                heading = (*heading, table.heading)
        # Blank lines are kept (the chunker skips them) so line_start + offset stays the source line.
        lines = tuple(text.splitlines()) or (text,)
        self.blocks.append(Block(lines, line_start=unit.line, heading=heading))


def _words(pieces: list[str], keep_lines: bool = False) -> str:
    """Text pieces joined by one space, each stripped (line breaks inside a piece stay when ``keep_lines``,
    so a wrapped paragraph's second line keeps its own source line number)."""
    parts = [p.strip() for p in pieces if p.strip()]
    if not keep_lines:
        parts = [" ".join(p.split()) for p in parts]
    return " ".join(parts)


class HtmlExtractor:
    kind = "html"
    suffixes = (".html", ".htm", ".xhtml")
    version = "3"
    """2: a linear streaming reader (the tree walk was quadratic in nesting depth); a table's first row of
    names heads its other rows (``ingest.tables``). 3: a column of a span shorter than a year is that span's,
    not the fiscal year's (``ingest.facts.column_period``)."""

    def extract(self, path: Path) -> Document:
        reader = _Reader()
        reader.feed(read_text(path))
        reader.close()
        return Document(path, self.kind, reader.blocks, title=reader.title or reader.first_heading or path.stem)
