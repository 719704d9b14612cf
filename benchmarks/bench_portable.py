"""Speed cost of a portable llama.cpp build (``packaging/build-bundle --portable``, GGML_NATIVE=OFF) against
the native one installed in .venv (GGML_NATIVE=ON), measured in the same run.

Each round runs one child process per build, alternating native and portable: the bundled SmolLM2-135M
evaluates the same prompt (a sample runbook, ~1,150 tokens) and then generates 128 tokens greedily. Prompt and
generation rates are reported as medians, with portable/native ratios. Not part of run_all.py: it needs the
portable wheel, which takes minutes to build.

    .venv/bin/python benchmarks/bench_portable.py --wheel PATH/llama_cpp_python-...whl [--rounds 5] [--threads 1 2]

The wheel is the one inside a portable bundle (``tar -xzf BUNDLE.tar.gz --wildcards '*/wheels/llama_cpp*'``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROMPT_FILE = REPO / "examples" / "sample-docs" / "runbooks" / "backup-restore.md"

CHILD = r"""
import json, sys, time
import llama_cpp
from archivist.answer.generator import bundled_model_path
threads, gen_tokens = int(sys.argv[1]), int(sys.argv[2])
text = open(sys.argv[3]).read()
llm = llama_cpp.Llama(model_path=str(bundled_model_path()), n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                      seed=0, verbose=False, n_gpu_layers=0)
tokens = llm.tokenize(("Summarise this runbook.\n\n" + text).encode())[:1500]
llm.reset()
t0 = time.perf_counter()
first = None
n = 0
for _tok in llm.generate(tokens, temp=0.0, top_k=1, reset=True):
    if first is None:
        first = time.perf_counter()
    n += 1
    if n == gen_tokens:
        break
end = time.perf_counter()
print(json.dumps({"system_info": llama_cpp.llama_print_system_info().decode(), "prompt_tokens": len(tokens),
                  "prompt_tok_s": len(tokens) / (first - t0), "gen_tok_s": (n - 1) / (end - first)}))
"""


def run_child(pythonpath: str | None, threads: int, gen_tokens: int) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.run([sys.executable, "-c", CHILD, str(threads), str(gen_tokens), str(PROMPT_FILE)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, required=True, help="the portable llama_cpp_python wheel")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--gen-tokens", type=int, default=128)
    args = parser.parse_args()
    from archivist.security.offline import enforce_offline

    enforce_offline()  # inherited by every child process below
    with tempfile.TemporaryDirectory() as portable:
        with zipfile.ZipFile(args.wheel) as zf:
            zf.extractall(portable)
        for lib in Path(portable).rglob("*.so*"):
            lib.chmod(0o755)
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        for threads in args.threads:
            runs: dict[str, list[dict]] = {"native": [], "portable": []}
            for _ in range(args.rounds):
                runs["native"].append(run_child(None, threads, args.gen_tokens))
                runs["portable"].append(run_child(portable, threads, args.gen_tokens))
            med = {name: {k: statistics.median(r[k] for r in rs) for k in ("prompt_tok_s", "gen_tok_s")}
                   for name, rs in runs.items()}
            print(f"\n{threads} thread(s), {args.rounds} alternating rounds, "
                  f"{runs['native'][0]['prompt_tokens']}-token prompt, {args.gen_tokens} generated tokens (medians)")
            for name in ("native", "portable"):
                print(f"  {name:<9} prompt {med[name]['prompt_tok_s']:7.1f} tok/s   generation "
                      f"{med[name]['gen_tok_s']:6.1f} tok/s   [{runs[name][0]['system_info'].strip()}]")
            for k, label in (("prompt_tok_s", "prompt"), ("gen_tok_s", "generation")):
                ratio = med["portable"][k] / med["native"][k]
                change = f"{(1 - ratio) * 100:.0f}% slower" if ratio <= 1 else f"{(ratio - 1) * 100:.0f}% faster"
                print(f"  portable/native {label}: {ratio:.2f}x ({change})")
        print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
