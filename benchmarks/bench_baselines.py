"""The usual RAG recipes, built in the same run, against Archivist's default retrieval (issue 9's bar).

(B1) vector-only over 1,000-character chunks with 200 overlap; (B2) BM25-only (plain word tokens, no
stemming, k1 1.2, b 0.75) over 500-character chunks with 100 overlap; (B3) reciprocal-rank fusion (k 60)
of vector and BM25 over the 500-character chunks. Chunks are cut per page (so every chunk has a page), the
text comes from Archivist's own PDF extractor and the vectors from the same MiniLM ONNX export, so only the
retrieval method differs. Archivist: ``Retriever.search(question, 20)`` over the index built by
bench_ingest. The bar: Archivist's page-level recall@10 at least 10 points above the best of B1-B3, and
not worse at recall@1. Embeddings of the baseline chunks are cached in ``.work/baselines-*.npy``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter, defaultdict

import _common as c
import numpy as np

_WORD = re.compile(r"\w+")


def char_chunks(text: str, size: int, overlap: int) -> list[str]:
    step = size - overlap
    return [text[i:i + size] for i in range(0, max(1, len(text) - overlap), step) if text[i:i + size].strip()]


class BM25:
    def __init__(self, docs: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(_WORD.findall(d.lower())) for d in docs]
        self.len = np.array([sum(t.values()) for t in self.tf], dtype=np.float32)
        self.avg = float(self.len.mean()) if len(docs) else 1.0
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(self.tf):
            for w in t:
                self.postings[w].append(i)
        n = len(docs)
        self.idf = {w: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for w, p in self.postings.items()}

    def top(self, query: str, k: int) -> list[int]:
        scores: dict[int, float] = defaultdict(float)
        for w in set(_WORD.findall(query.lower())):
            for i in self.postings.get(w, ()):
                f = self.tf[i][w]
                norm = self.k1 * (1 - self.b + self.b * self.len[i] / self.avg)
                scores[i] += self.idf[w] * f * (self.k1 + 1) / (f + norm)
        return sorted(scores, key=lambda i: -scores[i])[:k]


def rrf(lists: list[list[int]], k: int = 60, n: int = 20) -> list[int]:
    fused: dict[int, float] = defaultdict(float)
    for lst in lists:
        for r, i in enumerate(lst):
            fused[i] += 1 / (k + r + 1)
    return sorted(fused, key=lambda i: -fused[i])[:n]


def metrics(ranked: list[list[tuple[str, int]]], golds: list[set[tuple[str, int]]]) -> dict[str, float]:
    out = {f"R@{k}": 0.0 for k in (1, 5, 10, 20)} | {"MRR@20": 0.0}
    for hits, gold in zip(ranked, golds, strict=True):
        rel = [h in gold for h in hits[:20]]
        for k in (1, 5, 10, 20):
            out[f"R@{k}"] += any(rel[:k])
        first = next((i for i, r in enumerate(rel) if r), None)
        out["MRR@20"] += 0 if first is None else 1 / (first + 1)
    return {k: round(v / len(golds), 3) for k, v in out.items()}


def main() -> None:
    args = c.parser(__doc__.splitlines()[0]).parse_args()
    started = time.perf_counter()
    c.use_home("financebench", args.quick)
    from archivist.app.models import default_embedder
    from archivist.ingest import extract
    from archivist.paths import Paths
    from archivist.settings import Settings

    pdfs = sorted(c.financebench_pdfs(args.quick).glob("*.pdf"))
    pages: list[tuple[str, int, str]] = []
    for pdf in pdfs:
        for block in extract(pdf).blocks:
            pages.append((pdf.stem, block.page, block.text))
    settings = Settings.load(None)
    embedder = default_embedder(Paths.resolve(), settings)
    qs = c.questions(args.quick)
    golds = [{(e["doc_name"], e["page"] + 1) for e in q["evidence"]} for q in qs]
    qvec = embedder.embed_batch([q["question"] for q in qs])

    corpora = {}
    for name, size, overlap in (("1000", 1000, 200), ("500", 500, 100)):
        chunks = [(doc, page, t) for doc, page, text in pages for t in char_chunks(text, size, overlap)]
        cache = c.work_dir(args.quick) / f"baselines-{name}-{len(chunks)}.npy"
        if cache.exists():
            vectors = np.load(cache)
        else:
            t0 = time.perf_counter()
            parts = []
            for i, part in enumerate(c.chunks_of([t for _, _, t in chunks], 256)):
                parts.append(embedder.embed_batch(list(part)))
                c.progress_line(f"embedding {name}-char chunks: {min((i + 1) * 256, len(chunks))}/{len(chunks)} "
                                f"({time.perf_counter() - t0:.0f} s)")
            vectors = np.concatenate(parts)
            np.save(cache, vectors)
        corpora[name] = (chunks, vectors)

    def vector_top(name: str, q: int, k: int) -> list[int]:
        vectors = corpora[name][1]
        return list(np.argsort(-(vectors @ qvec[q]))[:k])

    bm25 = BM25([t for _, _, t in corpora["500"][0]])
    where = {name: [(d, p) for d, p, _ in chunks] for name, (chunks, _) in corpora.items()}
    b1 = [[where["1000"][i] for i in vector_top("1000", q, 20)] for q in range(len(qs))]
    b1s = [[where["500"][i] for i in vector_top("500", q, 20)] for q in range(len(qs))]
    b2 = [[where["500"][i] for i in bm25.top(qs[q]["question"], 20)] for q in range(len(qs))]
    b3 = [[where["500"][i] for i in rrf([vector_top("500", q, 100), bm25.top(qs[q]["question"], 100)])]
          for q in range(len(qs))]

    index = c.open_index("financebench", args.quick)
    from archivist.retrieve.hybrid import Retriever

    retriever = Retriever.from_settings(index.store, lambda: embedder, settings.retrieval, index.paths.models_dir)
    ours = [[(h.chunk.path.stem, h.chunk.page) for h in retriever.search(q["question"], 20).hits] for q in qs]
    index.close()

    rows = {"B1 vector, 1,000-char / 200": metrics(b1, golds), "B1s vector, 500-char / 100": metrics(b1s, golds),
            "B2 BM25, 500-char / 100": metrics(b2, golds), "B3 RRF(vector, BM25), 500-char": metrics(b3, golds),
            "Archivist default (hybrid)": metrics(ours, golds)}
    best10 = max(rows[k]["R@10"] for k in rows if k.startswith("B"))
    best1 = max(rows[k]["R@1"] for k in rows if k.startswith("B"))
    a = rows["Archivist default (hybrid)"]
    met = a["R@10"] >= best10 + 0.10 and a["R@1"] >= best1
    md = "\n".join([
        "## 7. The bar: Archivist against the usual recipes, built in the same run",
        "",
        f"{len(qs)} questions, {len(pdfs)} filings ({len(pages)} pages); baselines per page: "
        f"{len(corpora['1000'][0]):,} 1,000-character and {len(corpora['500'][0]):,} 500-character chunks, "
        "same extractor and embedder as Archivist. Page-level hits.",
        "",
        c.table(["method", "R@1", "R@5", "R@10", "R@20", "MRR@20"],
                [[k, *(c.f(v[m], 3) for m in ("R@1", "R@5", "R@10", "R@20", "MRR@20"))] for k, v in rows.items()]),
        "",
        f"Bar (R@10 ≥ best baseline + 0.10 = {best10 + 0.10:.3f}, R@1 ≥ {best1:.3f}): "
        f"**{'met' if met else 'not met'}** "
        f"(Archivist R@10 {a['R@10']:.3f}, R@1 {a['R@1']:.3f}).",
    ])
    c.save_section("baselines", args.quick, {"rows": rows, "met": met}, md, started)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
