"""The unlock screen: shown when the index is encrypted and no passphrase is in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PASSPHRASE, FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from textual.widgets import Input
from tui_support import PORT_REPLY, drive, index_folder, make_app, make_docs, ready, screen_text, wait_until

from archivist.paths import Paths
from archivist.tui.screens.dialogs import ErrorScreen
from archivist.tui.screens.unlock import UnlockScreen


async def _type(pilot: Pilot, selector: str, value: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    box.value = value
    await pilot.press("enter")


async def _unlock_screen(pilot: Pilot, error: str = "") -> UnlockScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, UnlockScreen) and pilot.app.screen.error == error,
                     what=f"the unlock screen ({error or 'first'})")
    screen = pilot.app.screen
    assert isinstance(screen, UnlockScreen)
    # Painted, not only pushed: on a loaded machine the frame can come a moment after the screen's state.
    shows = "Wrong passphrase" if error else "encrypted index"
    await wait_until(pilot, lambda: shows in screen_text(pilot.app), what=f"{shows!r} on the screen")  # type: ignore[arg-type]
    return screen


def test_a_wrong_passphrase_is_refused_and_the_right_one_unlocks(home: Path, tmp_path: Path,
                                                                 fake_embedder: FakeEmbedder,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    index_folder(make_docs(tmp_path), fake_embedder)
    monkeypatch.delenv("ARCHIVIST_PASSPHRASE")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        screen = await _unlock_screen(pilot)
        assert not screen.creating and "Unlock the encrypted index" in screen_text(pilot.app)  # type: ignore[arg-type]
        assert app.session is None
        await _type(pilot, "#passphrase", "not-the-passphrase")
        screen = await _unlock_screen(pilot, error=f"Wrong passphrase for the index at {Paths.resolve().database} "
                                                    "(or the file is not an Archivist index).")
        assert "Wrong passphrase" in screen_text(pilot.app)  # type: ignore[arg-type]
        await _type(pilot, "#passphrase", PASSPHRASE)
        main = await ready(pilot)
        assert "2 files" in screen_text(pilot.app) or main.sources_view is not None  # type: ignore[arg-type]
        assert main.query_one("StatusBar").encryption == "encrypted"

    drive(app, scenario)


def test_a_new_index_asks_twice_and_rejects_a_mismatch(home: Path, fake_embedder: FakeEmbedder,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVIST_PASSPHRASE")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        screen = await _unlock_screen(pilot)
        assert screen.creating
        await _type(pilot, "#passphrase", "first-choice")
        await _type(pilot, "#confirm", "second-choice")
        assert "differ" in str(screen.query_one("#unlock-error").render())
        await _type(pilot, "#passphrase", "agreed-phrase")
        await _type(pilot, "#confirm", "agreed-phrase")
        main = await ready(pilot)
        assert Paths.resolve().database.is_file() and "No folders yet" in screen_text(pilot.app)  # type: ignore[arg-type]
        assert main.session is not None

    drive(app, scenario)


def test_a_wrong_passphrase_in_the_environment_is_a_clear_error(home: Path, tmp_path: Path,
                                                                fake_embedder: FakeEmbedder,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    index_folder(make_docs(tmp_path), fake_embedder)
    monkeypatch.setenv("ARCHIVIST_PASSPHRASE", "not-it")
    app = make_app(fake_embedder, FakeGenerator(PORT_REPLY))

    async def scenario(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ErrorScreen), what="the error")
        await wait_until(pilot, lambda: "Wrong passphrase" in screen_text(pilot.app),  # type: ignore[arg-type]
                         what="the error painted")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.return_code == 2, what="the app to exit with 2")

    drive(app, scenario)
