"""The passages pane: the numbered passages of the answer shown, each selectable to open the viewer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from archivist.answer.service import Answer, Citation
from archivist.tui.render import citation_label


class CitationsPane(OptionList):
    """Numbered passages: path, page, lines, score and whether answer sentences rest on them."""

    DEFAULT_CSS = """
    CitationsPane { height: 1fr; border: none; padding: 0; }
    """

    class Open(Message):
        """The user chose passage ``index`` (0-based) of the list."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.citations: list[Citation] = []
        self.answer: Answer | None = None
        self.question = ""
        self._folders: list[Path] = []

    def on_mount(self) -> None:
        self.show([], None, "", [])

    def show(self, citations: Sequence[Citation], answer: Answer | None, question: str,
             folders: Sequence[Path]) -> None:
        """List ``citations`` (of ``answer``, or search results when ``answer`` is None)."""
        self.citations = list(citations)
        self.answer = answer
        self.question = question
        self.clear_options()
        if not self.citations:
            self.add_option(Option("No passages yet: ask a question.", disabled=True))
            return
        self._folders = list(folders)
        self._label()
        self.highlighted = 0

    def _label(self) -> None:
        width = max(self.size.width - 4, 20)  # the focus border and the scrollbar take up to 3 columns
        self.clear_options()
        self.add_options([Option(citation_label(c, self.answer, self._folders, width), id=str(i))
                          for i, c in enumerate(self.citations)])

    def on_resize(self) -> None:
        if self.citations:
            highlighted = self.highlighted
            self._label()
            self.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Open(int(event.option.id)))
