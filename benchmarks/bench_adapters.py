"""Team adapters: swap time, first-token and per-token overhead, training time per step.

Baselines measured in the same run:
- swap: reloading the model with the adapter (``Llama(lora_path=...)``, what a swap replaces);
- first token after a swap: the first token with the same adapter already active (context reset either way,
  so both evaluate the whole prompt), and with no adapter;
- per token: decoding without an adapter, at 1 and 2 threads;
- training: one forward pass of the same batch without gradients (a step costs this many forwards).

The prompt is a held-out example of the ``brief`` set (system prompt, numbered passages, question), as
``build_prompt`` makes them. The adapters are the registered ``brief`` and ``memo`` (random rank-8 ones if
they are missing). Training time for 200 examples x 3 epochs is extrapolated from the measured steps (a
full run would take minutes of the shared machine for no extra information); the report says so.

    .venv/bin/python benchmarks/bench_adapters.py [--quick] [--reps N] [--steps N]
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import _common as c

MAX_TOKENS = 64


def adapters(folder: Path) -> dict[str, Path]:
    """The registered example adapters, or random ones written by the project's converter."""
    registered = {n: c.REPO / "models" / "adapters" / f"{n}.gguf" for n in ("brief", "memo")}
    if all(p.is_file() for p in registered.values()):
        return registered
    import numpy as np

    from archivist.adapters.convert import write_gguf_adapter

    out = {}
    for seed, name in enumerate(("brief", "memo")):
        rng = np.random.default_rng(seed)
        tensors = {}
        for layer in range(30):
            for t, rows in (("attn_q", 576), ("attn_k", 192), ("attn_v", 192), ("attn_output", 576)):
                tensors[f"blk.{layer}.{t}.weight.lora_a"] = rng.normal(0, 0.05, (8, 576)).astype(np.float32)
                tensors[f"blk.{layer}.{t}.weight.lora_b"] = rng.normal(0, 0.01, (rows, 8)).astype(np.float32)
        out[name] = folder / f"{name}.gguf"
        write_gguf_adapter(out[name], tensors, architecture="llama", alpha=16, name=name)
    return out


def timed_stream(gen, messages: list[dict]) -> dict:  # noqa: ANN001
    started = time.perf_counter()
    first, n = None, 0
    for _ in gen.stream(messages, MAX_TOKENS, 0.0):
        if first is None:
            first = time.perf_counter()
        n += 1
    end = time.perf_counter()
    first = first or end
    return {"ttft_ms": (first - started) * 1000, "tokens": n,
            "decode_tok_s": (n - 1) / (end - first) if n > 1 and end > first else float("nan")}


def generation(model: Path, paths: dict[str, Path], messages: list[dict], threads: int, reps: int) -> dict:
    from archivist.answer.generator import LlamaGenerator

    gen = LlamaGenerator(model, n_ctx=2048, threads=threads)
    gen.set_adapter(paths["brief"])
    gen.set_adapter(paths["memo"])  # both loaded once; swaps below only switch
    gen.set_adapter(None)
    list(gen.stream(messages, 8, 0.0))  # warm-up
    runs: dict[str, list[dict]] = {"none": [], "active": [], "after_swap": []}
    swaps: list[float] = []
    for rep in range(reps):
        for kind in (["none", "active", "after_swap"] if rep % 2 == 0 else ["after_swap", "active", "none"]):
            if kind == "none":
                gen.set_adapter(None)
            elif kind == "active":
                gen.set_adapter(paths["brief"])
                gen.llama.reset()
            else:
                gen.set_adapter(paths["memo"])  # from whatever was active to memo...
                swaps.append(gen.set_adapter(paths["brief"]))  # ...and the measured swap to brief
            runs[kind].append(timed_stream(gen, messages))
        c.progress_line(f"{threads} thread(s) rep {rep + 1}/{reps}: "
                        + ", ".join(f"{k} {v[-1]['ttft_ms']:.0f} ms / {v[-1]['decode_tok_s']:.0f} tok/s"
                                    for k, v in runs.items()))
    gen.close()
    med = {k: {m: c.median(r[m] for r in v) for m in ("ttft_ms", "decode_tok_s")} for k, v in runs.items()}
    return {"runs": runs, "median": med, "swap_ms": c.median(swaps), "swaps": swaps}


def load_costs(model: Path, adapter: Path, reps: int) -> dict:
    """First load of an adapter file into a loaded model, vs reloading the model with it (lora_path)."""
    import llama_cpp
    from llama_cpp import Llama

    from archivist.answer.generator import LlamaGenerator

    inits, reloads = [], []
    for _ in range(reps):
        gen = LlamaGenerator(model, n_ctx=2048, threads=2)
        t = time.perf_counter()
        gen.set_adapter(adapter)
        inits.append((time.perf_counter() - t) * 1000)
        gen.close()
        t = time.perf_counter()
        llm = Llama(model_path=str(model), n_ctx=2048, n_threads=2, verbose=False, lora_path=str(adapter))
        reloads.append((time.perf_counter() - t) * 1000)
        llm.close()
    del llama_cpp
    return {"first_load_ms": c.median(inits), "reload_ms": c.median(reloads)}


def training(model: Path, examples: list[dict], steps: int) -> dict:
    import torch

    from archivist.adapters.train import TrainConfig, add_lora, encode, load_base, train_lora

    t = time.perf_counter()
    base, tokenizer = load_base(model, threads=2)
    load_s = time.perf_counter() - t
    config = TrainConfig(rank=8, alpha=16, batch_size=8, max_steps=steps)
    peft = add_lora(base, config)
    batch = [encode(tokenizer, e) for e in examples[:8]]
    width = max(len(ids) for ids, _ in batch)
    ids = torch.tensor([i + [0] * (width - len(i)) for i, _ in batch])
    with torch.no_grad():
        forwards = []
        for _ in range(3):
            t = time.perf_counter()
            peft(input_ids=ids)
            forwards.append(time.perf_counter() - t)
    times: list[float] = []
    last = [time.perf_counter()]

    def progress(step: int, total: int, loss: float) -> None:
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now
        c.progress_line(f"training step {step}/{total}: {times[-1]:.2f} s, loss {loss:.3f}")

    train_lora(peft, tokenizer, examples, config, progress)
    per_step = c.median(times[1:] or times)
    tokens = sum(len(i) for i, _ in batch) / len(batch)
    return {"load_s": load_s, "step_s": per_step, "steps": times, "forward_s": c.median(forwards),
            "tokens_per_example": tokens, "steps_200x3": math.ceil(200 / 8) * 3,
            "total_200x3_s": load_s + math.ceil(200 / 8) * 3 * per_step}


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=None, help="repetitions (default 5, quick 2)")
    p.add_argument("--steps", type=int, default=None, help="training steps to time (default 6, quick 3)")
    args = p.parse_args()
    started = time.perf_counter()
    reps = args.reps or (2 if args.quick else 5)
    steps = args.steps or (3 if args.quick else 6)
    from archivist.security.offline import enforce_offline

    enforce_offline()
    from archivist.adapters.dataset import load_examples, split_held_out
    from archivist.answer.generator import bundled_model_path

    model = bundled_model_path()
    examples = load_examples(c.REPO / "examples" / "adapters" / "brief" / "examples.jsonl")
    train, held = split_held_out(examples, 0.2)
    messages = held[0]["messages"][:-1]
    with tempfile.TemporaryDirectory() as tmp:
        paths = adapters(Path(tmp))
        data: dict = {"prompt": messages[-1]["content"].rsplit("\n", 1)[-1], "max_tokens": MAX_TOKENS,
                      "reps": reps, "adapters": {k: v.name for k, v in paths.items()}}
        data["load"] = load_costs(model, paths["brief"], max(2, reps // 2))
        data["generation"] = {t: generation(model, paths, messages, t, reps) for t in (1, 2)}
    data["training"] = training(model, train * 2, steps)
    c.save_section("adapters", args.quick, data, report(data, args.quick), started)


def report(d: dict, quick: bool) -> str:
    g, tr, ld = d["generation"], d["training"], d["load"]
    rows = []
    for t in (1, 2):
        m = g[t]["median"]
        rows.append([t, "no adapter", c.f(m["none"]["ttft_ms"], 1), "1.00", c.f(m["none"]["decode_tok_s"], 1),
                     "1.00"])
        rows.append([t, "adapter active", c.f(m["active"]["ttft_ms"], 1),
                     c.f(c.ratio(m["active"]["ttft_ms"], m["none"]["ttft_ms"])),
                     c.f(m["active"]["decode_tok_s"], 1),
                     c.f(c.ratio(m["active"]["decode_tok_s"], m["none"]["decode_tok_s"]))])
        rows.append([t, "right after a swap", c.f(m["after_swap"]["ttft_ms"], 1),
                     c.f(c.ratio(m["after_swap"]["ttft_ms"], m["none"]["ttft_ms"])),
                     c.f(m["after_swap"]["decode_tok_s"], 1),
                     c.f(c.ratio(m["after_swap"]["decode_tok_s"], m["none"]["decode_tok_s"]))])
    swap_ms = c.median([g[1]["swap_ms"], g[2]["swap_ms"]])
    per_token = [1 - c.ratio(g[t]["median"]["active"]["decode_tok_s"], g[t]["median"]["none"]["decode_tok_s"])
                 for t in (1, 2)]
    after = [g[t]["median"]["after_swap"]["ttft_ms"] - g[t]["median"]["active"]["ttft_ms"] for t in (1, 2)]
    return "\n".join([
        "## Adapters: hot swap and training",
        "",
        f"SmolLM2-135M-Instruct Q4_1 (bundled), adapters {', '.join(d['adapters'].values())} (rank 8, q/k/v/o). "
        f"Prompt: a held-out `brief` example (\"{d['prompt']}\" with its passages), {d['max_tokens']} tokens, "
        f"temperature 0, medians of {d['reps']} alternating repetitions; the context is reset before every run.",
        "",
        "| step | measured | baseline (same run) | ratio |",
        "|---|---|---|---|",
        f"| swap between two loaded adapters | {swap_ms:.3f} ms | reload the model with the adapter "
        f"(`lora_path`) {ld['reload_ms']:.0f} ms | {c.ratio(swap_ms, ld['reload_ms']):.5f} |",
        f"| first load of an adapter file | {ld['first_load_ms']:.2f} ms | same reload | "
        f"{c.ratio(ld['first_load_ms'], ld['reload_ms']):.4f} |",
        f"| training step (batch 8, r=8, 2 threads) | {tr['step_s']:.2f} s | forward pass of the batch "
        f"{tr['forward_s']:.2f} s | {c.ratio(tr['step_s'], tr['forward_s']):.2f} |",
        "",
        c.table(["threads", "generation", "first token ms", "ratio", "decode tok/s", "ratio"], rows),
        "",
        f"**What this says.** A swap costs {swap_ms:.3f} ms, {c.ratio(ld['reload_ms'], swap_ms):,.0f}x less than "
        f"reloading the model with the adapter. The first token right after a swap comes "
        f"{after[0]:+.1f} ms (1 thread) / {after[1]:+.1f} ms (2 threads) after one with the adapter already "
        f"active (noise level: the whole prompt is evaluated either way). An active adapter costs "
        f"{per_token[0] * 100:.1f}% (1 thread) / {per_token[1] * 100:.1f}% (2 threads) of decode speed. "
        f"Training: loading the base weights from the GGUF took {tr['load_s']:.0f} s, a step "
        f"{tr['step_s']:.2f} s (~{tr['tokens_per_example']:.0f} tokens per example); 200 examples x 3 epochs = "
        f"{tr['steps_200x3']} steps would take about {tr['total_200x3_s'] / 60:.1f} min with loading — "
        f"**extrapolated** from {len(tr['steps'])} measured steps, not run in full."
        + (" (--quick.)" if quick else ""),
    ])


if __name__ == "__main__":
    main()
