"""`archivist eval` on the sample folder and its question file, through the installed command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_support import ARCHIVIST, Sandbox

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "examples" / "sample-docs"
QUESTIONS = REPO / "examples" / "sample-questions.jsonl"


@pytest.fixture
def indexed(tmp_path: Path) -> Sandbox:
    assert ARCHIVIST.exists(), "run packaging/bootstrap.sh first"
    box = Sandbox(tmp_path)
    assert box.run("add", str(SAMPLES)).returncode == 0
    assert box.run("index").returncode == 0
    return box


@pytest.mark.slow
def test_eval_on_the_sample_set_with_the_bundled_model(indexed: Sandbox, tmp_path: Path) -> None:
    out, report = tmp_path / "run.json", tmp_path / "run.md"
    result = indexed.run("eval", str(QUESTIONS), "--output", str(out), "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "What to do next" in result.stdout
    run = json.loads(out.read_text())
    s = run["summary"]
    assert s["questions"] == 12 and s["recall@5"] == 1.0
    assert s["abstain_accuracy"] == 1.0 and s["citation_validity"] == 1.0
    assert run["breakdown"].get("false answer", 0) == 0
    assert "## Why questions failed" in report.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # reports quote documents


def test_eval_compare_gates_a_regression(indexed: Sandbox, tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    assert indexed.run("eval", str(QUESTIONS), "--no-answer", "--output", str(a)).returncode == 0
    same = indexed.run("eval", "--compare", str(a), str(a))
    assert same.returncode == 0 and "No regression" in same.stdout
    worse = json.loads(a.read_text())
    worse["summary"]["recall@1"] = worse["summary"]["recall@1"] - 0.2
    b = tmp_path / "b.json"
    b.write_text(json.dumps(worse))
    gated = indexed.run("eval", "--compare", str(a), str(b))
    assert gated.returncode == 1 and "recall@1" in gated.stderr
