"""Each dialog in a bare host app (what it returns), and feedback end to end into the encrypted state file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from conftest import PASSPHRASE, FakeEmbedder, FakeGenerator
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input
from tui_support import PORT_QUESTION, PORT_REPLY, ask, drive, index_folder, make_app, make_docs, ready, wait_until

from archivist.answer.service import Answer, Citation
from archivist.errors import FolderNotFound
from archivist.paths import Paths
from archivist.storage.state import StateStore
from archivist.tui.screens.dialogs import AddFolderScreen, ErrorScreen, FeedbackScreen, HistoryScreen
from archivist.tui.screens.passage import PassageScreen
from archivist.tui.screens.unlock import UnlockScreen

NONE = object()


class Host(App[None]):
    """A bare app that pushes one screen and keeps what it dismissed with (and any message it posted)."""

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.dialog = screen
        self.result: Any = NONE
        self.opened: list[Citation] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self._keep)

    def _keep(self, result: Any) -> None:
        self.result = result

    def on_passage_screen_open_source(self, message: PassageScreen.OpenSource) -> None:
        self.opened.append(message.citation)


def _run(screen: Screen, steps) -> Host:  # noqa: ANN001
    host = Host(screen)

    async def main() -> None:
        async with host.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            await steps(pilot)
            await pilot.pause()

    asyncio.run(main())
    return host


def _answer() -> Answer:
    text = "The Zephyr backup service listens on port 7431 and writes snapshots every six hours."
    citation = Citation(1, "/srv/docs/runbook.md", None, 3, 3, "", text, 0.8, 0.9)
    return Answer(PORT_QUESTION, PORT_REPLY, "generated", False, [], [citation], 0.8)


async def _type(pilot: Pilot, selector: str, value: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    box.value = value
    await pilot.press("enter")


def test_unlock_returns_the_passphrase_and_refuses_an_empty_one() -> None:
    async def steps(pilot: Pilot) -> None:
        await pilot.press("enter")
        assert "cannot be empty" in str(pilot.app.screen.query_one("#unlock-error").render())
        await _type(pilot, "#passphrase", "s3cret phrase")

    assert _run(UnlockScreen(), steps).result == "s3cret phrase"


def test_add_folder_returns_the_typed_path_or_none() -> None:
    async def typed(pilot: Pilot) -> None:
        await _type(pilot, "#folder", "  ~/reports ")

    async def cancelled(pilot: Pilot) -> None:
        await pilot.press("escape")

    assert _run(AddFolderScreen(), typed).result == "~/reports"
    assert _run(AddFolderScreen(), cancelled).result is None


def test_feedback_returns_the_rating_and_the_correction() -> None:
    async def bad(pilot: Pilot) -> None:
        pilot.app.screen.query_one("#correction", Input).value = "It is port 7432 since May."
        await pilot.click("#bad")

    async def good(pilot: Pilot) -> None:
        await pilot.click("#good")

    assert _run(FeedbackScreen(_answer()), bad).result == ("bad", "It is port 7432 since May.")
    assert _run(FeedbackScreen(_answer()), good).result == ("good", None)


def test_history_returns_the_chosen_question() -> None:
    async def steps(pilot: Pilot) -> None:
        await pilot.press("down", "enter")

    entries = [("first?", _answer()), ("second?", None)]
    assert _run(HistoryScreen(entries), steps).result == 1


def test_error_shows_title_message_and_hint() -> None:
    error = FolderNotFound("/x does not exist.", hint="Pass an existing folder.")

    async def steps(pilot: Pilot) -> None:
        texts = [str(w.render()) for w in pilot.app.screen.query("Static")]
        assert "Folder not found" in texts and "/x does not exist." in texts and "Pass an existing folder." in texts
        await pilot.press("enter")

    assert _run(ErrorScreen(error), steps).result is None


def test_passage_viewer_asks_the_app_to_open_the_source() -> None:
    answer = _answer()

    async def steps(pilot: Pilot) -> None:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("q")

    host = _run(PassageScreen(answer.citations, 0, answer, PORT_QUESTION, [Path("/srv/docs")]), steps)
    assert host.opened == answer.citations and host.result is None


def test_feedback_is_saved_in_the_encrypted_state_file(home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    index_folder(make_docs(tmp_path), fake_embedder)
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, PORT_QUESTION)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, FeedbackScreen), what="the feedback dialog")
        pilot.app.screen.query_one("#correction", Input).value = "Port 7431, and 7432 for the replica."
        await pilot.click("#bad")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, FeedbackScreen))
        await pilot.pause(0.2)

    drive(app, scenario)
    state = StateStore.open(Paths.resolve().state_database, PASSPHRASE)
    rows = state.feedback()
    state.close()
    assert [(r.question, r.rating, r.correction) for r in rows] == [
        (PORT_QUESTION, "bad", "Port 7431, and 7432 for the replica.")]
    assert json.loads(rows[0].answer_json)["citations"][0]["path"].endswith("zephyr-runbook.md")
