"""Time to the model's first token against answer quality (issue "Speed an analyst feels", item 3), FinanceBench dev.

Every configuration answers the same dev questions with Archivist's ``Answerer`` (the shipped retrieval, the
bundled SmolLM2-135M-Instruct), taking turns question by question so that load from other processes hits all of
them alike. A configuration is the weights file (the bundled Q4_1 as shipped, or its Q8_0 copy that
``answer.fast_prompt`` writes) and the passage budget ``answer.context_tokens``. The first row is the default
before "Speed an analyst feels" (Q4_1, 1,400 tokens): the baseline, measured in the same run.

Measured per configuration, over the questions the model answers (computed answers and abstentions before the
model are left out: no prompt is evaluated for them):

- time to first token (``first_token_ms``: chat formatting, tokenizing and evaluating the prompt; the system
  prompt's tokens are reused from the previous question as llama-cpp-python keeps the longest common prefix),
  p50 and p90, and the prompt's length;
- quality of what the analyst reads: the model's answer kept (supported by its passages) or replaced by quotes,
  the gold figure in the answer (figure questions), the first citation on an evidence page, and the share of the
  gold answer's content words in the answer;
- agreement: the share of answers identical to the baseline's (same budget, other weights).

A second, smaller pass times the first token at one thread for the baseline and the shipped configuration.

    .venv/bin/python benchmarks/bench_ttft.py [--quick] [--limit N] [--one-thread N]
"""

from __future__ import annotations

import re
import statistics
import time

import _common as c
from bench_answer_screen import _SCALED, figures_of, gold_figure, matches
from bench_retrieval import gold_pages

HOME = "financebench-tables"
BUDGETS = (1400, 900, 600, 400)
_WORD = re.compile(r"[a-z0-9][a-z0-9.%$-]*")
_STOP = set("the a an of and or in on for to is was were be by as at with from that this its it their which "
            "what how much did does do has have had are year fy million billion usd".split())


def content_words(text: str) -> set[str]:
    return {w.strip(".") for w in _WORD.findall(text.lower()) if w.strip(".") not in _STOP and len(w) > 1}


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=0, help="only the first N questions the model answers")
    p.add_argument("--one-thread", type=int, default=8, help="questions timed at one thread (0: none)")
    p.add_argument("--configs", default=",".join(["Q4_1/1400", *(f"Q8_0/{b}" for b in BUDGETS)]),
                   help="weights/budget, comma-separated; the first is the baseline")
    args = p.parse_args()
    started = time.perf_counter()
    if not c.index_exists(HOME, False):
        raise SystemExit("No index with tables yet: run benchmarks/bench_answer_screen.py first.")
    index = c.open_index(HOME, False)  # --quick: fewer questions, same index
    from bench_answer_screen import make

    from archivist.answer.generator import LlamaGenerator, bundled_model_path
    from archivist.answer.prompt import build_prompt
    from archivist.answer.service import Answerer
    from archivist.answer.weights import prompt_fast_copy

    retriever, _ = make(index, previous=False)
    bundled = bundled_model_path()
    fast = prompt_fast_copy(bundled, index.paths.cache_dir / "models")
    weights = {"Q4_1": bundled, "Q8_0": fast}
    configs = [(w, int(b)) for w, b in (x.split("/") for x in args.configs.split(","))]
    # One model per configuration: llama-cpp-python keeps the previous prompt's tokens and reuses the longest
    # common prefix, so each configuration starts, as in use, from its own previous question (the system prompt
    # is reused; the passages are not). A shared model would reuse another configuration's same passages.
    generators = {cfg: LlamaGenerator(weights[cfg[0]], threads=2, repeat_penalty=index.settings.answer.repeat_penalty)
                  for cfg in configs}

    def answerer(w: str, budget: int, threads: int = 2) -> Answerer:
        g = generators[(w, budget)]
        g.fixed_threads = threads
        ans = index.settings.answer.model_copy(update={"context_tokens": budget})
        return Answerer(retriever, lambda: g, index.settings.model_copy(update={"answer": ans}))

    qs = c.questions(args.quick)
    rows: dict[tuple[str, int], list[dict]] = {cfg: [] for cfg in configs}
    asked = 0
    for q in qs:
        gold = gold_pages(q)
        want = gold_figure(q["answer"])
        scaled = bool(_SCALED.search(q["question"] + " " + q["answer"]))
        gold_words = content_words(q["answer"])
        turn = configs[asked % len(configs):] + configs[: asked % len(configs)]  # who goes first rotates
        results = {}
        for cfg in turn:
            a = answerer(*cfg).ask(q["question"])
            if "first_token_ms" not in a.timings_ms:
                break  # computed, or abstained before the model: no prompt was evaluated
            hits = retriever.search(q["question"], 20).hits
            prompt = build_prompt(q["question"], hits, generators[cfg], context_tokens=cfg[1],
                                  answer_tokens=index.settings.answer.max_answer_tokens)
            first = a.citations[0] if a.citations else None
            page = (first.path.rsplit("/", 1)[-1].rsplit(".", 1)[0], first.page) if first else None
            results[cfg] = {
                "ttft_ms": a.timings_ms["first_token_ms"],
                "prompt_tokens": prompt.tokens,
                "generated": a.mode == "generated", "abstained": a.abstained, "text": a.answer,
                "figure_q": bool(want),
                "figure": bool(want) and matches(want, figures_of(a.answer), scaled),
                "first_citation": page in gold if page else False,
                "gold_words": len(gold_words & content_words(a.answer)) / len(gold_words) if gold_words else 0.0,
            }
        if len(results) != len(configs):
            continue
        asked += 1
        for cfg, r in results.items():
            rows[cfg].append(r)
        base = results[configs[0]]
        times = " ".join(f"{w}/{b}:{results[(w, b)]['ttft_ms']:.0f}" for w, b in configs)
        c.progress_line(f"{asked} questions; ttft {times} (base {base['prompt_tokens']} tok)")
        if args.limit and asked >= args.limit:
            break
    print()

    base_texts = [r["text"] for r in rows[configs[0]]]
    summary = {}
    for cfg in configs:
        rs = rows[cfg]
        n = len(rs)
        nf = sum(r["figure_q"] for r in rs) or 1
        ttft = sorted(r["ttft_ms"] for r in rs)
        summary[cfg] = {
            "questions": n, "ttft p50 ms": statistics.median(ttft), "ttft p90 ms": c.percentile(ttft, 90),
            "prompt tokens p50": statistics.median(r["prompt_tokens"] for r in rs),
            "model answer kept": sum(r["generated"] for r in rs) / n,
            "abstained": sum(r["abstained"] for r in rs) / n,
            "gold figure in answer": sum(r["figure"] for r in rs) / nf, "figure questions": nf,
            "first citation on evidence page": sum(r["first_citation"] for r in rs) / n,
            "gold words in answer": statistics.mean(r["gold_words"] for r in rs),
            "same answer as baseline": sum(r["text"] == t for r, t in zip(rs, base_texts, strict=True)) / n,
        }

    one = {}
    if args.one_thread:
        shipped = ("Q8_0", index.settings.answer.context_tokens)
        if shipped not in generators:
            shipped = configs[-1]
        for cfg in dict.fromkeys([configs[0], shipped]):
            one[cfg] = []
        done = 0
        for q in qs:
            if done >= args.one_thread:
                break
            got = {}
            for cfg in one:
                a = answerer(*cfg, threads=1).ask(q["question"])
                if "first_token_ms" not in a.timings_ms:
                    break
                got[cfg] = a.timings_ms["first_token_ms"]
            if len(got) == len(one):
                done += 1
                for cfg, ms in got.items():
                    one[cfg].append(ms)

    base_p50 = summary[configs[0]]["ttft p50 ms"]
    lines = [TITLE, "",
             f"{summary[configs[0]]['questions']} FinanceBench dev questions the model answers (of {len(qs)}), "
             f"2 threads, every configuration on every question, taking turns. Baseline: the first row "
             f"(the bundled Q4_1 weights, a 1,400-token passage budget: the default before this change).",
             "",
             "| weights | passage budget | prompt tokens p50 | first token p50 ms | p90 ms | vs baseline "
             "| model answer kept | gold figure in answer | first citation on evidence page | gold words in answer "
             "| same answer as baseline |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for cfg in configs:
        s = summary[cfg]
        lines.append(f"| {cfg[0]} | {cfg[1]} | {s['prompt tokens p50']:.0f} | {s['ttft p50 ms']:,.0f} | "
                     f"{s['ttft p90 ms']:,.0f} | {s['ttft p50 ms'] / base_p50:.2f}x | {s['model answer kept']:.3f} | "
                     f"{s['gold figure in answer']:.3f} | {s['first citation on evidence page']:.3f} | "
                     f"{s['gold words in answer']:.3f} | {s['same answer as baseline']:.3f} |")
    if one:
        lines += ["", "One thread (first token p50 over the first "
                  f"{min(len(v) for v in one.values())} questions the model answers):", "",
                  "| weights | passage budget | first token p50 ms |", "|---|---|---|"]
        lines += [f"| {w} | {b} | {statistics.median(v):,.0f} |" for (w, b), v in one.items() if v]
    text = "\n".join(lines)
    print(text)
    if args.quick or args.limit:
        return  # a trial: RESULTS.md keeps the full run
    data = {"summary": {"/".join(map(str, k)): s for k, s in summary.items()},
            "one_thread": {"/".join(map(str, k)): v for k, v in one.items()}}
    _save(data, text, started)


TITLE = "## 13. Time to the model's first token (FinanceBench dev)"


def _save(data: dict, text: str, started: float) -> None:
    """Store the data under .work/results and put this section into RESULTS.md in place (replacing an older one)."""
    import datetime as dt
    import json

    folder = c.work_dir(False) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ttft.json").write_text(json.dumps(data, indent=1, default=str))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    footer = (f"\n\n*Run {stamp}, {time.perf_counter() - started:.0f} s, load average at end {c.loadavg()}.*\n"
              "Reproduce: `.venv/bin/python benchmarks/bench_ttft.py`\n")
    md = c.RESULTS_MD.read_text()
    start = md.find(TITLE)
    if start >= 0:
        end = md.find("\n## ", start + len(TITLE))
        md = md[:start] + text + footer + (md[end:] if end >= 0 else "")
    else:
        md = md.rstrip("\n") + "\n\n" + text + footer
    c.RESULTS_MD.write_text(md)


if __name__ == "__main__":
    main()
