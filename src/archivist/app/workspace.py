"""The workspace: the open index, the state file and the models, opened once from paths and settings.

Every user action is a method of ``Workspace``, each defined with its kind in this package (``app.folders``: add
and remove a folder; ``app.indexing``: index and build generations; ``app.asking``: ask and search;
``app.privacy``: forget and the audit trail; ``app.history``: history and feedback; ``app.documents``: status,
metadata corrections and table facts; ``app.adapters``: switching the loaded model's adapter). The CLI and the
terminal UI call these and nothing below them, so the two cannot drift apart. Actions that need no open index
(choosing and training adapters, listing and switching generations, re-keying, checking the installation) are
functions of ``app.adapters``, ``app.generations``, ``app.privacy`` and ``app.setup`` taking paths and settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archivist.answer.generator import Generator
from archivist.answer.service import Answer, Answerer
from archivist.app import models
from archivist.app.adapters import AdapterCases
from archivist.app.asking import AskCases
from archivist.app.documents import DocumentCases
from archivist.app.folders import FolderCases
from archivist.app.history import HistoryCases
from archivist.app.indexing import IndexCases
from archivist.app.privacy import PrivacyCases
from archivist.embed.base import Embedder
from archivist.index.generations import current_database, generation_of
from archivist.index.indexer import Indexer
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.retrieve.hybrid import Retriever
from archivist.security.passphrase import get_passphrase
from archivist.settings import Settings
from archivist.storage.state import StateStore

Prompt = Callable[[str, bool], str]
"""Asks for the passphrase: ``prompt(text, confirm)`` (confirm: a new index, type it twice)."""


@dataclass
class Workspace(FolderCases, IndexCases, AskCases, PrivacyCases, HistoryCases, DocumentCases, AdapterCases):
    """The open index (for one profile), the state file and lazily built models. Build one with
    ``open_workspace``; ``close`` it when done."""

    paths: Paths
    settings: Settings
    store: Store
    state: StateStore
    embedder_factory: Callable[[], Embedder]
    generator_factory: Callable[[], Generator]
    _embedder: Embedder | None = field(default=None, repr=False)
    passphrase: str = field(default="", repr=False)
    """Opens the other index generations (same passphrase); kept in memory only, like the open connection."""
    _answerer: Answerer | None = field(default=None, init=False, repr=False)
    _long_lived: bool = field(default=False, init=False, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    """Held around the short writes of the shared connections when several threads use this workspace (the
    terminal UI's workers hold it for their reads too): ``ask`` holds it to record the answer, never while the
    model generates, so the UI's reads never wait for an answer."""

    @property
    def profile(self) -> str:
        """The profile this workspace runs under (what it may read; recorded in the audit trail)."""
        return self.settings.profile

    def audit(self, action: str, query: str = "", chunk_ids: Sequence[int] = (), detail: str = "") -> None:
        """Append to the encrypted, hash-chained audit trail (ask, search, open, export, forget, egress)."""
        self.state.audit(self.profile, action, query, chunk_ids, detail)

    def record_answer(self, answer: Answer) -> None:
        """Keep ``answer`` in this profile's encrypted history and audit that it was asked."""
        import json

        self.state.add_history(self.profile, answer.question, json.dumps(answer.to_json(), ensure_ascii=False))
        self.audit("ask", answer.question, [c.chunk_id for c in answer.citations], detail=answer.mode)

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.embedder_factory()
        return self._embedder

    def indexer(self, store: Store | None = None) -> Indexer:
        """An indexer of ``store`` (default: the generation that answers), cut the way that generation was built
        (a change of settings builds a new generation instead: ``archivist.index.rebuild``)."""
        from archivist.index.fingerprint import read, settings_for

        store = store or self.store
        return Indexer(store, self.embedder, settings_for(self.settings, read(store)))

    def hold_vectors(self) -> None:
        """This workspace answers many questions (the watch daemon, the TUI): search the vectors in memory when the
        settings say so (``retrieval.hold_vectors``), in this generation and the ones switched to later."""
        self._long_lived = True
        self.store.hold_vectors(self.settings.retrieval.hold_vectors)

    def load_vectors(self) -> None:
        """Load the held vectors now (a warm-up), so that the first question does not wait for them."""
        self.store.load_held_vectors()

    def retriever(self) -> Retriever:
        return Retriever.from_settings(self.store, self.embedder, self.settings.retrieval, self.paths.models_dir)

    def answerer(self) -> Answerer:
        """The answerer of this workspace, built once: the model loads on its first answer and stays loaded."""
        if self._answerer is None:
            self._answerer = Answerer(self.retriever(), self.generator_factory, self.settings,
                                      generation=generation_of(self.paths, self.store.path))
        return self._answerer

    def reload_settings(self, settings: Settings) -> None:
        """Take settings edited while running (the watcher): the folder rules are applied at once and the
        embedder is rebuilt when its settings changed. The profile stays the one this workspace opened with."""
        settings = settings.model_copy(update={"profile": self.settings.profile})
        if settings.embed != self.settings.embed:
            self._embedder = None
        self.settings = settings
        self._answerer = None
        apply_folder_rules(self.store, settings)
        if self._long_lived:
            self.store.hold_vectors(settings.retrieval.hold_vectors)

    def open_store(self, path: Path) -> Store:
        """Open another index file with this index's passphrase (another generation), seeing every folder."""
        return Store.open(path, self.passphrase, cache_mb=self.settings.cache_mb)

    def switch_generation(self) -> None:
        """Answer from the generation the manifest names current now (after a promotion; the watch daemon)."""
        profile = self.store.profile
        self.store.close()
        self.store = Store.open(current_database(self.paths), self.passphrase, cache_mb=self.settings.cache_mb,
                                profile=profile)
        if self._long_lived:
            self.store.hold_vectors(self.settings.retrieval.hold_vectors)
        self._answerer = None

    def close(self) -> None:
        self.store.close()
        self.state.close()


def apply_folder_rules(store: Store, settings: Settings) -> None:
    """Make the index's folder rules match config.toml's ``[[folders]]`` (the config is authoritative)."""
    for rule in settings.folders:
        path = rule.path.expanduser().resolve()
        current = next((f for f in store.folders_under(path) if f.path == path), None)
        forgotten = [e for e in current.exclude if e.startswith("/")] if current else []
        exclude = [*rule.exclude, *forgotten]  # forgotten paths stay excluded whatever the config says
        if current is None or list(current.profiles) != rule.profiles or list(current.exclude) != exclude:
            store.set_folder_rules(path, rule.profiles, exclude)


_egress_listener: Callable[[], None] | None = None


def _audit_egress(state: StateStore, profile: str) -> None:
    """Record every refused connection attempt of this process in the audit trail."""
    global _egress_listener
    from archivist.security import egress

    if _egress_listener is not None:
        _egress_listener()

    def record(attempt: egress.Attempt) -> None:
        state.audit(profile, "egress-refused", detail=f"{attempt.event} {attempt.target}")

    _egress_listener = egress.on_attempt(record)


def open_workspace(paths: Paths, settings: Settings, *, model: Path | None = None,
                   embedder: Callable[[], Embedder] | None = None,
                   generator: Callable[[], Generator] | None = None,
                   prompt: Prompt | None = None, passphrase: str | None = None, all_profiles: bool = False,
                   adapter: str | None = None, adapter_scale: float | None = None) -> Workspace:
    """Open (or create) the encrypted index and prepare model factories.

    The index is opened for ``settings.profile``: every read sees only that profile's folders. Only the watch
    daemon (which keeps every folder fresh) passes ``all_profiles``. The passphrase is ``passphrase`` when
    given, else the environment's, the passphrase file's, or asked through ``prompt``.

    The generator answers with ``adapter`` (``none``: no adapter) or else the profile's saved choice
    (``archivist adapters use``), scaled by ``adapter_scale``.

    Raises:
        WrongPassphrase, PassphraseMissing, StoreError, AdapterError (an unknown ``adapter``), IndexBusy (a
        passphrase change is switching the files over right now).
    """
    from archivist.adapters.runtime import adapted, resolve_choice

    if adapter is not None:
        resolve_choice(paths, settings.profile, adapter, adapter_scale)  # an unknown name fails before the key
    from archivist.errors import WrongPassphrase
    from archivist.security.privacy import apply_forgotten, finish_interrupted_rekey, rekey_in_progress, switching

    paths.ensure_private(paths.data_dir)
    # A re-key a crash interrupted is finished or discarded, before opening; a live one is left to finish.
    finish_interrupted_rekey(paths)
    database = current_database(paths)  # the generation that answers (index.db until another is promoted)
    if passphrase is None:
        passphrase = get_passphrase(creating=not database.exists(), prompt=prompt)
    try:
        store = Store.open(database, passphrase, cache_mb=settings.cache_mb,
                           profile=None if all_profiles else settings.profile)
        try:
            apply_folder_rules(store, settings)
            state = StateStore.open(paths.state_database, passphrase)
            state.import_feedback(store)
            apply_forgotten(store, state.forgotten())
        except BaseException:
            store.close()
            raise
    except WrongPassphrase:
        if rekey_in_progress(paths):  # a live re-key switched a file since the check above: say so, not this
            raise switching(paths) from None
        raise
    _audit_egress(state, settings.profile)
    ws = Workspace(paths, settings, store, state,
                   embedder or (lambda: models.default_embedder(paths, ws.settings)),
                   adapted(generator or (lambda: models.default_generator(ws.settings, model)), paths,
                           settings.profile, adapter, adapter_scale), passphrase=passphrase)
    return ws
