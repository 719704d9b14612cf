"""The models a workspace answers with, built on first use: the configured embedder and generator.

Tests replace ``default_embedder`` and ``default_generator`` here with fakes (``tests/conftest.py`` makes any
accidental real-model call in a unit test fail); the workspace looks them up at call time for that reason.
"""

from __future__ import annotations

from collections.abc import Callable
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


def check_model(path: Path) -> None:
    """Fail early, naming the file, when ``path`` is not a readable GGUF model.

    Raises:
        ModelError: missing, unreadable, or not a GGUF file.
    """
    from archivist.answer.generator import check_gguf

    check_gguf(path)


def trust_model(paths: Paths, model: Path) -> str:
    """Accept ``model``'s current content as the expected one (after replacing a GGUF on purpose); returns its
    SHA-256.

    Raises:
        ModelError: it is not a GGUF model.
    """
    from archivist.security.checksums import ModelChecksums

    check_model(model.expanduser())
    return ModelChecksums(paths.data_dir).trust(model).sha256


def prepare_embedder(paths: Paths, *, force: bool = False, starting: Callable[[], None] | None = None) -> Path | None:
    """Export the bundled MiniLM embedder to int8 ONNX unless the export is current (``force``: anyway);
    ``starting`` is told before the (minute-long) export. Returns the file written, or None when current."""
    from archivist.embed.export import export_onnx, onnx_is_current

    if not force and onnx_is_current(paths.models_dir):
        return None
    if starting is not None:
        starting()
    return export_onnx(paths.models_dir)
