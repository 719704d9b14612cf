"""The terminal UI draws no control character from a document or a file name (issue 13, defect 4): Textual
strips only BEL, BS, VT, FF and CR, so without the app's filter an ESC sequence in a passage would reach the
terminal."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from tui_support import ask, drive, index_folder, make_app, ready, screen_text, wait_until

from archivist.tui.screens.passage import PassageScreen
from archivist.tui.widgets.citations import CitationsPane

QUESTION = "Which crane code opens the berth gate at night?"
TEXT = ("Escape test \x1b[2J\x1b[31mescapecanary\x1b[0m \x1b]0;TITLE\x07 end: the crane code opens the berth gate "
        "at night.\n\n" + "The night shift keeps the crane code that opens the berth gate at night in the crane "
        "cabin. " * 6 + "\n")


def test_passages_and_file_names_reach_the_screen_without_control_characters(
        home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "c-evil\x1b[2Jname.txt").write_text(TEXT)
    (docs / "broken\x1b]0;TITLE\x07.pdf").write_bytes(b"%PDF-1.7\ngarbage")
    index_folder(docs, fake_embedder)
    app = make_app(fake_embedder, FakeGenerator("The crane code opens the berth gate at night \x1b[2J [1]."))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, QUESTION)
        passages = screen_text(app)
        assert "c-evil\\u001b[2Jname.txt" in passages  # the name shown escaped
        await pilot.press("f3")
        sources = screen_text(app)
        assert "broken\\u001b]0;TITLE\\u0007.pdf" in sources  # a file not indexed, with its reason
        await pilot.press("f2")
        assert isinstance(app.focused, CitationsPane)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PassageScreen), what="the passage viewer")
        viewer = screen_text(app)
        assert "escapecanary" in viewer and "[2J" in viewer  # the text stays readable, its controls dropped
        for shown in (passages, sources, viewer):
            assert "\x1b" not in shown and "\x07" not in shown

    drive(app, scenario, size=(140, 40))
