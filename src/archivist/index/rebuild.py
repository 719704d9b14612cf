"""Building the next index generation while the current one keeps answering (needs the open index: ``OpenIndex``).

``plan`` compares what the settings would build now with what built the current generation; when they
differ it names the candidate: a new generation, or an earlier one with the same fingerprint. ``build``
fills the candidate from the current generation's folder list with the ordinary incremental indexer run
against the candidate's file, so a build killed at any point resumes by running it again. The watch daemon
does the same on a thread (``BackgroundBuild``) and then keeps the candidate fresh with ``FreshIndexer``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from archivist.embed.base import Embedder
from archivist.index import fingerprint, generations
from archivist.index.generations import BUILDING, READY, RETIRED, Generation
from archivist.index.indexer import Indexer, IndexReport, Progress
from archivist.index.store import Folder, Store
from archivist.paths import Paths
from archivist.settings import Settings


class OpenIndex(Protocol):
    """What building generations needs from its caller (``app.Workspace`` is one): the generation that answers,
    the settings, the embedder, and a way to open another generation with the same passphrase."""

    paths: Paths
    settings: Settings
    store: Store

    def embedder(self) -> Embedder: ...

    def open_store(self, path: Path) -> Store: ...

log = logging.getLogger("archivist.generations")


@dataclass
class Plan:
    """What ``plan`` found: the current generation and, when the settings changed, the candidate."""

    current: Generation
    fingerprint: dict[str, Any]
    """The fingerprint of the settings now (what a build would record)."""
    candidate: Generation | None = None
    """The generation to build or keep fresh with the settings now (None: the current one matches)."""
    changes: list[str] = field(default_factory=list)
    """What differs between the current generation and the settings (``chunk.max_tokens 200 -> 120``)."""


def _generation_of(manifest: generations.Manifest, index: OpenIndex) -> Generation:
    for g in manifest.generations:
        if g.path(index.paths) == index.store.path:
            return g
    return manifest.current_generation


def plan(index: OpenIndex) -> Plan:
    """Decide whether a new generation is needed; record fingerprints met for the first time.

    An index that has none recorded (made before generations existed, or new and empty) is taken to be built
    by the settings now. Building or ready candidates made for other settings are retired (kept, no longer
    built). Builds the embedder (its id and weights are part of the fingerprint). Callers hold the writer
    lock (``archivist index``, ``archivist index build``, the watcher).
    """
    paths = index.paths
    wanted = fingerprint.compute(index.settings, index.embedder())
    digest = fingerprint.digest(wanted)
    manifest = generations.load(paths)
    current = _generation_of(manifest, index)
    recorded = fingerprint.read(index.store)
    if recorded is None:
        fingerprint.write(index.store, wanted)
        recorded = wanted
    if current.fingerprint != fingerprint.digest(recorded) or not current.built_from:
        current = generations.record_fingerprint(paths, current.id, fingerprint.digest(recorded),
                                                 fingerprint.describe(recorded))
    for g in manifest.generations:
        if g.status in (BUILDING, READY) and g.fingerprint != digest and g.id != current.id:
            generations.set_status(paths, g.id, RETIRED)
    if current.fingerprint == digest:
        return Plan(current, wanted)
    matching = [g for g in manifest.generations if g.fingerprint == digest and g.id != current.id]
    if matching:
        candidate = max(matching, key=lambda g: g.id)
        if candidate.status == RETIRED:  # built for these settings before: catch it up rather than start over
            candidate = generations.set_status(paths, candidate.id, BUILDING)
    else:
        candidate = generations.create(paths, digest, fingerprint.describe(wanted))
    return Plan(current, wanted, candidate, fingerprint.differences(recorded, wanted))


# -- folders ---------------------------------------------------------------------------------------------------

def _all_folders(index: OpenIndex) -> list[Folder]:
    """The current generation's folders, whatever profile the index was opened for."""
    if getattr(index.store, "profile", None) is None:
        return index.store.folders()
    store = index.open_store(index.store.path)
    try:
        return store.folders()
    finally:
        store.close()


def sync_folders(folders: Sequence[Folder], target: Store) -> None:
    """Make ``target``'s folder list (with each folder's profiles and excludes, when folders have them) equal
    to ``folders``: a candidate indexes what the current generation indexes."""
    have = {f.path: f for f in target.folders()}
    want = {f.path: f for f in folders}
    for path, folder in want.items():
        profiles, exclude = getattr(folder, "profiles", None), getattr(folder, "exclude", None)
        existing = have.get(path)
        if profiles is not None and hasattr(target, "set_folder_rules"):
            if existing is None or (getattr(existing, "profiles", None), getattr(existing, "exclude", None)) != \
                    (profiles, exclude):
                target.set_folder_rules(path, list(profiles), list(exclude or ()))
        elif existing is None:
            target.add_folder(path)
    for path, folder in have.items():
        if path not in want:
            target.remove_folder(folder)


def candidates(index: OpenIndex) -> list[Generation]:
    """Generations being built or ready, other than the one the index opened."""
    manifest = generations.load(index.paths)
    current = _generation_of(manifest, index)
    return [g for g in manifest.generations if g.status in (BUILDING, READY) and g.id != current.id]


def sync_candidates(index: OpenIndex) -> list[Generation]:
    """After ``archivist add``/``remove``: give every building or ready generation the current folder list."""
    found = candidates(index)
    if not found:
        return []
    folders = _all_folders(index)
    for g in found:
        store = index.open_store(g.path(index.paths))
        try:
            sync_folders(folders, store)
            copy_corrections(index.store, store)
        finally:
            store.close()
    return found


def copy_corrections(source: Store, target: Store) -> None:
    """The user's metadata corrections (``archivist meta``) of ``source`` into ``target``: a new generation
    keeps them."""
    if not hasattr(source, "meta_overrides"):
        return
    have = target.meta_overrides()
    for path, fields in source.meta_overrides().items():
        if have.get(path) != fields:
            target.correct_metadata(Path(path), {**{k: None for k in have.get(path, {})}, **fields})


# -- building --------------------------------------------------------------------------------------------------

@dataclass
class BuildResult:
    generation: Generation
    report: IndexReport
    missing: list[Path]
    """Folders that do not exist (their files are not in the candidate: it stays ``building``)."""
    stopped: bool = False


def build(index: OpenIndex, candidate: Generation, wanted: dict[str, Any], *,
          progress: Callable[[Folder, int, int, Path | None], None] | None = None,
          stop: threading.Event | None = None) -> BuildResult:
    """Fill (or resume, or catch up) ``candidate`` from the current generation's folders.

    Files already written are skipped by the incremental indexer, so running this again after a crash
    continues where the last run stopped. The candidate becomes ``ready`` once every folder was indexed.

    Raises:
        DiskFull, StoreError: as ``Indexer`` (the candidate keeps every file finished so far).
    """
    paths = index.paths
    store = index.open_store(candidate.path(paths))
    try:
        recorded = fingerprint.read(store)
        if recorded is None:
            fingerprint.write(store, wanted)
            recorded = wanted
        sync_folders(_all_folders(index), store)
        copy_corrections(index.store, store)
        indexer = Indexer(store, index.embedder, fingerprint.settings_for(index.settings, recorded))
        run = indexer.index_folders(progress, stop)
    finally:
        store.close()
    if not run.stopped and not run.missing and generations.load(paths).get(candidate.id).status == BUILDING:
        candidate = generations.set_status(paths, candidate.id, READY)
    return BuildResult(candidate, run.report, run.missing, run.stopped)


# -- the watch daemon ------------------------------------------------------------------------------------------

class FreshIndexer:
    """The watcher's indexer over several generations: every change goes to the current generation first,
    then to each candidate added with ``add`` (found by folder path: folder ids differ between files)."""

    def __init__(self, primary: Indexer) -> None:
        self.primary = primary
        self.store = primary.store
        self._others: list[Indexer] = []

    def add(self, indexer: Indexer) -> None:
        self._others = [*self._others, indexer]  # replaced, not appended: the worker thread may be iterating

    def index_folder(self, folder: Folder, progress: Progress | None = None) -> IndexReport:
        report = self.primary.index_folder(folder, progress)
        for other in self._others:
            match = next((f for f in other.store.folders() if f.path == folder.path), None)
            if match is not None:
                other.index_folder(match)
        return report

    def index_file(self, path: Path) -> IndexReport:
        report = self.primary.index_file(path)
        for other in self._others:
            other.index_file(path)
        return report

    def wanted(self, root: Path, path: Path) -> bool:
        return self.primary.wanted(root, path)


class BackgroundBuild:
    """Builds (or catches up) the candidate on its own thread; then hands a fresh indexer to ``on_ready``.

    Args:
        index: the daemon's index (the current generation stays open and answering).
        plan: a plan with a candidate.
        on_ready: called on the build thread with an indexer over the finished candidate, which the caller
            then owns (the watcher keeps it fresh from then on).
    """

    def __init__(self, index: OpenIndex, plan: Plan, on_ready: Callable[[Indexer], None]) -> None:
        assert plan.candidate is not None
        self.index = index
        self.plan = plan
        self.on_ready = on_ready
        self.result: BuildResult | None = None
        self.failure: BaseException | None = None
        self.progress = (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="archivist-build", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop between two files; everything finished so far stays in the candidate."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        candidate = self.plan.candidate
        assert candidate is not None
        log.info("generation %d: %s started", candidate.id, "catch-up" if candidate.status == READY else "build")

        def progress(folder: Folder, done: int, total: int, path: Path | None) -> None:
            self.progress = (done, total)

        try:
            self.result = build(self.index, candidate, self.plan.fingerprint, progress=progress,
                                stop=self._stop)
        except Exception as exc:  # reported through `failure` and the log; the current generation is untouched
            self.failure = exc
            log.error("generation %d: build stopped: %s", candidate.id, type(exc).__name__)
            return
        r = self.result
        log.info("generation %d: %s, %d added, %d updated, %d passages embedded", candidate.id,
                 "stopped" if r.stopped else r.generation.status, r.report.added, r.report.updated,
                 r.report.chunks_embedded)
        if r.stopped or r.missing:
            return
        store = self.index.open_store(candidate.path(self.index.paths))
        self.on_ready(Indexer(store, self.index.embedder,
                              fingerprint.settings_for(self.index.settings, fingerprint.read(store))))
