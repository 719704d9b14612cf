"""Printing for ``archivist eval``: the run's progress and summary table, reports, and the comparison of runs."""

from __future__ import annotations

from pathlib import Path

from archivist.cli.render import err, out
from archivist.safe_console import field, prose


def eval_run(ws,  # noqa: ANN001 - a Workspace
              questions: Path, *, k: int, answer: bool, extractive: bool,
             folder: Path | None, output: Path | None, report: Path | None, as_json: bool) -> None:
    """``archivist eval``: run with a progress bar, print the summary table, write JSON/Markdown."""

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from archivist.app.asking import load_questions, save_eval

    qs = load_questions(questions)
    with Progress(TextColumn("Evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True, disable=as_json) as bar:
        task = bar.add_task("eval", total=len(qs))
        run = ws.evaluate(qs, k=k, answer=answer, extractive=extractive, folder=folder,
                          progress=lambda done, total: bar.update(task, completed=done))
    data = run.to_json()
    save_eval(data, output=output, report=report)
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
    from archivist.app.asking import compare_runs

    changes = compare_runs(a, b, tolerance=tolerance)
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
