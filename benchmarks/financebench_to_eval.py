"""Convert the FinanceBench dev split into an `archivist eval` question file (one command).

    .venv/bin/python benchmarks/financebench_to_eval.py > benchmarks/.work/financebench-eval.jsonl

Evidence pages are zero-based in FinanceBench and 1-based in Archivist. Gold answers are kept only when
they are short (a figure or a few words): long free-text answers cannot be matched without a judge model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT = Path(os.environ.get("FINANCEBENCH_DIR", "/work/shared/benchmarks/financebench-dev")) / "questions.jsonl"
SHORT_ANSWER = 40


def convert(line: dict) -> dict:
    sources = []
    seen = set()
    for ev in line.get("evidence", []):
        key = (ev["doc_name"], ev["page"])
        if key not in seen:
            seen.add(key)
            sources.append({"path": f"{ev['doc_name']}.pdf", "page": int(ev["page"]) + 1})
    out = {"id": line["id"], "question": line["question"], "sources": sources,
           "tags": [line.get("company", ""), line.get("question_type", "")]}
    answer = (line.get("answer") or "").strip()
    if answer and len(answer) <= SHORT_ANSWER:
        out["answer"] = answer
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("questions", nargs="?", type=Path, default=DEFAULT)
    args = p.parse_args()
    for raw in args.questions.read_text().splitlines():
        if raw.strip():
            sys.stdout.write(json.dumps(convert(json.loads(raw))) + "\n")


if __name__ == "__main__":
    main()
