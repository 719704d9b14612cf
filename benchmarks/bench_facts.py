"""Tables are data: computed answers on FinanceBench's metrics-generated questions, and fact extraction precision.

Two measurements:

- ``answers`` (default): every dev question of type ``metrics-generated`` is asked of a copy of bench_answer_screen's
  index (``home-financebench-tables`` copied once to ``home-financebench-facts``; migration 6 reads the facts
  from its stored passages, nothing is re-extracted or re-embedded). A question counts as correct when the
  computed result equals the gold value at the question's rounding (``correct``: the places it asks for, else
  the gold's own: ``0.66``, ``65.4%``, ``$1832.00`` is a whole number of millions); the count at the places the
  gold prints is reported too. Every computed answer's operands are checked for a citation. The copy's facts
  are read again from its stored passages on every run.
- ``sample`` / ``check``: ``sample`` draws 20 table rows from each of 10 dev filings (seeded, so it is the same
  sample on every machine) into ``benchmarks/facts_sample.json`` with the printed line each was read from;
  a person checks each row (label, period, value, scale) against the page and records ``"ok": true/false``.
  ``check`` prints the precision of the checked rows, and how many rows the extractor still reads as recorded.

``resample``, after an extractor change, replaces each row the extractor no longer reads as recorded (see
``resample``) so the changed rows can be checked again.

Usage: ``python benchmarks/bench_facts.py [answers|sample|check|resample] [--quick]``.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c  # noqa: E402

SOURCE_HOME = "financebench-tables"
HOME = "financebench-facts"
SAMPLE = c.BENCH_DIR / "facts_sample.json"
SAMPLE_FILINGS = 10
ROWS_PER_FILING = 20


def gold_value(answer: str) -> tuple[Decimal, int] | None:
    """(value, decimal places) of a gold answer such as ``$1832.00``, ``65.4%``, ``-3.7``."""
    m = re.search(r"-?\$?-?\d[\d,]*(?:\.(\d+))?", answer)
    if not m:
        return None
    text = m.group(0).replace("$", "").replace(",", "")
    return Decimal(text), len(m.group(1) or "")


_PLACES = re.compile(r"\bround(?:ed)?\b[^.?]*?\bto\s+(?:the\s+)?(one|two|three|zero|no|\d)\s+decimal", re.IGNORECASE)
_WORDS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3}


def correct(gold: str, shown: str, question: str = "", *, strict: bool = False) -> bool:
    """The computed result equals the gold value at the question's rounding: the places the question asks for;
    when it asks for none, the gold's own (FinanceBench writes a whole number of millions as ``$1832.00`` and a
    tenth of a billion as ``$4.60``, so trailing zeros are not places). ``strict``: the places the gold prints."""
    g, s = gold_value(gold), gold_value(shown)
    if g is None or s is None:
        return False
    places = g[1]
    asked = _PLACES.search(question)
    if asked and not strict:
        word = asked.group(1).lower()
        places = _WORDS[word] if word in _WORDS else int(word)
    elif not strict and places:
        places = len(str(g[0]).split(".")[1].rstrip("0")) if "." in str(g[0]) else 0
    q = Decimal(1).scaleb(-places)
    return s[0].quantize(q) == g[0].quantize(q) or abs(s[0] - g[0]) <= q / 2


def answers(quick: bool) -> dict:
    target = c.work_dir(quick) / f"home-{HOME}"
    if not target.exists():
        shutil.copytree(c.work_dir(quick) / f"home-{SOURCE_HOME}", target)
    started = time.perf_counter()
    index = c.open_index(HOME, quick)  # migration 6: facts read from the stored passages
    # The copy's facts are read again from its stored passages, so each run measures the extractor as it is now
    # (a copy made before an extractor change would keep the facts it was migrated with).
    from archivist.index import factstore

    with index.store.transaction():
        index.store._conn.execute("DELETE FROM facts")
        factstore.backfill(index.store._conn)
    migrate_s = time.perf_counter() - started
    from archivist.answer.computed import computed_answer
    from archivist.answer.service import Answerer
    from archivist.app.models import default_embedder
    from archivist.retrieve.hybrid import Retriever

    embedder = default_embedder(index.paths, index.settings)
    retriever = Retriever.from_settings(index.store, lambda: embedder, index.settings.retrieval,
                                        index.paths.models_dir)
    answerer = Answerer(retriever, lambda: None, index.settings)
    qs = [json.loads(line) for line in (c.FINANCEBENCH / "questions.jsonl").read_text().splitlines() if line.strip()]
    qs = [q for q in qs if q.get("question_type") == "metrics-generated"]
    rows, right, strict_right, computed, uncited = [], 0, 0, 0, 0
    for q in qs:
        t = time.perf_counter()
        result = retriever.search(q["question"], index.settings.retrieval.top_k)
        answer = computed_answer(answerer, q["question"], result, t)
        calc = answer.calculation if answer is not None else {}
        ok = bool(calc) and correct(q["answer"], calc.get("shown", ""), q["question"])
        strict_right += bool(calc) and correct(q["answer"], calc.get("shown", ""), q["question"], strict=True)
        computed += bool(calc)
        uncited += sum(1 for o in calc.get("operands", []) if not o.get("citation"))
        right += ok
        rows.append({"id": q["id"], "gold": q["answer"], "shown": calc.get("shown"), "correct": ok,
                     "answer": (answer.answer if answer else "")[:300]})
        print(f"{'OK ' if ok else '-- '} {q['answer']:>10}  {calc.get('shown') or '':>14}  "
              f"{(answer.answer if answer else '(not computed)')[:110]!r}", flush=True)
    summary = {"questions": len(qs), "correct": right, "accuracy": round(right / len(qs), 3) if qs else 0,
               "correct_at_gold_printed_places": strict_right, "computed": computed, "uncited_operands": uncited,
               "facts": index.store.fact_count(), "facts_s": round(migrate_s, 1)}
    print(json.dumps(summary, indent=1))
    index.close()
    return {"summary": summary, "rows": rows}


def _filing_facts(path: Path) -> list[dict]:
    from archivist.ingest import extractor_for
    from archivist.ingest.facts import chunk_facts

    doc = extractor_for(path).extract(path)
    out = []
    for block in doc.blocks:
        heading = " > ".join(block.heading)
        lines = list(block.lines)
        for fact in chunk_facts(block.text, heading, block.line_start,
                                block.line_start + len(lines) - 1 if block.line_start is not None else None):
            out.append({"file": path.name, "page": block.page, "line": fact.line, "printed": lines[fact.offset],
                        "title": fact.title, "label": fact.label, "column": fact.column, "period": fact.period,
                        "value": None if fact.value is None else str(fact.value), "scale": fact.scale,
                        "unit": fact.unit, "ok": None})
    return out


def sample() -> None:
    pdfs = sorted((c.FINANCEBENCH / "pdfs").glob("*10K*.pdf"))
    rng = random.Random(15)
    chosen = sorted(rng.sample(pdfs, min(SAMPLE_FILINGS, len(pdfs))))
    rows = []
    for pdf in chosen:
        facts = _filing_facts(pdf)
        rows += rng.sample(facts, min(ROWS_PER_FILING, len(facts)))
        print(f"{pdf.name}: {len(facts)} facts", flush=True)
    SAMPLE.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"{len(rows)} rows -> {SAMPLE}; check each against its page and set 'ok'.")


def _key(f: dict) -> tuple:
    return f["page"], f["label"], f["column"], f["value"], f["scale"], f["unit"]


def check() -> None:
    rows = json.loads(SAMPLE.read_text())
    checked = [r for r in rows if r.get("ok") is not None]
    good = sum(1 for r in checked if r["ok"])
    print(f"hand-checked {len(checked)}/{len(rows)} rows: precision {good / len(checked):.3f}" if checked
          else f"none of the {len(rows)} rows is checked yet")
    same = 0
    for name, wanted in _by_file(rows).items():
        now = {_key(f) for f in _filing_facts(c.FINANCEBENCH / "pdfs" / name)}
        same += sum(1 for r in wanted if _key(r) in now)
    print(f"still extracted as recorded: {same}/{len(rows)}")


def resample() -> None:
    """After an extractor change: each sampled row the extractor no longer reads as recorded is replaced by what
    it reads now from the same printed line and column (or, when that line gives no fact any more, by another
    fact of the filing drawn with the same seed), unchecked again; its old reading and verdict stay as ``was``.
    The replaced rows are checked by hand like the others."""
    rows = json.loads(SAMPLE.read_text())
    rng = random.Random(15)
    out, changed = [], 0
    for name, wanted in _by_file(rows).items():
        now = _filing_facts(c.FINANCEBENCH / "pdfs" / name)
        keys = {_key(f) for f in now}
        taken = {_key(r) for r in wanted}
        for r in wanted:
            if _key(r) in keys:
                out.append(r)
                continue
            changed += 1
            was = {k: r[k] for k in ("label", "column", "period", "value", "scale", "unit", "ok", "why") if k in r}
            same_line = [f for f in now if f["page"] == r["page"] and f["printed"] == r["printed"]
                         and _key(f) not in taken]
            pick = next((f for f in same_line if f["column"] == r["column"]), None) or \
                next((f for f in same_line if f["value"] == r["value"]), None)
            if pick is None:
                pick = rng.choice([f for f in now if _key(f) not in taken])
            taken.add(_key(pick))
            out.append({**pick, "was": r.get("was", was)})
    SAMPLE.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{changed} of {len(rows)} rows replaced; check the rows with 'ok': null")


def _by_file(rows: list[dict]) -> dict[str, list[dict]]:
    by_file: dict[str, list[dict]] = {}
    for r in rows:
        by_file.setdefault(r["file"], []).append(r)
    return by_file


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("what", nargs="?", default="answers", choices=["answers", "sample", "check", "resample"])
    args = p.parse_args()
    if args.what == "sample":
        sample()
    elif args.what == "check":
        check()
    elif args.what == "resample":
        resample()
    else:
        data = answers(args.quick)
        out = c.work_dir(args.quick) / "facts-answers.json"
        out.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
