"""Run every benchmark, one at a time (they are CPU-bound; running two at once would skew both), then
rewrite ``benchmarks/RESULTS.md``.

Each script runs in its own process, so peak memory and library thread settings of one do not leak into the
next. The FinanceBench index of bench_ingest is reused when it exists (``--rebuild`` re-ingests, 15-25 min).

    .venv/bin/python benchmarks/run_all.py [--quick] [--rebuild] [--only extract,answer]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import _common as c

SCRIPTS = {name: c.BENCH_DIR / f"bench_{name}.py" for name in c.ORDER}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small subsets; RESULTS.md is left alone")
    p.add_argument("--rebuild", action="store_true", help="re-ingest the FinanceBench index")
    p.add_argument("--only", default="", help=f"comma-separated subset of {','.join(c.ORDER)}")
    args = p.parse_args()
    names = [n for n in c.ORDER if not args.only or n in args.only.split(",")]
    failed = []
    total = time.perf_counter()
    for name in names:
        cmd = [sys.executable, str(SCRIPTS[name])]
        if args.quick:
            cmd.append("--quick")
        if args.rebuild and name == "ingest":
            cmd.append("--rebuild")
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        t = time.perf_counter()
        rc = subprocess.run(cmd, cwd=c.REPO, check=False).returncode
        print(f"=== {name}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {time.perf_counter() - t:.0f} s",
              flush=True)
        if rc != 0:
            failed.append(name)
            if name == "ingest" and not c.index_exists("financebench", args.quick):
                print("No index: skipping the benchmarks that need it.", flush=True)
                names = [n for n in names if n not in ("retrieval", "abstain")]
    if not args.quick:
        c.write_results_md()
        print(f"\nRewrote {c.RESULTS_MD.relative_to(c.REPO)}", flush=True)
    print(f"All done in {(time.perf_counter() - total) / 60:.1f} min" + (f"; failed: {failed}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
