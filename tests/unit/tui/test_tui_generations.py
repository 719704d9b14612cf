"""The index generations in the terminal UI: which one answers, what is being built or ready, and the command
that switches (promotion stays gated on the command line)."""

from __future__ import annotations

from pathlib import Path

from conftest import FakeEmbedder, FakeGenerator
from textual.pilot import Pilot
from tui_support import drive, index_folder, make_app, make_docs, ready, screen_text, wait_until

from archivist.app.workspace import open_workspace as open_services
from archivist.index import generations
from archivist.paths import Paths
from archivist.settings import ChunkSettings, Settings
from archivist.tui.screens.generations import GenerationsScreen


def test_the_palette_shows_the_generations_and_how_to_promote_a_ready_one(
        home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    docs = make_docs(tmp_path)
    index_folder(docs, fake_embedder)
    # A second generation built with smaller chunks (what `archivist index` does after a settings change).
    paths = Paths.resolve()
    services = open_services(paths, Settings(chunk=ChunkSettings(max_tokens=40, overlap_tokens=0)),
                             embedder=lambda: fake_embedder, generator=lambda: FakeGenerator(""))
    try:
        services.build_next_generation("archivist index build")
    finally:
        services.close()
    assert [(g.id, g.status) for g in generations.list_generations(paths)] == [(1, "current"), (2, "ready")]

    app = make_app(fake_embedder, FakeGenerator(""))

    async def scenario(pilot: Pilot) -> None:
        await ready(pilot)
        app.action_show_generations()
        await wait_until(pilot, lambda: isinstance(app.screen, GenerationsScreen), what="the generations")
        await pilot.pause()
        text = screen_text(app)
        assert "Index generations (answering: 1)" in text
        assert "current" in text and "ready" in text and "chunk 40/0" in text
        assert "archivist index promote 2" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, GenerationsScreen), what="the screen to close")

    drive(app, scenario, size=(120, 36))
