"""Checking a claim: the passages pane, the passage viewer's highlighted support, opening the source file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from tui_support import PORT_QUESTION, PORT_REPLY, ask, drive, index_folder, make_app, make_docs, ready, wait_until

from archivist.tui.opener import OpenPlan
from archivist.tui.screens.passage import PassageScreen
from archivist.tui.widgets.citations import CitationsPane

TWO_SOURCES = "The Zephyr backup service listens on port 7431 [1]. Client contracts are retained for eleven years [2]."


@pytest.fixture
def docs(home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    folder = make_docs(tmp_path)
    index_folder(folder, fake_embedder)
    return folder


async def _open_first_passage(pilot: Pilot) -> PassageScreen:
    await pilot.press("f2")  # the passages pane, focused
    assert isinstance(pilot.app.focused, CitationsPane)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PassageScreen), what="the passage viewer")
    screen = pilot.app.screen
    assert isinstance(screen, PassageScreen)
    return screen


def test_the_viewer_highlights_the_supporting_sentence(docs: Path, fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, PORT_QUESTION)
        viewer = await _open_first_passage(pilot)
        assert viewer.citation.path.endswith("zephyr-runbook.md")
        assert viewer.highlighted_text == [
            "The Zephyr backup service listens on port 7431 and writes snapshots to the vault every six hours."]
        meta = str(viewer.query_one("#viewer-meta").render())
        assert "1 answer sentence rests on it" in meta
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, PassageScreen), what="the viewer to close")

    drive(app, scenario)


def test_n_and_p_move_between_passages(docs: Path, fake_embedder: FakeEmbedder) -> None:
    app = make_app(fake_embedder, FakeGenerator(TWO_SOURCES))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        entry = await ask(pilot, "Which port does Zephyr use, and how long are client contracts retained?")
        assert len(entry.citations) == 2
        viewer = await _open_first_passage(pilot)
        seen = {Path(viewer.citation.path).name: viewer.highlighted_text}
        await pilot.press("n")
        seen[Path(viewer.citation.path).name] = viewer.highlighted_text
        assert seen == {
            "zephyr-runbook.md": ["The Zephyr backup service listens on port 7431 and writes snapshots to the vault "
                                  "every six hours."],
            "retention.txt": ["Client contracts are retained for eleven years after termination."]}
        await pilot.press("p")
        assert viewer.index == 0

    drive(app, scenario)


def test_e_opens_the_file_in_the_editor_at_the_line(docs: Path, fake_embedder: FakeEmbedder,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "vi")
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    ran: list[OpenPlan] = []
    app.run_external = ran.append  # type: ignore[method-assign]

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, PORT_QUESTION)
        viewer = await _open_first_passage(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: ran, what="the editor to be started")
        line = viewer.citation.line_start
        assert ran[0].argv == ["vi", f"+{line}", str(docs / "zephyr-runbook.md")]

    drive(app, scenario)


def test_a_vanished_source_is_reported_not_opened(docs: Path, fake_embedder: FakeEmbedder) -> None:
    from tui_support import record_notifications

    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    seen = record_notifications(app)
    ran: list[OpenPlan] = []
    app.run_external = ran.append  # type: ignore[method-assign]

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        await ask(pilot, PORT_QUESTION)
        await _open_first_passage(pilot)
        (docs / "zephyr-runbook.md").unlink()
        await pilot.press("e")
        await wait_until(pilot, lambda: any(n["severity"] == "error" for n in seen), what="the error")
        assert "no longer exists" in seen[-1]["message"] and ran == []

    drive(app, scenario)
