"""Small modal dialogs: add a folder, rate an answer, browse the session's questions, show an error.

Each only collects input and dismisses with it; the main screen does the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from archivist.answer.service import Answer
from archivist.errors import ArchivistError

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; max-width: 100%; height: auto; max-height: 100%; border: round $primary;
    padding: 1 2; background: $surface; }}
{name} .title {{ text-style: bold; margin: 0 0 1 0; }}
{name} .hint {{ color: $text-muted; }}
{name} Input {{ margin: 0 0 1 0; }}
{name} Horizontal {{ height: auto; }}
{name} Button {{ margin: 0 1 0 0; }}
"""

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A small modal: a frame (the ``Vertical`` that ``DIALOG_CSS`` styles) around what ``body`` yields; it
    dismisses with what it collected, or with None when Esc cancels it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield from self.body()

    def body(self) -> ComposeResult:
        """The dialog's title, its fields and its hint line."""
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


class AddFolderScreen(Dialog[str | None]):
    """Dismisses with the typed folder path, or None (Esc)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AddFolderScreen")

    def body(self) -> ComposeResult:
        yield Static("Add a folder to the index", classes="title")
        yield Input(placeholder="~/reports", id="folder")
        yield Static("Enter adds it and indexes it · Esc cancels", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())


class ProfileScreen(Dialog[str | None]):
    """Dismisses with the chosen (or typed) profile name, or None (Esc)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ProfileScreen") + """
    ProfileScreen OptionList { height: auto; max-height: 12; margin: 0 0 1 0; }
    """

    def __init__(self, profiles: Sequence[str], current: str) -> None:
        super().__init__()
        self.profiles = list(profiles)
        self.current = current

    def body(self) -> ComposeResult:
        yield Static(f"Switch profile (now: {self.current})", classes="title")
        options = [Option(f"{p}{'  (current)' if p == self.current else ''}", id=p) for p in self.profiles]
        yield OptionList(*options, id="profiles")
        yield Input(placeholder="or type a profile name", id="profile")
        yield Static("A profile reads only its own folders · Enter switches · Esc cancels", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.dismiss(event.value.strip())


class FeedbackScreen(Dialog[tuple[str, str | None] | None]):
    """Dismisses with ``(rating, correction)`` (rating ``good`` or ``bad``), or None (Esc)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="FeedbackScreen")

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer

    def body(self) -> ComposeResult:
        yield Static("Was this answer right?", classes="title")
        yield Static(f"› {self.answer.question}", markup=False)
        yield Static(self.answer.answer[:300], classes="hint", markup=False)
        yield Input(placeholder="Correction (optional): what should it have said?", id="correction")
        with Horizontal():
            yield Button("Good", id="good", variant="success")
            yield Button("Bad", id="bad", variant="error")
            yield Button("Cancel", id="cancel")
        yield Static("Stored in the encrypted index, for training your team's adapter.", classes="hint")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in ("good", "bad"):
            correction = self.query_one("#correction", Input).value.strip() or None
            self.dismiss((event.button.id, correction))
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#bad", Button).focus()  # a correction usually means the answer was wrong


class HistoryScreen(Dialog[int | None]):
    """The questions of this session; dismisses with the chosen one's index, or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="HistoryScreen") + """
    HistoryScreen OptionList { height: auto; max-height: 20; }
    """

    def __init__(self, entries: Sequence[tuple[str, Answer | None]]) -> None:
        super().__init__()
        self.entries = list(entries)

    def body(self) -> ComposeResult:
        yield Static("Questions asked in this session", classes="title")
        options = []
        for i, (question, answer) in enumerate(self.entries):
            kind = "search" if answer is None else answer.mode
            options.append(Option(f"{i + 1}. {question}  ({kind})", id=str(i)))
        yield OptionList(*options) if options else Static("Nothing asked yet.")
        yield Static("Enter shows the answer and its passages · Esc closes", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))


class ErrorScreen(Dialog[None]):
    """An ``ArchivistError`` that stops the UI: its title, message and what to do next."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ErrorScreen") + """
    ErrorScreen > Vertical { border: heavy $error; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, error: ArchivistError) -> None:
        super().__init__()
        self.error = error

    def body(self) -> ComposeResult:
        yield Static(self.error.title, classes="title", markup=False)
        yield Static(self.error.message, markup=False)
        if self.error.hint:
            yield Static(self.error.hint, classes="hint", markup=False)
        yield Button("Close", id="close", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
