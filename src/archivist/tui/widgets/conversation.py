"""The conversation: each question with its answer, streamed as Markdown and replaced by the checked answer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from archivist.answer.service import Answer
from archivist.tui.render import answer_markdown

WAITING = {"answer": "Searching your documents and thinking…", "extractive": "Searching your documents…",
           "search": "Searching your documents…"}
DRAFT = "Draft, not yet checked against the passages…"
QUOTED_FIRST = "Quoted from the passages; the model is writing…"


class Exchange(Vertical):
    """One question and its answer. States: waiting -> quoted -> streaming -> answered | abstained | cancelled |
    failed. *quoted*: the passages' own sentences, shown before the model starts (something true to read at
    once); the model's text streams below them, dimmed, and the checked answer then replaces both."""

    DEFAULT_CSS = """
    Exchange { height: auto; margin: 0 0 1 0; }
    Exchange .question { text-style: bold; color: $accent; }
    Exchange .waiting { color: $text-muted; text-style: italic; }
    Exchange Markdown { margin: 0; padding: 0 0 0 2; }
    Exchange .meta { color: $text-muted; padding: 0 0 0 2; }
    Exchange Markdown.stream { display: none; color: $text-muted; }
    Exchange.streaming Markdown.stream, Exchange.cancelled Markdown.stream { display: block; }
    Exchange.abstained Markdown { border-left: thick $warning; color: $warning; }
    Exchange.cancelled .meta, Exchange.failed .meta { color: $error; }
    """

    def __init__(self, question: str, mode: str) -> None:
        super().__init__(classes="waiting")
        self.question = question
        self.mode = mode
        self.streamed = ""
        self.answer: Answer | None = None
        self.state = "waiting"
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"› {self.question}", classes="question", markup=False)
        yield Static(WAITING.get(self.mode, "…"), classes="waiting")
        yield Markdown("", classes="shown")
        yield Markdown("", classes="stream")
        yield Static("", classes="meta", markup=False)

    def _set_state(self, state: str) -> None:
        self.remove_class(self.state)
        self.state = state
        self.add_class(state)
        self.query_one(".waiting").display = state == "waiting"

    def _follow(self) -> None:
        if isinstance(self.parent, Conversation):
            self.parent.follow()

    async def _end_stream(self) -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def show_quoted(self, draft: Answer) -> None:
        """Show the quoted answer found before the model starts (``Answerer.ask``'s draft)."""
        if self.state != "waiting":
            return
        await self.query_one(".shown", Markdown).update(answer_markdown(draft))
        self.query_one(".meta", Static).update(QUOTED_FIRST)
        self._set_state("quoted")
        self._follow()

    async def add_token(self, piece: str) -> None:
        """Append raw model text as it arrives (shown dimmed, under the quotes, until the answer is checked)."""
        if self.state in ("waiting", "quoted"):
            self._set_state("streaming")
            self.query_one(".meta", Static).update(DRAFT)
            self._stream = Markdown.get_stream(self.query_one(".stream", Markdown))
        if self._stream is not None:
            self.streamed += piece
            await self._stream.write(piece)
            self._follow()

    async def show_answer(self, answer: Answer) -> None:
        """Replace the streamed text with the checked answer (markers, unsupported flags, abstention)."""
        await self._end_stream()
        self.answer = answer
        await self.query_one(".stream", Markdown).update("")
        await self.query_one(".shown", Markdown).update(answer_markdown(answer))
        meta = []
        if answer.follow_up:  # a follow-up: say what was asked in full
            self.query_one(".question", Static).update(
                f"› {self.question}\n  asked as: {answer.follow_up.get('question', answer.question)}")
        if answer.scope.get("summary"):
            meta.append(answer.scope["summary"] + ".")
        if answer.abstained:
            meta.append("The closest passages are listed under Passages." if answer.citations
                        else "No passage came close.")
        elif answer.mode == "extractive":
            meta.append("Quoted from the passages (no model).")
        if answer.note:
            meta.append(answer.note)
        self.query_one(".meta", Static).update(" ".join(meta))
        self._set_state("abstained" if answer.abstained else "answered")
        self._follow()

    async def show_search(self, count: int) -> None:
        """Search-only mode: say how many passages were found (they are listed under Passages)."""
        await self.query_one(".shown", Markdown).update(f"**{count} passage{'s' if count != 1 else ''}** found "
                                              "(search only, no answer). They are listed under Passages.")
        self._set_state("answered")

    async def show_cancelled(self) -> None:
        await self._end_stream()
        self._set_state("cancelled")
        self.query_one(".meta", Static).update("Cancelled: generation stopped (Esc). The text above is unchecked.")

    async def show_error(self, title: str, message: str) -> None:
        await self._end_stream()
        self._set_state("failed")
        self.query_one(".meta", Static).update(f"{title}: {message}")


class Conversation(VerticalScroll):
    """The scrolling list of exchanges, newest at the bottom."""

    DEFAULT_CSS = """
    Conversation { height: 1fr; padding: 0 1; }
    Conversation #welcome { color: $text-muted; margin: 0 0 1 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Opening the index…", id="welcome")

    def set_welcome(self, text: str) -> None:
        self.query_one("#welcome", Static).update(text)

    async def start(self, question: str, mode: str) -> Exchange:
        """Add an exchange for ``question`` at the bottom and scroll to it."""
        exchange = Exchange(question, mode)
        await self.mount(exchange)
        self.follow()
        return exchange

    def follow(self) -> None:
        """Keep the newest text in view (called as the answer grows)."""
        self.scroll_end(animate=False)

    @property
    def exchanges(self) -> list[Exchange]:
        return list(self.query(Exchange))
