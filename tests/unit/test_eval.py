"""`archivist eval`: metric functions on hand-computed examples, question files, comparisons, verdicts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeGenerator

from archivist.cli import cli
from archivist.errors import ConfigError
from archivist.eval.metrics import answer_matches, ndcg_at, numbers, recall_at, reciprocal_rank
from archivist.eval.questions import Source, load_questions
from archivist.eval.report import compare, markdown
from archivist.eval.runner import run_eval


def test_rank_metrics_by_hand() -> None:
    relevant = [False, False, True, False, True]
    assert recall_at(relevant, 1) == 0.0 and recall_at(relevant, 3) == 1.0
    assert reciprocal_rank(relevant) == pytest.approx(1 / 3)
    # DCG = 1/log2(4) + 1/log2(6); ideal with 2 relevant = 1 + 1/log2(3)
    expected = (1 / math.log2(4) + 1 / math.log2(6)) / (1 + 1 / math.log2(3))
    assert ndcg_at(relevant, 10) == pytest.approx(expected)
    assert ndcg_at([False] * 5, 10) == 0.0 and reciprocal_rank([False] * 5) == 0.0


def test_numbers_are_normalised() -> None:
    assert 1184.0 in numbers("1,184 pallets")
    assert -1.2 in numbers("a loss of (1.2)")
    assert 2.1e9 in numbers("$2.1 billion")
    assert 35.0 in numbers("35%")


@pytest.mark.parametrize(("expected", "got", "ok"), [
    ("35 days", "Daily restore points are kept for 35 days [1].", True),
    ("35 days", "They are kept for 53 days.", False),
    ("$2.1 billion", "Revenue was 2,100 million dollars", False),  # 2100 vs 2.1e9/2.1: different scale words
    ("$2.1 billion", "revenue of $2.1 billion", True),
    ("0.66", "The ratio is 0.66.", True),
    ("Dock 7", "Dock 7 is the reefer dock", True),
    ("Dock 7", "Dock 1 is the reefer dock", False),
    ("Margit Lindqvist", "The memo was written by Margit Lindqvist.", True),
    ("Margit Lindqvist", "The memo was written by the CFO.", False),
])
def test_answer_match(expected: str, got: str, ok: bool) -> None:
    assert answer_matches(expected, got) is ok


def test_source_matching_by_suffix_page_and_lines() -> None:
    src = Source("runbooks/backup.md", lines=(10, 20))
    assert src.matches(Path("/docs/runbooks/backup.md"), None, 18, 25)
    assert not src.matches(Path("/docs/runbooks/backup.md"), None, 21, 30)
    assert not src.matches(Path("/docs/other/backup.md"), None, 10, 12)
    assert Source("report.pdf", page=3).matches(Path("/x/report.pdf"), 3, 1, 9)
    assert not Source("report.pdf", page=3).matches(Path("/x/report.pdf"), 2, 1, 9)


def test_question_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "fine"}\n{"id": "x"}\n')
    with pytest.raises(ConfigError, match=r"q.jsonl:2"):
        load_questions(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_questions(tmp_path / "missing.jsonl")


def _run(summary: dict) -> dict:
    return {"summary": summary, "breakdown": {}, "advice": "", "settings": {}, "questions": []}


def test_compare_flags_quality_drops_only() -> None:
    a = _run({"recall@10": 0.80, "mrr": 0.50, "total_p50_ms": 100.0})
    b = _run({"recall@10": 0.70, "mrr": 0.49, "total_p50_ms": 900.0})
    changes = {c.metric: c for c in compare(a, b, tolerance=0.02)}
    assert changes["recall@10"].regressed and not changes["mrr"].regressed
    assert not changes["total_p50_ms"].regressed  # latency is reported, never gated


def test_compare_command_exit_codes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    a.write_text(json.dumps(_run({"recall@10": 0.8})))
    b.write_text(json.dumps(_run({"recall@10": 0.6})))
    c.write_text(json.dumps(_run({"recall@10": 0.81})))
    runner = CliRunner()
    worse = runner.invoke(cli, ["eval", "--compare", str(a), str(b)])
    assert worse.exit_code == 1 and "REGRESSED" in worse.output
    better = runner.invoke(cli, ["eval", "--compare", str(a), str(c)])
    assert better.exit_code == 0 and "No regression" in better.output


def test_eval_run_classifies_failures(services_factory, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ports.md").write_text("# Ports\n\nThe Zephyr backup service listens on port 7431.\n")
    (docs / "retention.txt").write_text("Client contracts are retained for eleven years.\n")
    qfile = tmp_path / "q.jsonl"
    qfile.write_text("\n".join(json.dumps(q) for q in [
        {"id": "port", "question": "Which port does the Zephyr backup service use?",
         "sources": [{"path": "ports.md"}], "answer": "7431"},
        {"id": "wrong-file", "question": "How long are client contracts retained?",
         "sources": [{"path": "missing.md"}], "answer": "eleven years"},
        {"id": "absent", "question": "What is the airspeed of the lunar ferry to Titan?", "answerable": False},
        {"id": "format", "question": "Which port does the Zephyr backup service use?",
         "sources": [{"path": "ports.md"}], "format": "^- "},
    ]))

    def reply(messages: list[dict]) -> str:
        return "The Zephyr backup service listens on port 7431 [1]."

    services = services_factory(FakeGenerator(reply))
    services.store.add_folder(docs)
    services.indexer().index_all()
    run = run_eval(services, load_questions(qfile))
    verdicts = {q.id: q.verdict for q in run.questions}
    assert verdicts == {"port": "ok", "wrong-file": "retrieval miss", "absent": "ok", "format": "format miss"}
    assert run.summary["recall@1"] == pytest.approx(2 / 3, abs=1e-3) and run.summary["abstain_accuracy"] == 1.0
    assert run.summary["citation_validity"] == 1.0
    assert "retrieval" in run.advice.lower()
    report = markdown(run.to_json())
    assert "| wrong-file | retrieval miss |" in report
