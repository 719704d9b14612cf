"""Shared plumbing for the benchmark scripts: isolated Archivist homes, machine facts, statistics, results.

Benchmarks are not tests (STYLE.md 11): they run on demand, report every timing as a ratio against a
baseline measured in the same run, and print absolute numbers too (absolute times on this shared machine
wander by about ±25%).

Each script stores its section in ``benchmarks/.work/results/<name>.json`` and rebuilds
``benchmarks/RESULTS.md`` from every stored section. ``--quick`` runs write to ``.work/quick/`` instead and
never touch RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archivist.security.offline import enforce_offline

# Every benchmark imports this module first: the telemetry and hub switches are in force before numpy, torch or
# ONNX Runtime load, in this process and every child it starts (README, Privacy model).
enforce_offline()

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
WORK = BENCH_DIR / ".work"
RESULTS_MD = BENCH_DIR / "RESULTS.md"
FINANCEBENCH = Path(os.environ.get("FINANCEBENCH_DIR", "/work/shared/benchmarks/financebench-dev"))
SAMPLE_DOCS = REPO / "examples" / "sample-docs"
PYTHON = REPO / ".venv" / "bin" / "python"
PASSPHRASE = "benchmark-passphrase-not-secret"
"""The benchmark indexes hold public filings and the sample folder only; the passphrase is not a secret."""

ORDER = ["extract", "ingest", "retrieval", "baselines", "quotes", "abstain", "answer", "watch", "tui", "adapters",
         "ocr"]
"""Section order in RESULTS.md (and the order ``run_all.py`` runs the scripts in)."""

# Extraction subset of bench_extract (pypdf is too slow for all 44 filings): six companies, four document
# types (10-K, 10-Q, 8-K, earnings release), 15 to 143 pages, 483 pages in all. Fixed so runs compare.
EXTRACT_SUBSET = [
    "ADOBE_2015_10K",
    "AMCOR_2023Q2_10Q",
    "BLOCK_2016_10K",
    "FOOTLOCKER_2022_8K_dated_2022-08-19",
    "MGMRESORTS_2022Q4_EARNINGS",
    "PFIZER_2021_10K",
]
# --quick: three small filings of two companies (with their questions) instead of all 44.
QUICK_DOCS = ["AMCOR_2023Q2_10Q", "AMCOR_2023Q4_EARNINGS", "FOOTLOCKER_2022_8K_dated-2022-05-20"]


# -- command line and environment ------------------------------------------------------------------------------

def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true",
                   help="small subset, for trying things out (writes under .work/quick, not RESULTS.md)")
    return p


def work_dir(quick: bool) -> Path:
    path = WORK / "quick" if quick else WORK
    path.mkdir(parents=True, exist_ok=True)
    return path


def use_home(name: str, quick: bool) -> Path:
    """Point ``ARCHIVIST_HOME`` at ``.work/[quick/]home-<name>`` (the offline switches are set at import).

    Must run before ``archivist.paths.Paths.resolve()``.
    """
    home = work_dir(quick) / f"home-{name}"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["ARCHIVIST_HOME"] = str(home)
    return home


@dataclass
class Index:
    """An open benchmark index and what is needed to search it."""

    paths: Any
    settings: Any
    store: Any

    def services(self, embedder: Callable[[], Any] | None = None):  # noqa: ANN201
        from archivist.app.models import default_embedder, default_generator
        from archivist.app.workspace import Workspace as Services
        from archivist.storage.state import StateStore

        state = StateStore.open(self.paths.state_database, PASSPHRASE)
        return Services(self.paths, self.settings, self.store, state,
                        embedder or (lambda: default_embedder(self.paths, self.settings)),
                        lambda: default_generator(self.settings))

    def close(self) -> None:
        self.store.close()


def open_index(name: str, quick: bool) -> Index:
    """Open (creating when absent) the encrypted index of ``.work/[quick/]home-<name>`` with Archivist's code."""
    use_home(name, quick)
    from archivist.index.store import Store
    from archivist.paths import Paths
    from archivist.settings import Settings

    paths = Paths.resolve()
    settings = Settings.load(None)
    paths.ensure_private(paths.data_dir)
    store = Store.open(paths.database, PASSPHRASE, cache_mb=settings.cache_mb)
    return Index(paths, settings, store)


def build_index(name: str, folder: Path, quick: bool, *, rebuild: bool = False) -> tuple[Index, Any]:
    """Open ``.work/[quick/]home-<name>``, registering and indexing ``folder`` when the index is new (or
    ``rebuild``). Returns the open index and the indexing report (None when it was reused)."""
    import shutil

    home = work_dir(quick) / f"home-{name}"
    if rebuild and home.exists():
        shutil.rmtree(home)
    fresh = not index_exists(name, quick)
    index = open_index(name, quick)
    report = None
    if fresh:
        from archivist.app.models import default_embedder
        from archivist.index.indexer import Indexer

        index.store.add_folder(folder.resolve())
        report = Indexer(index.store, lambda: default_embedder(index.paths, index.settings), index.settings).index_all()
        if report.failed:
            raise SystemExit(f"Indexing {folder} failed for some files: {report.problems}")
    return index, report


def index_exists(name: str, quick: bool) -> bool:
    return (work_dir(quick) / f"home-{name}" / "data" / "index.db").is_file()


# -- data sets -------------------------------------------------------------------------------------------------

def financebench_pdfs(quick: bool) -> Path:
    """The folder of filings to index: all 44, or (quick) a folder holding copies of ``QUICK_DOCS``."""
    source = FINANCEBENCH / "pdfs"
    if not quick:
        return source
    folder = work_dir(True) / "pdfs"
    folder.mkdir(exist_ok=True)
    for stem in QUICK_DOCS:
        target = folder / f"{stem}.pdf"
        if not target.exists():
            # A copy, not a symlink: Archivist's walker never follows symlinks.
            try:
                os.link(source / target.name, target)
            except OSError:
                target.write_bytes((source / target.name).read_bytes())
    return folder


def questions(quick: bool) -> list[dict]:
    rows = [json.loads(line) for line in (FINANCEBENCH / "questions.jsonl").read_text().splitlines() if line]
    if quick:
        rows = [q for q in rows if q["doc_name"] in QUICK_DOCS]
    return rows


# -- measuring -------------------------------------------------------------------------------------------------

class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.s``."""

    def __enter__(self) -> Stopwatch:
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self._t


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty sequence."""
    data = sorted(values)
    if not data:
        return float("nan")
    pos = (len(data) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def parallel_scaling(seconds: float = 2.0) -> float:
    """Work done by two concurrent single-threaded processes relative to one (2.0 = two independent cores).

    A fixed pure-Python loop, timed alone and then twice at once, in fresh interpreters.
    """
    code = ("import time\nt = time.perf_counter()\nx = 0\nfor i in range({n}): x += i\n"
            "print(time.perf_counter() - t)")
    n = 12_000_000
    alone = float(subprocess.run([sys.executable, "-c", code.format(n=n)], capture_output=True, text=True,
                                 check=True).stdout)
    n = int(n * seconds / max(alone, 1e-3))
    alone = float(subprocess.run([sys.executable, "-c", code.format(n=n)], capture_output=True, text=True,
                                 check=True).stdout)
    procs = [subprocess.Popen([sys.executable, "-c", code.format(n=n)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    together = [float(p.communicate()[0]) for p in procs]
    return 2 * alone / max(together)


def progress_line(msg: str) -> None:
    print(msg, flush=True)


# -- machine and versions ----------------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return ", ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni") if f in flags) or "-"
    except OSError:
        pass
    return "?"


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("archivist", "onnxruntime", "torch", "sentence-transformers", "llama_cpp_python", "pypdfium2",
                 "pypdf", "sqlcipher3", "sqlite-vec", "tokenizers", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "-"
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"], capture_output=True,
                               text=True, check=True).stdout.strip()
        out["git"] = commit + (" (src/ modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        out["git"] = "-"
    return out


def machine() -> dict[str, Any]:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    return {"nproc": os.cpu_count(), "cpu": cpu_model(), "flags": cpu_flags(), "mem_gb": round(mem_gb, 1),
            "kernel": platform.release()}


# -- markdown helpers ---------------------------------------------------------------------------------------------

def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def f(x: float | None, digits: int = 2) -> str:
    if x is None or math.isnan(x):
        return "-"
    return f"{x:,.{digits}f}"


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


# -- results -------------------------------------------------------------------------------------------------------

def save_section(name: str, quick: bool, data: dict, markdown: str, started: float) -> Path:
    """Store one benchmark's data and its RESULTS.md section; rebuild RESULTS.md (full runs only)."""
    folder = work_dir(quick) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", *[_rel(a) for a in sys.argv]]),
        "duration_s": round(time.perf_counter() - started, 1),
        "loadavg_at_end": loadavg(),
        "machine": machine(),
        "versions": versions(),
        "data": data,
        "markdown": markdown,
    }
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, default=_jsonable))
    os.replace(tmp, path)
    print("\n" + markdown + "\n", flush=True)
    if not quick:
        if all(load_section(n, False) is not None for n in ORDER):
            write_results_md()
        else:  # the other sections' data are not on this machine: regenerating would drop them
            replace_section(record)
        print(f"Updated {RESULTS_MD.relative_to(REPO)}", flush=True)
    else:
        print(f"(--quick: stored in {path.relative_to(REPO)}; RESULTS.md untouched)", flush=True)
    return path


def load_section(name: str, quick: bool) -> dict | None:
    path = work_dir(quick) / "results" / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _rel(arg: str) -> str:
    try:
        return str(Path(arg).resolve().relative_to(REPO))
    except ValueError:
        return arg


def _jsonable(obj: object) -> object:
    if isinstance(obj, Path):
        return str(obj)
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:
        pass
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_results_md() -> None:
    """Rebuild RESULTS.md from the stored sections (each keeps the date and command of its own run)."""
    records = [r for r in (load_section(n, False) for n in ORDER) if r is not None]
    if not records:
        return
    newest = max(records, key=lambda r: r["date"])
    m, v = newest["machine"], newest["versions"]
    lines = [
        "# Benchmark results",
        "",
        "Generated by the scripts in `benchmarks/` (do not edit by hand: `run_all.py` rewrites this file).",
        "Every timing is a ratio against a baseline measured in the same run; absolute numbers are shown too,",
        "but they wander by about ±25% on this shared machine.",
        "",
        f"- **Date**: {newest['date'][:10]} (each section gives the time of its own run)",
        f"- **Machine**: {m['nproc']} cores, {m['cpu']} ({m['flags']}), {m['mem_gb']} GB RAM, Linux {m['kernel']}",
        "- **Versions**: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        "- **Reproduce everything**: `.venv/bin/python benchmarks/run_all.py` (add `--rebuild` to re-ingest the",
        "  FinanceBench index, `--quick` for a small trial run that leaves this file alone)",
        "",
        "Contents: " + ", ".join(f"[{r['name']}](#{_anchor(r['markdown'])})" for r in records),
        "",
    ]
    for r in records:
        lines += [r["markdown"].rstrip(), "",
                  f"*Run {r['date']}, {r['duration_s']:.0f} s, load average at end {r['loadavg_at_end']}, "
                  f"git {r['versions'].get('git', '-')}.*",
                  f"Reproduce: `{r['command']}`", ""]
    tmp = RESULTS_MD.with_suffix(".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, RESULTS_MD)


def replace_section(record: dict) -> None:
    """Put one run's section into RESULTS.md in place (from its title to the next ``## ``), or at the end."""
    title = record["markdown"].lstrip().splitlines()[0]
    section = (f"{record['markdown'].rstrip()}\n\n*Run {record['date']}, {record['duration_s']:.0f} s, load average "
               f"at end {record['loadavg_at_end']}, git {record['versions'].get('git', '-')}.*\n"
               f"Reproduce: `{record['command']}`\n")
    put_section(title, section)


def put_section(title: str, section: str) -> None:
    """``section`` into RESULTS.md in place of the one headed ``title`` (up to the next ``## ``), or at the end."""
    md = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmark results\n"
    if title in md:
        start = md.index(title)
        nxt = md.find("\n## ", start + len(title))
        md = md[:start] + section + ("\n" + md[nxt + 1:] if nxt != -1 else "")
    else:
        md = md.rstrip() + "\n\n" + section
    tmp = RESULTS_MD.with_suffix(".tmp")
    tmp.write_text(md)
    os.replace(tmp, RESULTS_MD)


def _anchor(markdown: str) -> str:
    title = markdown.lstrip().splitlines()[0].lstrip("#").strip().lower()
    keep = "".join(ch for ch in title if ch.isalnum() or ch in " -_")
    return keep.replace(" ", "-")


def chunks_of(seq: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]
