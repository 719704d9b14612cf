"""Terminal presentation for the CLI (rich): progress, results, answers. No logic of its own.

Everything goes through ``out`` and ``err``, consoles that show any control character escaped
(:mod:`archivist.cli_console`); a name or reason inside a line is passed through ``field`` as well, so that
neither markup nor a newline in a file name can change how the line reads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from archivist.answer.service import Answer, scope_json
from archivist.cli_console import console, safe_line
from archivist.errors import ArchivistError, FolderNotFound
from archivist.index.indexer import IndexReport
from archivist.index.rows import Folder
from archivist.ingest.location import location
from archivist.ingest.unreadable import not_read_by_type
from archivist.retrieve.hybrid import SearchResult
from archivist.safe_console import field, prose
from archivist.services import Services

out = console()
err = console(stderr=True)


def where(path: str | Path | None, page: int | None, line_start: int | None, line_end: int | None) -> str:
    """``path, page 3, lines 10-14``: where a passage is, as the CLI prints it."""
    where = str(path)
    if page is not None:
        where += f", page {page}"
    if line_start is not None:
        where += f", lines {line_start}-{line_end}" if line_end not in (None, line_start) else f", line {line_start}"
    return where


def folder_id(services: Services, folder: Path | None) -> int | None:
    if folder is None:
        return None
    path = folder.expanduser().resolve()
    for f in services.store.folders():
        if f.path == path:
            return f.id
    raise FolderNotFound(f"{path} is not an added folder.",
                         hint="`archivist status` lists them; `archivist add` adds one.")


def index_with_progress(services: Services, *, quiet: bool = False) -> tuple[IndexReport, list[Path]]:
    """Index every folder with a progress bar on stderr; a missing folder is reported, the others go on."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from archivist.ingest.isolate import budget_from, shared_sandbox

    tasks: dict[Path, Any] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[current]}"), console=err, disable=quiet, transient=True) as bar:
        def progress(folder: Folder, done: int, total: int, path: Path | None) -> None:
            if folder.path not in tasks:
                tasks[folder.path] = bar.add_task(f"Indexing {field(folder.path.name)}", total=None, current="")
            # The columns parse markup: a file named "[/red].txt" must neither style nor break the bar.
            bar.update(tasks[folder.path], completed=done, total=total, current=field(path.name) if path else "")

        def pages(path: Path, done: int, total: int) -> None:  # a scan being OCRed: which page
            if tasks:
                bar.update(list(tasks.values())[-1], current=f"{field(path.name)} (page {done} of {total})")

        box = shared_sandbox(budget_from(services.settings.index))  # the indexer's reader
        box.on_progress = None if quiet else pages
        try:
            run = services.indexer().index_folders(progress)
        finally:
            box.on_progress = None
    if not quiet:
        for path in run.missing:
            err.print(f"[yellow]Folder {field(path)} does not exist any more.[/]")
    return run.report, run.missing


def print_index_report(report: IndexReport, missing: list[Path]) -> None:
    parts = [f"{report.added} added", f"{report.updated} updated", f"{report.unchanged} unchanged"]
    if report.moved:
        parts.append(f"{report.moved} renamed")
    if report.removed:
        parts.append(f"{report.removed} removed")
    parts.append(f"{report.chunks_embedded} passages embedded")
    if report.chunks_reused:
        parts.append(f"{report.chunks_reused} reused")
    out.print("Indexed: " + ", ".join(parts) + ".")
    if report.problems:
        counted = not_read_by_type([p for p, _ in report.problems])
        by_type = ", ".join(f"{n} {field(kind)}" for kind, n in counted.items())
        out.print(f"[yellow]{len(report.problems)} file(s) not indexed[/] ({by_type}):")
        for path, reason in report.problems:
            out.print(f"  [yellow]•[/] {field(path)}: {field(reason)}")
    if report.unsupported:
        out.print(f"{report.unsupported} file(s) of types Archivist does not read (video, programs, ...) left out.")
    if report.denied:
        out.print(f"{len(report.denied)} file(s) left out by the deny list (keys, credentials): "
                  "`archivist status` lists them.")
    if missing:
        out.print(f"[red]{len(missing)} folder(s) missing[/] (their index is kept): "
                  + ", ".join(field(m) for m in missing))


def search_json(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "evidence": round(result.evidence, 4),
        "results": [{
            "rank": i, "path": str(h.chunk.path), "page": h.chunk.page, "line_start": h.chunk.line_start,
            "line_end": h.chunk.line_end, "heading": h.chunk.heading,
            "location": location(h.chunk.path, h.chunk.heading, h.chunk.page, h.chunk.line_start, h.chunk.line_end),
            "text": h.chunk.text,
            "score": round(h.score, 6), "evidence": round(h.evidence, 4), "similarity": round(h.similarity, 4),
            "coverage": round(h.coverage, 4), "bm25_rank": h.bm25_rank, "vector_rank": h.vector_rank,
        } for i, h in enumerate(result.hits, start=1)],
        "timings_ms": {k: round(v, 1) for k, v in result.timings_ms.items()},
        "scope": scope_json(result.focus),
    }


def print_scope(summary: str) -> None:
    """The documents the ranking favoured, so the analyst sees (and can correct) what the question was
    taken to be about."""
    if summary:
        out.print(f"[dim]{field(summary)} — a preference, not a filter; file:NAME or in:FOLDER restrict.[/]")


def print_search(result: SearchResult) -> None:
    if not result.hits:
        out.print("No matching passages.")
        return
    print_scope(result.focus.describe())
    for i, h in enumerate(result.hits, start=1):
        c = h.chunk
        inside = location(c.path, c.heading, c.page, c.line_start, c.line_end)
        out.print(f"[bold][{i}][/] [cyan]{field(where(c.path, c.page, c.line_start, c.line_end))}[/]"
                  + (f" [cyan]({field(inside)})[/]" if inside else "") + f"  [dim]evidence {h.evidence:.2f}[/]")
        text = " ".join(c.text.split())
        out.print("    " + field(text[:300] + ("…" if len(text) > 300 else "")))


def print_answer(answer: Answer) -> None:
    print_scope(answer.scope.get("summary", ""))
    if answer.abstained:
        out.print(f"[bold yellow]{prose(answer.answer)}[/]")
        if answer.note:
            out.print(f"[dim]{prose(answer.note)}[/]")
        if answer.citations:
            out.print("Closest passages:")
    else:
        from archivist.answer.grounding import render

        out.print(render(answer.sentences, supported="{body} [bold cyan]\\[{n}][/]{end}",
                         unsupported="[yellow]{body}{end} \\[unsupported][/]", quote=prose), end="")
        out.print()
        if answer.note:
            out.print(f"[dim]{prose(answer.note)}[/]")
        out.print("\n[bold]Sources[/]")
    from archivist.answer.grounding import unwrap
    from archivist.answer.spans import supporting_spans

    for c in answer.citations:
        out.print(f"  [bold]\\[{c.n}][/] [cyan]{field(where(c.path, c.page, c.line_start, c.line_end))}[/]")
        # Quote what supports the answer (or, when abstaining, what comes closest to the question), not
        # merely the passage's first lines.
        claims = [s.text for s in answer.sentences if s.passage == c.n] or [answer.question]
        flowing = unwrap(c.text)  # same length as the text: PDF line wraps become spaces
        spans = supporting_spans(flowing, claims)
        text = " … ".join(" ".join(flowing[a:b].split()) for a, b in spans) or " ".join(c.text.split())
        out.print("      [dim]" + field(text[:320] + ("…" if len(text) > 320 else "")) + "[/]")


def earlier_question(services: Services, history_id: int | None) -> str:
    """The question a follow-up follows: this profile's last one, or the one with ``history_id``."""
    rows = services.state.history(services.profile, limit=1 if history_id is None else 100_000)
    row = rows[0] if history_id is None and rows else next((r for r in rows if r.id == history_id), None)
    if row is None:
        raise ArchivistError("There is no earlier question to follow up." if history_id is None
                             else f"No question {history_id} in your history.",
                             hint="`archivist history` lists your questions with their ids; or ask the whole question.")
    return row.question


def run_ask(services: Services, question: str, *, folder_id: int | None, extractive: bool,
            stream: bool, follows: str | None = None) -> Answer:
    """Answer, streaming the model's raw text live (replaced by the checked answer when done)."""
    answerer = services.answerer()
    if follows is not None and stream:
        from archivist.answer.followup import rewrite

        out.print(f"[dim]Asked as:[/] {field(rewrite(question, follows, answerer.retriever.documents()).question)}")
    if not stream:
        answer = answerer.ask(question, folder_id=folder_id, extractive=extractive, follows=follows)
        services.record_answer(answer)
        return answer
    from rich.live import Live
    from rich.text import Text

    text = Text(style="dim")
    with Live(text, console=out, transient=True, refresh_per_second=12) as live:
        def on_token(piece: str) -> None:
            text.append(piece)
            live.update(text)

        answer = answerer.ask(question, folder_id=folder_id, extractive=extractive, on_token=on_token,
                              follows=follows)
    services.record_answer(answer)
    print_answer(answer)
    return answer


def watch_foreground(services: Services) -> None:
    """``archivist watch``: the watcher with a live status line until Ctrl-C."""
    import threading

    from rich.live import Live
    from rich.text import Text

    from archivist.errors import IndexBusy
    from archivist.index.lock import WriterLock
    from archivist.watch.daemon import run_watch

    holder = WriterLock(services.paths.writer_lock).holder()
    if holder:  # say so before drawing a status line (run_watch would refuse too)
        raise IndexBusy(f"The index is already being written by {holder.get('role')} (pid {holder.get('pid')}).",
                        hint="A running watch daemon keeps it fresh; `archivist watch --stop` stops it.")
    stop = threading.Event()
    line = Text("starting…")
    with Live(line, console=err, refresh_per_second=4, transient=False) as live:
        def show(status) -> None:  # noqa: ANN001
            last = safe_line(Path(status.last_file).name) if status.last_file else "-"
            live.update(Text(f"{status.state}: {status.queued} queued, {status.done} done, "
                             f"{status.errors} errors, last: {last}  (Ctrl-C stops)"))

        try:
            run_watch(services, role="archivist watch", stop=stop, on_status=show)
        except KeyboardInterrupt:
            stop.set()


def eval_run(services: Services, questions: Path, *, k: int, answer: bool, extractive: bool,
             folder: Path | None, output: Path | None, report: Path | None, as_json: bool) -> None:
    """``archivist eval``: run with a progress bar, print the summary table, write JSON/Markdown."""
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from archivist.eval.questions import load_questions
    from archivist.eval.report import markdown
    from archivist.eval.runner import run_eval

    qs = load_questions(questions)
    fid = folder_id(services, folder)
    with Progress(TextColumn("Evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True, disable=as_json) as bar:
        task = bar.add_task("eval", total=len(qs))
        run = run_eval(services, qs, k=k, answer=answer, extractive=extractive, folder_id=fid,
                       progress=lambda done, total: bar.update(task, completed=done))
    from archivist.storage.private import write_private  # reports quote document text: 0600, atomically

    data = run.to_json()
    if output:
        write_private(output, json.dumps(data, indent=1))
    if report:
        write_private(report, markdown(data))
    if as_json:
        out.print_json(data=data)
        return
    table = Table("metric", "value", title=f"{questions.name}: {len(qs)} questions")
    for key, value in run.summary.items():
        table.add_row(key, "–" if value is None else (f"{value:.3f}" if isinstance(value, float) and value <= 1
                                                       else str(value)))
    out.print(table)
    out.print("Verdicts: " + ", ".join(f"{k}: {v}" for k, v in sorted(run.breakdown.items())))
    for r in run.questions:
        if r.verdict != "ok":
            out.print(f"  [yellow]{r.verdict}[/] {field(r.id)}: {field(r.question[:100])}")
    out.print(f"[bold]What to do next:[/] {prose(run.advice)}")


def eval_compare(a: Path, b: Path, *, tolerance: float) -> int:
    """Print metric changes from run A to run B; 1 when a quality metric regressed, else 0."""
    import json

    from archivist.errors import ConfigError
    from archivist.eval.report import compare

    try:
        runs = [json.loads(p.read_text()) for p in (a, b)]
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read an eval run: {exc}.", hint="Pass two files written by --output.") from None
    changes = compare(*runs, tolerance=tolerance)
    for c in changes:
        before = "–" if c.before is None else f"{c.before:.3f}"
        after = "–" if c.after is None else f"{c.after:.3f}"
        mark = "[red]REGRESSED[/]" if c.regressed else ""
        out.print(f"{c.metric:<28} {before:>10} → {after:<10} {mark}")
    regressed = [c.metric for c in changes if c.regressed]
    if regressed:
        err.print(f"[red]Regression beyond {tolerance}:[/] " + ", ".join(regressed))
        return 1
    out.print("No regression.")
    return 0


def status_json(services: Services, *, boilerplate_count: bool = True) -> dict:
    """What ``archivist status`` shows. ``boilerplate_count``: also count boilerplate passages (about a second
    at 30,000 passages: the terminal UI's sources view, refreshed often, leaves it out)."""
    from archivist.index import boilerplate
    from archivist.index.generations import generation_of
    from archivist.index.rules import left_out
    from archivist.watch.daemon import daemon_state

    store = services.store
    counts = store.counts()
    problems = store.problems()
    extra: dict = {}
    if boilerplate_count:  # the passage scans: left out of the terminal UI's frequent refresh
        from archivist.index.ocr_stats import ocr_summary

        counts["boilerplate"] = boilerplate.count(store)
        extra["ocr"] = ocr_summary(store)
    return {
        "watch_daemon": daemon_state(services),
        "index": str(store.path),
        "generation": generation_of(services.paths, store.path),
        "schema_version": store.schema_version(),
        "folders": [{"path": str(f.path), "exists": f.path.is_dir()} for f in store.folders()],
        "counts": counts,
        "problems": [{"path": str(p), "type": p.suffix.lower(), "status": s, "reason": r} for p, s, r in problems],
        "not_read_by_type": not_read_by_type([p for p, _, _ in problems]),
        "denied": [{"path": str(p), "pattern": pat} for p, pat in left_out(store)],
        "documents": documents_json(store),
        **extra,
    }


def documents_json(store) -> list[dict]:  # noqa: ANN001 - Store
    """What each indexed file is (``ingest.metadata``), with the fields the user corrected named."""
    overrides = store.meta_overrides()
    return [{"path": str(path), **meta.as_dict(), "corrected": sorted(overrides.get(str(path), {}))}
            for path, meta in sorted(store.documents().values(), key=lambda d: str(d[0]))]


def print_status(data: dict) -> None:
    c = data["counts"]
    generation = f", generation {data['generation']}" if data.get("generation") else ""
    out.print(f"Index: {field(data['index'])} (schema {data['schema_version']}{generation})")
    out.print(f"{c['folders']} folder(s), {c['indexed']} file(s) indexed, {c['chunks']} passages, "
              f"{c['skipped']} skipped, {c['failed']} failed.")
    if c.get("boilerplate"):
        out.print(f"{c['boilerplate']} passage(s) of boilerplate (text repeated across many files, such as an "
                  "auditor's opinion): ranked lower, never quoted.")
    described = [d for d in data.get("documents", []) if d["entity"] or d["period"] or d["doc_type"]]
    if described:
        out.print(f"{len(described)} file(s) described by entity, period and type (`status --json` lists them; "
                  "`archivist meta FILE` shows and corrects one).")
    for f in data["folders"]:
        flag = "" if f["exists"] else " [red](missing)[/]"
        out.print(f"  {field(f['path'])}{flag}")
    daemon = data.get("watch_daemon")
    if daemon is None:
        out.print("Watch daemon: not running (`archivist watch --daemon` keeps the index fresh).")
    else:
        import datetime as dt

        since = dt.datetime.fromtimestamp(daemon.get("since") or 0).strftime("%Y-%m-%d %H:%M:%S")
        out.print(f"Watch daemon: running (pid {daemon.get('pid')}) since {since}, {daemon.get('state', '?')}, "
                  f"{daemon.get('queued', 0)} queued, {daemon.get('done', 0)} handled, last: "
                  f"{field(daemon.get('last_file') or '-')}")
        for e in daemon.get("recent_errors", [])[-5:]:
            out.print(f"  [yellow]error[/] {field(e['reason'])}")
    ocr = data.get("ocr") or {}
    if ocr.get("pages"):
        out.print(f"OCR: {ocr['pages']} scanned page(s) of {ocr['files']} file(s) read, mean confidence "
                  f"{ocr['mean_confidence']:.0%}.")
    if data["problems"]:
        by_type = ", ".join(f"{n} {field(kind)}" for kind, n in data.get("not_read_by_type", {}).items())
        out.print(f"[yellow]Not indexed[/] ({by_type}):")
        for p in data["problems"]:
            out.print(f"  [yellow]{field(p['status'])}[/] {field(p['path'])}: {field(p['reason'])}")
    print_denied([(Path(d["path"]), d["pattern"]) for d in data.get("denied", [])])


def print_denied(left_out: list[tuple[Path, str]]) -> None:
    """The files the deny list left out, with the pattern each matched and how to lift it."""
    if not left_out:
        return
    count = sum(1 if path.name else int(pattern[1:]) for path, pattern in left_out)
    out.print(f"Left out by the deny list (keys and credentials are never indexed): {count} file(s)")
    for path, pattern in left_out:
        out.print(f"  • {field(path)}: matches {field(pattern)}" if path.name
                  else f"  • … and {field(pattern[1:])} more")
    example = next(pattern for path, pattern in left_out if path.name)
    out.print("  Not a secret? Lift its pattern in config.toml, e.g. "
              + field(f'[index] allow_sensitive = ["{example}"]') + ", then `archivist index`.")


def run_demo(question: str) -> None:
    """Index ``examples/sample-docs`` into ``.demo/`` (a separate demo index) and answer ``question``."""
    from archivist.paths import Paths
    from archivist.services import open_services
    from archivist.settings import Settings

    checkout = Path(__file__).resolve().parents[2]
    sample = checkout / "examples" / "sample-docs"
    if not sample.is_dir():
        raise FolderNotFound(f"The sample folder {sample} is missing.", hint="Run the demo from a source checkout.")
    os.environ.setdefault("ARCHIVIST_HOME", str(checkout / ".demo"))
    os.environ.setdefault("ARCHIVIST_PASSPHRASE", "demo-passphrase")
    paths = Paths.resolve()
    services = open_services(paths, Settings.load(paths.config_file))
    try:
        services.store.add_folder(sample)
        out.print(f"[bold]Demo index[/] {field(paths.database)} (passphrase from ARCHIVIST_PASSPHRASE)")
        report, missing = index_with_progress(services)
        print_index_report(report, missing)
        out.print(f"\n[bold]Question:[/] {field(question)}\n")
        run_ask(services, question, folder_id=None, extractive=False, stream=True)
    finally:
        services.close()
