"""Full ingest of the FinanceBench dev filings into a fresh encrypted index, and the embedding backends.

Phase 1 (skipped when the index exists, unless ``--rebuild``): time ``archivist.ingest.extract`` on every
filing (extraction alone), then index the folder with Archivist's own ``Indexer`` into a new SQLCipher
index under ``benchmarks/.work/home-financebench`` (kept for bench_retrieval and bench_abstain). The
embedder is wrapped in a stopwatch so the embedding share of the run is measured, not inferred.

Phase 2 (always): the sentence-transformers/torch baseline (``TorchMiniLM``) vs the default ONNX Runtime
int8 backend (``OnnxMiniLM``) on the same random sample of real chunk texts, alternating repetitions;
fidelity (cosine of each chunk's two vectors); and whether ranking survives: page-level recall within a
small corpus (every chunk of the questions' evidence pages plus the sample) embedded by each backend.

    .venv/bin/python benchmarks/bench_ingest.py [--quick] [--rebuild] [--sample N] [--reps N]
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import _common as c
import numpy as np

NAME = "financebench"


class TimedEmbedder:
    """Passes through to an embedder and adds up the time spent in ``embed_batch``."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - any Embedder
        self.inner = inner
        self.id, self.dim, self.max_tokens, self.tokens = inner.id, inner.dim, inner.max_tokens, inner.tokens
        self.seconds = 0.0
        self.texts = 0
        self.calls = 0

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        t = time.perf_counter()
        out = self.inner.embed_batch(texts)
        self.seconds += time.perf_counter() - t
        self.texts += len(texts)
        self.calls += 1
        return out


def db_size_mb(data_dir: Path) -> float:
    return sum(p.stat().st_size for p in data_dir.glob("index.db*")) / 1e6


def ingest(quick: bool) -> dict:
    """Build the index from scratch; returns the measurements."""
    home = c.work_dir(quick) / f"home-{NAME}"
    if home.exists():
        shutil.rmtree(home)
    c.use_home(NAME, quick)
    from archivist.ingest import extract
    from archivist.services import default_embedder

    folder = c.financebench_pdfs(quick)
    pdfs = sorted(folder.glob("*.pdf"))
    pdf_mb = sum(p.stat().st_size for p in pdfs) / 1e6
    for p in pdfs:  # warm the file cache: both passes then read from memory
        p.read_bytes()

    c.progress_line(f"Extraction pass over {len(pdfs)} PDFs ...")
    pages = chars = 0
    with c.Stopwatch() as sw_extract:
        for p in pdfs:
            doc = extract(p)
            pages += doc.pages or 0
            chars += sum(len(b.text) for b in doc.blocks)
    c.progress_line(f"  {pages} pages, {chars:,} characters in {sw_extract.s:.1f} s "
                    f"({pages / sw_extract.s:.0f} pages/s)")

    index = c.open_index(NAME, quick)
    from archivist.index.indexer import Indexer

    timed: list[TimedEmbedder] = []

    def factory() -> TimedEmbedder:
        timed.append(TimedEmbedder(default_embedder(index.paths, index.settings)))
        return timed[-1]

    index.store.add_folder(folder.resolve())
    indexer = Indexer(index.store, factory, index.settings)
    t0 = time.perf_counter()
    last = [t0]

    def progress(done: int, total: int, path: Path | None) -> None:
        now = time.perf_counter()
        if path is None or done % 5 == 0 or now - last[0] > 60:
            last[0] = now
            embedded = timed[0].texts if timed else 0
            c.progress_line(f"  [{done:2d}/{total}] {now - t0:6.0f} s, {embedded:6d} chunks embedded"
                            + (f", next {path.name}" if path else ", done"))

    c.progress_line(f"Indexing {folder} into {index.paths.database} ...")
    with c.Stopwatch() as sw_index:
        report = indexer.index_all(progress)
    rss_mb = c.peak_rss_mb()
    counts = index.store.counts()
    avg_tokens = index.store._conn.execute("SELECT avg(n_tokens) FROM chunks").fetchone()[0]
    index.close()
    emb = timed[0]
    data = {
        "files": len(pdfs), "pdf_mb": pdf_mb, "pages": pages, "characters": chars,
        "extract_s": sw_extract.s, "extract_pages_per_s": pages / sw_extract.s,
        "index_s": sw_index.s, "embed_s": emb.seconds, "embed_calls": emb.calls,
        "chunks": counts["chunks"], "chunks_embedded": report.chunks_embedded,
        "chunks_reused": report.chunks_reused, "avg_chunk_tokens": avg_tokens,
        "indexed": counts["indexed"], "failed": report.failed, "skipped": report.skipped,
        "problems": [f"{p.name}: {why}" for p, why in report.problems],
        "embed_chunks_per_s": report.chunks_embedded / emb.seconds if emb.seconds else None,
        "embedder": emb.id, "threads": index.settings.answer.threads, "batch_size": index.settings.embed.batch_size,
        "peak_rss_mb": rss_mb, "db_mb": db_size_mb(index.paths.data_dir),
    }
    c.progress_line(f"Indexed {data['indexed']} files, {data['chunks']} chunks in {sw_index.s:.0f} s "
                    f"(embedding {emb.seconds:.0f} s = {data['embed_chunks_per_s']:.1f} chunks/s); "
                    f"peak RSS {rss_mb:.0f} MB; database {data['db_mb']:.1f} MB")
    return data


# -- phase 2: backends ---------------------------------------------------------------------------------------------

def sample_texts(store, n: int, seed: int = 7) -> tuple[list[int], list[str]]:  # noqa: ANN001
    """A seeded random sample of stored chunks, as the embedder saw them (prefix + newline + text)."""
    rows = store._conn.execute("SELECT id, prefix, text FROM chunks ORDER BY id").fetchall()
    picked = sorted(random.Random(seed).sample(rows, min(n, len(rows))))
    return [r[0] for r in picked], [f"{r[1]}\n{r[2]}" if r[1] else r[2] for r in picked]


def evidence_chunks(store, qs: list[dict]) -> tuple[list[int], list[str], list[tuple[str, int]]]:  # noqa: ANN001
    """Every stored chunk of an evidence page: ids, embed texts, (file stem, 1-based page)."""
    wanted = {(e["doc_name"], e["page"] + 1) for q in qs for e in q["evidence"]}
    rows = store._conn.execute("SELECT c.id, c.prefix, c.text, f.path, c.page FROM chunks c "
                               "JOIN files f ON f.id = c.file_id ORDER BY c.id").fetchall()
    out = [(r[0], f"{r[1]}\n{r[2]}" if r[1] else r[2], (Path(r[3]).stem, r[4])) for r in rows
           if (Path(r[3]).stem, r[4]) in wanted]
    return [o[0] for o in out], [o[1] for o in out], [o[2] for o in out]


def locations(store, ids: list[int]) -> list[tuple[str, int]]:  # noqa: ANN001
    rows = store.chunks(ids)
    return [(rows[i].path.stem, rows[i].page) for i in ids]


def page_recall(qvecs: np.ndarray, dvecs: np.ndarray, where: list[tuple[str, int]], qs: list[dict],
                k: int) -> tuple[float, float]:
    """Page-level recall@k and MRR@k of brute-force cosine search over a small corpus."""
    sims = qvecs @ dvecs.T
    hits = mrr = 0.0
    for qi, q in enumerate(qs):
        gold = {(e["doc_name"], e["page"] + 1) for e in q["evidence"]}
        order = np.argsort(-sims[qi])[:k]
        for rank, j in enumerate(order, start=1):
            if where[j] in gold:
                hits += 1
                mrr += 1 / rank
                break
    return hits / len(qs), mrr / len(qs)


def thread_study(models_dir: Path, texts: list[str], reps: int) -> dict[str, float]:
    """Chunks/s of each backend at 1 and 2 threads (and ONNX at three batch sizes), alternating, medians."""
    from archivist.embed.minilm import OnnxMiniLM, TorchMiniLM

    configs = {}
    for threads in (1, 2):
        for batch in (1, 8, 32):
            configs[f"onnx int8, {threads} thread(s), batch {batch}"] = \
                lambda t=threads, b=batch: OnnxMiniLM(models_dir, threads=t, batch_size=b)
        configs[f"torch, {threads} thread(s), batch 32"] = lambda t=threads: TorchMiniLM(threads=t, batch_size=32)
    rates: dict[str, list[float]] = {k: [] for k in configs}
    for rep in range(reps):
        for name, make in configs.items():
            emb = make()  # torch's thread count is process-wide: build each right before its run
            emb.embed_batch(texts[:16])
            with c.Stopwatch() as sw:
                emb.embed_batch(texts)
            rates[name].append(len(texts) / sw.s)
            c.progress_line(f"  rep {rep + 1}/{reps} {name:34s} {len(texts) / sw.s:6.1f} chunks/s")
            del emb
    return {k: c.median(v) for k, v in rates.items()}


def compare_backends(quick: bool, n_sample: int, reps: int) -> dict:
    index = c.open_index(NAME, quick)
    from archivist.embed.minilm import TorchMiniLM
    from archivist.services import default_embedder

    settings = index.settings
    ids, texts = sample_texts(index.store, n_sample)
    n_grid = max(16, n_sample // 3)
    qs = c.questions(quick)
    ev_ids, ev_texts, ev_where = evidence_chunks(index.store, qs)
    sample_where = locations(index.store, ids)
    stored = index.store.vectors(ids)
    index.close()

    c.progress_line(f"Loading both backends (threads={settings.answer.threads}, batch={settings.embed.batch_size}) ...")
    with c.Stopwatch() as sw_onnx_load:
        onnx = default_embedder(index.paths, settings)
    with c.Stopwatch() as sw_torch_load:
        torch_ = TorchMiniLM(threads=settings.answer.threads, batch_size=settings.embed.batch_size)
    warm = texts[:64]
    onnx.embed_batch(warm)
    torch_.embed_batch(warm)

    times: dict[str, list[float]] = {"torch": [], "onnx": []}
    vecs: dict[str, np.ndarray] = {}
    for rep in range(reps):
        for name, emb in (("onnx", onnx), ("torch", torch_)):
            with c.Stopwatch() as sw:
                vecs[name] = emb.embed_batch(texts)
            times[name].append(sw.s)
            c.progress_line(f"  rep {rep + 1}/{reps} {name:5s} {len(texts)} chunks in {sw.s:6.2f} s "
                            f"({len(texts) / sw.s:6.1f} chunks/s)")
    med = {k: c.median(v) for k, v in times.items()}
    cos = np.sum(vecs["onnx"] * vecs["torch"], axis=1)
    scaling = c.parallel_scaling()
    c.progress_line(f"Two concurrent processes do {scaling:.2f}x the work of one (2.00 = two full cores)")
    grid = thread_study(index.paths.models_dir, texts[::3][:n_grid], reps)  # every third: spread over files
    stored_cos = np.array([float(np.dot(stored[i], vecs["onnx"][j])) for j, i in enumerate(ids)])

    # Ranking: the same small corpus embedded by each backend, questions embedded by each backend.
    c.progress_line(f"Ranking check: {len(ev_texts)} evidence-page chunks + {len(texts)} sampled chunks, "
                    f"{len(qs)} questions ...")
    keep = [j for j, i in enumerate(ids) if i not in set(ev_ids)]
    where = ev_where + [sample_where[j] for j in keep]
    ranking = {}
    for name, emb in (("onnx", onnx), ("torch", torch_)):
        dvecs = np.vstack([emb.embed_batch(ev_texts), vecs[name][keep]])
        qvecs = emb.embed_batch([q["question"] for q in qs])
        ranking[name] = {f"R@{k}": page_recall(qvecs, dvecs, where, qs, k)[0] for k in (1, 5, 10)}
        ranking[name]["MRR@10"] = page_recall(qvecs, dvecs, where, qs, 10)[1]
        ranking[name]["qvecs"] = qvecs
    qcos = np.sum(ranking["onnx"].pop("qvecs") * ranking["torch"].pop("qvecs"), axis=1)
    return {
        "sample": len(texts), "reps": reps, "seconds": times, "median_s": med,
        "chunks_per_s": {k: len(texts) / v for k, v in med.items()},
        "speedup": c.ratio(med["torch"], med["onnx"]),
        "load_s": {"onnx": sw_onnx_load.s, "torch": sw_torch_load.s},
        "cosine": {"mean": float(cos.mean()), "min": float(cos.min()), "p1": c.percentile(cos.tolist(), 1),
                   "p5": c.percentile(cos.tolist(), 5)},
        "question_cosine": {"mean": float(qcos.mean()), "min": float(qcos.min())},
        "stored_vs_fresh_min_cosine": float(stored_cos.min()),
        "ranking_corpus": len(where), "ranking": ranking,
        "embedder_ids": {"onnx": onnx.id, "torch": torch_.id},
        "threads": settings.answer.threads, "batch_size": settings.embed.batch_size,
        "grid_texts": min(n_grid, len(texts)), "grid": grid, "scaling": scaling,
    }


def render(ing: dict, be: dict, reused_from: str | None, quick: bool) -> str:
    embed_share = ing["embed_s"] / ing["index_s"]
    rest = ing["index_s"] - ing["embed_s"]
    rows = [
        ["files / pages / characters", f"{ing['files']} / {ing['pages']:,} / {ing['characters']:,}"],
        ["extraction alone (`archivist.ingest.extract`, all files)",
         f"{ing['extract_s']:.1f} s = **{ing['extract_pages_per_s']:.0f} pages/s**"],
        ["chunks (avg word pieces per chunk)", f"{ing['chunks']:,} ({ing['avg_chunk_tokens']:.0f})"],
        ["indexing wall time (`Indexer.index_all`)", f"**{ing['index_s']:.0f} s** ({ing['index_s'] / 60:.1f} min)"],
        [f"of which embedding ({ing['embedder']}, {ing['threads']} threads)",
         f"{ing['embed_s']:.0f} s = {embed_share:.0%} of the run, **{ing['embed_chunks_per_s']:.1f} chunks/s**"],
        ["of which extraction, chunking, hashing, encrypted writes", f"{rest:.0f} s ({1 - embed_share:.0%})"],
        ["files indexed / failed / skipped", f"{ing['indexed']} / {ing['failed']} / {ing['skipped']}"],
        ["peak RSS (ingest process, before the torch comparison)", f"{ing['peak_rss_mb']:.0f} MB"],
        ["database on disk (SQLCipher, FTS5, vec0)",
         f"{ing['db_mb']:.1f} MB ({ing['db_mb'] / ing['pdf_mb']:.2f}x the {ing['pdf_mb']:.0f} MB of PDFs, "
         f"{ing['db_mb'] * 1e3 / ing['chunks']:.1f} KB per chunk)"],
    ]
    m, cos, rk = be["median_s"], be["cosine"], be["ranking"]
    brows = [
        ["sentence-transformers/torch (baseline)", be["sample"], c.f(m["torch"]), c.f(be["chunks_per_s"]["torch"], 1),
         "1.00", c.f(be["load_s"]["torch"])],
        ["ONNX Runtime int8 (default)", be["sample"], c.f(m["onnx"]), c.f(be["chunks_per_s"]["onnx"], 1),
         f"**{be['speedup']:.2f}**", c.f(be["load_s"]["onnx"])],
    ]
    rrows = [[name] + [c.f(rk[name][k], 3) for k in ("R@1", "R@5", "R@10", "MRR@10")] for name in ("torch", "onnx")]
    grid, base_key = be["grid"], f"torch, {be['threads']} thread(s), batch 32"
    grid_rows = [[k + (" (Archivist default)" if k == f"onnx int8, {be['threads']} thread(s), batch {be['batch_size']}"
                       else ""), c.f(v, 1), c.f(c.ratio(v, grid[base_key]))] for k, v in grid.items()]
    best = max(grid, key=grid.get)
    default_key = f"onnx int8, {be['threads']} thread(s), batch {be['batch_size']}"
    full_min = 6794 * ing["chunks"] / max(ing["pages"], 1) / be["chunks_per_s"]["torch"] / 60
    kept = "kept" if rk["onnx"]["R@10"] >= rk["torch"]["R@10"] - 0.03 else "NOT kept"
    reuse = (f"\n*Ingest numbers from the build of {reused_from} (index reused; pass `--rebuild` to re-measure). "
             "The backend comparison below ran now.*\n" if reused_from else "")
    return "\n".join([
        "## 2. Ingest and embedding backends",
        "",
        f"Fresh encrypted index of {'the --quick subset' if quick else 'all 44 FinanceBench dev filings'} built "
        "with Archivist's `Indexer` (default settings: chunks of at most "
        "200 word pieces with 32 of overlap, never across pages).",
        reuse,
        c.table(["measure", "value"], rows),
        "",
        f"**Embedding backends** on the same {be['sample']} randomly sampled chunk texts (prefix + text, as "
        f"indexed), same threads and batch size, median of {be['reps']} alternating repetitions:",
        "",
        c.table(["backend", "chunks", "median s", "chunks/s", "speed vs torch", "load s"], brows),
        "",
        f"Fidelity (cosine between the two vectors of each chunk): mean **{cos['mean']:.4f}**, "
        f"p1 {cos['p1']:.4f}, min **{cos['min']:.4f}**; questions: mean {be['question_cosine']['mean']:.4f}, "
        f"min {be['question_cosine']['min']:.4f}. Stored vectors vs a fresh ONNX run: min cosine "
        f"{be['stored_vs_fresh_min_cosine']:.4f}.",
        "",
        f"Ranking with each backend end to end (questions and a {be['ranking_corpus']}-chunk corpus: every "
        "chunk of an evidence page plus the sample; page-level hits):",
        "",
        c.table(["backend", "R@1", "R@5", "R@10", "MRR@10"], rrows),
        "",
        f"Threads and batch size ({be['grid_texts']} of the sampled chunks, median of {be['reps']} alternating "
        f"repetitions; Archivist uses `answer.threads` = {be['threads']} and `embed.batch_size` = "
        f"{be['batch_size']}; baseline: torch at {be['threads']} threads):",
        "",
        c.table(["configuration", "chunks/s", "vs baseline"], grid_rows),
        "",
        "**What this says.** "
        f"Embedding is {embed_share:.0%} of indexing time, so the backend is the lever: ONNX int8 embeds "
        f"{be['speedup']:.2f}x as fast as the torch baseline in the same run "
        f"({be['chunks_per_s']['onnx']:.0f} vs {be['chunks_per_s']['torch']:.0f} chunks/s); with torch the "
        f"same ingest would spend about {ing['chunks'] / be['chunks_per_s']['torch'] / 60:.1f} min embedding "
        f"instead of {ing['embed_s'] / 60:.1f}. Extraction ({ing['extract_pages_per_s']:.0f} pages/s) is not the "
        f"bottleneck. Fidelity is high (mean cosine {cos['mean']:.3f}, worst chunk {cos['min']:.3f}) and "
        f"ranking quality is {kept} (R@10 {rk['onnx']['R@10']:.3f} ONNX vs {rk['torch']['R@10']:.3f} torch on the "
        "small corpus). "
        f"Fastest configuration here: {best} at {grid[best]:.0f} chunks/s, "
        f"{c.ratio(grid[best], grid[default_key]):.2f}x the default's {grid[default_key]:.0f}"
        + (" (two threads are slower than one on this machine: two processes "
           f"running at once get only {be['scaling']:.2f}x the work of one, so its two vCPUs do not behave as two "
           "cores)" if "1 thread" in best and be["threads"] > 1 else "")
        + "." + ("" if quick else f" ({full_min:.0f} min would be the torch embedding time at this "
                            "chunk density for all 6,794 pages.)"),
    ])


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--rebuild", action="store_true", help="re-ingest even if the index exists")
    p.add_argument("--sample", type=int, default=None, help="chunks for the backend comparison (default 600)")
    p.add_argument("--reps", type=int, default=None, help="repetitions per backend (default 2, quick 1)")
    args = p.parse_args()
    started = time.perf_counter()
    reused_from = None
    if args.rebuild or not c.index_exists(NAME, args.quick):
        ing = ingest(args.quick)
    else:
        previous = c.load_section("ingest", args.quick)
        if previous is None or "ingest" not in previous["data"]:
            raise SystemExit("The index exists but its ingest measurements are missing: run with --rebuild.")
        ing = previous["data"]["ingest"]
        reused_from = previous["data"].get("built", previous["date"])
        c.progress_line(f"Index exists (built {reused_from}); skipping ingest. Use --rebuild to re-measure.")
    built = reused_from or time.strftime("%Y-%m-%dT%H:%M:%S")
    be = compare_backends(args.quick, args.sample or (150 if args.quick else 600), args.reps or (1 if args.quick else 2))
    md = render(ing, be, reused_from, args.quick)
    c.save_section("ingest", args.quick, {"ingest": ing, "built": built, "backends": be}, md, started)


if __name__ == "__main__":
    main()
