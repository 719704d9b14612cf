"""The index generations: which one answers, which is being built or is ready, and how to switch.

Read from the manifest (no document text, no passphrase). Switching stays on the command line, where
promotion is gated by an evaluation on the team's questions; the screen says which command to run.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from archivist.app import generations as g
from archivist.tui.screens.dialogs import DIALOG_CSS, Dialog


def next_steps(gens: Sequence[g.Generation]) -> list[str]:
    """What the user can do now, as commands (the same hints as ``archivist index generations``)."""
    steps = []
    for x in gens:
        if x.status == g.BUILDING:
            steps.append(f"Generation {x.id} is being built (the watch daemon or `archivist index build` "
                         "finishes it); the current one answers meanwhile.")
        elif x.status == g.READY:
            steps.append(f"Generation {x.id} is ready: `archivist index promote {x.id} --questions FILE` "
                         "switches to it if it retrieves no worse.")
    if any(x.status == g.RETIRED for x in gens):
        steps.append("`archivist index rollback` returns to the previous generation in one step.")
    return steps


class GenerationsScreen(Dialog[None]):
    """The generations table; Esc closes."""

    DEFAULT_CSS = DIALOG_CSS.format(name="GenerationsScreen") + """
    GenerationsScreen > Vertical { width: 110; }
    GenerationsScreen DataTable { height: auto; max-height: 12; margin: 0 0 1 0; }
    GenerationsScreen .steps { margin: 0 0 1 0; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, gens: Sequence[g.Generation], disk_bytes: int, keep: int) -> None:
        super().__init__()
        self.gens = list(gens)
        self.disk_bytes = disk_bytes
        self.keep = keep

    def body(self) -> ComposeResult:
        current = next((x.id for x in self.gens if x.status == g.CURRENT), None)
        yield Static(f"Index generations (answering: {current if current is not None else '–'})",
                     classes="title")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns("id", "status", "built from", "created", "size", "eval")
        for x in self.gens:
            table.add_row(str(x.id), x.status, x.built_from or "not recorded yet",
                          x.created.replace("T", " ").removesuffix("Z")[:16], g.human_size(x.size),
                          g.eval_text(x.eval), key=str(x.id))
        yield table
        steps = next_steps(self.gens)
        yield Static("\n".join(steps) or "Only the current generation: the settings match what built it.",
                     classes="steps", markup=False)
        yield Static(f"Disk use {g.human_size(self.disk_bytes)}; keeping {self.keep} generation(s) "
                     "(index.keep_generations) · Esc closes", classes="hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
