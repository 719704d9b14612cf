"""The Textual application: opens (or unlocks) the index after the first paint, then hands it to the main screen.

``archivist`` with no command (or ``archivist tui``) runs ``run()``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.segment import Segment
from textual import work
from textual.app import App, SystemCommand
from textual.color import Color
from textual.filter import LineFilter
from textual.screen import Screen

from archivist.app.workspace import Workspace
from archivist.errors import ArchivistError, PassphraseMissing, WrongPassphrase
from archivist.settings import Settings
from archivist.terminal import without_controls
from archivist.tui.keys import bind, keymap
from archivist.tui.opener import OpenPlan, plan_open
from archivist.tui.screens.dialogs import ErrorScreen
from archivist.tui.screens.main import MainScreen
from archivist.tui.screens.passage import PassageScreen
from archivist.tui.screens.unlock import UnlockScreen
from archivist.tui.session import Session
from archivist.tui.widgets.conversation import Conversation

Prompt = Callable[[str, bool], str]
Opener = Callable[[Prompt], Workspace]
"""Opens the workspace, asking ``prompt(text, confirm)`` for the passphrase when the environment has none."""


class _NeedPassphrase(Exception):  # noqa: N818 - a signal, not an error
    """No passphrase in the environment: the unlock screen has to ask."""

    def __init__(self, creating: bool) -> None:
        super().__init__()
        self.creating = creating


class NoControls(LineFilter):
    """Drops control characters from every line the UI draws (see :mod:`archivist.terminal`).

    Textual strips only BEL, BS, VT, FF and CR: an ESC sequence in a document or a file name would reach the
    terminal as it is and could clear it or retitle the window. The widgets show file names escaped; this is
    the backstop for everything else (passage text, notifications), applied after layout, so it drops the
    characters (they take no cell) rather than widening the line with escapes.
    """

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(without_controls(s.text), s.style, s.control) if s.control is None else s for s in segments]


class ArchivistApp(App[None]):
    """Archivist's terminal UI.

    Args:
        settings: the loaded settings (key remaps come from ``settings.tui.keys``).
        opener: opens the workspace; tests pass one with fake models.
    """

    TITLE = "Archivist"
    BINDINGS = [bind("quit", "quit", "Quit", priority=True)]

    def __init__(self, settings: Settings, opener: Opener,
                 reopen_as: Callable[[str, Prompt], Workspace] | None = None) -> None:
        super().__init__()
        self.settings = settings
        self._opener = opener
        self._reopen_as = reopen_as
        """Opens the workspace again under another profile (switching profile); None: switching unavailable."""
        self.session: Session | None = None

    def get_line_filters(self) -> Sequence[LineFilter]:
        return [*super().get_line_filters(), _NO_CONTROLS]

    def get_default_screen(self) -> Screen:
        self._main = MainScreen()
        return self._main

    @property
    def main(self) -> MainScreen:
        """The workspace (the bottom of the screen stack)."""
        return self._main

    def on_mount(self) -> None:
        self.set_keymap(keymap(self.settings.tui.keys))
        # After the first frame: opening derives the key (a moment), then the models load in the background.
        self.call_after_refresh(self._open, None)

    # -- opening and unlocking ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="open")
    def _open(self, typed: str | None) -> None:
        """Open the index (the key derivation takes a moment, so off the UI thread)."""

        def prompt(text: str, confirm: bool) -> str:
            if typed is None:
                raise _NeedPassphrase(confirm)
            return typed

        try:
            services = self._opener(prompt)
        except _NeedPassphrase as need:
            self.call_from_thread(self._ask_passphrase, need.creating)
            return
        except (WrongPassphrase, PassphraseMissing) as exc:
            if typed is None:  # the environment's passphrase is wrong: the user must fix it there
                self.call_from_thread(self._fatal, exc)
            else:
                self.call_from_thread(self._ask_passphrase, False, exc.message)
            return
        except ArchivistError as exc:
            self.call_from_thread(self._fatal, exc)
            return
        from archivist.security.passphrase import get_passphrase

        def passphrase() -> str:
            return typed if typed is not None else get_passphrase(creating=False)

        self.session = Session(services, passphrase)
        self.call_from_thread(self.main.attach, self.session)

    def _ask_passphrase(self, creating: bool, error: str = "") -> None:
        def unlocked(passphrase: str | None) -> None:
            if passphrase:
                self.main.query_one(Conversation).set_welcome("Unlocking the index…")
                self._open(passphrase)

        self.push_screen(UnlockScreen(creating=creating, error=error), unlocked)

    def _fatal(self, exc: ArchivistError) -> None:
        self.push_screen(ErrorScreen(exc), lambda _: self.exit(return_code=2))

    # -- opening a source file -------------------------------------------------------------------------------

    def on_passage_screen_open_source(self, message: PassageScreen.OpenSource) -> None:
        c = message.citation
        if self.session is not None:
            self.session.audit_open(c)
        self._plan_open(c.path, c.line_start, c.page, c.text)

    @work(thread=True, group="open-source")
    def _plan_open(self, path: str, line: int | None, page: int | None, passage: str) -> None:
        from pathlib import Path

        try:
            plan = plan_open(Path(path), line=line, page=page, passage=passage)
        except ArchivistError as exc:
            self.call_from_thread(self.notify, str(exc), title=exc.title, severity="error", timeout=8)
            return
        self.call_from_thread(self.run_external, plan)

    def run_external(self, plan: OpenPlan) -> None:
        """Hand the terminal to the editor or pager, and take it back when it exits."""
        with self.suspend():
            subprocess.run(plan.argv, input=plan.stdin_text, text=True, check=False)

    # -- commands --------------------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not isinstance(screen, MainScreen):
            return
        run: Callable[[str], Callable[[], Any]] = lambda action: lambda: screen.run_action(action)  # noqa: E731
        yield SystemCommand("Switch adapter", "Hot-swap the team adapter (answer style) without reloading the model",
                            self.action_switch_adapter)
        yield SystemCommand("Switch profile", "Reopen as another team profile: it reads only its own folders",
                            self.action_switch_profile)
        yield SystemCommand("Index generations", "Which index generation answers, which is building or ready, "
                            "and how to switch", self.action_show_generations)
        yield SystemCommand("Search-only mode", "Toggle: list matching passages, no model call",
                            run("toggle_mode('search')"))
        yield SystemCommand("Extractive mode", "Toggle: quote supporting sentences, no model call",
                            run("toggle_mode('extractive')"))
        yield SystemCommand("Add folder", "Add a folder to the index and index it", run("add_folder"))
        yield SystemCommand("Re-index", "Index new and changed files of every folder", run("reindex"))
        yield SystemCommand("Feedback", "Rate the last answer good or bad, with a correction", run("feedback"))
        yield SystemCommand("History", "Browse this session's questions and answers", run("history"))
        yield SystemCommand("Copy answer", "Copy the answer and its citations as plain text", run("copy_answer"))
        yield SystemCommand("Cancel generation", "Stop the answer being generated", run("cancel"))

    # -- adapters --------------------------------------------------------------------------------------------

    def action_switch_adapter(self) -> None:
        if self.session is None:
            self.notify("The index is still opening.", severity="warning")
            return
        self._pick_adapter()

    @work(thread=True, exclusive=True, group="adapter")
    def _pick_adapter(self) -> None:
        """List the adapters that fit (this may wait for the model to load), then ask which one."""
        from archivist.tui.screens.adapters import AdapterScreen

        session = self.session
        assert session is not None
        try:
            fitting = session.adapters()
        except ArchivistError as exc:
            self.call_from_thread(self.notify, str(exc), title=exc.title, severity="error", timeout=8)
            return

        def chosen(name: str | None) -> None:
            if name is not None and name != (session.adapter or "none"):
                self._swap_adapter(name)

        self.call_from_thread(self.push_screen, AdapterScreen(fitting, session.adapter), chosen)

    @work(thread=True, exclusive=True, group="adapter")
    def _swap_adapter(self, name: str) -> None:
        from archivist.tui.widgets.status_bar import StatusBar

        session = self.session
        assert session is not None
        try:
            ms = session.switch_adapter(name)
        except ArchivistError as exc:
            self.call_from_thread(self.notify, str(exc), title=exc.title, severity="error", timeout=8)
            return
        self.call_from_thread(setattr, self.main.query_one(StatusBar), "adapter", session.adapter or "none")
        self.call_from_thread(self.notify, f"Answers now use {name} (swapped in {ms:.2f} ms, model not reloaded).",
                              title="Adapter switched")

    # -- generations -----------------------------------------------------------------------------------------

    def action_show_generations(self) -> None:
        from archivist.app.generations import overview
        from archivist.tui.screens.generations import GenerationsScreen

        if self.session is None:
            self.notify("The index is still opening.", severity="warning")
            return
        view = overview(self.session.workspace.paths, self.session.workspace.settings)
        self.push_screen(GenerationsScreen(view.generations, view.disk_bytes, view.keep))

    # -- profiles --------------------------------------------------------------------------------------------

    def action_switch_profile(self) -> None:
        from archivist.tui.screens.dialogs import ProfileScreen

        if self.session is None or self._reopen_as is None:
            self.notify("The index is still opening.", severity="warning")
            return
        current = self.session.workspace.profile

        def chosen(name: str | None) -> None:
            if name and name != current:
                self._switch_profile(name)

        self.push_screen(ProfileScreen(self.session.profiles(), current), chosen)

    @work(thread=True, exclusive=True, group="open")
    def _switch_profile(self, name: str) -> None:
        """Open the index again under ``name``; the screen is cleared so nothing of the old profile stays."""
        old = self.session
        assert old is not None and self._reopen_as is not None
        passphrase = old._passphrase  # noqa: SLF001 - the same key opens the same index
        try:
            services = self._reopen_as(name, lambda text, confirm: passphrase())
        except ArchivistError as exc:
            self.call_from_thread(self.notify, str(exc), title=exc.title, severity="error", timeout=8)
            return
        self.call_from_thread(self._replace_session, Session(services, passphrase), old)

    async def _replace_session(self, session: Session, old: Session) -> None:
        self.main.stop_work()
        old.close()
        self.session = session
        await self.main.reattach(session)
        self.notify(f"Profile {session.workspace.profile}: only its folders are read.", title="Profile switched")

    def on_unmount(self) -> None:
        self.main.stop_work()
        if self.session is not None:
            self.session.close()


_NO_CONTROLS = NoControls()


def run() -> int:
    """Open the terminal UI on the configured index; returns the exit code (2 after a fatal error)."""
    from archivist.app.workspace import open_workspace
    from archivist.paths import Paths

    paths = Paths.resolve()
    settings = Settings.load(paths.config_file)
    app = ArchivistApp(settings, lambda prompt: open_workspace(paths, settings, prompt=prompt),
                       lambda profile, prompt: open_workspace(
                           paths, settings.model_copy(update={"profile": profile}), prompt=prompt))
    app.run()
    return app.return_code or 0
