"""Printing for the CLI (rich): reports, results, answers, status. No logic of its own.

Everything goes through ``out`` and ``err``, the CLI's one pair of consoles, which show any control character
escaped (:mod:`archivist.cli.console`); a name or reason inside a line is passed through ``field`` as well, so that
neither markup nor a newline in a file name can change how the line reads. The printers of what the watch daemon
answers (search, answers, status) take the console they print on (``to``): the daemon prints a command's output on a
console made like the command's own (``cli.daemon_answers``), so that it reads the same as in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from archivist.answer.service import Answer, scope_json
from archivist.cli.console import console
from archivist.index.indexer import IndexReport
from archivist.ingest.location import location
from archivist.ingest.unreadable import not_read_by_type
from archivist.retrieve.hybrid import SearchResult
from archivist.safe_console import field, prose

if TYPE_CHECKING:
    from archivist.safe_console import SafeConsole

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


def print_scope(summary: str, *, to: SafeConsole = out) -> None:
    """The documents the ranking favoured, so the analyst sees (and can correct) what the question was
    taken to be about."""
    if summary:
        to.print(f"[dim]{field(summary)} — a preference, not a filter; file:NAME or in:FOLDER restrict.[/]")


def print_search(result: SearchResult, *, to: SafeConsole = out) -> None:
    if not result.hits:
        to.print("No matching passages.")
        return
    print_scope(result.focus.describe(), to=to)
    for i, h in enumerate(result.hits, start=1):
        c = h.chunk
        inside = location(c.path, c.heading, c.page, c.line_start, c.line_end)
        to.print(f"[bold][{i}][/] [cyan]{field(where(c.path, c.page, c.line_start, c.line_end))}[/]"
                 + (f" [cyan]({field(inside)})[/]" if inside else "") + f"  [dim]evidence {h.evidence:.2f}[/]")
        text = " ".join(c.text.split())
        to.print("    " + field(text[:300] + ("…" if len(text) > 300 else "")))


def print_answer(answer: Answer, *, to: SafeConsole = out) -> None:
    print_scope(answer.scope.get("summary", ""), to=to)
    if answer.abstained:
        to.print(f"[bold yellow]{prose(answer.answer)}[/]")
        if answer.note:
            to.print(f"[dim]{prose(answer.note)}[/]")
        if answer.citations:
            to.print("Closest passages:")
    else:
        from archivist.answer.grounding import render

        to.print(render(answer.sentences, supported="{body} [bold cyan]\\[{n}][/]{end}",
                        unsupported="[yellow]{body}{end} \\[unsupported][/]", quote=prose), end="")
        to.print()
        if answer.note:
            to.print(f"[dim]{prose(answer.note)}[/]")
        to.print("\n[bold]Sources[/]")
    from archivist.answer.grounding import unwrap
    from archivist.answer.spans import supporting_spans

    for c in answer.citations:
        to.print(f"  [bold]\\[{c.n}][/] [cyan]{field(where(c.path, c.page, c.line_start, c.line_end))}[/]")
        # Quote what supports the answer (or, when abstaining, what comes closest to the question), not
        # merely the passage's first lines.
        claims = [s.text for s in answer.sentences if s.passage == c.n] or [answer.question]
        flowing = unwrap(c.text)  # same length as the text: PDF line wraps become spaces
        spans = supporting_spans(flowing, claims)
        text = " … ".join(" ".join(flowing[a:b].split()) for a, b in spans) or " ".join(c.text.split())
        to.print("      [dim]" + field(text[:320] + ("…" if len(text) > 320 else "")) + "[/]")


def print_status(data: dict, *, to: SafeConsole = out) -> None:
    c = data["counts"]
    generation = f", generation {data['generation']}" if data.get("generation") else ""
    to.print(f"Index: {field(data['index'])} (schema {data['schema_version']}{generation})")
    to.print(f"{c['folders']} folder(s), {c['indexed']} file(s) indexed, {c['chunks']} passages, "
             f"{c['skipped']} skipped, {c['failed']} failed.")
    if c.get("boilerplate"):
        to.print(f"{c['boilerplate']} passage(s) of boilerplate (text repeated across many files, such as an "
                 "auditor's opinion): ranked lower, never quoted.")
    described = [d for d in data.get("documents", []) if d["entity"] or d["period"] or d["doc_type"]]
    if described:
        to.print(f"{len(described)} file(s) described by entity, period and type (`status --json` lists them; "
                 "`archivist meta FILE` shows and corrects one).")
    for f in data["folders"]:
        flag = "" if f["exists"] else " [red](missing)[/]"
        to.print(f"  {field(f['path'])}{flag}")
    daemon = data.get("watch_daemon")
    if daemon is None:
        to.print("Watch daemon: not running (`archivist watch --daemon` keeps the index fresh).")
    else:
        import datetime as dt

        since = dt.datetime.fromtimestamp(daemon.get("since") or 0).strftime("%Y-%m-%d %H:%M:%S")
        to.print(f"Watch daemon: running (pid {daemon.get('pid')}) since {since}, {daemon.get('state', '?')}, "
                 f"{daemon.get('queued', 0)} queued, {daemon.get('done', 0)} handled, last: "
                 f"{field(daemon.get('last_file') or '-')}")
        for e in daemon.get("recent_errors", [])[-5:]:
            to.print(f"  [yellow]error[/] {field(e['reason'])}")
    ocr = data.get("ocr") or {}
    if ocr.get("pages"):
        to.print(f"OCR: {ocr['pages']} scanned page(s) of {ocr['files']} file(s) read, mean confidence "
                 f"{ocr['mean_confidence']:.0%}.")
    if data["problems"]:
        by_type = ", ".join(f"{n} {field(kind)}" for kind, n in data.get("not_read_by_type", {}).items())
        to.print(f"[yellow]Not indexed[/] ({by_type}):")
        for p in data["problems"]:
            to.print(f"  [yellow]{field(p['status'])}[/] {field(p['path'])}: {field(p['reason'])}")
    print_denied([(Path(d["path"]), d["pattern"]) for d in data.get("denied", [])], to=to)


def print_denied(left_out: list[tuple[Path, str]], *, to: SafeConsole = out) -> None:
    """The files the deny list left out, with the pattern each matched and how to lift it."""
    if not left_out:
        return
    count = sum(1 if path.name else int(pattern[1:]) for path, pattern in left_out)
    to.print(f"Left out by the deny list (keys and credentials are never indexed): {count} file(s)")
    for path, pattern in left_out:
        to.print(f"  • {field(path)}: matches {field(pattern)}" if path.name
                 else f"  • … and {field(pattern[1:])} more")
    example = next(pattern for path, pattern in left_out if path.name)
    to.print("  Not a secret? Lift its pattern in config.toml, e.g. "
             + field(f'[index] allow_sensitive = ["{example}"]') + ", then `archivist index`.")




def index_json(report: IndexReport, missing: list[Path]) -> dict:
    """``archivist index --json``."""
    data = {k: v for k, v in vars(report).items() if k != "problems"}
    data["problems"] = [{"path": str(p), "type": p.suffix.lower(), "reason": r} for p, r in report.problems]
    data["missing_folders"] = [str(m) for m in missing]
    return data


def print_plan(plan) -> None:  # noqa: ANN001 - index.rebuild.Plan
    """Why a next generation is built, before its progress bar."""
    from archivist.app.generations import BUILDING

    if plan.changes:
        out.print(f"The settings changed since generation {plan.current.id} was built: "
                  + field("; ".join(plan.changes)) + ".")
    verb = "Building" if plan.candidate.status == BUILDING else "Catching up"
    out.print(f"{verb} generation {plan.candidate.id}; generation {plan.current.id} keeps answering meanwhile "
              "(Ctrl-C stops, running it again resumes).")


def print_build(outcome, *, explicit: bool) -> None:  # noqa: ANN001 - app.indexing.IndexOutcome
    """What building the next generation did (``explicit``: say so when there was nothing to build)."""
    from archivist.app.generations import READY

    plan, result = outcome.plan, outcome.built
    if result is None:
        if explicit and plan is not None:
            out.print(f"Generation {plan.current.id} was built with the settings now: nothing to build.")
        return
    r, candidate = result.report, result.generation
    done = f"{r.added} added, {r.updated} updated, {r.unchanged} unchanged, {r.chunks_embedded} passages embedded"
    if candidate.status == READY:
        out.print(f"Generation {candidate.id} is ready ({done}). Compare it with generation {plan.current.id} "
                  f"and switch: archivist index promote {candidate.id}")
    else:
        out.print(f"Generation {candidate.id} is not complete ({done}); missing folder(s): "
                  + ", ".join(field(m) for m in result.missing))
