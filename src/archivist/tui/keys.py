"""Key bindings with ids: the default keys live in one place, ``archivist.settings.TuiKeys``.

Users remap them in ``config.toml`` (``[tui.keys]`` then ``search_only = "f9"``) or with
``ARCHIVIST_TUI__KEYS__SEARCH_ONLY=f9``; the app hands the differences to Textual's keymap.
"""

from __future__ import annotations

from textual.binding import Binding

from archivist.settings import TuiKeys

DEFAULTS = TuiKeys()


def bind(binding_id: str, action: str, description: str, *, show: bool = True, priority: bool = False) -> Binding:
    """A binding whose default key comes from ``TuiKeys`` and whose id is the settings field name."""
    return Binding(getattr(DEFAULTS, binding_id), action, description, show=show, priority=priority, id=binding_id)


def keymap(keys: TuiKeys) -> dict[str, str]:
    """The user's remaps: binding id -> keys, for the ids that differ from the defaults."""
    defaults = DEFAULTS.model_dump()
    return {k: v for k, v in keys.model_dump().items() if v != defaults[k]}


def key_table(keys: TuiKeys) -> list[tuple[str, str, str]]:
    """(id, keys, what it does) for every binding, as configured (documentation and the README table)."""
    fields = TuiKeys.model_fields
    return [(name, getattr(keys, name), (fields[name].description or "").strip()) for name in fields]
