"""SVG snapshots of the main screen, the passage viewer and the unlock screen (fake models, 100x32).

The first run of a new snapshot fails by design; ``pytest --snapshot-update`` writes the baseline, which is
reviewed and committed with the change that made it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from tui_support import PORT_QUESTION, PORT_REPLY, ask, index_folder, make_app, make_docs, ready, wait_until

from archivist.tui.screens.passage import PassageScreen
from archivist.tui.screens.unlock import UnlockScreen
from archivist.tui.widgets.question import QuestionInput

SIZE = (100, 32)


@pytest.fixture
def docs(home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    folder = make_docs(tmp_path)
    index_folder(folder, fake_embedder)
    return folder


async def _answered(pilot: Pilot) -> None:
    main = await ready(pilot)
    await ask(pilot, PORT_QUESTION)
    main.query_one(QuestionInput).cursor_blink = False  # a blinking cursor would make frames differ


def test_main_screen(snap_compare, docs: Path, fake_embedder: FakeEmbedder) -> None:  # noqa: ANN001
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))
    assert snap_compare(app, terminal_size=SIZE, run_before=_answered)


def test_passage_viewer(snap_compare, docs: Path, fake_embedder: FakeEmbedder) -> None:  # noqa: ANN001
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def run_before(pilot: Pilot) -> None:
        await _answered(pilot)
        await pilot.press("f2", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, PassageScreen), what="the viewer")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_unlock_screen(snap_compare, docs: Path, fake_embedder: FakeEmbedder,  # noqa: ANN001
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVIST_PASSPHRASE")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def run_before(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, UnlockScreen), what="the unlock screen")
        await pilot.pause()
        pilot.app.screen.query_one("#passphrase").cursor_blink = False  # type: ignore[attr-defined]

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
