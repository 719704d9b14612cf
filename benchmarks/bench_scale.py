"""A million passages: vector, keyword and hybrid latency, index size and memory on synthetic 100k and 1M indexes.

The indexes are Archivist's own encrypted ``Store`` (SQLCipher, FTS5, sqlite-vec), filled file by file through
``Store.replace_file`` as the indexer fills it (what ingest costs without extraction and embedding), with the
seeded synthetic passages of ``_synthetic.py`` (why they are built as they are is written there). Each built
index is kept in ``benchmarks/.work/scale/`` and reused while its recipe is unchanged.

Each variant is measured in a fresh process over the same questions, warm (every question runs once untimed,
then again timed): KNN of the 200 candidates hybrid search asks for, the keyword search hybrid runs (FTS5
BM25, 200 hits), and ``Retriever.search(question, 20)`` with the shipped settings (embedding excluded: the
question's vector is given). Recall@20 is measured against the exact float search of the same run (the
baseline): of its 20 nearest passages, how many the variant's vector search returns among its first 20, and
of the hybrid top 20 with exact vectors, how many hybrid with the variant returns.

    .venv/bin/python benchmarks/bench_scale.py              # 100k and 1M (builds them first: ~5 and ~45 min)
    .venv/bin/python benchmarks/bench_scale.py --quick      # 10k, a few minutes
    .venv/bin/python benchmarks/bench_scale.py --sizes 100000 --queries 50
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import _common as c
import _synthetic as syn
import numpy as np

SCALE = c.WORK / "scale"
FOLDER = Path("/synthetic")


def db_path(n: int) -> Path:
    return SCALE / f"{n}" / "index.db"


def build(n: int) -> dict:
    """The synthetic index of ``n`` passages (made when missing or of another recipe); returns its build facts."""
    from archivist.index.store import Store
    from archivist.retrieve.text import STOPWORDS

    spec = syn.Spec(n)
    path = db_path(n)
    if path.is_file():
        store = Store.open(path, c.PASSPHRASE)
        try:
            done = store.get_meta("synthetic")
        finally:
            store.close()
        if done and json.loads(done)["key"] == spec.key:
            return json.loads(done)
    shutil.rmtree(path.parent, ignore_errors=True)
    path.parent.mkdir(parents=True)
    c.progress_line(f"building the synthetic index of {n:,} passages in {path.parent.relative_to(c.REPO)}")
    vocab = syn.vocabulary(sorted(STOPWORDS))
    store = Store.open(path, c.PASSPHRASE, cache_mb=1024)
    folder, _ = store.add_folder(FOLDER)
    started = time.perf_counter()
    generate = 0.0
    t = time.perf_counter()
    for block in syn.blocks(spec, vocab):
        generate += time.perf_counter() - t
        # One transaction per block of 10,000 passages, not per file: the same writes as the indexer's (the
        # store's own replace_file), committed in bulk so that 1M passages build in minutes, not an hour.
        with store.transaction(), _one_transaction(store):
            for first in range(0, len(block.texts), syn.PER_FILE):
                _write_file(store, folder.id, block, first)
        done = block.start + len(block.texts)
        if done % 100_000 == 0 or done == n:
            c.progress_line(f"  {done:,} passages, {time.perf_counter() - started:.0f} s")
        t = time.perf_counter()
    total = time.perf_counter() - started
    facts = {"key": spec.key, "passages": n, "build_s": round(total, 1), "generate_s": round(generate, 1),
             "build_rss_mb": round(c.peak_rss_mb()), "schema": store.schema_version(),
             "date": time.strftime("%Y-%m-%d")}
    store.set_meta("synthetic", json.dumps(facts))
    store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return facts


def _write_file(store, folder_id: int, block: syn.Block, first: int) -> None:  # noqa: ANN001
    """One synthetic file: the block's ``PER_FILE`` passages from ``first`` (3 per page, 40 lines each)."""
    from archivist.index.store import NewChunk

    texts = block.texts[first:first + syn.PER_FILE]
    number = (block.start + first) // syn.PER_FILE
    chunks = [NewChunk(text, "", 1 + i // 3, 1 + 40 * (i % 3), 40 + 40 * (i % 3), "",
                       hashlib.sha256(text.encode()).hexdigest(), len(text.split()))
              for i, text in enumerate(texts)]
    store.replace_file(folder_id=folder_id, path=FOLDER / f"report-{number:06d}.txt", size=1, mtime=1.0,
                       sha256=f"{number:064x}", status="indexed", kind="text", pages=len(texts) // 3 + 1,
                       extractor="synthetic", chunks=chunks, vectors=block.vectors[first:first + syn.PER_FILE])


@contextlib.contextmanager
def _one_transaction(store):  # noqa: ANN001, ANN202
    """Inside an open transaction, make the store's per-file transactions no-ops."""
    store.transaction = contextlib.nullcontext
    try:
        yield
    finally:
        del store.transaction


# -- questions and variants ---------------------------------------------------------------------------------------

CANDIDATES = 200
"""Vector and keyword hits hybrid search takes before fusion (``retrieval.candidates``, shipped 200)."""
TOP = 20


def questions(n: int, count: int) -> Path:
    """``count`` seeded questions about random passages of the index of ``n`` (``_synthetic.question``)."""
    from archivist.index.store import Store

    path = db_path(n).parent / f"questions-{count}.json"
    if path.is_file():
        return path
    rng = np.random.default_rng([syn.Spec(n).seed, 4, count])
    ids = sorted(int(i) + 1 for i in rng.choice(n, size=count, replace=False))  # chunk ids are 1..n here
    store = Store.open(db_path(n), c.PASSPHRASE)
    try:
        rows, vectors = store.chunks(ids), store.vectors(ids)
    finally:
        store.close()
    out = []
    for cid in ids:
        text, vec = syn.question(rng, rows[cid].text, vectors[cid])
        out.append({"source": cid, "text": text, "vector": vec.tolist()})
    path.write_text(json.dumps(out))
    return path


VARIANTS: dict[str, str] = {
    "exact": "exact float scan (vec0 `float[384]`; one-shot commands: the baseline)",
    "held": "held in memory: codes of the centred vectors, 1,600 best rescored exactly (daemon and TUI)",
    "binary-x2": "binary codes (`bit[384]`, hamming), 400 best rescored with their floats",
    "binary-x4": "binary codes, 800 rescored",
    "binary-x8": "binary codes, 1,600 rescored",
    "int8-x4": "int8 codes (`vec_quantize_int8`, unit), 800 rescored with their floats",
}
CODES = {"binary": ("bench_bits", "bit[384]", "vec_quantize_binary({})"),
         "int8": ("bench_int8", "int8[384]", "vec_quantize_int8({}, 'unit')")}
"""Benchmark-only tables of the quantised vectors (made once per cached index; not part of Archivist's schema)."""


def _configure(store, variant: str) -> None:  # noqa: ANN001
    """Make ``store.vector_search`` the variant's: the shipped exact scan, or a quantised prefilter whose
    ``factor * k`` nearest codes are ranked by their float vectors (looked up by rowid in ``chunk_vec``)."""
    if variant == "exact":
        return
    if variant == "held":
        store.hold_vectors()
        return
    kind, _, factor = variant.partition("-x")
    table, column, quantize = CODES[kind]
    if not store._conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
        with store.transaction():
            store._conn.execute(f"CREATE VIRTUAL TABLE {table} USING vec0(embedding {column})")
            store._conn.execute(f"INSERT INTO {table}(rowid, embedding) "
                                f"SELECT rowid, {quantize.format('embedding')} FROM chunk_vec")
    sql = (f"WITH near AS (SELECT rowid FROM {table} WHERE embedding MATCH {quantize.format('?')} AND k = ?) "
           "SELECT near.rowid, vec_distance_l2(v.embedding, ?) AS distance FROM near "
           "JOIN chunk_vec v ON v.rowid = near.rowid ORDER BY distance LIMIT ?")

    def search(vector, k, folder_id=None, _conn=store._conn):  # noqa: ANN001, ANN202
        blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        return [(r[0], r[1]) for r in _conn.execute(sql, (blob, int(factor) * k, blob, k))]

    store.vector_search = search


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: reset by exec, unlike ru_maxrss, which a child inherits from its parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _GivenVectors:
    """An embedder that returns each question's precomputed vector (the benchmark times search, not embedding)."""

    id, dim, max_tokens, tokens = "given", syn.DIM, 256, None

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self._vectors = vectors

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts])


def child(n: int, variant: str, qfile: Path, out: Path) -> None:
    """Measure one variant in this (fresh) process: a warm-up pass over every question, then a timed one."""
    from archivist.index.store import Store
    from archivist.retrieve.hybrid import Retriever
    from archivist.retrieve.text import fts_query
    from archivist.settings import RetrievalSettings

    qs = json.loads(qfile.read_text())
    vectors = {q["text"]: np.asarray(q["vector"], dtype=np.float32) for q in qs}
    t = time.perf_counter()
    store = Store.open(db_path(n), c.PASSPHRASE)
    open_s = time.perf_counter() - t
    _configure(store, variant)
    t = time.perf_counter()
    store.load_held_vectors()  # nothing unless held: their first load, timed apart from the questions
    load_s = time.perf_counter() - t
    load_mb = peak_rss_mb()
    retriever = Retriever.from_settings(store, lambda: _GivenVectors(vectors), RetrievalSettings(),
                                        Path(os.devnull))
    times: dict[str, list[float]] = {"vector": [], "keyword": [], "hybrid": []}
    tops: dict[str, list[list[int]]] = {"vector": [], "hybrid": []}
    for timed in (False, True):
        for q in qs:
            vec, match = vectors[q["text"]], fts_query(q["text"])
            t0 = time.perf_counter()
            knn = store.vector_search(vec, CANDIDATES)
            t1 = time.perf_counter()
            store.keyword_search(match, CANDIDATES) if match else []
            t2 = time.perf_counter()
            hits = retriever.search(q["text"], TOP).hits
            t3 = time.perf_counter()
            if timed:
                times["vector"].append(t1 - t0)
                times["keyword"].append(t2 - t1)
                times["hybrid"].append(t3 - t2)
                tops["vector"].append([cid for cid, _ in knn[:TOP]])
                tops["hybrid"].append([h.chunk.id for h in hits])
    store.close()
    out.write_text(json.dumps({"times": times, "tops": tops, "hwm_mb": peak_rss_mb(), "open_s": open_s,
                               "load_s": load_s, "load_mb": load_mb}))


def measure(n: int, variant: str, qfile: Path) -> dict:
    out = qfile.with_name(f"run-{variant}.json")
    cmd = [sys.executable, __file__, "--child", f"{n}:{variant}:{qfile}:{out}"]
    subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    return json.loads(out.read_text())


def recall(got: list[list[int]], want: list[list[int]]) -> float:
    return float(np.mean([len(set(g[:TOP]) & set(w[:TOP])) / max(1, len(w[:TOP])) for g, w in zip(got, want,
                                                                                                  strict=True)]))


def index_size(n: int) -> dict[str, float]:
    """Bytes on disk (the encrypted file; the WAL is checkpointed) and, per part, from SQLite's dbstat."""
    from archivist.index.store import Store

    store = Store.open(db_path(n), c.PASSPHRASE)
    try:
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        parts: dict[str, float] = {}
        try:
            for name, size in store._conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
                key = ("vectors (float)" if name.startswith("chunk_vec") else
                       "binary codes" if name.startswith("chunk_bits") else
                       "int8 codes (benchmark only)" if name.startswith("bench_int8") else
                       "keywords (FTS5)" if name.startswith("chunks_fts") else
                       "shingles" if name.startswith("chunk_shingles") else
                       "passages" if name.startswith("chunks") else "other")
                parts[key] = parts.get(key, 0.0) + size / 1e6
        except Exception as exc:  # noqa: BLE001 - dbstat is optional in SQLite builds; the total still stands
            parts["(dbstat unavailable)"] = float("nan")
            print(f"dbstat: {exc}", flush=True)
    finally:
        store.close()
    parts["file"] = db_path(n).stat().st_size / 1e6
    return parts


def migrate(n: int) -> float | None:
    """Open the index once with this code (running any new migration, e.g. the binary codes of an index built
    before them); returns the seconds it took when a migration ran, else None."""
    from archivist.index.migrations import LATEST
    from archivist.index.store import Store
    from archivist.storage.sqlcipher import connect

    if not db_path(n).is_file():
        return None
    conn = connect(db_path(n), c.PASSPHRASE)
    before = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    conn.close()
    if before == LATEST:
        return None
    t = time.perf_counter()
    Store.open(db_path(n), c.PASSPHRASE).close()
    return time.perf_counter() - t


# -- report ----------------------------------------------------------------------------------------------------------

def ms(values: list[float], q: float) -> float:
    return c.percentile(values, q) * 1000


def section(results: dict) -> str:
    lines = ["## A million passages: vector, keyword and hybrid search at 100k and 1M (synthetic)", ""]
    lines += [
        "Synthetic indexes built through Archivist's own encrypted `Store` (SQLCipher + FTS5 + sqlite-vec vec0), "
        "`benchmarks/bench_scale.py`: random unit vectors of 384 dimensions clustered by topic (one topic per 100 "
        "passages, cosine ~0.5 within one), text of 120-200 words drawn from a Zipf-distributed 50,000-word "
        "vocabulary whose commonest words are English stop words. Each question is a stored passage's vector "
        "plus noise (cosine ~0.9 to it) with 8 of its words: pure random question vectors in 384 dimensions are "
        "all equally far from every passage, so their \"20 nearest\" would be arbitrary and recall meaningless. "
        "Warm: every question runs once untimed, then timed; each variant in a fresh process. Vector = the KNN of "
        f"the {CANDIDATES} candidates hybrid search takes; keyword = its FTS5 BM25 search ({CANDIDATES} hits); "
        "hybrid = `Retriever.search(question, 20)` with the shipped settings (fusion, signal re-rank, boilerplate, "
        "page spread; no cross-encoder), the question's vector given (embedding ~10-20 ms not included). "
        "Recall@20 is against the exact float search of the same run: of its 20 nearest passages (vector) or "
        "of hybrid's 20 with exact vectors (hybrid), the share the variant returns.", ""]
    for n, r in results.items():
        base = r["runs"]["exact"]
        size = r["size"]
        build = r["build"]
        lines += [f"### {int(n):,} passages", ""]
        extra = "int8 codes (benchmark only)"  # the int8 variant's table, not Archivist's: left out of the size
        total = size["file"] - size.get(extra, 0.0)
        facts = [f"index file **{total / 1e3:,.2f} GB**" if total > 1000 else f"index file **{total:,.0f} MB**"]
        parts = [f"{k} {v:,.0f} MB" for k, v in size.items()
                 if k not in ("file", extra) and not math.isnan(v) and v >= 1]
        if parts:
            facts.append("of which " + ", ".join(parts))
        facts.append(f"built in {build['build_s']:,.0f} s through `Store.replace_file` (50 passages a file, "
                     f"10,000 a transaction; no extraction or embedding; peak RSS {build['build_rss_mb']:,} MB)")
        if r.get("migrated_s") is not None:
            facts.append(f"built at schema {build['schema']}, then migrated to the binary codes on opening in "
                         f"{r['migrated_s']:,.0f} s")
        lines += ["- " + "; ".join(facts) + f"; {r['questions']} questions."]
        held = r["runs"].get("held")
        if held and "load_s" in held:
            lines += [f"- held in memory: the first load read every vector in {held['load_s']:,.1f} s (peak RSS "
                      f"{held['load_mb']:,.0f} MB after it; {base.get('load_mb', float('nan')):,.0f} MB for the "
                      "exact scan's process at the same point)"]
        lines += [""]
        header = ["vector search", "vector p50 / p95 ms", "keyword p50 / p95 ms", "hybrid p50 / p95 ms",
                  "hybrid p50 vs exact", "recall@20 vector", "recall@20 hybrid", "peak RSS MB"]
        rows = []
        for variant, run in r["runs"].items():
            t = run["times"]
            label = VARIANTS[variant]
            rows.append([label,
                         f"{ms(t['vector'], 50):,.1f} / {ms(t['vector'], 95):,.1f}",
                         f"{ms(t['keyword'], 50):,.1f} / {ms(t['keyword'], 95):,.1f}",
                         f"{ms(t['hybrid'], 50):,.1f} / {ms(t['hybrid'], 95):,.1f}",
                         f"{c.ratio(c.median(t['hybrid']), c.median(base['times']['hybrid'])):.2f}x",
                         f"{recall(run['tops']['vector'], base['tops']['vector']):.3f}",
                         f"{recall(run['tops']['hybrid'], base['tops']['hybrid']):.3f}",
                         f"{run['hwm_mb']:,.0f}" if "hwm_mb" in run else "-"])
        lines += [c.table(header, rows), ""]
    return "\n".join(lines)


FINDINGS = """
What this says. The shipped search in a process that answers many questions (the watch daemon, which serves
`search`/`ask` while it runs, and the TUI) holds the vectors in memory (`index/held_vectors.py`): each passage's
384-bit code (the signs of its vector less the mean vector) is compared with the question's, the 1,600 nearest
codes are ranked by their exact float32 distance, and the same passages come back at the same distances as vec0's
exact scan (recall@20 against it 1.000 at both sizes; hybrid .998-1.000, the rest near ties). That meets "Speed an
analyst feels" item 5 in this run: **hybrid p50 38 ms at 100k (target 50) and 201 ms at 1M (target 300)**, 0.29x
and 0.18x the exact scan's in the same run (an earlier run the same afternoon: 28 and 194 ms). At 1M what remains
is keyword search (FTS5 BM25 over 1M passages, ~130 ms of the 201). Memory: 1,584 bytes a passage (float32 +
code): 1.67 GB after loading 1M, 2.36 GB at the end of the questions (SQLite's page cache then holds the keyword
and passage pages the questions read), against 1.93 GB for the exact scan's process, whose page cache holds the
vectors themselves. The first load reads vec0's chunk rows directly: 2.0 s at 100k, 16.8 s at 1M (decrypting
every vector page), on a connection of its own in the background after the daemon or TUI starts; a search
meanwhile takes the exact scan. After another process writes, a search first reads every chunk's validity, rowids
and folder ids (~25 ms at 1M, measured apart) and then the vectors of only the chunks that changed. One-shot
commands keep the exact scan (loading costs more than one scan). Earlier in-database prefilters (binary and int8
vec0 tables, rescored by vec0 point lookups at ~0.3 ms each) were slower than the exact scan at 100k (1.19x-2.92x;
migration 8 dropped them); `--variants` still runs them.
"""


def write_section(markdown: str) -> None:
    """Put this section into RESULTS.md in place of its earlier version (or at the end), leaving every other
    section as it is: ``_common.write_results_md`` rebuilds the file from the stored JSON sections only, and
    several sections are written by hand."""
    text = c.RESULTS_MD.read_text()
    title = markdown.splitlines()[0]
    start = text.find(title)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + markdown.rstrip() + "\n"
    else:
        nxt = text.find("\n## ", start + len(title))
        text = text[:start] + markdown.rstrip() + "\n" + ("\n" + text[nxt + 1:] if nxt >= 0 else "")
    tmp = c.RESULTS_MD.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, c.RESULTS_MD)


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", default=None, help="comma-separated passage counts (default 100000,1000000)")
    p.add_argument("--build-only", action="store_true", help="build (or check) the indexes and stop")
    p.add_argument("--queries", type=int, default=None, help="questions per size (default 50; 40 at 1M)")
    p.add_argument("--variants", default="exact,held",
                   help="comma-separated subset of " + ",".join(VARIANTS) + " (default exact,held: the quantised "
                        "vec0 tables were measured once and are slow to build at 1M)")
    p.add_argument("--report-only", action="store_true", help="write the section again from the last run's data")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        n, variant, qfile, out = args.child.split(":")
        child(int(n), variant, Path(qfile), Path(out))
        return
    started = time.perf_counter()
    sizes = [10_000] if args.quick else [int(s) for s in (args.sizes or "100000,1000000").split(",")]
    if args.report_only:
        sizes = []
    migrated = {n: migrate(n) for n in sizes}  # before anything else opens them (opening migrates)
    for n in sizes:
        print(json.dumps(build(n)), flush=True)
    if args.build_only:
        return
    results: dict = {}
    for n in sizes:
        build_facts = build(n)
        count = args.queries or (50 if n <= 100_000 else 40)
        qfile = questions(n, count)
        size = index_size(n)
        runs = {}
        for variant in args.variants.split(","):
            if variant in ("int8-x4", "binary-x8") and n > 100_000:
                continue  # measured up to 100k only (slower there than binary-x2 and the exact scan)
            c.progress_line(f"{n:,} passages: {variant}")
            runs[variant] = measure(n, variant, qfile)
        results[str(n)] = {"build": build_facts, "migrated_s": migrated[n], "size": size, "questions": count,
                           "runs": runs}
    raw = SCALE / ("results-quick.json" if args.quick else "results.json")
    if args.report_only:
        results = json.loads(raw.read_text())
    else:
        raw.write_text(json.dumps(results))
    markdown = section(results) + FINDINGS
    summary = {n: {v: {"hybrid_p50_ms": ms(run["times"]["hybrid"], 50), "vector_p50_ms": ms(run["times"]["vector"], 50),
                       "keyword_p50_ms": ms(run["times"]["keyword"], 50), "rss_mb": run.get("hwm_mb"),
                       "recall20_vector": recall(run["tops"]["vector"], r["runs"]["exact"]["tops"]["vector"]),
                       "recall20_hybrid": recall(run["tops"]["hybrid"], r["runs"]["exact"]["tops"]["hybrid"])}
                   for v, run in r["runs"].items()} | {"size": r["size"], "build": r["build"],
                                                       "migrated_s": r["migrated_s"]}
               for n, r in results.items()}
    folder = c.work_dir(args.quick) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        record = {"date": time.strftime("%Y-%m-%dT%H:%M:%S"), "command": " ".join(sys.argv),
                  "duration_s": round(time.perf_counter() - started), "loadavg_at_end": c.loadavg(),
                  "versions": c.versions(), "data": summary}
        (folder / "scale.json").write_text(json.dumps(record, indent=1, default=str))
    print("\n" + markdown + "\n", flush=True)
    if args.quick:
        print("(--quick: RESULTS.md untouched)")
    else:
        v = c.versions()
        when = ("measured 2026-12-03 (100k: 50 questions, each variant in a fresh process), written from the "
                "run's data" if args.report_only else
                f"run {time.strftime('%Y-%m-%d %H:%M')}, {time.perf_counter() - started:,.0f} s (builds excluded "
                f"when reused), load average at end {c.loadavg()}")
        write_section(markdown + f"\n*{when}, git {v['git']}, "
                      f"sqlite-vec {v['sqlite-vec']}, sqlcipher3 {v['sqlcipher3']}.*\n"
                      f"Reproduce: `.venv/bin/python benchmarks/bench_scale.py` (`--quick`: 10k passages)\n")
        print(f"Updated {c.RESULTS_MD.relative_to(c.REPO)}", flush=True)


if __name__ == "__main__":
    main()
