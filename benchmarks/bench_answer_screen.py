"""The answer on the screen (issue "The answer on the screen"): what the analyst reads first, previous default
beside the new one, in the same run, on FinanceBench dev.

Two indexes of the same 44 filings:

- **previous**: the index of bench_ingest as it was built (PDF extractor ``pdfium-2``: tables flattened), searched
  and answered as before: no glossary expansion, no boilerplate weighting or exclusion, no figure lead, the keyword
  query as it was (its latency is also measured with today's store queries);
- **new**: a copy brought up to date with the shipped extractor (tables keep their title, unit and columns;
  passages whose text did not change keep their vectors; ``--fresh``: built from nothing), searched and answered
  with the shipped settings.

For each of the 78 questions: page-level recall@1/5/10 of ``search``; the first citation of ``ask --extractive``
on an evidence page; for questions whose gold answer is a figure, whether that figure is in the answer text and
in some shown passage (numbers matched with commas, ``$``, scale words and parentheses normalised; whole numbers
under 100 and years do not count), or worked by a calculation from figures each printed in the passage it cites;
how often the first quote is boilerplate (recurs across many filings); query latency (p50) and, when the new
index had to be brought up to date, passages embedded per second.

    .venv/bin/python benchmarks/bench_answer_screen.py [--quick] [--fresh | --shipped-only]

``--fresh``: the new index is built from nothing by the shipped code instead (kept, and built again when the code
would cut or embed it differently). ``--shipped-only``: that index alone, without the previous default, into a
section of its own (9c), for a machine that lacks bench_ingest's index of the previous default.
"""

from __future__ import annotations

import re
import shutil
import statistics
import time
from contextlib import contextmanager
from unittest import mock

import _common as c
from bench_retrieval import gold_pages

NEW_HOME = "financebench-tables"
_NUM = re.compile(r"\(?-?\$?\d[\d,]*(?:\.\d+)?\)?")


def figures_of(text: str) -> set[float]:
    """Numbers in ``text`` as values (``$1,577.0`` -> 1577.0; ``(1,577)`` -> 1577.0), without years and whole
    numbers under 100 (they match by chance)."""
    out: set[float] = set()
    for raw in _NUM.findall(text):
        n = raw.strip("()$-").replace(",", "").replace("$", "")
        try:
            value = float(n)
        except ValueError:
            continue
        if value.is_integer() and (value < 100 or 1900 <= value <= 2100):
            continue
        out.add(value)
    return out


def gold_figure(answer: str) -> set[float]:
    """The figures of a gold answer that is a figure (``$1,577.00``, ``0.66``, ``65.4%``); empty otherwise."""
    text = answer.strip()
    if len(text.split()) > 6:
        return set()
    found = figures_of(text)
    if not found:  # small numbers and ratios count when they are the whole answer
        m = re.fullmatch(r"\$?\(?-?(\d+(?:\.\d+)?)\)?%?(?:\s*(?:million|billion|thousand))?", text.replace(",", ""))
        if m and not (1900 <= float(m.group(1)) <= 2100) and not float(m.group(1)).is_integer():
            found = {float(m.group(1))}
    return found


_SCALED = re.compile(r"\b(?:thousands|millions|billions|million|billion|thousand)\b", re.IGNORECASE)


def matches(gold: set[float], found: set[float], scaled: bool) -> bool:
    """Whether a gold figure is among ``found``, within 1% (gold answers are rounded: ``$4.60`` billion is
    4,625 million); when the question or answer names a scale ("in USD billions"), a passage's figure in
    another scale counts too (0.40 billion = 400 million)."""
    factors = (1.0, 1e3, 1e6, 1e9, 1e-3, 1e-6, 1e-9) if scaled else (1.0,)
    return any(abs(v * k - g) <= 0.01 * abs(g) for g in gold for v in found for k in factors)


def worked_from_shown(answer) -> bool:  # noqa: ANN001
    """Whether ``answer`` is a calculation every operand of which is printed in the passage it cites: a computed
    figure (a margin, a ratio, an average) is printed in no passage, but each figure it was worked from is
    shown, where the analyst can check it."""
    calc = answer.calculation
    if not calc or not calc.get("operands"):
        return False
    texts = {ci.n: ci.text for ci in answer.citations}
    for op in calc["operands"]:
        printed = op["value"].strip("()$-— ").replace("$", "").strip()
        text = texts.get(op["citation"])
        if not printed or text is None or not re.search(rf"(?<![\d.,]){re.escape(printed)}(?![\d])", text):
            return False
    return True


def _copy_and_update(quick: bool):  # noqa: ANN202
    """The new index: a copy of bench_ingest's, every PDF read again by the shipped extractor (vectors of
    unchanged passages reused). Returns (index, report, seconds) or (index, None, 0) when already done."""
    source = c.work_dir(quick) / "home-financebench"
    target = c.work_dir(quick) / f"home-{NEW_HOME}"
    if not target.exists():
        shutil.copytree(source, target)
    index = c.open_index(NEW_HOME, quick)
    from archivist.app.models import default_embedder
    from archivist.index import fingerprint
    from archivist.index.indexer import Indexer
    from archivist.ingest import extractor_for

    stale = [f for f in index.store.files() if f.extractor != _version(extractor_for(f.path))]
    if not stale:
        return index, None, 0.0
    # Forget what read them, so the indexer reads them again (in place: this copy is a benchmark's).
    index.store._conn.execute("UPDATE files SET extractor = NULL")
    index.store._conn.execute("DELETE FROM meta WHERE key = ?", (fingerprint.META_KEY,))
    started = time.perf_counter()
    report = Indexer(index.store, lambda: default_embedder(index.paths, index.settings), index.settings).index_all()
    return index, report, time.perf_counter() - started


FRESH_HOME = "financebench-shipped"


def _fresh(quick: bool):  # noqa: ANN202
    """The new index built from nothing by the shipped code (extractor, chunker, embedder export), kept under
    .work/home-financebench-shipped and built again when what built it (its fingerprint) is no longer what the
    code would build. Returns (index, report, seconds); report None when the kept one was current."""
    from archivist.app.models import default_embedder
    from archivist.index import fingerprint

    if c.index_exists(FRESH_HOME, quick):
        index = c.open_index(FRESH_HOME, quick)
        wanted = fingerprint.compute(index.settings, default_embedder(index.paths, index.settings))
        if fingerprint.read(index.store) == wanted:
            return index, None, 0.0
        index.close()
    started = time.perf_counter()
    index, report = c.build_index(FRESH_HOME, c.financebench_pdfs(quick), quick, rebuild=True)
    return index, report, time.perf_counter() - started


def _version(ex) -> str | None:  # noqa: ANN001
    return f"{ex.kind}-{ex.version}" if ex else None


@contextmanager
def previous_answers(store_as_before: bool = True):  # noqa: ANN201
    """The answer layer as it was: no figure lead, no computed answer, boilerplate neither measured nor skipped;
    the keyword query as it was unless ``store_as_before`` is False."""
    from archivist.index import boilerplate
    from archivist.index.store import Store

    # The previous default's keyword query (cfa6fc0) is the store's exact one: every match joined, then sorted.
    keyword = Store._keyword_search_joined if store_as_before else Store.keyword_search
    with mock.patch("archivist.answer.service.find_figure", lambda *a, **k: None), \
            mock.patch("archivist.answer.computed.computed_answer", lambda *a, **k: None), \
            mock.patch.object(boilerplate, "scores", lambda store, texts: [0.0] * len(texts)), \
            mock.patch.object(boilerplate, "chunk_scores", lambda store, ids: dict.fromkeys(ids, 0.0)), \
            mock.patch.object(Store, "keyword_search", keyword):
        yield


def make(index, *, previous: bool):  # noqa: ANN001, ANN201
    """(retriever, answerer) over ``index``, configured as the previous default or as shipped."""
    from archivist.answer.service import Answerer
    from archivist.app.models import default_embedder
    from archivist.retrieve.hybrid import Retriever
    from archivist.retrieve.rerank import SIGNALS, SignalReranker

    rs = index.settings.retrieval
    if previous:
        rs = rs.model_copy(update={"expand_glossary": False, "boilerplate_weight": 0.0, "focus_weight": 0.0,
                                   "spread_pages": False})
    embedder = default_embedder(index.paths, index.settings)
    retriever = Retriever.from_settings(index.store, lambda: embedder, rs, index.paths.models_dir)
    if previous:
        retriever.reranker = SignalReranker(tuple(s for s in SIGNALS if s not in ("row", "focus", "statement")))
    settings = index.settings.model_copy(update={"retrieval": rs})
    return retriever, Answerer(retriever, lambda: None, settings)


def latencies(old, new, qs: list[dict]) -> tuple[float, float, float]:  # noqa: ANN001
    """Median search latency (ms) of the previous default, the shipped one, and the previous default with
    today's store queries, each question asked of one after the other, after a warm-up pass of each
    (alternating cancels the machine's drift; the two indexes share the page cache)."""
    times: dict[str, list[float]] = {"old": [], "new": [], "old, today's store": []}
    runs = (("old", old, previous_answers), ("new", new, _nothing),
            ("old, today's store", old, lambda: previous_answers(store_as_before=False)))
    for q in qs:
        for _name, retriever, context in runs:
            with context():
                retriever.search(q["question"], 20)
    for q in qs:
        for name, retriever, context in runs:
            with context():
                t = time.perf_counter()
                retriever.search(q["question"], 20)
                times[name].append((time.perf_counter() - t) * 1000)
    return tuple(statistics.median(times[name]) for name, _r, _c in runs)


def run(index, retriever, answerer, qs: list[dict], *, previous: bool) -> dict:  # noqa: ANN001
    from archivist.index import boilerplate
    from archivist.ingest.rows import TABLE_MARK

    rows = []
    for q in qs:
        gold = gold_pages(q)
        with (previous_answers() if previous else _nothing()):
            result = retriever.search(q["question"], 20)
            ranked = [(h.chunk.path.stem, h.chunk.page) for h in result.hits]
            answer = answerer.ask(q["question"], extractive=True)
        first = answer.citations[0] if answer.citations else None
        first_page = (first.path.rsplit("/", 1)[-1].rsplit(".", 1)[0], first.page) if first else None
        shown = " ".join(ci.text for ci in answer.citations)
        want = gold_figure(q["answer"])
        scaled = bool(_SCALED.search(q["question"] + " " + q["answer"]))
        first_quote_hit = None
        for s in answer.sentences:
            if s.text.startswith("“") and s.passage is not None:
                first_quote_hit = answer.citations[[ci.n for ci in answer.citations].index(s.passage)]
                break
        # A table's rows are data, never boilerplate (as search treats them): only prose is measured.
        prose = first_quote_hit is not None and TABLE_MARK not in first_quote_hit.heading
        bp = boilerplate.scores(index.store, [first_quote_hit.text])[0] if prose else 0.0
        rows.append({
            "r1": any(p in gold for p in ranked[:1]), "r5": any(p in gold for p in ranked[:5]),
            "r10": any(p in gold for p in ranked[:10]),
            "first_citation": first_page in gold if first_page else False,
            "figure_q": bool(want),
            "figure_in_answer": bool(want) and matches(want, figures_of(answer.answer), scaled),
            "figure_shown": bool(want) and matches(want, figures_of(shown), scaled),
            "figure_worked": bool(want) and matches(want, figures_of(answer.answer), scaled)
            and worked_from_shown(answer),
            "quote_boilerplate": bp >= boilerplate.THRESHOLD,
            "quoted": first_quote_hit is not None,
        })
    n = len(rows)
    nf = sum(r["figure_q"] for r in rows) or 1
    nq = sum(r["quoted"] for r in rows) or 1
    return {
        "R@1": sum(r["r1"] for r in rows) / n, "R@5": sum(r["r5"] for r in rows) / n,
        "R@10": sum(r["r10"] for r in rows) / n,
        "first citation on an evidence page": sum(r["first_citation"] for r in rows) / n,
        "gold figure in the answer": sum(r["figure_in_answer"] for r in rows) / nf,
        "gold figure in a shown passage": sum(r["figure_shown"] for r in rows) / nf,
        "gold figure shown, or worked from figures shown": sum(r["figure_shown"] or r["figure_worked"]
                                                              for r in rows) / nf,
        "first quote is boilerplate": sum(r["quote_boilerplate"] for r in rows) / nq,
        "figure questions": sum(r["figure_q"] for r in rows),
        "questions": n,
    }


@contextmanager
def _nothing():  # noqa: ANN201
    yield


BARS = {"R@1": .40, "R@5": .75, "R@10": .85, "first citation on an evidence page": .40,
        "gold figure in the answer": .35, "gold figure in a shown passage": .70}


def main() -> None:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--fresh", action="store_true",
                   help="new = an index built from nothing by the shipped code (passages cut and embedded as "
                        "today), not a copy of bench_ingest's brought up to date")
    p.add_argument("--shipped-only", action="store_true",
                   help="the shipped side alone, on an index built from nothing by the shipped code (as --fresh), "
                        "for a machine without bench_ingest's index of the previous default; written to its own "
                        "section")
    args = p.parse_args()
    started = time.perf_counter()
    if args.shipped_only:
        _shipped_only(args.quick, started)
        return
    if not c.index_exists("financebench", args.quick):
        raise SystemExit("No FinanceBench index yet: run benchmarks/bench_ingest.py"
                         + (" --quick" if args.quick else ""))
    qs = c.questions(args.quick)
    new_index, report, seconds = _fresh(args.quick) if args.fresh else _copy_and_update(args.quick)
    old_index = c.open_index("financebench", args.quick)
    new_r, new_a = make(new_index, previous=False)
    old_r, old_a = make(old_index, previous=True)
    new = run(new_index, new_r, new_a, qs, previous=False)
    old = run(old_index, old_r, old_a, qs, previous=True)
    old["query p50 ms"], new["query p50 ms"], same_store = latencies(old_r, new_r, qs)
    new_index.close()
    old_index.close()
    data = {"previous": old, "new": new, "update": None}
    if report is not None:
        data["update"] = {"seconds": round(seconds, 1), "embedded": report.chunks_embedded,
                          "reused": report.chunks_reused}
    lines = ["| measure | previous default | new (shipped) | bar |", "|---|---|---|---|"]
    for key in ("R@1", "R@5", "R@10", "first citation on an evidence page", "gold figure in the answer",
                "gold figure in a shown passage", "gold figure shown, or worked from figures shown",
                "first quote is boilerplate", "query p50 ms"):
        bar = BARS.get(key)
        fmt = "{:.0f}" if key.endswith("ms") else "{:.3f}"
        bar_text = (f">= {bar:.2f}" if bar is not None else "<= 0.02" if "boilerplate" in key
                    else "<= 1.2x" if key.endswith("ms") else "–")
        lines.append(f"| {key} | {fmt.format(old[key])} | {fmt.format(new[key])} | {bar_text} |")
    lines.append(f"\n{new['questions']} questions, {new['figure questions']} with a figure as the gold answer. "
                 f"Query p50 ratio new/previous: {new['query p50 ms'] / old['query p50 ms']:.2f}x (same run; "
                 f"{new['query p50 ms'] / same_store:.2f}x against the previous default run with today's store "
                 f"queries, {same_store:.0f} ms). "
                 "Worked from figures shown: the answer is a calculation whose result is the gold figure and each "
                 "of its operands is printed in the passage it cites (a ratio or a margin is printed nowhere).")
    if args.fresh:
        lines.append("New: an index built from nothing by the shipped code (extractor, chunks ending at sentence "
                     "ends, the TorchScript embedder export); previous: bench_ingest's index as it was built.")
    if data["update"]:
        u = data["update"]
        what = "Building the new index" if args.fresh else "Bringing the copy up to date with the new extractor"
        rate = f", {u['embedded'] / u['seconds']:.1f} passages/s" if u["seconds"] else ""
        lines.append(f"{what}: {u['embedded']} passages embedded, {u['reused']} reused, {u['seconds']} s{rate}.")
    text = "\n".join([TITLE, "", *lines])
    print(text)
    if args.quick:
        return
    _save(data, text, started, args.fresh)


TITLE = "## 9. The answer on the screen: what the analyst reads first (FinanceBench dev)"
SHIPPED_TITLE = "## 9c. The answer on the screen, the shipped side alone (FinanceBench dev)"


def _shipped_only(quick: bool, started: float) -> None:
    """Section 9's shipped side without the previous default (whose index, bench_ingest's as it was built by
    the code of its day, cannot be made again on a new machine): the rates against the bars, and the query
    latency as measured (no ratio)."""
    index, report, seconds = _fresh(quick)
    qs = c.questions(quick)
    retriever, answerer = make(index, previous=False)
    new = run(index, retriever, answerer, qs, previous=False)
    for q in qs:  # warm-up pass, then the timed one
        retriever.search(q["question"], 20)
    times = []
    for q in qs:
        t = time.perf_counter()
        retriever.search(q["question"], 20)
        times.append((time.perf_counter() - t) * 1000)
    index.close()
    lines = ["| measure | shipped | bar |", "|---|---|---|"]
    for key in ("R@1", "R@5", "R@10", "first citation on an evidence page", "gold figure in the answer",
                "gold figure in a shown passage", "gold figure shown, or worked from figures shown",
                "first quote is boilerplate"):
        bar = BARS.get(key)
        bar_text = f">= {bar:.2f}" if bar is not None else "<= 0.02" if "boilerplate" in key else "–"
        lines.append(f"| {key} | {new[key]:.3f} | {bar_text} |")
    lines.append(f"| query p50 ms | {statistics.median(times):.0f} | (a ratio needs section 9's previous default) |")
    lines.append(f"\n{new['questions']} questions, {new['figure questions']} with a figure as the gold answer. "
                 "The index is built from nothing by the shipped code; the previous default of section 9 is not "
                 "run (its index is bench_ingest's as the code of its day built it).")
    if report is not None:
        lines.append(f"Building the index: {report.chunks_embedded} passages embedded, {report.chunks_reused} "
                     f"reused, {seconds:.0f} s.")
    text = "\n".join([SHIPPED_TITLE, "", *lines])
    print(text)
    if quick:
        return
    import datetime as dt

    stamp = (f"*Run {dt.datetime.now().astimezone().isoformat(timespec='seconds')}, "
             f"{time.perf_counter() - started:.0f} s, load average at end {c.loadavg()}.*\n"
             "Reproduce: `.venv/bin/python benchmarks/bench_answer_screen.py --shipped-only`")
    c.put_section(SHIPPED_TITLE, text.rstrip() + "\n\n" + stamp + "\n")
    print(f"Updated {c.RESULTS_MD}")


def _save(data: dict, text: str, started: float, fresh: bool = False) -> None:
    """Store the data under .work/results and put this section into RESULTS.md in place (the other sections'
    stored data may not be on this machine, so RESULTS.md is edited, not regenerated)."""
    import datetime as dt
    import json

    folder = c.work_dir(False) / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answer-screen.json").write_text(json.dumps({"data": data, "markdown": text}, indent=1))
    stamp = (f"*Run {dt.datetime.now().astimezone().isoformat(timespec='seconds')}, "
             f"{time.perf_counter() - started:.0f} s, load average at end {c.loadavg()}.*\n"
             f"Reproduce: `.venv/bin/python benchmarks/bench_answer_screen.py{' --fresh' if fresh else ''}`")
    c.put_section(TITLE, text.rstrip() + "\n\n" + stamp + "\n")
    print(f"Updated {c.RESULTS_MD}")


if __name__ == "__main__":
    main()
