"""``archivist index generations|build|promote|rollback|prune`` and ``archivist verify``: thin shells over
``archivist.app.generations`` (the manifest, the promotion gate, retention) and the workspace (building,
verifying)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archivist.cli.context import open_ws, paths_settings, workspace

# -- commands ----------------------------------------------------------------------------------------------------

@click.command(name="generations")
@click.option("--json", "as_json", is_flag=True, help="Print the generations as JSON.")
def generations_cmd(as_json: bool) -> None:
    """List index generations: id, what built it, when, size, state, eval summary (no passphrase needed)."""
    from rich.table import Table

    from archivist.app import generations as g

    view = g.overview(*paths_settings())
    if as_json:
        click.echo(json.dumps(view.to_json(), indent=2))
        return
    from archivist.cli.render import out

    table = Table("id", "status", "built from", "created", "size", "eval")
    table.columns[2].overflow = "fold"
    for x in view.generations:
        table.add_row(str(x.id), x.status, x.built_from or "not recorded yet (run `archivist index`)",
                      x.created.replace("T", " ").removesuffix("Z")[:16], g.human_size(x.size), g.eval_text(x.eval))
    out.print(table)
    out.print(f"Disk use: {g.human_size(view.disk_bytes)} in {view.files} file(s); "
              f"keeping {view.keep} generation(s) (index.keep_generations).")
    for x in view.generations:
        if x.status == g.BUILDING:
            out.print(f"Generation {x.id} is being built: `archivist index build` (or the watch daemon) finishes it.")
        elif x.status == g.READY:
            out.print(f"Generation {x.id} is ready: archivist index promote {x.id}")


@click.command(name="build")
def build_cmd() -> None:
    """Build (or resume) the generation the settings call for, while the current one keeps answering."""
    from archivist.cli.commands.index import run_index

    with workspace() as ws:
        run_index(ws, quiet=False, role="archivist index build", build_only=True)


def _gate_table(result, current_id: int, candidate_id: int) -> None:  # noqa: ANN001
    from rich.table import Table

    from archivist.cli.render import out

    table = Table("metric", f"generation {current_id} (current)", f"generation {candidate_id}", "change",
                  title=f"Retrieval on {result.current['summary'].get('questions', '?')} question(s), "
                        f"tolerance {result.tolerance}")
    order = {"recall@1": 0, "recall@5": 1, "recall@10": 2, "recall@20": 3, "mrr": 4, "ndcg@10": 5}
    for c in sorted(result.changes, key=lambda c: (order.get(c.metric, 9), c.metric)):
        if c.metric in ("questions", "with_sources", "answered"):
            continue
        before = "–" if c.before is None else f"{c.before:.3f}"
        after = "–" if c.after is None else f"{c.after:.3f}"
        delta = "" if c.before is None or c.after is None else f"{c.after - c.before:+.3f}"
        table.add_row(c.metric, before, after, f"[red]{delta} REGRESSED[/]" if c.regressed else delta)
    out.print(table)


@click.command(name="promote")
@click.argument("gen_id", metavar="ID", type=int)
@click.option("--questions", type=click.Path(path_type=Path),
              help="Question file (JSON Lines) to compare on; default: index.promotion_questions.")
@click.option("--force", is_flag=True, help="Switch without the comparison (or despite a regression).")
@click.option("--tolerance", default=0.02, show_default=True, help="Allowed absolute drop of a metric.")
@click.option("-k", "k", default=20, show_default=True, type=click.IntRange(1, 100), help="Retrieval depth.")
def promote_cmd(gen_id: int, questions: Path | None, force: bool, tolerance: float, k: int) -> None:
    """Make generation ID the one that answers, if it does not retrieve worse on your questions."""
    from archivist.app.generations import promote

    paths, settings = paths_settings()
    outcome = promote(paths, settings, gen_id, questions=questions, force=force, tolerance=tolerance, k=k,
                      open_workspace=open_ws, measured=lambda result, current: _gate_table(result, current, gen_id))
    current_id = outcome.previous
    if outcome.regressed:
        from archivist.cli.render import err

        err.print(f"[red]Not promoted:[/] generation {gen_id} retrieves worse than "
                  f"generation {current_id} beyond {tolerance} on {', '.join(outcome.regressed)}. "
                  "--force switches anyway.")
        sys.exit(1)
    from archivist.cli.render import out

    assert outcome.promoted is not None and outcome.pruned is not None
    out.print(f"Generation {outcome.promoted.id} answers now (generation {current_id} is retired; "
              f"`archivist index rollback` goes back).")
    _print_pruned(outcome.pruned)


def _print_pruned(pruned) -> None:  # noqa: ANN001 - app.generations.Pruned
    from archivist.app.generations import human_size
    from archivist.cli.render import out

    for x in pruned.removed:
        out.print(f"Removed generation {x.id} ({human_size(x.size)}): keeping {pruned.keep} "
                  "(index.keep_generations).")
    out.print(f"Disk use: {human_size(pruned.disk_bytes)}.")


@click.command(name="rollback")
@click.argument("gen_id", metavar="[ID]", type=int, required=False)
def rollback_cmd(gen_id: int | None) -> None:
    """Switch back to generation ID, or to the one that answered before the last switch (no comparison)."""
    from archivist.app.generations import rollback
    from archivist.cli.render import out

    paths, _ = paths_settings()
    now, was = rollback(paths, gen_id)

    out.print(f"Generation {now.id} answers again (generation {was} is retired; "
              f"`archivist index promote {was}` switches back).")


@click.command(name="prune")
@click.option("--keep", type=click.IntRange(1, 100), help="Generations to keep (default: index.keep_generations).")
def prune_cmd(keep: int | None) -> None:
    """Delete the retired generations beyond the newest KEEP (their encrypted files, WAL and shared memory)."""
    from archivist.app.generations import prune

    paths, settings = paths_settings()
    _print_pruned(prune(paths, keep or settings.index.keep_generations))


@click.command(name="verify")
@click.argument("answer_file", metavar="ANSWER.json", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
def verify_cmd(answer_file: Path, as_json: bool) -> None:
    """Check that the passages an answer cited (`archivist ask --json`) are still there: unchanged, moved, or
    gone. Exit 1 unless every citation is unchanged; `-` reads the answer from standard input."""
    from archivist.app.documents import MOVED, UNCHANGED, load_answer

    answer = load_answer(answer_file)
    with workspace() as ws:
        checks = ws.verify(answer)
    if as_json:
        click.echo(json.dumps([c.to_json() for c in checks], indent=2, ensure_ascii=False))
    else:
        from archivist.cli.render import out, where
        from archivist.safe_console import field

        colours = {UNCHANGED: "green", MOVED: "yellow"}
        for c in checks:
            line = f"[bold]\\[{c.n}][/] [{colours.get(c.status, 'red')}]{c.status:<9}[/] " + \
                field(where(c.path, c.page, c.line_start, c.line_end))
            if c.status == MOVED:
                line += " → " + field(where(c.now_path, c.now_page, c.now_line_start, c.now_line_end))
            if c.reason and c.status != MOVED:
                line += f" [dim]({field(c.reason)})[/]"
            out.print(line)
        same = sum(c.status == UNCHANGED for c in checks)
        out.print(f"{same} of {len(checks)} citation(s) unchanged.")
    if any(c.status != UNCHANGED for c in checks):
        sys.exit(1)


def register(cli: click.Group) -> None:
    """Attach the commands to ``archivist`` and its ``index`` group (``cli.commands.index`` registers first)."""
    index = cli.commands["index"]
    assert isinstance(index, click.Group)
    for command in (generations_cmd, build_cmd, promote_cmd, rollback_cmd, prune_cmd):
        index.add_command(command)
    cli.add_command(verify_cmd)
