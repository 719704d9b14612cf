"""The models a workspace answers with, built on first use: the configured embedder and generator.

Tests replace ``default_embedder`` and ``default_generator`` here with fakes (``tests/conftest.py`` makes any
accidental real-model call in a unit test fail); the workspace looks them up at call time for that reason.
"""

from __future__ import annotations

from pathlib import Path

from archivist.answer.generator import Generator
from archivist.embed.base import Embedder
from archivist.paths import Paths
from archivist.settings import Settings


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
