"""A Rich console that never writes a control character it did not make itself (see :mod:`archivist.terminal`).

Kept apart from :mod:`archivist.cli.console` so that commands printing with ``click`` alone do not load Rich
(about 60 ms); build one with :func:`archivist.cli.console.console`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from archivist.terminal import is_safe, safe_line, safe_text


def field(value: object) -> str:
    """A name, path, reason or title from a file or document, ready to sit inside a line of Rich markup: one
    line (control characters and newlines shown escaped), its markup escaped."""
    return escape(safe_line(str(value)))


def prose(text: str) -> str:
    """Document or answer text shown as a block in Rich markup: control characters shown escaped, newlines
    kept, markup escaped."""
    return escape(safe_text(text))


class SafeConsole(Console):
    """A Rich console whose every string passes :func:`~archivist.terminal.safe_text` (newlines kept)."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Sanitise a string before Rich parses its markup, so the shown escapes are measured and wrapped
        like any other text. Our own markup holds no control characters, so nothing of ours changes."""
        return super().render_str(safe_text(text), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        """The backstop: a segment of text with a control character in it (text that reached Rich as a
        ``Text``, not a string: a progress-bar column, a live status line) is shown escaped. Rich's own
        control segments (the cursor moves of a live display) carry ``segment.control`` and pass untouched."""
        for segment in super().render(renderable, options):
            if segment.control is None and not is_safe(segment.text):
                yield Segment(safe_text(segment.text), segment.style)
            else:
                yield segment
