"""Evaluation before promotion: does the adapter improve the team's style without making answers less
grounded?

1. **Style**: the held-out examples' prompts are answered by the bare model and with the adapter; each
   raw answer gets the style score of the team's declared checks (``style.StyleChecks``).
2. **Grounding**: the grounded-answer checks of ``archivist eval`` run on a question file over a folder
   (by default the bundled sample questions and folder), indexed into a throw-away encrypted index, once
   without and once with the adapter; the supported-sentence rate must not drop by more than
   ``tolerance``.

``--promote`` registers the adapter only when both hold (``Evaluation.promotable``).
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from archivist.adapters.dataset import Example
from archivist.adapters.style import StyleChecks, mean_score
from archivist.answer.generator import Generator
from archivist.eval.runner import EvalTarget
from archivist.index.indexer import Indexer
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.settings import Settings

CHECKOUT = Path(__file__).resolve().parents[3]
SAMPLE_QUESTIONS = CHECKOUT / "examples" / "sample-questions.jsonl"
SAMPLE_DOCS = CHECKOUT / "examples" / "sample-docs"

Say = Callable[[str], None]


@dataclass
class Evaluation:
    """The numbers ``--promote`` decides on (stored in the sidecar)."""

    held_out: int
    style_base: float
    style_adapter: float
    supported_base: float | None = None
    supported_adapter: float | None = None
    questions: str | None = None
    sample_style_base: float | None = None
    """Style score of the model's own answers to ``questions`` over the folder, without the adapter."""
    sample_style_adapter: float | None = None
    tolerance: float = 0.02
    min_gain: float = 0.05
    samples: list[dict] = field(default_factory=list)
    """A few held-out answers, without and with the adapter (what a reviewer reads)."""

    @property
    def style_improved(self) -> bool:
        return self.style_adapter >= self.style_base + self.min_gain

    @property
    def grounding_kept(self) -> bool | None:
        """None when the grounding check did not run."""
        if self.supported_base is None or self.supported_adapter is None:
            return None
        return self.supported_adapter >= self.supported_base - self.tolerance

    @property
    def promotable(self) -> bool:
        return self.style_improved and self.grounding_kept is True

    def verdict(self) -> str:
        if not self.style_improved:
            return (f"style did not improve by {self.min_gain} ({self.style_base:.2f} -> {self.style_adapter:.2f}): "
                    "more or clearer examples, more epochs, or a higher rank may help")
        if self.grounding_kept is None:
            return "the grounded-answer check did not run, so the adapter cannot be promoted"
        if not self.grounding_kept:
            return (f"answers became less supported ({self.supported_base:.2f} -> {self.supported_adapter:.2f}): "
                    "the examples may teach answering beyond the passages")
        return "style improved and answers stayed as supported: promotable"

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(style_improved=self.style_improved, grounding_kept=self.grounding_kept,
                    promoted=False, verdict=self.verdict())
        return data


def raw_answers(generator, examples: list[Example], max_tokens: int = 160) -> list[str]:  # noqa: ANN001
    """The model's own text for each example's prompt (greedy, the answer settings' repeat penalty)."""
    return ["".join(generator.stream(e["messages"][:-1], max_tokens, 0.0)).strip() for e in examples]


def style_scores(generator, adapter: Path, examples: list[Example], checks: StyleChecks,  # noqa: ANN001
                 scale: float = 1.0) -> tuple[float, float, list[dict]]:
    """(score without, score with the adapter, a few samples); leaves the generator without adapter."""
    generator.set_adapter(None)
    base = raw_answers(generator, examples)
    generator.set_adapter(adapter, scale)
    tuned = raw_answers(generator, examples)
    generator.set_adapter(None)
    samples = [{"prompt_question": e["messages"][-2]["content"].rsplit("\n", 1)[-1], "base": b, "adapter": t}
               for e, b, t in list(zip(examples, base, tuned, strict=True))[:3]]
    return mean_score(checks, base), mean_score(checks, tuned), samples


class ScratchIndex(EvalTarget, Protocol):
    """The temporary index of the grounded-answer check: its store, its indexer, and how to close it."""

    store: Store

    def indexer(self) -> Indexer: ...

    def close(self) -> None: ...


class OpenScratch(Protocol):
    """Opens a scratch index at ``paths`` answering with ``generator`` (``app.workspace.open_workspace``)."""

    def __call__(self, paths: Paths, settings: Settings, *, generator: Callable[[], Generator], passphrase: str,
                 adapter: str) -> ScratchIndex: ...


def folder_checks(generator, adapter: Path, questions: Path, docs: Path, models_dir: Path,  # noqa: ANN001
                  checks: StyleChecks, open_index: OpenScratch, say: Say | None = None,
                  scale: float = 1.0) -> dict[str, float | None]:
    """On ``questions`` over ``docs``, indexed into a temporary encrypted index (deleted afterwards; never the
    user's index), without and with the adapter: the supported-sentence rate of ``archivist eval``, and the
    style score of the model's own answers to the prompts answering builds (the questions with enough
    evidence to answer)."""
    from archivist.answer.prompt import build_prompt
    from archivist.eval.questions import load_questions
    from archivist.eval.runner import run_eval
    from archivist.settings import Settings

    qs = load_questions(questions)
    out: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory(prefix="archivist-adapter-eval-") as tmp:
        root = Path(tmp)
        paths = Paths(root / "config", root / "data", root / "cache", root / "run", models_dir)
        key = secrets.token_urlsafe(24)
        settings = Settings.load(None)
        services = open_index(paths, settings, generator=lambda: generator, passphrase=key, adapter="none")
        try:
            folder, _ = services.store.add_folder(docs.resolve())
            if say:
                say(f"Indexing {docs} into a temporary index…")
            services.indexer().index_folder(folder)
            prompts = []
            for q in qs:
                result = services.retriever().search(q.question, settings.retrieval.top_k)
                if result.hits and result.evidence >= settings.answer.min_evidence:
                    prompts.append({"messages": [*build_prompt(
                        q.question, result.hits, generator, context_tokens=settings.answer.context_tokens,
                        answer_tokens=settings.answer.max_answer_tokens).messages, {"role": "assistant",
                                                                                   "content": ""}]})
            for label, path in (("base", None), ("adapter", adapter)):
                generator.set_adapter(path, scale)
                if say:
                    say(f"Grounded-answer checks on {questions.name} {'with' if path else 'without'} the adapter…")
                out[f"supported_{label}"] = run_eval(services, qs, k=20, answer=True).summary.get(
                    "supported_sentence_rate")  # type: ignore[assignment]
                if checks and prompts:
                    out[f"sample_style_{label}"] = mean_score(checks, raw_answers(generator, prompts))
            generator.set_adapter(None)
        finally:
            services.close()
    return out
