"""Does a new embedder export or configuration keep retrieval? Dense page-level recall, two embedders, one corpus.

The corpus: every stored passage of the 78 FinanceBench dev questions' evidence pages plus a seeded sample of
other passages of the same filings (distractors), as indexed in an existing benchmark index (default: the
FinanceBench dev index of bench_answer_screen, ``.work/home-financebench-tables``; pass ``--index`` for another
home's ``data/index.db``). Each embedder embeds the corpus and the questions; brute-force cosine; a hit is a
passage on an evidence page. Reported: page-level R@1/5/10 and MRR@10 per embedder, and the cosine between the
two vectors of each passage.

    .venv/bin/python benchmarks/bench_embed_retrieval.py --old MODELS_DIR [--old-batch 8] [--distractors 2000]

``--old`` is the models folder of the export to compare with (e.g. an older checkout's ``models``); it runs at
``--old-batch`` (8: the default before batch 1). The new side is this checkout's export at its defaults.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import _common as c
import numpy as np


def corpus(index_db: Path, n_distractors: int, seed: int = 11) -> tuple[list[str], list[tuple[str, int]], list[dict]]:
    """(texts as embedded, (file stem, page) of each, questions)."""
    from archivist.index.store import Store

    qs = c.questions(False)
    wanted = {(e["doc_name"], e["page"] + 1) for q in qs for e in q["evidence"]}
    with tempfile.TemporaryDirectory() as tmp:  # a copy: the benchmark index is never written to
        for f in index_db.parent.glob(index_db.name + "*"):
            shutil.copy(f, Path(tmp) / f.name)
        store = Store.open(Path(tmp) / index_db.name, c.PASSPHRASE)
        rows = store._conn.execute("SELECT c.prefix, c.text, f.path, c.page FROM chunks c "
                                   "JOIN files f ON f.id = c.file_id ORDER BY c.id").fetchall()
        store.close()
    items = [(f"{r[0]}\n{r[1]}" if r[0] else r[1], (Path(r[2]).stem, r[3])) for r in rows]
    gold = [it for it in items if it[1] in wanted]
    others = [it for it in items if it[1] not in wanted]
    picked = gold + random.Random(seed).sample(others, min(n_distractors, len(others)))
    return [t for t, _ in picked], [w for _, w in picked], qs


def recall(q: np.ndarray, d: np.ndarray, where: list[tuple[str, int]], qs: list[dict]) -> dict[str, float]:
    sims = q @ d.T
    out = {"R@1": 0.0, "R@5": 0.0, "R@10": 0.0, "MRR@10": 0.0}
    for qi, question in enumerate(qs):
        gold = {(e["doc_name"], e["page"] + 1) for e in question["evidence"]}
        order = np.argsort(-sims[qi])[:10]
        rank = next((r for r, j in enumerate(order, start=1) if where[j] in gold), None)
        if rank is not None:
            out["MRR@10"] += 1 / rank
            for k in (1, 5, 10):
                out[f"R@{k}"] += rank <= k
    return {k: v / len(qs) for k, v in out.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--old", type=Path, required=True, help="models folder of the export to compare with")
    p.add_argument("--old-batch", type=int, default=8)
    p.add_argument("--distractors", type=int, default=2000)
    p.add_argument("--index", type=Path, default=c.WORK / "home-financebench-tables" / "data" / "index.db")
    args = p.parse_args()
    from archivist.embed.minilm import OnnxMiniLM
    from archivist.paths import Paths

    texts, where, qs = corpus(args.index, args.distractors)
    embedders = {"old": OnnxMiniLM(args.old, threads=2, batch_size=args.old_batch),
                 "new": OnnxMiniLM(Paths.resolve().models_dir, threads=2)}
    results = {}
    vectors = {}
    for name, emb in embedders.items():
        t0 = time.perf_counter()
        d = emb.embed_batch(texts)
        seconds = time.perf_counter() - t0
        q = emb.embed_batch([x["question"] for x in qs])
        vectors[name] = d
        results[name] = {"id": emb.id, "batch": emb.batch_size, "passages_per_s": len(texts) / seconds,
                         **recall(q, d, where, qs)}
    cos = (vectors["old"] * vectors["new"]).sum(axis=1)
    print(f"{len(texts)} passages ({len(texts) - args.distractors} on evidence pages), {len(qs)} questions")
    print("| embedder | batch | R@1 | R@5 | R@10 | MRR@10 | passages/s |")
    print("|---|---|---|---|---|---|---|")
    for r in results.values():
        print(f"| {r['id']} | {r['batch']} | {r['R@1']:.3f} | {r['R@5']:.3f} | {r['R@10']:.3f} | "
              f"{r['MRR@10']:.3f} | {r['passages_per_s']:.1f} |")
    print(f"cosine old/new per passage: mean {cos.mean():.4f}, p1 {np.percentile(cos, 1):.4f}, min {cos.min():.4f}")
    out = c.work_dir(False) / "results-embed-retrieval.json"
    out.write_text(json.dumps({"results": results, "cosine_mean": float(cos.mean()),
                               "cosine_min": float(cos.min()), "passages": len(texts)}, indent=1))


if __name__ == "__main__":
    main()
