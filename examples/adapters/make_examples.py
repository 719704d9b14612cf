"""Writes the two example adapters' training sets from items.jsonl (one shared set of invented passages).

    .venv/bin/python examples/adapters/make_examples.py

Each item is a question, the passage that answers it and a few facts from it. ``brief`` answers in at most
three cited bullets; ``memo`` answers with a ``Summary:`` line and a ``Findings:`` line. Every other item
also gets an unrelated passage (before or after the right one) so the adapters learn to cite the passage
that answers, not always [1]. The passages are invented and unrelated to examples/sample-docs, on purpose:
an adapter learns a style, the facts stay in retrieval.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def passage(item: dict) -> dict:
    p = {"path": item["path"], "text": item["text"]}
    if "page" in item:
        p["page"] = item["page"]
    if "lines" in item:
        p["lines"] = item["lines"]
    return p


def bare(sentence: str) -> str:
    return sentence.rstrip().rstrip(".")


def main() -> None:
    items = [json.loads(line) for line in (HERE / "items.jsonl").read_text().splitlines() if line.strip()]
    brief, memo = [], []
    for i, item in enumerate(items):
        passages = [passage(item)]
        n = 1
        if i % 2:  # a distractor, before or after the answering passage
            other = passage(items[(i + 7) % len(items)])
            if i % 4 == 1:
                passages.insert(0, other)
                n = 2
            else:
                passages.append(other)
        points = item["points"][: 2 if i % 3 == 0 else 3]
        brief.append({"question": item["q"], "passages": passages,
                      "answer": "\n".join(f"- {bare(p)} [{n}]." for p in points)})
        findings = " ".join(f"{bare(p)} [{n}]." for p in item["points"][:2])
        memo.append({"question": item["q"], "passages": passages,
                     "answer": f"Summary: {bare(item['summary'])} [{n}].\nFindings: {findings}"})
    for name, rows in (("brief", brief), ("memo", memo)):
        with open(HERE / name / "examples.jsonl", "w") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"wrote {len(rows)} examples to {name}/examples.jsonl")


if __name__ == "__main__":
    main()
