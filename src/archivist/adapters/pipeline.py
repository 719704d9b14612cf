"""``archivist adapters train``: examples -> LoRA -> GGUF adapter -> evaluation -> candidate (-> registry).

The trained adapter is always kept as a *candidate* (``models/adapters/candidates/NAME.gguf`` + sidecar,
or ``--output``), which ``adapters list`` does not show. ``--promote`` also registers it, only when the
evaluation says style improved and grounding did not regress. Every file is written atomically once
training has finished, so an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from archivist.adapters.dataset import data_sha256, load_examples, split_held_out
from archivist.adapters.evaluate import Evaluation, OpenScratch, Say, folder_checks, style_scores
from archivist.adapters.registry import AdapterInfo, Registry, base_model_info, check_name
from archivist.adapters.style import StyleChecks
from archivist.adapters.train import Progress, TrainConfig, add_lora, export_adapter, load_base, train_lora
from archivist.errors import AdapterError
from archivist.paths import Paths


@dataclass
class TrainRequest:
    """Everything ``adapters train`` was asked to do."""

    data: Path
    name: str
    base_model: Path
    config: TrainConfig = field(default_factory=TrainConfig)
    description: str = ""
    style: StyleChecks = field(default_factory=StyleChecks)
    held_out: float = 0.2
    promote: bool = False
    replace: bool = False
    questions: Path | None = None
    """Grounded-answer check questions (None: skip it; then the adapter cannot be promoted)."""
    docs: Path | None = None
    output: Path | None = None
    dtype: str = "f16"
    open_index: OpenScratch | None = None
    """Opens the temporary index the grounded-answer check runs on (``app.workspace.open_workspace``); needed
    when ``questions`` and ``docs`` are given."""


@dataclass
class TrainOutcome:
    info: AdapterInfo
    candidate: Path
    evaluation: Evaluation | None
    registered: bool


def run_training(request: TrainRequest, paths: Paths, passphrase: Callable[[], str] | None = None, *,
                 progress: Progress | None = None, say: Say | None = None) -> TrainOutcome:
    """Train, convert, evaluate, and keep (and with ``promote``, register) an adapter.

    Raises:
        ConfigError: bad examples or style checks. AdapterError: a bad name, or the name is taken.
        TrainingUnavailable: the ``train`` extra is not installed. KeyboardInterrupt: nothing was written.
    """
    check_name(request.name)
    registry = Registry(paths.adapters_dir)
    if request.promote and (registry.folder / f"{request.name}.gguf").exists() and not request.replace:
        raise AdapterError(f"An adapter called {request.name!r} already exists.",
                           hint="Choose another --name, or pass --replace.")
    examples = load_examples(request.data, passphrase)
    train, held = split_held_out(examples, request.held_out)
    say = say or (lambda _: None)
    say(f"{len(examples)} examples: {len(train)} to train on, {len(held)} held out for evaluation.")
    say(f"Loading {request.base_model.name} from its GGUF (dequantising, ~20 s)…")
    base, tokenizer = load_base(request.base_model, request.config.threads, cache_dir=paths.cache_dir / "torch")
    model = add_lora(base, request.config)
    result = train_lora(model, tokenizer, train, request.config, progress)
    output = request.output or (paths.adapters_dir / "candidates" / f"{request.name}.gguf")
    with tempfile.TemporaryDirectory(prefix="archivist-adapter-") as tmp:
        trained = Path(tmp) / f"{request.name}.gguf"
        export_adapter(model, base.config, trained, name=request.name, alpha=request.config.alpha,
                       dtype=request.dtype)
        info = AdapterInfo(
            name=output.stem, path=trained, description=request.description,
            base_model=base_model_info(request.base_model), rank=request.config.rank, alpha=request.config.alpha,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
            training={"data_sha256": data_sha256(examples), "examples": len(examples), "trained_on": len(train),
                      "held_out": len(held), "held_out_share": request.held_out, "skipped_too_long": result.skipped,
                      "epochs": request.config.epochs, "steps": result.steps,
                      "batch_size": request.config.batch_size, "learning_rate": request.config.learning_rate,
                      "seconds": round(result.seconds, 1), "final_loss": result.final_loss, "dtype": request.dtype},
            style_checks=request.style.to_json())
        # Kept before evaluating: an evaluation that fails (or is interrupted) never costs the training.
        candidate = Registry(output.parent).register(trained, info, replace=True)
    del model, base
    gc.collect()
    return evaluate_candidate(request, candidate, held, paths, say)


def evaluate_candidate(request: TrainRequest, candidate: AdapterInfo, held: list, paths: Paths,
                       say: Say | None = None) -> TrainOutcome:
    """Evaluate a kept candidate, record the result in its sidecar, and register it as ``request.name``
    when ``request.promote`` and the evaluation allows it."""
    say = say or (lambda _: None)
    evaluation = _evaluate(request, candidate.path, held, paths, say)
    registered = False
    if evaluation is not None:
        candidate.evaluation = evaluation.to_json()
        if request.promote and evaluation.promotable:
            candidate.evaluation["promoted"] = True
        Registry(candidate.path.parent).write_sidecar(candidate)
    info = candidate
    if request.promote and evaluation is not None and evaluation.promotable:
        info = Registry(paths.adapters_dir).register(candidate.path, replace(candidate, name=request.name),
                                                     replace=request.replace)
        registered = True
    return TrainOutcome(info, candidate.path, evaluation, registered)


def promote_candidate(request: TrainRequest, paths: Paths, passphrase: Callable[[], str] | None = None,
                      say: Say | None = None) -> TrainOutcome:
    """Evaluate the kept candidate ``request.name`` again (held-out examples from ``request.data``, split as
    in training) and register it if it passes: the way back after an evaluation that failed or was cut.

    Raises:
        AdapterError: no such candidate, or ``request.data`` is not the data it was trained on.
    """
    folder = request.output.parent if request.output else paths.adapters_dir / "candidates"
    candidate = Registry(folder).get(request.output.stem if request.output else request.name)
    examples = load_examples(request.data, passphrase)
    if candidate.training.get("data_sha256") not in (None, data_sha256(examples)):
        raise AdapterError(f"{request.data} is not the data candidate {candidate.name!r} was trained on.",
                           hint="Pass the same --data: its held-out examples must be ones it never saw.")
    _, held = split_held_out(examples, float(candidate.training.get("held_out_share", request.held_out)))
    return evaluate_candidate(request, candidate, held, paths, say)


def _evaluate(request: TrainRequest, adapter: Path, held: list, paths: Paths, say: Say) -> Evaluation | None:
    if not held and request.questions is None:
        return None
    from archivist.answer.generator import LlamaGenerator

    generator = LlamaGenerator(request.base_model, threads=request.config.threads)
    try:
        problems = Registry(adapter.parent).problems(AdapterInfo.load(adapter), request.base_model)
        if problems:  # the converter's own output must fit the model it was trained on
            raise AdapterError(f"The converted adapter does not fit {request.base_model.name}: {problems[0]}.",
                               hint="This is a bug in the converter; please report it.")
        started = time.perf_counter()
        if held and request.style:
            say(f"Style checks on {len(held)} held-out examples, without and with the adapter…")
            base_score, tuned_score, samples = style_scores(generator, adapter, held, request.style)
        else:
            base_score, tuned_score, samples = 0.0, 0.0, []
        evaluation = Evaluation(len(held), base_score, tuned_score, samples=samples)
        if request.questions is not None and request.docs is not None:
            if request.open_index is None:
                raise AdapterError("The grounded-answer check needs a way to open its temporary index.",
                                   hint="This is a bug in the caller of adapters.pipeline; please report it.")
            found = folder_checks(generator, adapter, request.questions, request.docs, paths.models_dir,
                                  request.style, request.open_index, say)
            for key, value in found.items():
                setattr(evaluation, key, value)
            evaluation.questions = request.questions.name
        say(f"Evaluated in {time.perf_counter() - started:.0f} s.")
        return evaluation
    finally:
        generator.close()
