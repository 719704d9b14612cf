"""The models a workspace answers with, built on first use: the configured embedder and generator.

Tests replace ``default_embedder`` and ``default_generator`` here with fakes (``tests/conftest.py`` makes any
accidental real-model call in a unit test fail); the workspace looks them up at call time for that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from archivist.answer.generator import Generator
from archivist.embed.base import Embedder
from archivist.paths import Paths
from archivist.settings import Settings

if TYPE_CHECKING:
    from archivist.security.checksums import ModelChecksums


def default_embedder(paths: Paths, settings: Settings) -> Embedder:
    """The bundled MiniLM on the configured backend (ONNX int8 by default)."""
    from archivist.embed.minilm import OnnxMiniLM, TorchMiniLM

    threads, batch = settings.embed.threads, settings.embed.batch_size
    if settings.embed.backend == "torch":
        return TorchMiniLM(threads=threads, batch_size=batch or 32, cache_dir=paths.cache_dir / "torch")
    return OnnxMiniLM(paths.models_dir, threads=threads, batch_size=batch or 1)


def default_generator(settings: Settings, model: Path | None = None) -> Generator:
    """The configured GGUF (``--model`` > ``answer.model_path`` > bundled SmolLM2)."""
    from archivist.answer.generator import LlamaGenerator, bundled_model_path

    path = Path(model or settings.answer.model_path or bundled_model_path()).expanduser()
    name = None
    if path.is_file():  # a missing file gets LlamaGenerator's clearer message
        from archivist.security.checksums import ModelChecksums

        paths = Paths.resolve()
        checksums = ModelChecksums(paths.data_dir)
        checksums.verify(path)  # recorded on first use, then verified
        if settings.answer.fast_prompt and not (model or settings.answer.model_path):
            path, name = _fast_copy(path, paths, checksums), path.name
    return LlamaGenerator(path, n_ctx=settings.answer.n_ctx, threads=settings.answer.threads,
                          repeat_penalty=settings.answer.repeat_penalty, name=name)


def _fast_copy(bundled: Path, paths: Paths, checksums: ModelChecksums) -> Path:
    """The bundled model's Q8_0 copy (``answer.weights``), verified like any model; the bundled file itself when
    the copy cannot be written (a full disk, a read-only cache): slower to read a prompt, same answers.

    A copy that changed since it was written (damaged, or replaced) is written again from the verified bundled
    file: the conversion gives the same bytes every time, so the rewritten copy matches its record."""
    from archivist.answer.weights import prompt_fast_copy
    from archivist.errors import ArchivistError, ModelError

    folder = paths.cache_dir / "models"
    for attempt in (1, 2):
        try:
            copy = prompt_fast_copy(bundled, folder)
        except (ArchivistError, OSError):
            return bundled
        if copy == bundled:
            return bundled
        try:
            checksums.verify(copy)
        except ModelError:
            if attempt == 2:
                raise  # written again from the verified file and still not the recorded bytes: say so
            copy.unlink(missing_ok=True)
            continue
        return copy
    return bundled  # not reached: the second attempt returns or raises


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
