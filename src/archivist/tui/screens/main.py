"""The main workspace: conversation and question box, the passages and sources panes, the status bar.

The screen orchestrates: every model, index or disk call runs in a thread worker through ``Session`` and
comes back with ``call_from_thread``; the widgets only render what comes back. This module holds the
conversation (asking, answers and their passages, feedback, history); the Sources side (the folders, adding a
folder, re-indexing) and the worker plumbing are its base, ``screens.workspace.WorkspaceScreen``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Footer, Input, TabbedContent, TabPane

from archivist.answer.followup import looks_like_follow_up
from archivist.answer.service import Answer, AnswerCancelled, Citation
from archivist.errors import ArchivistError
from archivist.tui.keys import bind
from archivist.tui.render import answer_plain_text, where
from archivist.tui.screens.dialogs import FeedbackScreen, HistoryScreen
from archivist.tui.screens.passage import PassageScreen
from archivist.tui.screens.workspace import WorkspaceScreen
from archivist.tui.session import SearchView, Session
from archivist.tui.widgets.citations import CitationsPane
from archivist.tui.widgets.conversation import Conversation, Exchange
from archivist.tui.widgets.question import QuestionInput
from archivist.tui.widgets.sources import SourcesPane
from archivist.tui.widgets.status_bar import MODES, StatusBar


@dataclass
class Entry:
    """One question of this session and what it produced."""

    question: str
    exchange: Exchange
    answer: Answer | None = None
    """None for search-only results."""
    citations: list[Citation] = field(default_factory=list)
    follows: str | None = None
    """The earlier question this one follows up (it is asked in that one's scope), or None."""


class MainScreen(WorkspaceScreen):
    """Ask, read the streamed answer, check its passages, watch the sources."""

    DEFAULT_CSS = """
    MainScreen #body { height: 1fr; }
    MainScreen #chat { width: 1fr; }
    MainScreen QuestionInput { margin: 0 1; }
    MainScreen #side { width: 40%; min-width: 30; max-width: 64; border-left: vkey $panel-lighten-2; }
    MainScreen #side TabPane { padding: 0; }
    """

    BINDINGS = [
        bind("cancel", "cancel", "Cancel"),
        bind("copy_answer", "copy_answer", "Copy"),
        bind("search_only", "toggle_mode('search')", "Search only"),
        bind("extractive", "toggle_mode('extractive')", "Extractive"),
        bind("feedback", "feedback", "Feedback"),
        bind("history", "history", "History"),
        bind("add_folder", "add_folder", "Add folder"),
        bind("reindex", "reindex", "Re-index"),
        bind("passages", "show_tab('passages')", "Passages", show=False),
        bind("sources", "show_tab('sources')", "Sources", show=False),
        bind("question", "focus_question", "Question", show=False),
    ]

    mode: reactive[str] = reactive("answer")
    generating: reactive[bool] = reactive(False)

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.current: Entry | None = None
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="chat"):
                yield Conversation(id="conversation")
                yield QuestionInput(id="question")
            with TabbedContent(id="side", initial="passages"):
                with TabPane("Passages", id="passages"):
                    yield CitationsPane(id="citations")
                with TabPane("Sources", id="sources"):
                    yield SourcesPane(id="sources-pane")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(QuestionInput).focus()

    def stop_work(self) -> None:
        """Stop generating and indexing (the app is closing): each stops within one token or one file."""
        self._cancel.set()
        super().stop_work()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.generating  # hidden from the footer unless an answer is being generated
        if action in ("copy_answer", "feedback"):
            return self.current is not None and (action == "copy_answer" or self.current.answer is not None)
        return super().check_action(action, parameters)

    def watch_mode(self, mode: str) -> None:
        self.query_one(StatusBar).mode = mode

    def watch_generating(self) -> None:
        self.refresh_bindings()

    # -- opening ---------------------------------------------------------------------------------------------

    def attach(self, session: Session) -> None:
        """The index is open: show its state, then load the models in the background."""
        self.session = session
        self.query_one(StatusBar).encryption = "encrypted"
        self.query_one(StatusBar).profile = session.workspace.profile
        self.refresh_bindings()
        self._watch_sources()
        self._warm_up()

    async def reattach(self, session: Session) -> None:
        """Another profile's session replaces this one: forget every question, answer and passage shown."""
        self.stop_work()
        self.workers.cancel_all()
        self._cancel = threading.Event()
        self._forget_sources()
        self.entries, self.current = [], None
        self.generating = False
        conversation = self.query_one(Conversation)
        await conversation.remove_children(list(conversation.exchanges))
        conversation.set_welcome("Profile switched.")
        self.query_one(QuestionInput).history.clear()  # up-arrow must not bring back the old profile's questions
        self.query_one(CitationsPane).show([], None, "", [])
        self.query_one(StatusBar).model = "loading…"
        self.attach(session)

    @work(thread=True, exclusive=True, group="models")
    def _warm_up(self) -> None:
        assert self.session is not None
        try:
            name = self.session.warm_up()
        except ArchivistError as exc:
            self._ui(self._error, exc)
            self._ui(setattr, self.query_one(StatusBar), "model", "unavailable")
            return
        self._ui(setattr, self.query_one(StatusBar), "model", name)
        self._ui(setattr, self.query_one(StatusBar), "adapter", self.session.adapter or "none")

    # -- asking ------------------------------------------------------------------------------------------------

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if not isinstance(event.input, QuestionInput):
            return
        event.stop()
        question = event.value.strip()
        if not question:
            return
        if self.session is None:
            self.notify("The index is still opening.", severity="warning")
            return
        event.input.remember(question)
        event.input.value = ""
        self._cancel.set()  # a new question replaces one still being answered
        self._cancel = threading.Event()
        # A follow-up ("and in 2019?") is asked in the scope of the question before it (answer.followup).
        earlier = next((e for e in reversed(self.entries) if e.answer is not None), None)
        follows = earlier.answer.question if earlier and looks_like_follow_up(question) else None
        exchange = await self.query_one(Conversation).start(question, self.mode)
        entry = Entry(question, exchange, follows=follows)
        self.entries.append(entry)
        self.generating = True
        self._ask(entry, self.mode, self._cancel)

    @work(thread=True, group="ask")
    def _ask(self, entry: Entry, mode: str, cancel: threading.Event) -> None:
        assert self.session is not None
        exchange = entry.exchange
        try:
            if mode == "search":
                view = self.session.search(entry.question)
                self._ui(self._show_search, entry, view)
                return
            answer = self.session.ask(entry.question, extractive=mode == "extractive", cancel=cancel,
                                      follows=entry.follows,
                                      on_token=lambda piece: self._ui(exchange.add_token, piece),
                                      on_draft=lambda draft: self._ui(self._show_quoted, entry, draft))
            self._ui(self._show_answer, entry, answer)
        except AnswerCancelled:
            self._ui(exchange.show_cancelled)
        except ArchivistError as exc:
            self._ui(exchange.show_error, exc.title, str(exc))
            self._ui(self._error, exc)
        finally:
            if cancel is self._cancel:
                self._ui(setattr, self, "generating", False)

    async def _show_quoted(self, entry: Entry, draft: Answer) -> None:
        """The quotes and their passages while the model writes (copy and feedback wait for the answer).

        Returns once they are painted: the worker waits for this call and starts the model next, whose threads
        then take every core; a paint left for later waited 0.27-1.1 s for them (warm, FinanceBench dev index).
        """
        await entry.exchange.show_quoted(draft)
        self.current = entry
        self.query_one(CitationsPane).show(draft.citations, draft, entry.question, self.folders)
        await self.wait_for_refresh()

    async def _show_answer(self, entry: Entry, answer: Answer) -> None:
        entry.answer, entry.citations = answer, answer.citations
        await entry.exchange.show_answer(answer)  # the checked text first: passages never sit beside the draft
        self._select(entry)

    async def _show_search(self, entry: Entry, view: SearchView) -> None:
        entry.citations = view.citations
        self._select(entry)
        await entry.exchange.show_search(len(view.citations))

    def _select(self, entry: Entry) -> None:
        """Show ``entry``'s passages (copy and feedback act on it)."""
        self.current = entry
        self.query_one(CitationsPane).show(entry.citations, entry.answer, entry.question, self.folders)
        self.query_one(TabbedContent).active = "passages"
        self.refresh_bindings()

    def action_cancel(self) -> None:
        if self.generating:
            self._cancel.set()

    def action_toggle_mode(self, mode: str) -> None:
        self.mode = "answer" if self.mode == mode else mode
        self.notify(f"Mode: {MODES[self.mode]}", timeout=2)

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "passages":
            self.query_one(CitationsPane).focus()
        else:
            self.query_one(SourcesPane).focus()

    def action_focus_question(self) -> None:
        self.query_one(QuestionInput).focus()

    def on_citations_pane_open(self, message: CitationsPane.Open) -> None:
        pane = self.query_one(CitationsPane)
        self.app.push_screen(PassageScreen(pane.citations, message.index, pane.answer, pane.question, self.folders))

    def action_copy_answer(self) -> None:
        entry = self.current
        if entry is None:
            return
        if entry.answer is not None:
            text = answer_plain_text(entry.answer)
        else:
            text = "\n".join([f"Q: {entry.question}", "Passages:"] + [
                f"[{c.n}] {c.path}" + (f", {where(c.page, c.line_start, c.line_end)}" if c.line_start else "")
                for c in entry.citations])
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the answer and {len(entry.citations)} passage(s) as plain text.", timeout=3)

    def action_history(self) -> None:
        def chosen(index: int | None) -> None:
            if index is not None and 0 <= index < len(self.entries):
                entry = self.entries[index]
                self._select(entry)
                entry.exchange.scroll_visible(animate=False)

        self.app.push_screen(HistoryScreen([(e.question, e.answer) for e in self.entries]), chosen)

    # -- feedback --------------------------------------------------------------------------------------------

    def action_feedback(self) -> None:
        entry = self.current
        if entry is None or entry.answer is None:
            self.notify("Ask a question first: feedback rates an answer.", severity="warning")
            return
        answer = entry.answer

        def rated(result: tuple[str, str | None] | None) -> None:
            if result is not None:
                self._save_feedback(answer, result[0], result[1])

        self.app.push_screen(FeedbackScreen(answer), rated)

    @work(thread=True, group="feedback")
    def _save_feedback(self, answer: Answer, rating: str, correction: str | None) -> None:
        assert self.session is not None
        try:
            self.session.feedback(answer, rating, correction)  # type: ignore[arg-type]
        except ArchivistError as exc:
            self._ui(self._error, exc)
            return
        self._ui(self.notify, f"Feedback saved ({rating}) in the encrypted index.")
