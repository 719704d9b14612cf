"""Switching profile in the terminal UI: the screen is cleared and only the new profile's folders are read."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from tui_support import PORT_QUESTION, RETENTION, ask, drive, make_app, ready, screen_text, wait_until

from archivist.app.workspace import open_workspace as open_services
from archivist.paths import Paths
from archivist.settings import Settings
from archivist.tui.screens.dialogs import ProfileScreen
from archivist.tui.widgets.question import QuestionInput
from archivist.tui.widgets.status_bar import StatusBar

OPS_RUNBOOK = "# Zephyr backup runbook\n\nThe Zephyr backup service listens on port 7431 (canary opsmarmot).\n"


def _two_profiles(root: Path, embedder: FakeEmbedder) -> None:
    legal, ops = root / "legal", root / "ops"
    legal.mkdir()
    ops.mkdir()
    (legal / "retention.txt").write_text(RETENTION)
    (ops / "zephyr-runbook.md").write_text(OPS_RUNBOOK)
    for profile, folder in (("legal", legal), ("ops", ops)):
        settings = Settings.load(None).model_copy(update={"profile": profile})
        services = open_services(Paths.resolve(), settings, embedder=lambda: embedder,
                                 generator=lambda: FakeGenerator(""))
        try:
            services.store.add_folder(folder.resolve())
            services.indexer().index_all()
        finally:
            services.close()


def test_switching_profile_clears_the_screen_and_reads_only_that_profiles_folders(
        home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    _two_profiles(tmp_path, fake_embedder)
    settings = Settings.load(None).model_copy(update={"profile": "legal"})
    app = make_app(fake_embedder, FakeGenerator("The service listens on port 7431 [1]."), settings)

    async def scenario(pilot: Pilot) -> None:
        main = await ready(pilot)
        assert main.query_one(StatusBar).profile == "legal"
        await pilot.press("ctrl+s")  # search only: list what legal can read
        entry = await ask(pilot, PORT_QUESTION)
        assert all("legal" in c.path for c in entry.citations)
        assert "opsmarmot" not in screen_text(app)
        app.action_switch_profile()
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen), what="the profile dialog")
        dialog = app.screen
        assert isinstance(dialog, ProfileScreen) and {"legal", "ops"} <= set(dialog.profiles)
        dialog.dismiss("ops")
        await wait_until(pilot, lambda: app.main.query_one(StatusBar).profile == "ops", what="the switch")
        new = await ready(pilot)
        assert new.query_one(StatusBar).profile == "ops"
        assert new.entries == [] and PORT_QUESTION not in screen_text(app)  # the legal exchange is gone
        assert new.query_one(QuestionInput).history == []
        await pilot.press("ctrl+s")
        entry = await ask(pilot, PORT_QUESTION)
        assert entry.citations and all("/ops/" in c.path for c in entry.citations)
        assert "eleven years" not in screen_text(app)

    drive(app, scenario)
