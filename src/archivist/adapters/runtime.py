"""Applying the chosen adapter to a generator: ``ask --adapter``, ``adapters use``, the TUI's switch.

A generator takes adapters when it has ``set_adapter(path, scale, name)`` and ``path`` (its GGUF), as
``LlamaGenerator`` does; the swap itself (load once, switch the active set, reset the cache) lives there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from archivist.adapters.registry import NONE, Choice, Registry, load_choice
from archivist.answer.generator import Generator
from archivist.errors import AdapterError
from archivist.paths import Paths


def resolve_choice(paths: Paths, profile: str, name: str | None = None, scale: float | None = None) -> Choice:
    """The adapter answers should use: ``name`` when given (``none``: no adapter), else the profile's saved
    choice; ``scale`` overrides the scale either way.

    Raises:
        AdapterError: ``name`` is not a registered adapter (the message lists them), or ``scale`` is out of
            range.
    """
    if scale is not None and not 0.0 <= scale <= 4.0:
        raise AdapterError(f"Adapter scale {scale} is out of range.", hint="Use a value from 0 to 4 (1: as trained).")
    if name is None:
        saved = load_choice(paths.active_adapter_file, profile)
        return Choice(saved.name, saved.scale if scale is None else scale)
    if name.lower() == NONE:
        return Choice()
    Registry(paths.adapters_dir).get(name)  # unknown names fail now, before a model loads
    return Choice(name, 1.0 if scale is None else scale)


def apply_choice(generator: Generator, registry: Registry, choice: Choice) -> float:
    """Make ``choice`` the generator's active adapter; returns the swap time in ms (0 when nothing changed).

    Raises:
        AdapterError: the adapter is unknown or does not fit the generator's model (listing those that fit),
            or the model cannot take adapters.
    """
    current = getattr(generator, "adapter", None)
    if choice.name is None:
        if current is None:
            return 0.0
        return generator.set_adapter(None)  # type: ignore[attr-defined]
    model: Path | None = getattr(generator, "path", None)
    if model is None or not hasattr(generator, "set_adapter"):
        raise AdapterError(f"The model {generator.id} cannot take adapters.",
                           hint="Adapters need a llama.cpp GGUF model; run `archivist adapters use none`.")
    if current == choice.name and getattr(generator, "adapter_scale", 1.0) == choice.scale:
        return 0.0
    info = registry.check(choice.name, Path(model))
    return generator.set_adapter(info.path, choice.scale, info.name)  # type: ignore[attr-defined]


def adapted(factory: Callable[[], Generator], paths: Paths, profile: str, name: str | None = None,
            scale: float | None = None) -> Callable[[], Generator]:
    """A generator factory whose generators start with the adapter of ``resolve_choice`` applied. The saved
    choice is read when the model is built, so commands that never answer never read it."""

    def build() -> Generator:
        generator = factory()
        choice = resolve_choice(paths, profile, name, scale)
        if choice.name is not None:
            apply_choice(generator, Registry(paths.adapters_dir), choice)
        return generator

    return build
