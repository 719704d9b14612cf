"""Helpers for the terminal UI tests: a small indexed corpus, the app on fake models, ``wait_until``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

from conftest import FakeEmbedder, FakeGenerator
from textual.pilot import Pilot

from archivist.app.workspace import open_workspace as open_services
from archivist.paths import Paths
from archivist.settings import Settings
from archivist.tui.app import ArchivistApp
from archivist.tui.screens.main import Entry, MainScreen
from archivist.tui.widgets.question import QuestionInput

RUNBOOK = ("# Zephyr backup runbook\n\nThe Zephyr backup service listens on port 7431 and writes snapshots "
           "to the vault every six hours.\n\nIf a snapshot fails twice in a row, page the storage on-call "
           "engineer.\n")
RETENTION = ("Record retention policy.\nClient contracts are retained for eleven years after termination.\n"
             "Draft memos are deleted after ninety days.\n")
PORT_QUESTION = "What port does the Zephyr backup service listen on?"
PORT_REPLY = "The Zephyr backup service listens on port 7431 [1]."
ABSENT_QUESTION = "What is the airspeed of the lunar ferry between Oslo and Titan?"
FINAL_STATES = ("answered", "abstained", "cancelled", "failed")


def make_docs(root: Path) -> Path:
    """A folder named ``docs`` with a runbook and a retention policy."""
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "zephyr-runbook.md").write_text(RUNBOOK)
    (docs / "retention.txt").write_text(RETENTION)
    return docs


def index_folder(docs: Path, embedder: FakeEmbedder, settings: Settings | None = None) -> None:
    """Add and index ``docs`` in the test home (ARCHIVIST_HOME, ARCHIVIST_PASSPHRASE) with the fake embedder."""
    s = settings or Settings.load(None)
    services = open_services(Paths.resolve(), s, embedder=lambda: embedder, generator=lambda: FakeGenerator(""))
    try:
        services.store.add_folder(docs.resolve())
        services.indexer().index_all()
    finally:
        services.close()


class SlowGenerator(FakeGenerator):
    """Streams its reply with a pause between tokens, counting how many were produced (cancel tests)."""

    def __init__(self, reply: str, delay: float = 0.05) -> None:
        super().__init__(reply)
        self.delay = delay
        self.produced = 0

    def stream(self, messages: Sequence[dict], max_tokens: int, temperature: float) -> Iterator[str]:
        for piece in super().stream(messages, max_tokens, temperature):
            time.sleep(self.delay)
            self.produced += 1
            yield piece


class CountingFactory:
    """A model factory that counts its calls and records ``probe()`` at each (e.g. what the screen showed)."""

    def __init__(self, model: object, probe: Callable[[], object] | None = None) -> None:
        self.model = model
        self.calls = 0
        self.probe = probe
        self.probes: list[object] = []

    def __call__(self) -> object:
        self.calls += 1
        if self.probe is not None:
            self.probes.append(self.probe())
        return self.model


def make_app(embedder: FakeEmbedder | Callable[[], object], generator: FakeGenerator | Callable[[], object],
             settings: Settings | None = None) -> ArchivistApp:
    """The app on the test home, with fake models (pass factories to count their calls)."""
    s = settings or Settings.load(None)
    paths = Paths.resolve()
    emb = embedder if callable(embedder) and not isinstance(embedder, FakeEmbedder) else (lambda: embedder)
    gen = generator if callable(generator) and not isinstance(generator, FakeGenerator) else (lambda: generator)
    return ArchivistApp(s, lambda prompt: open_services(paths, s, embedder=emb, generator=gen, prompt=prompt),
                        lambda profile, prompt: open_services(paths, s.model_copy(update={"profile": profile}),
                                                              embedder=emb, generator=gen, prompt=prompt))


async def wait_until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Let the app run until ``predicate()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


def main_screen(app: ArchivistApp) -> MainScreen:
    return app.main


async def ready(pilot: Pilot) -> MainScreen:
    """Wait until the index is open, its sources shown and the models loaded."""
    app = pilot.app
    assert isinstance(app, ArchivistApp)
    await wait_until(pilot, lambda: app.session is not None, what="the index to open")
    main = app.main
    await wait_until(pilot, lambda: main.sources_view is not None, what="the sources")
    await wait_until(pilot, lambda: main.query_one("StatusBar").model != "loading…", what="the models")
    return main


async def ask(pilot: Pilot, question: str, *, final: bool = True) -> Entry:
    """Type ``question``, press Enter and (by default) wait for the exchange to settle."""
    main = main_screen(pilot.app)  # type: ignore[arg-type]
    box = main.query_one(QuestionInput)
    box.focus()
    box.value = question
    before = len(main.entries)
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(main.entries) > before, what="the question to be taken")
    entry = main.entries[-1]
    if final:
        await wait_until(pilot, lambda: entry.exchange.state in FINAL_STATES and not main.generating,
                         what=f"an answer to {question!r}")
    return entry


def drive(app: ArchivistApp, scenario: Callable[[Pilot], Awaitable[None]], size: tuple[int, int] = (100, 32)) -> None:
    """Run ``scenario(pilot)`` against ``app`` headless (a fresh event loop per test)."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await scenario(pilot)

    asyncio.run(main())


def record_notifications(app: ArchivistApp) -> list[dict]:
    """Capture ``app.notify`` calls (message, title, severity) while still showing them."""
    seen: list[dict] = []
    original = app.notify

    def notify(message: str, *, title: str = "", severity: str = "information", **kwargs: object) -> None:
        seen.append({"message": str(message), "title": title, "severity": severity})
        original(message, title=title, severity=severity, **kwargs)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    return seen


def screen_text(app: ArchivistApp) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips).replace("\xa0", " ")
