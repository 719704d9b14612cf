"""``archivist index`` (and its generation commands, ``cli.commands.generations``) and ``archivist watch``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archivist.cli.console import echo, safe_line


def run_index(ws, *, quiet: bool, role: str = "archivist index", build_only: bool = False):  # noqa: ANN001, ANN201
    """Index with progress bars on stderr and print what was done (nothing with ``quiet``): the generation that
    answers, then the next one when the settings call for it. Returns the ``IndexOutcome``."""
    from contextlib import ExitStack

    from archivist.app.indexing import IndexCallbacks
    from archivist.cli.context import folder_bar
    from archivist.cli.render import err, print_build, print_index_report, print_plan
    from archivist.safe_console import field

    with ExitStack() as stack:
        bar, progress = stack.enter_context(
            folder_bar(lambda f: f"Indexing {field(f.path.name)}", quiet=quiet, current=True))

        def pages(path: Path, done: int, total: int) -> None:  # a scan being OCRed: which page
            if bar.task_ids:
                bar.update(bar.task_ids[-1], current=f"{field(path.name)} (page {done} of {total})")

        def indexed(report, missing: list[Path]) -> None:  # noqa: ANN001
            bar.stop()
            if quiet:
                return
            for path in missing:
                err.print(f"[yellow]Folder {field(path)} does not exist any more.[/]")
            print_index_report(report, missing)

        def planned(plan):  # noqa: ANN001, ANN202
            if not quiet:
                print_plan(plan)
            candidate = plan.candidate
            _, step = stack.enter_context(folder_bar(lambda f: f"Generation {candidate.id}: {field(f.path.name)}",
                                                     quiet=quiet))
            return step

        follow = IndexCallbacks(progress=progress, pages=None if quiet else pages, indexed=indexed, planned=planned)
        outcome = (ws.build_next_generation(role, follow) if build_only else ws.index(role, follow))
    if not quiet:
        print_build(outcome, explicit=build_only)
    return outcome


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def index(ctx: click.Context, as_json: bool) -> None:
    """Read new and changed files of every added folder; drop deleted ones.

    When the settings changed since the current index generation was built (chunker, embedder, extractors,
    schema), it then builds the next generation too, while the current one keeps answering; the commands
    below list, promote and roll back generations.
    """
    if ctx.invoked_subcommand is not None:
        return
    from archivist.cli.context import workspace
    from archivist.cli.render import index_json

    with workspace() as ws:
        outcome = run_index(ws, quiet=as_json)
    if as_json:
        from archivist.cli.console import echo_json

        echo_json(index_json(outcome.report, outcome.missing))
    if outcome.missing:
        sys.exit(1)


@click.command()
@click.option("--daemon", is_flag=True, help="Run in the background (stop with --stop).")
@click.option("--stop", is_flag=True, help="Stop the background watcher.")
@click.option("--serve", is_flag=True, hidden=True)
def watch(daemon: bool, stop: bool, serve: bool) -> None:
    """Keep the index fresh: index changes in added folders as they happen (Ctrl-C stops)."""
    from archivist.app import watching
    from archivist.cli.context import open_ws, paths_settings, workspace

    paths, _ = paths_settings()
    if serve:
        from archivist.cli.daemon_answers import COMMANDS

        watching.serve(paths, lambda prompt: open_ws(prompt=prompt, all_profiles=True), COMMANDS)
        return
    if stop:
        pid = watching.stop_daemon(paths)
        echo(f"Stopped the watch daemon (pid {pid})." if pid else "No watch daemon is running.")
        return
    if daemon:
        pid = watching.start_daemon(paths, open_ws)
        echo(f"Watch daemon started (pid {pid}). Log: {safe_line(str(paths.watch_log))}. Stop: archivist watch --stop")
        return
    with workspace() as ws:
        _watch_foreground(ws)


def _watch_foreground(ws) -> None:  # noqa: ANN001
    """The watcher with a live status line until Ctrl-C."""
    import threading

    from rich.live import Live
    from rich.text import Text

    from archivist.app import watching
    from archivist.cli.render import err

    watching.check_free(ws.paths)  # say so before drawing a status line
    stop = threading.Event()
    with Live(Text("starting…"), console=err, refresh_per_second=4, transient=False) as live:
        def show(status) -> None:  # noqa: ANN001
            last = safe_line(Path(status.last_file).name) if status.last_file else "-"
            live.update(Text(f"{status.state}: {status.queued} queued, {status.done} done, "
                             f"{status.errors} errors, last: {last}  (Ctrl-C stops)"))

        try:
            watching.watch(ws, stop=stop, on_status=show)
        except KeyboardInterrupt:
            stop.set()


def register(cli: click.Group) -> None:
    cli.add_command(index)
    cli.add_command(watch)
