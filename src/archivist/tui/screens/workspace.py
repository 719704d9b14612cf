"""The index side of the main screen: the session it works through, the folders under Sources, adding a folder
and re-indexing with progress.

``MainScreen`` (the conversation: questions, answers, passages) is built on ``WorkspaceScreen``. Both only
orchestrate: every index or disk call runs in a thread worker through ``Session`` and comes back with
``call_from_thread``; the widgets only render what comes back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

from textual import work
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import TabbedContent

from archivist.errors import ArchivistError, IndexBusy
from archivist.tui.render import index_summary
from archivist.tui.screens.dialogs import AddFolderScreen
from archivist.tui.session import Session, SourcesView
from archivist.tui.widgets.conversation import Conversation
from archivist.tui.widgets.sources import SourcesPane, watch_label, welcome_text
from archivist.tui.widgets.status_bar import StatusBar

REFRESH_SECONDS = 3.0
"""How often the sources pane re-reads counts and the watcher's state (cheap: no folder walk)."""


class WorkspaceScreen(Screen[None]):
    """A screen over an open ``Session``: calls back to the UI from its workers, and keeps the Sources tab (the
    folders' state, adding a folder, re-indexing)."""

    indexing: reactive[bool] = reactive(False)

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.sources_view: SourcesView | None = None
        self._stop_indexing = threading.Event()
        self._refresh_timer: Any = None

    @property
    def folders(self) -> list[Path]:
        return [f.path for f in self.sources_view.folders] if self.sources_view else []

    # -- plumbing ----------------------------------------------------------------------------------------------

    def _ui(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the UI thread from a worker; once the app has closed, stop the workers' work."""
        try:
            return self.app.call_from_thread(fn, *args, **kwargs)
        except (RuntimeError, CancelledError):  # CancelledError: the loop closed with the call still queued
            if self.app.is_running:
                raise
            self.stop_work()  # the app has closed under the worker: nothing left to show
            return None

    def stop_work(self) -> None:
        """Stop indexing (the app is closing): it stops within one file."""
        self._stop_indexing.set()

    def _error(self, exc: ArchivistError) -> None:
        self.notify(f"{exc}", title=exc.title, severity="error", timeout=8)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reindex", "add_folder"):
            return (self.session is not None and not self.indexing) or None
        return True

    def watch_indexing(self, indexing: bool) -> None:
        self.refresh_bindings()
        self._show_watch()

    # -- the session's sources ---------------------------------------------------------------------------------

    def _watch_sources(self) -> None:
        """Show the sources (with a folder scan), then re-read them every ``REFRESH_SECONDS``."""
        self.refresh_sources(scan=True)
        self._refresh_timer = self.set_interval(REFRESH_SECONDS, self.refresh_sources)

    def _forget_sources(self) -> None:
        """Another session replaces this one: stop re-reading the sources and forget them."""
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
        self._stop_indexing = threading.Event()
        self.sources_view = None
        self.indexing = False

    def refresh_sources(self, scan: bool = False) -> None:
        if self.session is not None:
            self._read_sources(scan)

    @work(thread=True, exclusive=True, group="sources")
    def _read_sources(self, scan: bool) -> None:
        assert self.session is not None
        try:
            view = self.session.sources(scan=scan)
        except ArchivistError as exc:
            self._ui(self._error, exc)
            return
        self._ui(self._show_sources, view)

    def _show_sources(self, view: SourcesView) -> None:
        if self.sources_view is not None:  # keep the last folder scan until the next one
            before = {f.path: f.pending for f in self.sources_view.folders}
            for f in view.folders:
                if f.pending is None:
                    f.pending = before.get(f.path)
        first = self.sources_view is None
        self.sources_view = view
        self.query_one(SourcesPane).show(view)
        self._show_watch()
        if first:
            self._welcome()

    def _welcome(self) -> None:
        keys = self.app.settings.tui.keys  # type: ignore[attr-defined]
        self.query_one(Conversation).set_welcome(welcome_text(self.sources_view, keys))

    def _show_watch(self) -> None:
        self.query_one(StatusBar).watch = watch_label(self.sources_view, self.indexing)

    # -- adding and indexing -----------------------------------------------------------------------------------

    def action_add_folder(self) -> None:
        def typed(text: str | None) -> None:
            if text:
                self._add_folder(text)

        self.app.push_screen(AddFolderScreen(), typed)

    @work(thread=True, group="index")
    def _add_folder(self, text: str) -> None:
        assert self.session is not None
        try:
            folder, new = self.session.add_folder(text)
        except ArchivistError as exc:
            self._ui(self._error, exc)
            return
        self._ui(self.notify, f"{'Added' if new else 'Already added'}: {folder.path}", timeout=3)
        self._ui(self.action_reindex)

    def action_reindex(self) -> None:
        if self.session is None or self.indexing:
            return
        self.indexing = True
        self.query_one(TabbedContent).active = "sources"
        self._reindex()

    @work(thread=True, exclusive=True, group="index")
    def _reindex(self) -> None:
        assert self.session is not None
        pane = self.query_one(SourcesPane)
        try:
            outcome = self.session.reindex(lambda *args: self._ui(pane.progress, *args), self._stop_indexing)
        except IndexBusy as exc:
            self._ui(self.notify, f"{exc} Its state is under Sources.", title=exc.title, severity="warning",
                     timeout=8)
            return
        except ArchivistError as exc:
            self._ui(self._error, exc)
            return
        finally:
            self._ui(pane.finished)
            self._ui(setattr, self, "indexing", False)
            self._ui(self.refresh_sources, True)
        self._ui(self.notify, index_summary(outcome), timeout=6)
