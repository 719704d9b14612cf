"""The question box, with the session's earlier questions on up/down."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class QuestionInput(Input):
    """An ``Input`` that remembers submitted questions: up goes back, down comes forward to the draft."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous question", show=False),
        Binding("down", "history(1)", "Next question", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(placeholder="Ask a question about your documents (Enter)", **kwargs)  # type: ignore[arg-type]
        self.history: list[str] = []
        self._position = 0
        self._draft = ""

    def remember(self, question: str) -> None:
        """Add a submitted question (a repeat of the last one is not added twice) and reset browsing."""
        if question and (not self.history or self.history[-1] != question):
            self.history.append(question)
        self._position = len(self.history)
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._position == len(self.history):
            self._draft = self.value
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else self._draft
        self.cursor_position = len(self.value)
