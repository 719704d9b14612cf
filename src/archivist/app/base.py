"""What the use-case mixins of ``Workspace`` may rely on (``app.workspace`` provides every member)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from archivist.answer.service import Answer, Answerer
from archivist.embed.base import Embedder
from archivist.index.indexer import Indexer
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.retrieve.hybrid import Retriever
from archivist.settings import Settings
from archivist.storage.state import StateStore


class Base:
    """The open workspace as the use cases see it (declarations only: ``Workspace`` defines them)."""

    paths: Paths
    settings: Settings
    store: Store
    state: StateStore
    passphrase: str
    lock: threading.RLock

    @property
    def profile(self) -> str:
        raise NotImplementedError

    def audit(self, action: str, query: str = "", chunk_ids: Sequence[int] = (), detail: str = "") -> None:
        raise NotImplementedError

    def record_answer(self, answer: Answer) -> None:
        raise NotImplementedError

    def embedder(self) -> Embedder:
        raise NotImplementedError

    def indexer(self, store: Store | None = None) -> Indexer:
        raise NotImplementedError

    def retriever(self) -> Retriever:
        raise NotImplementedError

    def answerer(self) -> Answerer:
        raise NotImplementedError

    def open_store(self, path: Path) -> Store:
        raise NotImplementedError
