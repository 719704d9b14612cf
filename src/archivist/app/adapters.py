"""Team adapters (LoRA answer styles): list, show, choose, train and promote them (``archivist.adapters`` does
the work), and switch the loaded model's adapter between two answers.

Listing, choosing, training and promoting need no open index: they are functions of paths and settings.
Switching the adapter of a model already loaded (the terminal UI) is a use case of the open workspace
(``AdapterCases``); both save the choice the same way, for the current profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archivist.adapters.registry import NONE, AdapterInfo, Choice, Registry, load_choice, save_choice
from archivist.app.base import Base
from archivist.paths import Paths
from archivist.settings import Settings

__all__ = ["NONE", "AdapterCases", "AdapterList", "AdapterRow", "base_model", "list_adapters", "promote_adapter",
           "show_adapter", "train_adapter", "use_adapter"]

Say = Callable[[str], None]
"""Told each step of an evaluation, as one line of prose."""


def base_model(settings: Settings, model: Path | None = None) -> Path | None:
    """The GGUF answers use (``model`` > ``answer.model_path`` > bundled); None when there is none."""
    from archivist.answer.generator import bundled_model_path
    from archivist.errors import ModelError

    if model is not None:
        return model.expanduser()
    if settings.answer.model_path:
        return Path(settings.answer.model_path).expanduser()
    try:
        return bundled_model_path()
    except ModelError:
        return None


def _usable(model: Path | None) -> Path | None:
    """``model`` when its file is there to compare adapters with, else None."""
    return model if model is not None and model.is_file() else None


@dataclass
class AdapterRow:
    """One registered adapter as ``adapters list`` shows it."""

    name: str
    active: bool
    fits: bool | None
    """Whether it fits the model answers use (None: that model's file is not there to compare with)."""
    problems: list[str]
    rank: int | None
    style: str
    """The style score without -> with the adapter on held-out examples, or ``-``."""
    description: str
    path: str


@dataclass
class AdapterList:
    """The registered adapters, the model answers use and the profile's chosen adapter."""

    model: Path | None
    active: str | None
    adapters: list[AdapterRow] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"model": self.model.name if self.model else None, "active": self.active,
                "adapters": [asdict(r) for r in self.adapters]}


def list_adapters(paths: Paths, settings: Settings) -> AdapterList:
    """The registered adapters, each with whether it fits the model answers use.

    Raises:
        AdapterError: the saved choice is unreadable.
    """
    from archivist.errors import AdapterError

    registry = Registry(paths.adapters_dir)
    base = base_model(settings)
    listing = AdapterList(base, load_choice(paths.active_adapter_file, settings.profile).name)
    usable = _usable(base)
    for info in registry.list():
        try:
            problems = registry.problems(info, usable) if usable is not None else None
        except AdapterError as exc:
            problems = [exc.message]
        ev = info.evaluation or {}
        style = (f"{ev['style_base']:.2f}->{ev['style_adapter']:.2f}"
                 if ev.get("style_base") is not None and ev.get("style_adapter") is not None else "-")
        listing.adapters.append(AdapterRow(info.name, info.name == listing.active,
                                           None if problems is None else not problems, problems or [], info.rank,
                                           style, info.description, str(info.path)))
    return listing


def show_adapter(paths: Paths, settings: Settings, name: str) -> tuple[AdapterInfo, dict]:
    """Adapter ``name`` and its metadata as JSON, with ``fits_model`` when the model answers use is there.

    Raises:
        AdapterError: there is no such adapter (the message lists those there are).
    """
    registry = Registry(paths.adapters_dir)
    info = registry.get(name)
    data = info.to_json()
    base = _usable(base_model(settings))
    if base is not None:
        problems = registry.problems(info, base)
        data["fits_model"] = {"model": base.name, "fits": not problems, "problems": problems}
    return info, data


def use_adapter(paths: Paths, settings: Settings, name: str, scale: float = 1.0) -> str | None:
    """Answer in adapter ``name``'s style from now on (``none``: the bare model), for the current profile;
    returns the adapter's name (None: the bare model).

    Raises:
        AdapterError: unknown, or does not fit the model answers use (the message lists those that do).
    """
    if name.lower() == NONE:
        save_choice(paths.active_adapter_file, Choice(), settings.profile)
        return None
    registry = Registry(paths.adapters_dir)
    base = _usable(base_model(settings))
    info = registry.check(name, base) if base is not None else registry.get(name)
    save_choice(paths.active_adapter_file, Choice(info.name, scale), settings.profile)
    return info.name


def _style(data: Path, style_file: Path | None) -> Any:  # noqa: ANN401 - adapters.style.StyleChecks
    """The team's format checks: ``style_file``, else ``style.json`` beside the examples, else none."""
    from archivist.adapters.style import StyleChecks

    style_file = style_file or (data.parent / "style.json" if (data.parent / "style.json").is_file() else None)
    return StyleChecks.load(style_file) if style_file else StyleChecks()


def _eval_set(questions: Path | None, docs: Path | None, skip: bool) -> tuple[Path | None, Path | None]:
    """The grounded-answer check's questions and folder (default: the bundled samples, when there)."""
    from archivist.adapters.evaluate import SAMPLE_DOCS, SAMPLE_QUESTIONS

    if skip:
        return None, None
    return (questions or (SAMPLE_QUESTIONS if SAMPLE_QUESTIONS.is_file() else None),
            docs or (SAMPLE_DOCS if SAMPLE_DOCS.is_dir() else None))


def _passphrase() -> str:
    from archivist.security.passphrase import get_passphrase

    return get_passphrase(creating=False)  # an encrypted data set opens with the index passphrase


def train_adapter(paths: Paths, settings: Settings, data: Path, name: str, *, model: Path | None = None,
                  description: str = "", style_file: Path | None = None, held_out: float = 0.2,
                  evaluate: bool = True, eval_questions: Path | None = None, eval_docs: Path | None = None,
                  promote: bool = False, replace: bool = False, output: Path | None = None,
                  progress: Callable[[int, int, float], None] | None = None, say: Say | None = None,
                  **config: Any) -> Any:  # noqa: ANN401 - adapters.pipeline.TrainOutcome
    """Train a style adapter offline from example answers, evaluate it (unless not ``evaluate``), keep it as a
    candidate and, with ``promote``, register it if it passes. ``config``: ``adapters.train.TrainConfig``'s
    fields (epochs, max_steps, rank, alpha, learning_rate, batch_size, threads). Nothing is written when
    interrupted (``KeyboardInterrupt``).

    Raises:
        AdapterError: a bad name, a taken name (without ``replace``), unreadable examples.
        ModelError: no base model to train on.
    """
    from archivist.adapters.pipeline import TrainRequest, run_training
    from archivist.adapters.registry import check_name
    from archivist.adapters.train import TrainConfig
    from archivist.app.workspace import open_workspace
    from archivist.errors import ModelError

    check_name(name)
    base = base_model(settings, model)
    if base is None:
        raise ModelError("No base model to train on.", hint="Pass --model PATH.gguf.")
    checks = _style(data, style_file)
    questions, docs = _eval_set(eval_questions, eval_docs, not evaluate)
    request = TrainRequest(data, name, base, TrainConfig(**config), description=description, style=checks,
                           held_out=held_out if evaluate else 0.0, promote=promote, replace=replace,
                           questions=questions, docs=docs, output=output, open_index=open_workspace)
    return run_training(request, paths, _passphrase, progress=progress, say=say)


def promote_adapter(paths: Paths, settings: Settings, name: str, data: Path, *, style_file: Path | None = None,
                    eval_questions: Path | None = None, eval_docs: Path | None = None, replace: bool = False,
                    threads: int | None = None, say: Say | None = None) -> Any:  # noqa: ANN401 - TrainOutcome
    """Evaluate the kept candidate ``name`` (from ``train_adapter``) again and register it if it passes.

    Raises:
        AdapterError: no such candidate, or ``data`` is not what it was trained on.
        ModelError: no base model to evaluate on.
    """
    from archivist.adapters.pipeline import TrainRequest, promote_candidate
    from archivist.adapters.train import TrainConfig
    from archivist.app.workspace import open_workspace
    from archivist.errors import ModelError

    base = base_model(settings)
    if base is None:
        raise ModelError("No base model to evaluate on.", hint="Set answer.model_path.")
    questions, docs = _eval_set(eval_questions, eval_docs, False)
    request = TrainRequest(data, name, base, TrainConfig(threads=threads), style=_style(data, style_file),
                           promote=True, replace=replace, questions=questions, docs=docs, open_index=open_workspace)
    return promote_candidate(request, paths, _passphrase, say=say)


class AdapterCases(Base):
    def adapter_in_use(self) -> str | None:
        """The active adapter of the loaded model (None: the bare model, or no model loaded yet: this never
        loads one)."""
        generator = self.answerer()._generator  # noqa: SLF001 - never load the model just to ask
        return getattr(generator, "adapter", None)

    def fitting_adapters(self) -> list[tuple[str, str]]:
        """(name, description) of the registered adapters that fit the model (loading it if needed)."""
        model = getattr(self.answerer().generator, "path", None)
        if model is None:
            return []
        registry = Registry(self.paths.adapters_dir)
        fits = set(registry.compatible(model))
        return [(a.name, a.description) for a in registry.list() if a.name in fits]

    def switch_adapter(self, name: str) -> float:
        """Hot-swap the loaded model to adapter ``name`` (``none``: the bare model) without reloading it; the
        choice is remembered for this profile. Returns the swap time in milliseconds.

        Raises:
            AdapterError: unknown, or does not fit the model (the message lists those that do).
        """
        from archivist.adapters.runtime import apply_choice, resolve_choice

        choice = resolve_choice(self.paths, self.profile, name)
        ms = apply_choice(self.answerer().generator, Registry(self.paths.adapters_dir), choice)
        save_choice(self.paths.active_adapter_file, choice, self.profile)
        return ms
