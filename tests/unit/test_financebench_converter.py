"""The FinanceBench converter: zero-based pages become 1-based, short answers kept, long ones dropped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archivist.eval.questions import load_questions

REPO = Path(__file__).resolve().parents[2]


def test_converter_output_loads_as_an_eval_file(tmp_path: Path) -> None:
    src = tmp_path / "fb.jsonl"
    src.write_text("\n".join(json.dumps(q) for q in [
        {"id": "a", "company": "Acme", "question_type": "metrics", "question": "What is FY2019 capex?",
         "answer": "$1577.00", "evidence": [{"doc_name": "ACME_2019_10K", "page": 59, "text": "..."},
                                              {"doc_name": "ACME_2019_10K", "page": 59, "text": "..."}]},
        {"id": "b", "question": "Explain the strategy.", "answer": "A long answer " * 10,
         "evidence": [{"doc_name": "ACME_2020_10K", "page": 0, "text": "..."}]},
    ]))
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "financebench_to_eval.py"), str(src)],
                         capture_output=True, text=True, check=True).stdout
    dst = tmp_path / "eval.jsonl"
    dst.write_text(out)
    qs = load_questions(dst)
    assert [q.id for q in qs] == ["a", "b"]
    assert [(s.path, s.page) for s in qs[0].sources] == [("ACME_2019_10K.pdf", 60)]
    assert qs[0].answer == "$1577.00" and qs[1].answer is None
    assert qs[1].sources[0].page == 1
