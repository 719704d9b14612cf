"""Builds Archivist's services from paths and settings, in one place, for the CLI and the TUI."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archivist.answer.generator import Generator
from archivist.answer.service import Answer, Answerer
from archivist.embed.base import Embedder
from archivist.index.generations import current_database, generation_of
from archivist.index.indexer import Indexer
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.retrieve.hybrid import Retriever
from archivist.security.passphrase import get_passphrase
from archivist.settings import Settings
from archivist.storage.state import StateStore


def default_embedder(paths: Paths, settings: Settings) -> Embedder:
    """The bundled MiniLM on the configured backend (ONNX int8 by default)."""
    from archivist.embed.minilm import OnnxMiniLM, TorchMiniLM

    threads = settings.embed.threads
    if settings.embed.backend == "torch":
        return TorchMiniLM(threads=threads, batch_size=settings.embed.batch_size, cache_dir=paths.cache_dir / "torch")
    return OnnxMiniLM(paths.models_dir, threads=threads, batch_size=settings.embed.batch_size)


def default_generator(settings: Settings, model: Path | None = None) -> Generator:
    """The configured GGUF (``--model`` > ``answer.model_path`` > bundled SmolLM2)."""
    from archivist.answer.generator import LlamaGenerator, bundled_model_path

    path = model or settings.answer.model_path or bundled_model_path()
    if Path(path).expanduser().is_file():  # a missing file gets LlamaGenerator's clearer message
        from archivist.security.checksums import ModelChecksums

        ModelChecksums(Paths.resolve().data_dir).verify(Path(path))  # recorded on first use, then verified
    return LlamaGenerator(Path(path).expanduser(), n_ctx=settings.answer.n_ctx, threads=settings.answer.threads,
                          repeat_penalty=settings.answer.repeat_penalty)


@dataclass
class Services:
    """The open index and lazily built models."""

    paths: Paths
    settings: Settings
    store: Store
    state: StateStore
    embedder_factory: Callable[[], Embedder]
    generator_factory: Callable[[], Generator]
    _embedder: Embedder | None = field(default=None, repr=False)
    passphrase: str = field(default="", repr=False)
    """Opens the other index generations (same passphrase); kept in memory only, like the open connection."""

    @property
    def profile(self) -> str:
        """The profile this session runs under (what it may read; recorded in the audit trail)."""
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

    def indexer(self) -> Indexer:
        from archivist.index.fingerprint import read, settings_for

        # A generation keeps being cut the way it was built, whatever the chunk settings say now (a change of
        # settings builds a new generation instead: archivist.index.rebuild).
        return Indexer(self.store, self.embedder, settings_for(self.settings, read(self.store)))

    def retriever(self) -> Retriever:
        return Retriever.from_settings(self.store, self.embedder, self.settings.retrieval, self.paths.models_dir)

    def answerer(self) -> Answerer:
        return Answerer(self.retriever(), self.generator_factory, self.settings,
                        generation=generation_of(self.paths, self.store.path))

    def reload_settings(self, settings: Settings) -> None:
        """Take settings edited while running (the watcher): the folder rules are applied at once and the
        embedder is rebuilt when its settings changed. The profile stays the one this session opened with."""
        settings = settings.model_copy(update={"profile": self.settings.profile})
        if settings.embed != self.settings.embed:
            self._embedder = None
        self.settings = settings
        apply_folder_rules(self.store, settings)

    def open_store(self, path: Path) -> Store:
        """Open another index file with this index's passphrase (another generation), seeing every folder."""
        return Store.open(path, self.passphrase, cache_mb=self.settings.cache_mb)

    def close(self) -> None:
        self.store.close()
        self.state.close()


def apply_folder_rules(store: Store, settings: Settings) -> None:
    """Make the index's folder rules match config.toml's ``[[folders]]`` (the config is authoritative)."""
    for rule in settings.folders:
        path = rule.path.expanduser().resolve()
        current = next((f for f in store._all_folders() if f.path == path), None)  # noqa: SLF001
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


def open_services(paths: Paths, settings: Settings, *, model: Path | None = None,
                  embedder: Callable[[], Embedder] | None = None,
                  generator: Callable[[], Generator] | None = None,
                  prompt: Callable[[str, bool], str] | None = None, all_profiles: bool = False,
                  adapter: str | None = None, adapter_scale: float | None = None) -> Services:
    """Open (or create) the encrypted index and prepare model factories.

    The index is opened for ``settings.profile``: every read sees only that profile's folders. Only the watch
    daemon (which keeps every folder fresh) passes ``all_profiles``.

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
    creating = not database.exists()
    passphrase = get_passphrase(creating=creating, prompt=prompt)
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
    services = Services(paths, settings, store, state,
                        embedder or (lambda: default_embedder(paths, services.settings)),
                        adapted(generator or (lambda: default_generator(services.settings, model)), paths,
                                settings.profile, adapter, adapter_scale), passphrase=passphrase)
    return services
