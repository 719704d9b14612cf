"""Ingest speed of whole `archivist add` + `archivist index` commands, this checkout against older ones, same run.

Each checkout indexes the same folder of FinanceBench dev filings into a fresh home (its own encrypted index),
through its own command line (``PYTHONPATH=<checkout>/src python -m archivist``, this venv), the checkouts taking
turns run by run so load from other processes hits them all. Reported per checkout: passages (``index --json``:
embedded + reused), wall seconds of the two commands, passages/s, and the peak RSS of the whole process tree
(the command and its children, the extraction sandbox included; summed, sampled every 50 ms). Ratios are
against the first checkout (the baseline).

    .venv/bin/python benchmarks/bench_ingest_speed.py [--runs 2] [--checkout NAME=PATH ...]

Without ``--checkout``: the baseline is commit cfa6fc0 (the code when "Speed an analyst feels" was filed),
checked out as a git worktree under ``benchmarks/.work/checkouts`` (its ``models`` linked to this checkout's
export, which an old checkout reads as its own), against this checkout. The table is printed and stored in
``.work/results-ingest-speed.json``; RESULTS.md is not rebuilt (section 12 is edited in place by hand).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common as c

FILES = ["ADOBE_2015_10K", "AMCOR_2023Q2_10Q", "FOOTLOCKER_2022_8K_dated-2022-05-20", "PEPSICO_2023Q1_EARNINGS"]
BASELINE_REV = "cfa6fc0"


def checkout(rev: str) -> Path:
    """A worktree of ``rev`` under ``.work/checkouts`` (made once)."""
    path = c.WORK / "checkouts" / rev
    if not (path / "src" / "archivist").is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(c.REPO), "worktree", "add", "--detach", str(path), rev], check=True)
    models = path / "models"
    if models.is_dir() and not models.is_symlink() and not any(models.glob("*.onnx")):
        for f in (c.REPO / "models").glob("minilm-*"):
            (models / f.name).symlink_to(f)
    return path


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants now (MB)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 1e6


def run_command(args: list[str], env: dict[str, str]) -> tuple[float, str, float]:
    """Run a command; returns (wall seconds, stdout, peak RSS of its process tree in MB).

    Raises:
        SystemExit: the command failed.
    """
    peak = [0.0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{err[-2000:]}")
    return wall, out, peak[0]


def ingest_once(code: Path, folder: Path) -> dict:
    """``archivist add FOLDER`` then ``archivist index --json`` with ``code``'s sources, in a fresh home."""
    home = Path(tempfile.mkdtemp(prefix="ingest-speed-", dir=c.work_dir(False)))
    env = dict(os.environ, ARCHIVIST_HOME=str(home), ARCHIVIST_PASSPHRASE=c.PASSPHRASE, PYTHONPATH=str(code / "src"))
    env.pop("ARCHIVIST_MODELS_DIR", None)  # each checkout reads its own models/ (its own export)
    cli = [sys.executable, "-m", "archivist"]
    try:
        add_s, _, add_rss = run_command([*cli, "add", str(folder)], env)
        index_s, out, index_rss = run_command([*cli, "index", "--json"], env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report = json.loads(out[out.index("{"):])
    if report.get("failed"):
        raise SystemExit(f"{code}: files failed: {report.get('problems')}")
    passages = report["chunks_embedded"] + report["chunks_reused"]
    return {"passages": passages, "embedded": report["chunks_embedded"], "seconds": add_s + index_s,
            "add_s": add_s, "index_s": index_s, "peak_rss_mb": max(add_rss, index_rss),
            "load": os.getloadavg()[0]}


def git_rev(code: Path) -> str:
    return subprocess.run(["git", "-C", str(code), "rev-parse", "--short", "HEAD"], check=False,
                          capture_output=True,
                          text=True).stdout.strip() or "?"


def render(results: dict[str, list[dict]], codes: dict[str, Path], loads: list[float], runs: int) -> str:
    names = list(results)
    base = names[0]

    def rate(name: str) -> float:
        rows = results[name]
        return statistics.mean(r["passages"] / r["seconds"] for r in rows)

    lines = [
        "| code | passages | seconds (runs) | passages/s (mean) | vs baseline | peak RSS, process tree |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        rows = results[name]
        secs = ", ".join(f"{r['seconds']:.1f}" for r in rows)
        lines.append(f"| {name} ({git_rev(codes[name])}) | {rows[0]['passages']:,} | {secs} | {rate(name):.1f} | "
                     f"**{rate(name) / rate(base):.2f}x** | {max(r['peak_rss_mb'] for r in rows):.0f} MB |")
    when = dt.datetime.now().astimezone().isoformat(timespec="minutes")
    lines.append("")
    lines.append(f"*{runs} runs per checkout, taking turns; {when}; 1-min load average during the runs "
                 f"{min(loads):.1f}-{max(loads):.1f}. Reproduce: `.venv/bin/python benchmarks/bench_ingest_speed.py`.*")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--checkout", action="append", default=[], metavar="NAME=PATH",
                   help="a checkout to time (the first is the baseline); default: cfa6fc0 and this one")
    args = p.parse_args()
    codes = dict(spec.split("=", 1) for spec in args.checkout) if args.checkout else \
        {f"baseline {BASELINE_REV}": str(checkout(BASELINE_REV)), "this checkout": str(c.REPO)}
    codes = {name: Path(path).resolve() for name, path in codes.items()}
    folder = c.work_dir(False) / "ingest-speed-pdfs"
    folder.mkdir(exist_ok=True)
    for stem in FILES:
        target = folder / f"{stem}.pdf"
        if not target.exists():
            shutil.copyfile(c.FINANCEBENCH / "pdfs" / target.name, target)  # a copy: links are never followed
    results: dict[str, list[dict]] = {name: [] for name in codes}
    loads = [os.getloadavg()[0]]
    for run in range(args.runs):
        order = list(codes) if run % 2 == 0 else list(reversed(codes))
        for name in order:
            r = ingest_once(codes[name], folder)
            results[name].append(r)
            loads.append(r["load"])
            c.progress_line(f"  run {run + 1} {name}: {r['passages']} passages in {r['seconds']:.1f} s "
                            f"({r['passages'] / r['seconds']:.1f}/s), peak RSS {r['peak_rss_mb']:.0f} MB, "
                            f"load {r['load']:.1f}")
    table = render(results, codes, loads, args.runs)
    print(table)
    out = c.work_dir(False) / "results-ingest-speed.json"
    out.write_text(json.dumps({"codes": {k: str(v) for k, v in codes.items()}, "results": results}, indent=1))
    print(f"(stored in {out.relative_to(c.REPO)}; section 12 of RESULTS.md is written by hand around this table)")


if __name__ == "__main__":
    main()
