"""Shared fixtures: deterministic fake models for unit tests, real bundled models for integration tests.

Unit tests (tests/unit) may never load a real model: ``default_embedder``/``default_generator`` are
replaced by functions that fail, so an accidental real-model call is a test failure, not a slow pass.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from archivist.retrieve.text import terms
from archivist.security.offline import enforce_offline

# The tests' own processes run with the same telemetry and hub switches as the `archivist` command, set before any
# test module loads a model library; every child process a test starts inherits them. (The end-to-end privacy test
# removes them from its sandbox to prove the command sets them itself.)
enforce_offline()

PASSPHRASE = "test-passphrase-8812"


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False). Tests wait for what a
    user would see, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        elif "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


class FakeCounter:
    """Counts words as word pieces (good enough for chunking logic under test)."""

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def split(self, text: str, max_tokens: int) -> list[str]:
        words = text.split()
        return [" ".join(words[i:i + max_tokens]) for i in range(0, len(words), max_tokens)]


class FakeEmbedder:
    """Hashed bag of words: texts sharing words are close, unrelated texts are orthogonal-ish."""

    id = "fake-embedder/hash"
    dim = 384
    max_tokens = 254

    def __init__(self) -> None:
        self.tokens = FakeCounter()
        self.calls = 0
        self.texts_embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in terms(text):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            if not out[i].any():
                out[i, 0] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class FakeGenerator:
    """Streams a canned reply (or ``reply(messages)``) word by word."""

    id = "fake-model.gguf"
    n_ctx = 2048

    def __init__(self, reply: str | Callable[[list[dict]], str] = "") -> None:
        self.reply = reply
        self.prompts: list[list[dict]] = []

    def count_tokens(self, text: str) -> int:
        return int(len(text.split()) * 1.3) + 1

    def stream(self, messages: Sequence[dict], max_tokens: int, temperature: float) -> Iterator[str]:
        self.prompts.append(list(messages))
        text = self.reply(list(messages)) if callable(self.reply) else self.reply
        for i, word in enumerate(text.split(" ")):
            yield word if i == 0 else " " + word


@pytest.fixture(autouse=True)
def _no_real_models_in_unit_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("integration") or request.node.get_closest_marker("e2e"):
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a unit test tried to load a real model; use the fakes in conftest.py")

    monkeypatch.setattr("archivist.app.models.default_embedder", refuse)
    monkeypatch.setattr("archivist.app.models.default_generator", refuse)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ARCHIVIST_HOME with the test passphrase set."""
    h = tmp_path / "archivist-home"
    monkeypatch.setenv("ARCHIVIST_HOME", str(h))
    monkeypatch.setenv("ARCHIVIST_PASSPHRASE", PASSPHRASE)
    for var in [v for v in os.environ if v.startswith("ARCHIVIST_") and "__" in v]:
        monkeypatch.delenv(var)
    return h


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def services_factory(home: Path, fake_embedder: FakeEmbedder):  # noqa: ANN201
    """Open services on the test home with fake models: ``make(generator=FakeGenerator(...))``."""
    from archivist.app.workspace import open_workspace as open_services
    from archivist.paths import Paths
    from archivist.settings import Settings

    opened = []

    def make(generator: FakeGenerator | None = None, settings: Settings | None = None):  # noqa: ANN202
        paths = Paths.resolve()
        s = settings or Settings.load(None)
        gen = generator or FakeGenerator("")
        services = open_services(paths, s, embedder=lambda: fake_embedder, generator=lambda: gen)
        opened.append(services)
        return services

    yield make
    for s in opened:
        s.close()


def indexed_workspace(root: Path, folder: Path, embedder, generator=None):  # noqa: ANN001, ANN201
    """A workspace of its own under ``root`` (models from the project's ``models/``) over ``folder``, indexed;
    returns (workspace, index report). The integration modules build theirs with the real models."""
    from archivist.app.workspace import Workspace
    from archivist.index.store import Store
    from archivist.paths import Paths
    from archivist.settings import Settings
    from archivist.storage.state import StateStore

    paths = Paths(root / "config", root / "data", root / "cache", root / "run", Paths.resolve().models_dir)
    store = Store.open(paths.database, "integration-pass")
    state = StateStore.open(paths.state_database, "integration-pass")
    workspace = Workspace(paths, Settings.load(None), store, state, lambda: embedder, lambda: generator)
    store.add_folder(folder)
    return workspace, workspace.indexer().index_all()


# -- integration: the real bundled models, loaded once per session --------------------------------------------

@pytest.fixture(scope="session")
def real_embedder():  # noqa: ANN201
    from archivist.app.models import default_embedder
    from archivist.paths import Paths
    from archivist.settings import Settings

    return default_embedder(Paths.resolve(), Settings.load(None))


@pytest.fixture(scope="session")
def real_generator():  # noqa: ANN201
    from archivist.answer.generator import LlamaGenerator, bundled_model_path

    return LlamaGenerator(bundled_model_path(), n_ctx=4096, threads=2)


SAMPLE_DOCS = Path(__file__).resolve().parents[1] / "examples" / "sample-docs"
