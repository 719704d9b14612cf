"""The adapter picker: the registered adapters that fit the loaded model, and "none"."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from archivist.tui.screens.dialogs import DIALOG_CSS, Dialog

NONE = "none"


class AdapterScreen(Dialog[str | None]):
    """Dismisses with the chosen adapter's name (``none`` for the bare model), or None (Esc)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AdapterScreen") + """
    AdapterScreen OptionList { height: auto; max-height: 12; margin: 0 0 1 0; }
    """

    def __init__(self, adapters: Sequence[tuple[str, str]], current: str | None) -> None:
        """``adapters``: (name, description) of those that fit the model."""
        super().__init__()
        self.adapters = list(adapters)
        self.current = current or NONE

    def body(self) -> ComposeResult:
        yield Static(f"Answer style (now: {self.current})", classes="title")
        entries = [(NONE, "the bare model"), *self.adapters]
        options = [Option(f"{name}{'  (current)' if name == self.current else ''}  {about}", id=name)
                   for name, about in entries]
        yield OptionList(*options, id="adapters")
        yield Static("Adapters change how answers are written, never what the passages say · Enter switches "
                     "without reloading the model · Esc cancels", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)
