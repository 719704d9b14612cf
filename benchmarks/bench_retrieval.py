"""Retrieval quality and latency on FinanceBench: BM25, vector and hybrid, over the index of bench_ingest.

For each question: ``Retriever.search(question, 20, mode=...)`` for every mode. A hit is a passage whose file
stem is an evidence ``doc_name`` and whose (1-based) page is the evidence's ZERO-based page + 1. Reported:
page-level recall@1/5/10/20 and MRR@20, document-level recall@k (right filing, whatever the page), where the
top passage comes from when it misses, and latency per mode with BM25 as the in-run baseline.

A second table evaluates retrieval variants that Archivist does not ship (built here from the store's own
search primitives), as evidence for possible improvements; they are labelled as such.

    .venv/bin/python benchmarks/bench_retrieval.py [--quick]
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import _common as c
import numpy as np

MODES = ("bm25", "vector", "hybrid")
KS = (1, 5, 10, 20)
TOP = 20

REFERENCE = [  # financebench-dev/README.md, measured independently (shared index with extra distractors)
    ("B1 vector, 1,000-char chunks / 200 overlap", .128, .218, .359, .564, .194),
    ("B1s vector, 500-char chunks / 100 overlap", .128, .321, .397, .551, .216),
    ("B2 BM25 (plain word tokens, no stemming), 500-char", .090, .103, .141, .179, .104),
    ("B3 RRF of B1s and B2 (k = 60)", .115, .179, .295, .372, .158),
    ("vector with the question's own filing given (upper hint)", .346, .577, .731, .795, .466),
]

Ranked = list[tuple[str, int | None]]
"""(file stem, 1-based page) of each passage, best first."""


def gold_pages(q: dict) -> set[tuple[str, int]]:
    return {(e["doc_name"], e["page"] + 1) for e in q["evidence"]}


def gold_docs(q: dict) -> set[str]:
    return {e["doc_name"] for e in q["evidence"]}


def first_rank(ranked: Ranked, match: Callable[[tuple[str, int | None]], bool]) -> int | None:
    for rank, item in enumerate(ranked, start=1):
        if match(item):
            return rank
    return None


def metrics(runs: list[tuple[dict, Ranked]]) -> dict[str, float]:
    """Page- and document-level recall@k and MRR@20 over (question, ranking) pairs."""
    out: dict[str, float] = {}
    page_ranks, doc_ranks = [], []
    for q, r in runs:
        pages, docs = gold_pages(q), gold_docs(q)
        page_ranks.append(first_rank(r, lambda it, g=pages: it in g))
        doc_ranks.append(first_rank(r, lambda it, g=docs: it[0] in g))
    n = max(len(runs), 1)
    for k in KS:
        out[f"R@{k}"] = sum(1 for r in page_ranks if r is not None and r <= k) / n
        out[f"doc R@{k}"] = sum(1 for r in doc_ranks if r is not None and r <= k) / n
    out["MRR@20"] = sum(1 / r for r in page_ranks if r is not None) / n
    out["doc MRR@20"] = sum(1 / r for r in doc_ranks if r is not None) / n
    return out


def top1_origin(runs: list[tuple[dict, Ranked]], company_of: dict[str, str]) -> Counter:
    """Where the top passage comes from: the right page, the right filing, another filing of the same
    company, or another company."""
    out: Counter = Counter()
    for q, r in runs:
        if not r:
            out["nothing"] += 1
        elif r[0] in gold_pages(q):
            out["right page"] += 1
        elif r[0][0] in gold_docs(q):
            out["right filing, other page"] += 1
        elif company_of.get(r[0][0]) == q["company"]:
            out["same company, other filing"] += 1
        else:
            out["other company"] += 1
    return out


# -- variants Archivist does not ship (evidence for improvements) -------------------------------------------------

class Variants:
    """Rankings rebuilt from the index's own FTS5 table and vectors: the shipped hybrid's ingredients,
    recombined. ``keyword`` mirrors ``Store.keyword_search`` (same MATCH expression, same ``bm25()`` ranking)
    with the column weights as a parameter; Archivist ships ``bm25(chunks_fts, 0.5, 1.0)`` (prefix, text)."""

    WIDE = 200

    def __init__(self, store, settings, embedder) -> None:  # noqa: ANN001
        self.store = store
        self.embedder = embedder
        self.candidates = settings.retrieval.candidates
        self.rrf_k = settings.retrieval.rrf_k
        rows = store._conn.execute("SELECT c.id, f.path, c.page, c.file_id FROM chunks c "
                                   "JOIN files f ON f.id = c.file_id")
        self.where: dict[int, tuple[str, int | None]] = {}
        self.file_id: dict[str, int] = {}
        self.file_chunks: dict[str, list[int]] = defaultdict(list)
        for cid, path, page, file_id in rows:
            stem = Path(path).stem
            self.where[cid] = (stem, page)
            self.file_id[stem] = file_id
            self.file_chunks[stem].append(cid)
        self._vec_cache: dict[str, tuple[list[int], np.ndarray]] = {}

    def keyword(self, match: str | None, limit: int, prefix_weight: float = 0.5, file: str | None = None) -> list[int]:
        if match is None:
            return []
        sql = f"SELECT f.rowid, bm25(chunks_fts, {prefix_weight}, 1.0) AS s FROM chunks_fts f"
        args: list = [match]
        if file is not None:
            sql += " JOIN chunks c ON c.id = f.rowid WHERE chunks_fts MATCH ? AND c.file_id = ?"
            args.append(self.file_id[file])
        else:
            sql += " WHERE chunks_fts MATCH ?"
        return [r[0] for r in self.store._conn.execute(sql + " ORDER BY s LIMIT ?", [*args, limit])]

    def file_vectors(self, stem: str) -> tuple[list[int], np.ndarray]:
        if stem not in self._vec_cache:
            ids = self.file_chunks[stem]
            vecs = self.store.vectors(ids)
            self._vec_cache[stem] = (ids, np.stack([vecs[i] for i in ids]))
        return self._vec_cache[stem]

    def rrf(self, *lists: list[int]) -> dict[int, float]:
        fused: dict[int, float] = {}
        for ids in lists:
            for r, cid in enumerate(ids):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (self.rrf_k + r + 1)
        return fused

    def ranked(self, scores: dict[int, float]) -> Ranked:
        return [self.where[cid] for cid in sorted(scores, key=lambda x: -scores[x])[:TOP]]

    def file_scores(self, fused: dict[int, float]) -> dict[str, float]:
        per_file: dict[str, float] = defaultdict(float)
        for cid, s in fused.items():
            per_file[self.where[cid][0]] += s
        return per_file

    def all(self, q: dict) -> dict[str, Ranked]:
        from archivist.retrieve.text import fts_query

        n, wide = self.candidates, self.WIDE
        match = fts_query(q["question"])
        qvec = self.embedder.embed_batch([q["question"]])[0]
        knn = [cid for cid, _ in self.store.vector_search(qvec, wide)]
        bm25 = self.keyword(match, wide)
        bm25_p2 = self.keyword(match, wide, prefix_weight=2.0)
        out: dict[str, Ranked] = {}
        shipped = self.rrf(bm25[:n], knn[:n])
        out["(check) shipped hybrid rebuilt here"] = self.ranked(shipped)
        out["A. BM25 prefix weight 2.0 instead of 0.5 (file name, title, headings)"] = \
            self.ranked(self.rrf(bm25_p2[:n], knn[:n]))
        out[f"B. {wide} candidates per list instead of {n}"] = self.ranked(self.rrf(bm25, knn))
        out["C. A + B"] = self.ranked(self.rrf(bm25_p2, knn))
        # Soft filing prior: add to each chunk's RRF score half of one top-rank RRF contribution, scaled by its
        # filing's share (summed RRF of the filing's candidates / the best filing's).
        per_file = self.file_scores(shipped)
        best = max(per_file.values(), default=1.0)
        bonus = 0.5 * 2 / (self.rrf_k + 1)
        out["D. soft filing prior (summed RRF per filing, +0.5 top-rank bonus)"] = self.ranked(
            {cid: s + bonus * per_file[self.where[cid][0]] / best for cid, s in shipped.items()})
        # Hard routing: only the filing with the largest summed RRF, then hybrid inside it.
        top_file = max(per_file, key=per_file.get) if per_file else q["doc_name"]
        ids, vecs = self.file_vectors(top_file)
        inside = [ids[i] for i in np.argsort(-(vecs @ qvec))[:n]]
        out["E. hard filing routing (best filing by summed RRF, hybrid inside it)"] = self.ranked(
            self.rrf(self.keyword(match, n, file=top_file), inside))
        ids, vecs = self.file_vectors(q["doc_name"])
        order = np.argsort(-(vecs @ qvec))
        out["hint: vector inside the question's own filing (README's last row)"] = \
            [self.where[ids[i]] for i in order[:TOP]]
        return out


def run_variants(variants: Variants, qs: list[dict]) -> dict[str, list[tuple[dict, Ranked]]]:
    out: dict[str, list[tuple[dict, Ranked]]] = defaultdict(list)
    for q in qs:
        for name, ranked in variants.all(q).items():
            out[name].append((q, ranked))
    return out


def sign_test(won: int, lost: int) -> float:
    """Two-sided exact sign test p-value for ``won`` vs ``lost`` discordant questions."""
    n = won + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(won, lost) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired(base: list[tuple[dict, Ranked]], other: list[tuple[dict, Ranked]], k: int = 10) -> tuple[int, int]:
    """Questions with a page hit in the top k that ``other`` gains and loses against ``base``."""
    won = lost = 0
    for (q, rb), (_, ro) in zip(base, other, strict=True):
        g = gold_pages(q)
        hb, ho = any(it in g for it in rb[:k]), any(it in g for it in ro[:k])
        won += ho and not hb
        lost += hb and not ho
    return won, lost


# -- main ----------------------------------------------------------------------------------------------------------

def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    args = p.parse_args()
    started = time.perf_counter()
    if not c.index_exists("financebench", args.quick):
        raise SystemExit("No FinanceBench index yet: run benchmarks/bench_ingest.py"
                         + (" --quick" if args.quick else ""))
    index = c.open_index("financebench", args.quick)
    services = index.services()
    retriever = services.retriever()
    qs = c.questions(args.quick)
    docs = [json.loads(line) for line in (c.FINANCEBENCH / "documents.jsonl").read_text().splitlines() if line]
    company_of = {d["doc_name"]: d["company"] for d in docs}
    n_chunks = index.store.counts()["chunks"]

    for mode in MODES:  # load the embedder, warm the page cache
        retriever.search("warm-up question about revenue", TOP, mode=mode)
    runs: dict[str, list[tuple[dict, Ranked]]] = {m: [] for m in MODES}
    lat: dict[str, list[float]] = {m: [] for m in MODES}
    parts: dict[str, dict[str, list[float]]] = {m: defaultdict(list) for m in MODES}
    c.progress_line(f"{len(qs)} questions x {len(MODES)} modes over {n_chunks:,} chunks ...")
    for i, q in enumerate(qs):
        for mode in MODES:  # interleaved, so drifting load affects every mode alike
            with c.Stopwatch() as sw:
                res = retriever.search(q["question"], TOP, mode=mode)
            lat[mode].append(sw.s * 1000)
            for key, ms in res.timings_ms.items():
                parts[mode][key].append(ms)
            runs[mode].append((q, [(h.chunk.path.stem, h.chunk.page) for h in res.hits]))
        if (i + 1) % 20 == 0:
            c.progress_line(f"  {i + 1}/{len(qs)}")

    m = {mode: metrics(runs[mode]) for mode in MODES}
    origins = {mode: top1_origin(runs[mode], company_of) for mode in MODES}
    latency = {mode: {"p50": c.percentile(lat[mode], 50), "p95": c.percentile(lat[mode], 95),
                      **{k: c.median(v) for k, v in parts[mode].items()}} for mode in MODES}

    c.progress_line("Scoped to the question's filing with `file:` (shipped scoping) ...")
    scoped = [(q, [(h.chunk.path.stem, h.chunk.page) for h in
                   retriever.search(f"{q['question']} file:{q['doc_name']}.pdf", TOP).hits]) for q in qs]
    c.progress_line("Variants (not shipped) ...")
    variants = Variants(index.store, index.settings, retriever.embedder)
    vruns = run_variants(variants, qs)
    vruns["hint: Archivist hybrid scoped with `file:<filing>.pdf` (shipped scoping; the user names the filing)"] = \
        scoped
    vm = {name: metrics(r) for name, r in vruns.items()}
    for name, r in vruns.items():
        vm[name]["won_lost_R@10"] = paired(runs["hybrid"], r)
    check = vm.pop("(check) shipped hybrid rebuilt here")
    rebuilt_ok = all(abs(check[k] - m["hybrid"][k]) < 1e-9 for k in ("R@1", "R@10", "R@20", "MRR@20"))
    if not rebuilt_ok:
        c.progress_line("WARNING: the rebuilt hybrid does not match Archivist's: variant rows are not comparable")
    by_type = {mode: {t: metrics([(q, r) for q, r in runs[mode] if q["question_type"] == t])
                      for t in sorted({q["question_type"] for q in qs})} for mode in MODES}
    index.close()

    data = {"questions": len(qs), "chunks": n_chunks, "metrics": m, "latency_ms": latency,
            "top1_origin": {k: dict(v) for k, v in origins.items()}, "variants": vm, "by_type": by_type,
            "candidates": index.settings.retrieval.candidates, "rrf_k": index.settings.retrieval.rrf_k,
            "rebuilt_matches_shipped": rebuilt_ok}
    c.save_section("retrieval", args.quick, data, render(data, args.quick), started)


def render(d: dict, quick: bool) -> str:
    m, lat = d["metrics"], d["latency_ms"]
    cols = ["R@1", "R@5", "R@10", "R@20", "MRR@20"]
    page_rows = [[f"Archivist {mode}"] + [c.f(m[mode][k], 3) for k in cols] for mode in MODES]
    page_rows += [[f"*reference:* {r[0]}"] + [c.f(x, 3) for x in r[1:]] for r in REFERENCE]
    doc_cols = ["doc R@1", "doc R@5", "doc R@10", "doc R@20", "doc MRR@20"]
    doc_rows = [[mode] + [c.f(m[mode][k], 3) for k in doc_cols] for mode in MODES]
    base = lat["bm25"]["p50"]
    lat_rows = [[mode, c.f(lat[mode]["p50"], 1), c.f(lat[mode]["p95"], 1), c.f(c.ratio(lat[mode]["p50"], base)),
                 c.f(lat[mode].get("embed_ms"), 1), c.f(lat[mode].get("bm25_ms"), 1) if mode != "vector" else "-",
                 c.f(lat[mode].get("vector_ms"), 1) if mode != "bm25" else "-",
                 c.f(lat[mode].get("fuse_ms"), 1)] for mode in MODES]
    origin_keys = ["right page", "right filing, other page", "same company, other filing", "other company"]
    orig_rows = [[mode] + [d["top1_origin"][mode].get(k, 0) for k in origin_keys] for mode in MODES]
    vcols = [*cols, "doc R@1", "doc R@10"]
    var_rows = [[f"Archivist hybrid as shipped ({d['candidates']} candidates per list, RRF k={d['rrf_k']})"]
                + [c.f(m["hybrid"][k], 3) for k in vcols] + ["-"]]
    var_rows += [[name] + [c.f(v[k], 3) for k in vcols]
                 + ["{} / {} (p={:.2f})".format(*v["won_lost_R@10"], sign_test(*v["won_lost_R@10"]))]
                 for name, v in d["variants"].items()]
    types = list(d["by_type"]["hybrid"])
    type_rows = [[t] + [c.f(d["by_type"][mode][t]["R@10"], 3) for mode in MODES] for t in types]

    h, b, v = m["hybrid"]["R@10"], m["bm25"]["R@10"], m["vector"]["R@10"]
    best_single = "BM25" if b > v else "vector"
    verdict = (f"Hybrid R@10 {h:.3f} is **at least** the better single mode ({best_single}, {max(b, v):.3f})"
               if h >= max(b, v) else
               f"Hybrid R@10 {h:.3f} is **below** the better single mode ({best_single}, {max(b, v):.3f})")
    origin = d["top1_origin"]["hybrid"]
    wrong = origin.get("same company, other filing", 0) + origin.get("other company", 0)
    ref_best = max(r[3] for r in REFERENCE[:4])
    var = d["variants"]
    pick = {key[:2]: val for key, val in var.items()}
    hint_vec = next((val for key, val in var.items() if key.startswith("hint: vector")), None)
    hint_hyb = next((val for key, val in var.items() if key.startswith("hint: Archivist hybrid scoped")), None)
    parts_ms = {"embedding the question": lat["hybrid"].get("embed_ms", 0.0),
                "fusing, fetching the passages and scoring coverage": lat["hybrid"].get("fuse_ms", 0.0),
                "the FTS5 BM25 query": lat["hybrid"].get("bm25_ms", 0.0),
                "the vec0 KNN scan": lat["hybrid"].get("vector_ms", 0.0)}
    slowest = max(parts_ms, key=parts_ms.get)
    says = [
        f"{verdict}, and {'above' if h > ref_best else 'not above'} every reference method on this split (best "
        f"reference R@10 {ref_best:.3f}; the reference index had extra distractor filings, so the comparison "
        "flatters Archivist somewhat). "
        f"The right filing comes first for {m['bm25']['doc R@1']:.0%} of questions with BM25 alone, "
        f"{m['vector']['doc R@1']:.0%} with vector and {m['hybrid']['doc R@1']:.0%} with hybrid.",
        f"Hybrid's top passage comes from a wrong filing for {wrong} of {d['questions']} questions, "
        f"{origin.get('same company, other filing', 0)} of them another filing of the same company (another year "
        "or form), so choosing the filing remains the biggest lever, as the dataset README says"
        + (f": a user who names the filing (`file:` scoping, shipped) gets R@10 {hint_hyb['R@10']:.3f} (vector "
           f"alone inside the filing: {hint_vec['R@10']:.3f}; the README's hint row: .731)."
           if hint_hyb and hint_vec else "."),
    ]
    if "A." in pick and "B." in pick and "C." in pick:
        a, bb, cc = pick["A."], pick["B."], pick["C."]
        says.append(
            f"Among the unshipped variants, weighting the prefix column (file name, title, headings) 2.0 instead of "
            f"0.5 in BM25 moves doc R@1 from {m['hybrid']['doc R@1']:.3f} to {a['doc R@1']:.3f} and R@10 from "
            f"{h:.3f} to {a['R@10']:.3f} "
            f"(won/lost {a['won_lost_R@10'][0]}/{a['won_lost_R@10'][1]} questions); {d['candidates']}→200 "
            f"candidates per list gives R@10 {bb['R@10']:.3f} ({bb['won_lost_R@10'][0]}/{bb['won_lost_R@10'][1]}); "
            f"both: R@10 {cc['R@10']:.3f}, R@20 {cc['R@20']:.3f}. These are differences of a few questions out of "
            f"{d['questions']} (one question = {1 / d['questions']:.3f}; sign test p = "
            f"{sign_test(*a['won_lost_R@10']):.2f} / {sign_test(*bb['won_lost_R@10']):.2f} / "
            f"{sign_test(*cc['won_lost_R@10']):.2f}): promising, to be confirmed on the held-out split before "
            "changing defaults.")
    if "E." in pick and pick["E."]["won_lost_R@10"][1] > pick["E."]["won_lost_R@10"][0]:
        says.append("Hard routing to one filing (E) loses more than it gains: a wrong filing choice removes every "
                    "right passage; a soft prior (D) trades page recall for a better first filing.")
    says.append(
        f"Latency: hybrid's median is {c.ratio(lat['hybrid']['p50'], base):.2f}x BM25's "
        f"({lat['hybrid']['p50']:.0f} vs {base:.0f} ms, both include embedding the question); the largest part "
        f"is {slowest} ({parts_ms[slowest]:.0f} ms median); every mode stays under 100 ms at p95."
        if max(lat[mode]["p95"] for mode in MODES) < 100 else
        f"Latency: hybrid's median is {c.ratio(lat['hybrid']['p50'], base):.2f}x BM25's "
        f"({lat['hybrid']['p50']:.0f} vs {base:.0f} ms, both include embedding the question); the largest part "
        f"is {slowest} ({parts_ms[slowest]:.0f} ms median); p95 reaches {lat['hybrid']['p95']:.0f} ms for hybrid.")
    if not d.get("rebuilt_matches_shipped", True):
        says.append("WARNING: the variants' rebuilt hybrid did not match Archivist's own; the variant rows are "
                    "not comparable with the shipped one.")
    return "\n".join([
        "## 3. Retrieval quality and latency (FinanceBench dev)",
        "",
        f"{d['questions']} questions over the {d['chunks']:,}-chunk index of section 2, `Retriever.search(question, "
        f"20, mode=...)`. Page-level hit: passage from an evidence filing and page (the dataset's pages are "
        "0-based, Archivist's 1-based). The reference rows are from the dataset README, measured on a shared "
        "index that also held other filings as distractors, so they face a harder haystack than this index "
        "of the 44 dev filings alone.",
        "",
        c.table(["method", *cols], page_rows),
        "",
        "Document level (a passage from the right filing, any page), the largest lever per the dataset README:",
        "",
        c.table(["mode", *doc_cols], doc_rows),
        "",
        f"Where the top passage comes from (of {d['questions']} questions):",
        "",
        c.table(["mode", *origin_keys], orig_rows),
        "",
        "Page-level R@10 by question type:",
        "",
        c.table(["question type", *MODES], type_rows),
        "",
        "Latency per query (all questions, modes interleaved; baseline: BM25 in the same run). Every mode "
        "embeds the question (`bm25` too: the evidence score needs the cosine):",
        "",
        c.table(["mode", "p50 ms", "p95 ms", "p50 vs bm25", "embed ms (median)", "FTS5 ms", "KNN ms",
                 "fuse + fetch + coverage ms"], lat_rows),
        "",
        "Variants **not shipped by Archivist**, rebuilt in this script from the index's own FTS5 table and "
        "vectors (a rebuilt copy of the shipped hybrid reproduces its numbers exactly"
        + ("" if d.get("rebuilt_matches_shipped", True) else " — NOT this run") + "). Won / lost: questions "
        "with a right page in the top 10 that the variant gains / loses against the shipped hybrid (p: two-sided "
        "exact sign test). \"hint\" rows "
        "are told the question's filing: upper bounds, not methods.",
        "",
        c.table(["variant", *vcols, "won / lost @10"], var_rows),
        "",
        "**What this says.** " + " ".join(says)
        + (" (--quick subset: numbers are not comparable with the reference rows.)" if quick else ""),
    ])


if __name__ == "__main__":
    main()
