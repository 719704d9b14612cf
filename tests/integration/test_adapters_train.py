"""A short real training run (small rank, few steps) through the whole pipeline: the adapter it produces
loads in llama.cpp on the bundled model and measurably moves held-out answers toward its style."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("peft")
pytest.importorskip("gguf")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "adapters" / "brief"


@pytest.mark.slow
def test_a_short_training_run_makes_an_adapter_that_shifts_style(tmp_path: Path) -> None:
    from archivist.adapters.pipeline import TrainRequest, run_training
    from archivist.adapters.registry import Registry
    from archivist.adapters.style import StyleChecks
    from archivist.adapters.train import TrainConfig
    from archivist.answer.generator import bundled_model_path
    from archivist.paths import Paths

    paths = Paths(tmp_path / "config", tmp_path / "data", tmp_path / "cache", tmp_path / "run", tmp_path / "models")
    steps: list[tuple[int, int, float]] = []
    request = TrainRequest(EXAMPLES / "examples.jsonl", "brief-ci", bundled_model_path(),
                           TrainConfig(rank=8, alpha=16, learning_rate=3e-3, batch_size=4, max_steps=12, threads=2),
                           style=StyleChecks.load(EXAMPLES / "style.json"), held_out=0.15)
    outcome = run_training(request, paths, progress=lambda *step: steps.append(step))

    assert [s[0] for s in steps] == list(range(1, 13)) and all(s[1] == 12 for s in steps)
    assert min(s[2] for s in steps[-3:]) < steps[0][2], "the loss did not go down"
    assert outcome.candidate.is_file() and not outcome.registered  # no --promote: a candidate only
    assert Registry(outcome.candidate.parent).compatible(bundled_model_path()) == ["brief-ci"]
    ev = outcome.evaluation
    assert ev is not None and ev.held_out == 6
    assert ev.style_adapter >= ev.style_base + 0.1, (ev.style_base, ev.style_adapter, ev.samples)
    assert outcome.info.training["data_sha256"] and outcome.info.base_model["sha256"]
    assert not list(paths.adapters_dir.glob("*.gguf")), "registered without --promote"
