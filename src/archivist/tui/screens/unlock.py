"""The unlock screen: asks for the index passphrase when none is in the environment.

It only collects the passphrase (twice for a new index) and dismisses with it; the app opens the index and
comes back here with the error when the passphrase is wrong. The passphrase is never stored.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static


class UnlockScreen(Screen[str]):
    """Dismisses with the typed passphrase (non-empty; confirmed when ``creating``)."""

    DEFAULT_CSS = """
    UnlockScreen { align: center middle; }
    UnlockScreen #unlock-box { width: 64; max-width: 100%; height: auto; border: round $primary; padding: 1 2; }
    UnlockScreen #unlock-title { text-style: bold; margin: 0 0 1 0; }
    UnlockScreen Input { margin: 0 0 1 0; }
    UnlockScreen #unlock-error { color: $error; text-style: bold; height: auto; }
    UnlockScreen #unlock-hint { color: $text-muted; }
    """

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", id="quit")]

    def __init__(self, *, creating: bool = False, error: str = "") -> None:
        super().__init__()
        self.creating = creating
        self.error = error

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="unlock-box"):
            if self.creating:
                yield Static("Create the encrypted index", id="unlock-title")
                yield Static("Choose a passphrase. It is never stored and cannot be recovered: without it the "
                             "index cannot be read.")
            else:
                yield Static("Unlock the encrypted index", id="unlock-title")
                yield Static("Type the index passphrase.")
            yield Input(password=True, placeholder="Passphrase", id="passphrase")
            if self.creating:
                yield Input(password=True, placeholder="Repeat the passphrase", id="confirm")
            yield Static(self.error, id="unlock-error", markup=False)
            yield Static("Enter unlocks · ctrl+q quits · set ARCHIVIST_PASSPHRASE to skip this screen",
                         id="unlock-hint")

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def _fail(self, message: str) -> None:
        self.query_one("#unlock-error", Static).update(message)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = self.query_one("#passphrase", Input).value
        if not value:
            self._fail("The passphrase cannot be empty.")
            return
        if self.creating:
            confirm = self.query_one("#confirm", Input)
            if event.input.id == "passphrase":
                confirm.focus()
                return
            if confirm.value != value:
                self._fail("The two passphrases differ; type them again.")
                confirm.value = ""
                self.query_one("#passphrase", Input).value = ""
                self.query_one("#passphrase", Input).focus()
                return
        self.dismiss(value)
