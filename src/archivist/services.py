"""Builds Archivist's services from paths and settings, in one place, for the CLI and the TUI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archivist.answer.generator import Generator
from archivist.answer.service import Answerer
from archivist.embed.base import Embedder
from archivist.index.indexer import Indexer
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.retrieve.hybrid import Retriever
from archivist.security.passphrase import get_passphrase
from archivist.settings import Settings
from archivist.state import StateStore


def default_embedder(paths: Paths, settings: Settings) -> Embedder:
    """The bundled MiniLM on the configured backend (ONNX int8 by default)."""
    from archivist.embed.minilm import OnnxMiniLM, TorchMiniLM

    threads = settings.embed.threads
    if settings.embed.backend == "torch":
        return TorchMiniLM(threads=threads, batch_size=settings.embed.batch_size)
    return OnnxMiniLM(paths.models_dir, threads=threads, batch_size=settings.embed.batch_size)


def default_generator(settings: Settings, model: Path | None = None) -> Generator:
    """The configured GGUF (``--model`` > ``answer.model_path`` > bundled SmolLM2)."""
    from archivist.answer.generator import LlamaGenerator, bundled_model_path

    path = model or settings.answer.model_path or bundled_model_path()
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

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.embedder_factory()
        return self._embedder

    def indexer(self) -> Indexer:
        return Indexer(self.store, self.embedder, self.settings)

    def retriever(self) -> Retriever:
        r = self.settings.retrieval
        return Retriever(self.store, self.embedder, candidates=r.candidates, rrf_k=r.rrf_k,
                         doc_name_weight=r.doc_name_weight)

    def answerer(self) -> Answerer:
        return Answerer(self.retriever(), self.generator_factory, self.settings)

    def close(self) -> None:
        self.store.close()
        self.state.close()


def open_services(paths: Paths, settings: Settings, *, model: Path | None = None,
                  embedder: Callable[[], Embedder] | None = None,
                  generator: Callable[[], Generator] | None = None,
                  prompt: Callable[[str, bool], str] | None = None) -> Services:
    """Open (or create) the encrypted index and prepare model factories.

    Raises:
        WrongPassphrase, PassphraseMissing, StoreError.
    """
    paths.ensure_private(paths.data_dir)
    creating = not paths.database.exists()
    passphrase = get_passphrase(creating=creating, prompt=prompt)
    store = Store.open(paths.database, passphrase, cache_mb=settings.cache_mb)
    try:
        state = StateStore.open(paths.state_database, passphrase)
        state.import_feedback(store)
    except BaseException:
        store.close()
        raise
    return Services(paths, settings, store, state,
                    embedder or (lambda: default_embedder(paths, settings)),
                    generator or (lambda: default_generator(settings, model)))
