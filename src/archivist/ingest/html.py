"""HTML: a real parser; scripts, styles and navigation dropped; headings kept as the trail."""

from __future__ import annotations

from pathlib import Path

from archivist.ingest.base import Block, Document
from archivist.ingest.text import read_text

_DROP = ("script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg",
         "iframe", "button", "select")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = ("p", "li", "pre", "blockquote", "td", "th", "dd", "dt", "figcaption", "caption", "address")


class HtmlExtractor:
    kind = "html"
    suffixes = (".html", ".htm", ".xhtml")
    version = "1"

    def extract(self, path: Path) -> Document:
        from bs4 import BeautifulSoup

        # html.parser records source line numbers (lxml's HTML builder does not), so citations get lines.
        soup = BeautifulSoup(read_text(path), "html.parser")
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        for tag in soup.find_all(_DROP):
            tag.decompose()
        for tag in soup.find_all(attrs={"role": ("navigation", "banner", "contentinfo")}):
            tag.decompose()
        body = soup.body or soup
        blocks: list[Block] = []
        trail: list[tuple[int, str]] = []
        for tag in body.find_all(list(_HEADINGS) + list(_BLOCKS) + ["tr", "div"]):
            name = tag.name
            if name == "div" and tag.find(list(_HEADINGS) + list(_BLOCKS) + ["div", "table"]):
                continue  # only leaf divs carry their own text
            if name in ("td", "th") and tag.find_parent("tr") is not None:
                continue  # rows are emitted whole
            if name in _BLOCKS and tag.find_parent(_BLOCKS) is not None:
                continue  # nested blocks are part of their parent's text
            if name == "tr":
                text = " | ".join(c.get_text(" ", strip=True) for c in tag.find_all(("td", "th")))
            else:
                text = tag.get_text(" ", strip=True) if name != "pre" else tag.get_text()
            if not text.strip():
                continue
            if name in _HEADINGS:
                level = _HEADINGS[name]
                trail = [(lvl, t) for lvl, t in trail if lvl < level] + [(level, text)]
                title = title or text
            # Blank lines are kept (the chunker skips them) so line_start + offset stays the source line.
            lines = tuple(text.splitlines()) or (text,)
            blocks.append(Block(lines, line_start=tag.sourceline, heading=tuple(t for _, t in trail)))
        return Document(path, self.kind, blocks, title=title or path.stem)
