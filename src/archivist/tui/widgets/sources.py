"""The sources pane: folders with counts, freshness, pending and failed files, indexing progress, the watcher."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ProgressBar, Static

from archivist.settings import TuiKeys
from archivist.terminal import safe_line
from archivist.tui.render import display_path, local_time
from archivist.tui.session import SourcesView

MAX_LISTED = 5
"""Pending or failed files listed per kind before "… and N more" (the pane is narrow)."""


def _watch_line(view: SourcesView) -> Text:
    text = Text()
    daemon = view.daemon
    if daemon is not None:
        last = safe_line(Path(daemon["last_file"]).name) if daemon.get("last_file") else "-"
        text.append("Watch daemon", style="bold")
        text.append(f" (pid {daemon.get('pid')}): {daemon.get('state', '?')}, {daemon.get('queued', 0)} queued, "
                    f"{daemon.get('done', 0)} handled, {daemon.get('errors', 0)} errors, last: {last}")
        if daemon.get("last_indexed_at"):
            when = dt.datetime.fromtimestamp(daemon["last_indexed_at"]).strftime("%Y-%m-%d %H:%M")
            text.append(f", last change indexed {when}")
        text.append(". It owns the index: re-index from here is off while it runs.", style="dim")
    elif view.writer is not None:
        text.append("Being indexed", style="bold")
        text.append(f" by {view.writer.get('role', 'another process')} (pid {view.writer.get('pid', '?')}).")
    else:
        text.append("Watcher: off", style="bold")
        text.append(" (`archivist watch --daemon` keeps the index fresh).", style="dim")
    return text


def sources_text(view: SourcesView) -> Text:
    """Everything but the progress bar, as one block of text."""
    folders = [f.path for f in view.folders]
    c = view.counts
    text = Text()
    text.append(f"{c.get('indexed', 0)} files, {c.get('chunks', 0)} passages", style="bold")
    text.append(f", {c.get('failed', 0)} failed, {c.get('skipped', 0)} skipped.\n")
    text.append(f"Last change indexed: {local_time(view.last_indexed_at)}\n\n")
    if not view.folders:
        text.append("No folders yet: add one (see the footer).\n")
    for f in view.folders:
        text.append(safe_line(str(f.path)), style="bold")
        if not f.exists:
            text.append("  MISSING (index kept)", style="bold red")
        text.append(f"\n  {f.stats.files} files, {f.stats.chunks} passages, {f.stats.failed} failed, "
                    f"{f.stats.skipped} skipped; last change {local_time(f.stats.last_indexed_at)}\n")
        if f.pending is not None and f.pending.count:
            text.append(f"  {f.pending.count} pending (re-index to read):\n", style="yellow")
            listed = [("new", p) for p in f.pending.new] + [("changed", p) for p in f.pending.changed] + \
                     [("deleted", p) for p in f.pending.gone]
            for kind, p in listed[:MAX_LISTED]:
                text.append(f"    {kind}: {display_path(p, folders)}\n")
            if len(listed) > MAX_LISTED:
                text.append(f"    … and {len(listed) - MAX_LISTED} more\n")
        elif f.pending is not None:
            text.append("  up to date\n", style="green")
    if view.problems:
        text.append("\nNot indexed:\n", style="bold yellow")
        for p in view.problems[:MAX_LISTED * 4]:
            text.append(f"  {p['status']}: ", style="yellow")
            text.append(f"{display_path(p['path'], folders)}: {safe_line(p['reason'])}\n")
    return text


def welcome_text(view: SourcesView | None, keys: TuiKeys) -> str:
    """The conversation's first line: what can be asked about, and how to read the citations."""
    if view is None or not view.folders:
        return f"No folders yet: press {keys.add_folder} to add one, then ask away."
    names = ", ".join(f.path.name for f in view.folders[:3])
    return (f"Ask about {view.counts.get('indexed', 0)} files in {names}{' and more' if len(view.folders) > 3 else ''}"
            f". Answers cite numbered passages: open one under Passages ({keys.passages}) to read it. ctrl+p "
            f"lists every command.")


def watch_label(view: SourcesView | None, indexing_here: bool) -> str:
    """The status bar's ``watch:`` part: who keeps the index fresh right now."""
    if indexing_here:
        return "indexing (here)"
    if view is not None and view.daemon is not None:
        return f"daemon {view.daemon.get('state', 'running')}"
    if view is not None and view.writer is not None:
        return f"{view.writer.get('role', 'another process')} writing"
    return "off"


class SourcesPane(VerticalScroll):
    """Shows a ``SourcesView``; ``progress`` drives the bar while this UI indexes."""

    DEFAULT_CSS = """
    SourcesPane { height: 1fr; padding: 0 1; }
    SourcesPane #index-progress { display: none; height: 2; }
    SourcesPane.indexing #index-progress { display: block; }
    SourcesPane #watch-state { margin: 1 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="index-progress"):
            yield Static("", id="progress-label", markup=False)
            yield ProgressBar(id="progress-bar", show_eta=False)
        yield Static("Reading the index…", id="sources-body")
        yield Static("", id="watch-state")

    def show(self, view: SourcesView) -> None:
        self.query_one("#sources-body", Static).update(sources_text(view))
        self.query_one("#watch-state", Static).update(_watch_line(view))

    def progress(self, folder: Path, done: int, total: int, current: Path | None) -> None:
        """Indexing ``folder``: ``done`` of ``total`` files (``current`` being read)."""
        self.add_class("indexing")
        name = safe_line(current.name) if current else "done"
        self.query_one("#progress-label", Static).update(f"Indexing {safe_line(folder.name)}: {name}")
        self.query_one("#progress-bar", ProgressBar).update(total=max(total, 1), progress=done)

    def finished(self) -> None:
        self.remove_class("indexing")
