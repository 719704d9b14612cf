"""The one-line status bar: model, adapter, profile, encryption, answer mode, watcher."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

MODES = {"answer": "answer", "extractive": "extractive (no model)", "search": "search only"}


class StatusBar(Static):
    """Shows what answers come from; every part is words, so it reads the same with NO_COLOR. Wraps to a
    second line on narrow terminals (80 columns) rather than hiding a part."""

    DEFAULT_CSS = """
    StatusBar { height: auto; max-height: 2; background: $panel; color: $text; padding: 0 1; }
    """

    model: reactive[str] = reactive("loading…", layout=True)
    adapter: reactive[str] = reactive("none", layout=True)
    """The active team adapter (``none``: the bare model); set once the model has loaded, and on a swap."""
    profile: reactive[str] = reactive("default", layout=True)
    """The profile the session runs under (it reads only that profile's folders); switched from the palette."""
    encryption: reactive[str] = reactive("locked", layout=True)
    mode: reactive[str] = reactive("answer", layout=True)
    watch: reactive[str] = reactive("off", layout=True)

    def render(self) -> Text:
        text = Text()
        parts = [("model", self.model.removesuffix(".gguf")), ("adapter", self.adapter), ("profile", self.profile),
                 ("", self.encryption), ("mode", MODES.get(self.mode, self.mode)), ("watch", self.watch)]
        for i, (name, value) in enumerate(parts):
            if i:
                text.append(" │ ", style="dim")
            if name:
                text.append(f"{name}:\u00a0", style="dim")
            text.append(value.replace(" ", "\u00a0"), style="bold")  # wrap between parts, never inside one
        return text
