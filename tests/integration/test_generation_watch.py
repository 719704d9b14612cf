"""The watcher builds the next generation in the background, keeps it and the current one fresh, and follows a
promotion. Real watchdog observer and encrypted files; the fake embedder for speed. Every wait polls for what a
user would see (a generation's state, a keyword found through a second connection)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import PASSPHRASE, wait_until

from archivist.index import generations
from archivist.index.generations import READY
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.settings import ChunkSettings, Settings, WatchSettings
from archivist.watch.daemon import run_watch


def _finds(db: Path, word: str) -> bool:
    store = Store.open(db, PASSPHRASE)
    try:
        return bool(store.keyword_search(f'"{word}"', 5))
    finally:
        store.close()


@contextmanager
def _watching(services) -> Iterator[list[BaseException]]:  # noqa: ANN001
    """Run the watcher on a thread for the ``with`` body; yields the list its failures land in (checked at
    the end too: the watcher must stop cleanly)."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def watch() -> None:
        try:
            run_watch(services, role="archivist watch", stop=stop)
        except BaseException as exc:  # surfaced by the caller's assertions
            failures.append(exc)

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        yield failures
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive() and not failures, failures


def test_the_watcher_builds_the_next_generation_keeps_both_fresh_and_follows_a_promotion(
        services_factory, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(5):
        (docs / f"note{i}.txt").write_text(f"Heron cluster {i} has {10 + i} nodes in the east hall.\n")
    first = services_factory()
    first.store.add_folder(docs)
    first.indexer().index_all()
    services = services_factory(settings=Settings(chunk=ChunkSettings(max_tokens=32, overlap_tokens=0),
                                                  watch=WatchSettings(debounce_seconds=0.2)))
    paths = Paths.resolve()
    candidate = paths.generations_dir / "2.db"
    with _watching(services) as failures:
        assert wait_until(lambda: any(g.id == 2 and g.status == READY for g in generations.load(paths).generations)
                          or bool(failures)), "the candidate was never built"
        assert not failures, failures
        assert generations.load(paths).current == 1  # built, not promoted
        (docs / "late.txt").write_text("Osprey gateway listens on port 9100.\n")
        assert wait_until(lambda: _finds(paths.database, "osprey") and _finds(candidate, "osprey")), \
            "a change after the build reached only one generation"

        generations.promote(paths, 2)
        assert wait_until(lambda: services.store.path == candidate), "the watcher kept writing generation 1"
        (docs / "later.txt").write_text("Kestrel relay restarts at midnight.\n")
        assert wait_until(lambda: _finds(candidate, "kestrel"))
        assert not _finds(paths.database, "kestrel")  # the retired generation is kept as it was


def test_an_edit_of_the_settings_reaches_a_running_watcher_without_a_restart(services_factory, tmp_path: Path) -> None:
    docs, more = tmp_path / "docs", tmp_path / "more"
    docs.mkdir()
    more.mkdir()
    (docs / "note.txt").write_text("Heron cluster has 12 nodes in the east hall.\n")
    (more / "plover.txt").write_text("Plover archive sits on shelf 7.\n")
    paths = Paths.resolve()
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("[watch]\ndebounce_seconds = 0.2\n")
    services = services_factory(settings=Settings.load(paths.config_file))
    services.store.add_folder(docs)
    services.indexer().index_all()
    with _watching(services) as failures:
        paths.config_file.write_text("[watch\ndebounce_seconds = ")  # half-saved: invalid, the watcher goes on
        (docs / "first.txt").write_text("Osprey gateway listens on port 9100.\n")
        assert wait_until(lambda: _finds(paths.database, "osprey") or bool(failures)), "the watcher stopped"
        assert not failures, failures
        assert [g.id for g in generations.load(paths).generations] == [1]

        paths.config_file.write_text(f'[watch]\ndebounce_seconds = 0.2\n[chunk]\nmax_tokens = 32\noverlap_tokens = 0\n'
                                     f'[[folders]]\npath = "{more}"\nprofiles = ["default"]\n')
        assert wait_until(lambda: any(g.id == 2 and g.status == READY for g in generations.load(paths).generations)
                          or bool(failures)), "the new chunk settings never built a candidate"
        assert not failures, failures
        assert services.settings.chunk.max_tokens == 32
        assert generations.load(paths).current == 1  # built in the background, not promoted
        assert wait_until(lambda: _finds(paths.database, "plover")), "the folder added in config.toml was not indexed"
        (more / "late.txt").write_text("Kestrel relay restarts at midnight.\n")
        candidate = paths.generations_dir / "2.db"
        assert wait_until(lambda: _finds(paths.database, "kestrel") and _finds(candidate, "kestrel")), \
            "the new folder is not watched"
