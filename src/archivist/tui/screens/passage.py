"""The passage viewer: one passage with its supporting span highlighted, and a key to open the file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from archivist.answer.service import Answer, Citation
from archivist.tui.keys import bind
from archivist.tui.render import citing_sentences, display_path, highlighted_passage, where


class PassageScreen(ModalScreen[None]):
    """Shows ``citations[index]``; n/p move through the list, e opens the file (posts ``OpenSource``)."""

    DEFAULT_CSS = """
    PassageScreen { align: center middle; }
    PassageScreen #viewer { width: 96%; height: 92%; border: round $primary; padding: 0 1; background: $surface; }
    PassageScreen #viewer-title { text-style: bold; }
    PassageScreen #viewer-meta { color: $text-muted; margin: 0 0 1 0; }
    PassageScreen #viewer-scroll { height: 1fr; }
    """

    BINDINGS = [
        bind("open_source", "open_source", "Open file"),
        bind("next_passage", "move(1)", "Next"),
        bind("previous_passage", "move(-1)", "Previous"),
        Binding("escape,q", "close", "Close"),
    ]

    class OpenSource(Message):
        """Open ``citation``'s file in the editor or pager (handled by the app)."""

        def __init__(self, citation: Citation) -> None:
            super().__init__()
            self.citation = citation

    def __init__(self, citations: Sequence[Citation], index: int, answer: Answer | None, question: str,
                 folders: Sequence[Path]) -> None:
        super().__init__()
        self.citations = list(citations)
        self.index = index
        self.answer = answer
        self.question = question
        self.folders = list(folders)

    @property
    def citation(self) -> Citation:
        return self.citations[self.index]

    def compose(self) -> ComposeResult:
        with Vertical(id="viewer"):
            yield Static(id="viewer-title", markup=False)
            yield Static(id="viewer-meta", markup=False)
            with VerticalScroll(id="viewer-scroll"):
                yield Static(id="viewer-text")
            yield Footer()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        c = self.citation
        loc = where(c.page, c.line_start, c.line_end)
        self.query_one("#viewer-title", Static).update(
            f"[{c.n}] {display_path(c.path, self.folders)}" + (f" — {loc}" if loc else ""))
        rests = citing_sentences(self.answer, c.n)
        text, spans = highlighted_passage(c, self.answer, self.question)
        meta = f"Passage {self.index + 1} of {len(self.citations)} · score {c.score:.2f}"
        if rests:
            meta += f" · {len(rests)} answer sentence{'s rest' if len(rests) > 1 else ' rests'} on it (support " \
                    f"{c.support:.2f}); highlighted: the supporting text"
        elif spans:
            meta += " · no answer sentence rests on it; highlighted: the question's words"
        if c.heading:
            meta += f" · under “{c.heading}”"
        self.query_one("#viewer-meta", Static).update(meta)
        self.query_one("#viewer-text", Static).update(text)
        self.query_one("#viewer-scroll", VerticalScroll).scroll_home(animate=False)

    @property
    def highlighted_text(self) -> list[str]:
        """The highlighted spans' text (what the viewer shows as the support)."""
        text, _ = highlighted_passage(self.citation, self.answer, self.question)
        return [text.plain[s.start:s.end] for s in text.spans]

    def action_move(self, step: int) -> None:
        self.index = (self.index + step) % len(self.citations)
        self._show()

    def action_open_source(self) -> None:
        self.post_message(self.OpenSource(self.citation))

    def action_close(self) -> None:
        self.dismiss(None)
