"""The chat flow of the terminal UI, driven by Pilot on fake models: ask, stream, abstain, cancel, modes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from textual.widgets import Markdown
from tui_support import (
    ABSENT_QUESTION,
    PORT_QUESTION,
    PORT_REPLY,
    CountingFactory,
    SlowGenerator,
    ask,
    drive,
    index_folder,
    make_app,
    make_docs,
    ready,
    record_notifications,
    screen_text,
    wait_until,
)

from archivist.settings import Settings
from archivist.tui.app import ArchivistApp
from archivist.tui.screens.adapters import AdapterScreen
from archivist.tui.screens.dialogs import ProfileScreen
from archivist.tui.widgets.citations import CitationsPane
from archivist.tui.widgets.question import QuestionInput
from archivist.tui.widgets.status_bar import StatusBar


@pytest.fixture
def docs(home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    folder = make_docs(tmp_path)
    index_folder(folder, fake_embedder)
    return folder


def test_an_answer_streams_then_shows_checked_with_its_passages(docs: Path, fake_embedder: FakeEmbedder) -> None:
    gen = SlowGenerator(PORT_REPLY, delay=0.1)
    app = make_app(fake_embedder, gen)

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        entry = await ask(pilot, PORT_QUESTION, final=False)
        await wait_until(pilot, lambda: entry.exchange.state == "streaming", what="streaming")
        assert main.generating
        assert "not yet checked" in screen_text(app)  # the draft says it is a draft
        await wait_until(pilot, lambda: entry.exchange.state == "answered", what="the checked answer")
        assert "not yet checked" not in screen_text(app)
        assert entry.exchange.streamed.strip() == PORT_REPLY  # every token reached the screen
        assert entry.answer is not None and entry.answer.sentences[0].supported
        assert "**[1]**" in entry.exchange.query_one(Markdown).source
        pane = main.query_one(CitationsPane)
        assert [c.path.endswith("zephyr-runbook.md") for c in pane.citations] == [True]
        text = screen_text(app)
        assert "docs/zephyr-runbook.md" in text and "✓ supports 1 sentence" in text

    drive(app, scenario)


def test_the_quotes_and_their_passages_show_before_the_model_writes(docs: Path, fake_embedder: FakeEmbedder) -> None:
    # The model's first token comes late (a model still loading, a long prompt): the analyst reads the passages'
    # own sentences meanwhile, and the checked answer replaces them.
    gen = SlowGenerator(PORT_REPLY, delay=0.6)
    app = make_app(fake_embedder, gen)

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        entry = await ask(pilot, PORT_QUESTION, final=False)
        await wait_until(pilot, lambda: entry.exchange.state == "quoted", what="the quotes")
        assert gen.produced == 0
        assert "7431" in entry.exchange.query_one(".shown", Markdown).source
        assert "the model is writing" in screen_text(app)
        pane = main.query_one(CitationsPane)
        assert [c.path.endswith("zephyr-runbook.md") for c in pane.citations][:1] == [True]
        assert entry.answer is None  # copy and feedback act on the checked answer only
        await wait_until(pilot, lambda: entry.exchange.state == "streaming", what="streaming")
        await wait_until(pilot, lambda: entry.exchange.state == "answered", what="the checked answer")
        assert "the model is writing" not in screen_text(app)
        assert entry.answer is not None and entry.answer.mode == "generated"

    drive(app, scenario)


def test_an_absent_fact_is_shown_as_not_found_with_closest_passages(docs: Path, fake_embedder: FakeEmbedder) -> None:
    gen = FakeGenerator("The ferry flies at Mach 3 [1].")
    app = make_app(fake_embedder, gen)

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        entry = await ask(pilot, ABSENT_QUESTION)
        assert entry.exchange.state == "abstained" and entry.exchange.has_class("abstained")
        assert "Not found in your documents." in screen_text(app)
        assert all("not cited" in str(o.prompt) for o in pilot.app.main.query_one(CitationsPane).options)

    drive(app, scenario)


def test_escape_cancels_generation_between_tokens(docs: Path, fake_embedder: FakeEmbedder) -> None:
    reply = " ".join(["The Zephyr backup service listens on port 7431."] * 8)
    gen = SlowGenerator(reply, delay=0.05)
    app = make_app(fake_embedder, gen)

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        entry = await ask(pilot, PORT_QUESTION, final=False)
        await wait_until(pilot, lambda: entry.exchange.state == "streaming", what="streaming")
        await pilot.press("escape")
        await wait_until(pilot, lambda: entry.exchange.state == "cancelled", what="the cancel")
        await wait_until(pilot, lambda: not main.generating, what="generation to stop")
        produced = gen.produced
        await pilot.pause(0.3)
        assert gen.produced == produced < len(reply.split(" "))  # the stream was abandoned
        assert "Cancelled" in screen_text(app)
        again = await ask(pilot, PORT_QUESTION)  # the session is usable afterwards
        assert again.exchange.state == "answered"

    drive(app, scenario)


def test_up_and_down_browse_earlier_questions(docs: Path, fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        await ask(pilot, "first question about zephyr")
        await ask(pilot, "second question about zephyr")
        box = main.query_one(QuestionInput)
        box.value = "draft"
        await pilot.press("up")
        assert box.value == "second question about zephyr"
        await pilot.press("up", "up")
        assert box.value == "first question about zephyr"
        await pilot.press("down", "down")
        assert box.value == "draft"

    drive(app, scenario)


def test_copy_puts_the_answer_and_its_citations_on_the_clipboard(docs: Path, fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, PORT_QUESTION)
        await pilot.press("ctrl+y")
        assert app.clipboard.startswith(f"Q: {PORT_QUESTION}\nA: {PORT_REPLY}")
        assert f"[1] {docs / 'zephyr-runbook.md'}, lines" in app.clipboard

    drive(app, scenario)


def test_search_only_and_extractive_modes_never_call_the_model(docs: Path, fake_embedder: FakeEmbedder) -> None:
    gen = FakeGenerator(PORT_REPLY)
    app = make_app(fake_embedder, gen)

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        await pilot.press("ctrl+s")
        assert main.mode == "search" and main.query_one(StatusBar).mode == "search"
        entry = await ask(pilot, PORT_QUESTION)
        assert entry.answer is None and entry.citations and "passage" in screen_text(app)
        await pilot.press("ctrl+t")
        assert main.mode == "extractive"
        entry = await ask(pilot, PORT_QUESTION)
        assert entry.answer is not None and entry.answer.mode == "extractive"
        assert "7431" in entry.answer.answer
        await pilot.press("ctrl+t")
        assert main.mode == "answer"
        assert gen.prompts == []

    drive(app, scenario)


def test_models_load_after_the_first_paint(docs: Path, fake_embedder: FakeEmbedder) -> None:
    app: ArchivistApp

    def painted() -> bool:  # the workspace has been laid out on screen (read-only: this runs on a worker thread)
        return app.main.query_one(QuestionInput).region.area > 0

    embedder = CountingFactory(fake_embedder, painted)
    generator = CountingFactory(FakeGenerator(PORT_REPLY), painted)
    app = make_app(embedder, generator)

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        assert embedder.probes == [True] and generator.probes == [True]  # each built once, after the first frame
        assert app.main.query_one(StatusBar).model == "fake-model.gguf"
        await ask(pilot, PORT_QUESTION)
        assert generator.calls == 1  # loaded once for the session

    drive(app, scenario)


def test_history_browser_shows_an_earlier_answer_again(docs: Path, fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        first = await ask(pilot, PORT_QUESTION)
        await pilot.press("ctrl+s")
        await ask(pilot, "client contracts retained")
        assert main.current is not first
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: pilot.app.screen.__class__.__name__ == "HistoryScreen")
        assert "client contracts retained  (search)" in screen_text(app)
        await pilot.press("home", "enter")
        await wait_until(pilot, lambda: main.current is first, what="the first answer")
        assert main.query_one(CitationsPane).answer is first.answer

    drive(app, scenario)


def test_the_palette_lists_every_command_and_opens_the_profile_dialog(docs: Path,
                                                                       fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    seen = record_notifications(app)

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        titles = [c.title for c in app.get_system_commands(app.main)]
        for title in ("Switch adapter", "Switch profile", "Search-only mode", "Extractive mode", "Add folder",
                      "Re-index", "Feedback", "History", "Copy answer", "Cancel generation"):
            assert title in titles
        adapter = next(c for c in app.get_system_commands(app.main) if c.title == "Switch adapter")
        app.call_later(adapter.callback)
        await wait_until(pilot, lambda: isinstance(app.screen, AdapterScreen), what="the adapter dialog")
        # a fake model takes no adapter: only the bare model is offered
        await wait_until(pilot, lambda: "none  (current)  the bare model" in screen_text(app), what="the choices")
        app.screen.dismiss(None)
        await wait_until(pilot, lambda: not isinstance(app.screen, AdapterScreen), what="the dialog to close")
        assert not [n for n in seen if n["severity"] in ("warning", "error")]
        profile = next(c for c in app.get_system_commands(app.main) if c.title == "Switch profile")
        app.call_later(profile.callback)
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen), what="the profile dialog")
        app.screen.dismiss(None)
        await wait_until(pilot, lambda: not isinstance(app.screen, ProfileScreen), what="the dialog to close")
        status = screen_text(app)
        assert "adapter: none" in status and "profile: default" in status
        search = next(c for c in app.get_system_commands(app.main) if c.title == "Search-only mode")
        app.call_later(search.callback)  # as the palette runs it
        await wait_until(pilot, lambda: app.main.mode == "search", what="the palette command")

    drive(app, scenario)


def test_keys_remapped_in_settings_are_used(docs: Path, fake_embedder: FakeEmbedder,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVIST_TUI__KEYS__SEARCH_ONLY", "f9")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY), Settings.load(None))

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        await pilot.press("ctrl+s")
        assert main.mode == "answer"  # the default key no longer toggles
        await pilot.press("f9")
        assert main.mode == "search"

    drive(app, scenario)


def test_works_at_80_by_24(docs: Path, fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        await ask(pilot, PORT_QUESTION)
        screen = app.screen.region
        for selector in ("#conversation", QuestionInput, CitationsPane, StatusBar):
            region = main.query_one(selector).region  # type: ignore[call-overload]
            assert region.area > 0 and screen.contains_region(region), selector
        text = screen_text(app)
        assert "watch: off" in text and "[1] docs/zephyr-runbook.md" in text and "7431" in text

    drive(app, scenario, size=(80, 24))


def test_no_color_is_respected(docs: Path, fake_embedder: FakeEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, PORT_QUESTION)
        svg = app.export_screenshot()
        # every colour the app drew is a grey; #c5c8c6 is the SVG exporter's own default foreground
        colours = {c.lower() for c in re.findall(r"fill: (#[0-9a-fA-F]{6})", svg)} - {"#c5c8c6"}
        assert app.no_color and colours and all(c[1:3] == c[3:5] == c[5:7] for c in colours)

    drive(app, scenario)


def test_a_follow_up_in_the_chat_is_asked_in_the_earlier_scope_and_says_so(home: Path, tmp_path: Path,
                                                                            fake_embedder: FakeEmbedder) -> None:
    folder = tmp_path / "filings"
    folder.mkdir()
    for name, capex in (("GANNET_2023_10K.md", "1,373"), ("GANNET_2024_10K.md", "1,577")):
        (folder / name).write_text(f"# Cash flows\n\nPurchases of property, plant and equipment were {capex}.\n")
    index_folder(folder, fake_embedder)
    app = make_app(fake_embedder, FakeGenerator(""))

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        main.mode = "extractive"
        first = await ask(pilot, "GANNET purchases of property FY2024?")
        assert first.answer is not None and first.answer.scope["entities"] == ["GANNET"]
        assert "Favoured: GANNET" in screen_text(app)
        follow = await ask(pilot, "and in 2023?")
        assert follow.answer is not None
        assert follow.answer.question == "GANNET purchases of property FY2023?"
        assert follow.answer.citations[0].path.endswith("GANNET_2023_10K.md")
        assert "asked as: GANNET purchases of property FY2023?" in screen_text(app)

    drive(app, scenario)
