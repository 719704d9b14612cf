"""The ``archivist`` command: a thin shell over the core services.

User errors (``ArchivistError``) print one red line on stderr and exit 2, never a traceback. Everything
printed goes through :mod:`archivist.cli_console`, which shows control characters from file names and
documents escaped.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archivist.cli_console import echo, echo_json, safe_line
from archivist.errors import ArchivistError, FolderNotFound


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArchivistError as exc:
            # One line whatever the message quotes: a file name with a newline cannot add a line of its own.
            echo(safe_line(f"{exc.title}: {exc}"), fg="red", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            echo("Interrupted; the index keeps every file finished so far.", fg="yellow", err=True)
            sys.exit(130)


def _context(model: Path | None = None, prompt=None, all_profiles: bool = False,  # noqa: ANN001, ANN202
             adapter: str | None = None, adapter_scale: float | None = None):
    from archivist.paths import Paths
    from archivist.services import open_services
    from archivist.settings import Settings

    paths = Paths.resolve()
    settings = Settings.load(paths.config_file)
    return open_services(paths, settings, model=model, prompt=prompt, all_profiles=all_profiles, adapter=adapter,
                         adapter_scale=adapter_scale)


def _emit_json(data: Any) -> None:
    echo_json(data)


@click.group(cls=_Group, invoke_without_command=True)
@click.version_option(package_name="archivist")
@click.option("--profile", metavar="NAME", help="Run as this profile: only its folders are read (default: the "
                                                 "config's `profile`, else `default`).")
@click.pass_context
def cli(ctx: click.Context, profile: str | None) -> None:
    """Archivist: ask your folders questions, offline, with cited passages.

    \b
    Start with:  archivist add ~/reports && archivist index && archivist ask "..."
    The index is encrypted: set ARCHIVIST_PASSPHRASE or type it when asked.
    With no command, opens the terminal UI (in a terminal; elsewhere prints this help).
    """
    if profile:
        import os

        os.environ["ARCHIVIST_PROFILE"] = profile  # read by Settings, like every ARCHIVIST_* override
    if ctx.invoked_subcommand is None:
        if not _interactive():
            click.echo(ctx.get_help())
            return
        ctx.invoke(tui)


def _interactive() -> bool:
    """Both ends are a terminal (a pipe or a script gets the help text instead of a full-screen UI)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


@cli.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--profiles", metavar="A,B", help="Profiles that may read these folders (default: the current one; "
                                                "'*' for every profile).")
def add(folders: tuple[Path, ...], profiles: str | None) -> None:
    """Add FOLDERS to the index (then run `archivist index`)."""
    for folder in folders:
        path = folder.expanduser().resolve()
        if not path.is_dir():
            what = "is not a folder" if path.exists() else "does not exist"
            raise FolderNotFound(f"{folder} {what}.", hint="Pass an existing folder.")
    services = _context()
    try:
        for folder in folders:
            readers = [p.strip() for p in profiles.split(",") if p.strip()] if profiles else None
            added_folder, new = services.store.add_folder(folder.expanduser().resolve(), readers)
            who = ", ".join(added_folder.profiles)
            echo(f"{'Added' if new else 'Already added'}: {safe_line(str(added_folder.path))} (readable by: "
                 f"{safe_line(who)})")
        from archivist.security.privacy import apply_forgotten

        apply_forgotten(services.store, services.state.forgotten())  # forgotten files stay out
        _sync_generations(services)
    finally:
        services.close()
    echo("Run `archivist index` to read it.")


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
def remove(folder: Path) -> None:
    """Stop indexing FOLDER and drop everything indexed from it."""
    services = _context()
    try:
        path = folder.expanduser().resolve()
        match = next((f for f in services.store.folders() if f.path == path), None)
        if match is None:
            raise FolderNotFound(f"{path} is not an indexed folder.", hint="`archivist status` lists them.")
        n = services.store.remove_folder(match)
        echo(f"Removed {safe_line(str(path))} ({n} files dropped from the index).")
        _sync_generations(services)
    finally:
        services.close()


def _sync_generations(services) -> None:  # noqa: ANN001
    """A generation being built (or ready to promote) indexes the same folders as the current one."""
    from archivist.index.rebuild import sync_candidates

    for g in sync_candidates(services):
        echo(f"Also applied to generation {g.id} ({g.status}).")


@cli.group(invoke_without_command=True)
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
    from archivist.cli_generations import build_candidate
    from archivist.index.indexer import IndexReport
    from archivist.index.lock import WriterLock
    from archivist.shell import index_with_progress

    services = _context()
    try:
        if not services.store.folders():
            raise FolderNotFound("No folders to index.", hint="Add one first: archivist add PATH")
        with WriterLock(services.paths.writer_lock) as lock:
            lock.acquire("archivist index")
            report, missing = index_with_progress(services, quiet=as_json)
            if as_json:
                data = {k: v for k, v in vars(report).items() if k != "problems"}
                data["problems"] = [{"path": str(p), "type": p.suffix.lower(), "reason": r} for p, r in report.problems]
                data["missing_folders"] = [str(m) for m in missing]
                _emit_json(data)
            else:
                from archivist.shell import print_index_report

                print_index_report(report, missing)
            build_candidate(services, quiet=as_json)  # after the report: the current generation is done
    finally:
        services.close()
    assert isinstance(report, IndexReport)
    if missing:
        sys.exit(1)


@cli.command()
@click.argument("words", metavar="QUERY...", nargs=-1, required=True)
@click.option("-k", "--top", "k", default=None, type=click.IntRange(1, 100), help="How many passages.")
@click.option("--folder", type=click.Path(path_type=Path), help="Only passages from this added folder.")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "vector"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON (schemas/search.json).")
def search(words: tuple[str, ...], k: int | None, folder: Path | None, mode: str, as_json: bool) -> None:
    """Show the passages that best match QUERY (no model call; quotes are optional)."""
    from archivist.shell import folder_id, print_search, search_json

    query = " ".join(words)
    services = _context()
    try:
        result = services.retriever().search(query, k or services.settings.retrieval.top_k,
                                             folder_id=folder_id(services, folder), mode=mode)  # type: ignore[arg-type]
        services.audit("search", query, [h.chunk.id for h in result.hits])
    finally:
        services.close()
    if as_json:
        _emit_json(search_json(result))
    else:
        print_search(result)


@cli.command()
@click.argument("words", metavar="QUESTION...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (schemas/ask.json).")
@click.option("--extractive", is_flag=True, help="Quote the best supporting sentences; no model call.")
@click.option("--model", type=click.Path(path_type=Path), help="A GGUF model to answer with.")
@click.option("--folder", type=click.Path(path_type=Path), help="Only use passages from this added folder.")
@click.option("--adapter", metavar="NAME", help="Answer in this team adapter's style (`none`: no adapter; default: "
                                                "the one chosen with `archivist adapters use`).")
@click.option("--adapter-scale", type=click.FloatRange(0, 4), help="How strongly the adapter applies (1: as trained).")
@click.option("--follow-up", "follow_up", is_flag=True,
              help="QUESTION follows your last question (\"and in 2019?\"): asked in its scope.")
@click.option("--after", "after", type=int, metavar="ID", help="QUESTION follows question ID of `archivist history`.")
def ask(words: tuple[str, ...], as_json: bool, extractive: bool, model: Path | None, folder: Path | None,
        adapter: str | None, adapter_scale: float | None, follow_up: bool, after: int | None) -> None:
    """Answer QUESTION from your documents, citing the passages it rests on (quotes are optional)."""
    from archivist.shell import earlier_question, folder_id, run_ask

    question = " ".join(words)
    services = _context(model, adapter=adapter, adapter_scale=adapter_scale)
    try:
        if model is not None:
            from archivist.answer.generator import check_gguf

            check_gguf(model)
        follows = earlier_question(services, after) if (follow_up or after is not None) else None
        answer = run_ask(services, question, folder_id=folder_id(services, folder), extractive=extractive,
                         stream=not as_json, follows=follows)
    finally:
        services.close()
    if as_json:
        _emit_json(answer.to_json())


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """Folders, counts, and every file that was skipped or failed, with the reason."""
    from archivist.shell import print_status, status_json

    services = _context()
    try:
        data = status_json(services)
    finally:
        services.close()
    if as_json:
        _emit_json(data)
    else:
        print_status(data)


@cli.command(name="eval")
@click.argument("questions", required=False, type=click.Path(path_type=Path))
@click.option("--compare", "compare_runs", nargs=2, type=click.Path(path_type=Path),
              help="Compare two saved runs (A.json B.json); exit 1 when a quality metric regresses.")
@click.option("--tolerance", default=0.02, show_default=True, help="Allowed absolute drop before a regression.")
@click.option("--no-answer", is_flag=True, help="Measure retrieval only (no model).")
@click.option("--extractive", is_flag=True, help="Answer extractively (no model).")
@click.option("-k", "k", default=20, show_default=True, type=click.IntRange(1, 100), help="Retrieval depth.")
@click.option("--folder", type=click.Path(path_type=Path), help="Only this added folder.")
@click.option("--output", type=click.Path(path_type=Path), help="Write the run as JSON (for --compare).")
@click.option("--report", type=click.Path(path_type=Path), help="Write a Markdown report.")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def eval_(questions: Path | None, compare_runs: tuple[Path, Path] | None, tolerance: float, no_answer: bool,
          extractive: bool, k: int, folder: Path | None, output: Path | None, report: Path | None,
          as_json: bool) -> None:
    """Measure retrieval and answers on QUESTIONS (JSON Lines; format in the README)."""
    from archivist.shell import eval_compare, eval_run

    if compare_runs:
        sys.exit(eval_compare(*compare_runs, tolerance=tolerance))
    if questions is None:
        raise click.UsageError("Give a QUESTIONS.jsonl file, or --compare A.json B.json.")
    services = _context()
    try:
        eval_run(services, questions, k=k, answer=not no_answer, extractive=extractive, folder=folder,
                 output=output, report=report, as_json=as_json)
    finally:
        services.close()


@cli.command()
@click.option("--daemon", is_flag=True, help="Run in the background (stop with --stop).")
@click.option("--stop", is_flag=True, help="Stop the background watcher.")
@click.option("--serve", is_flag=True, hidden=True)
def watch(daemon: bool, stop: bool, serve: bool) -> None:
    """Keep the index fresh: index changes in added folders as they happen (Ctrl-C stops)."""
    from archivist.paths import Paths
    from archivist.watch import daemon as d

    paths = Paths.resolve()
    if serve:
        d.serve_daemon(paths, lambda prompt: _context(prompt=prompt, all_profiles=True))
        return
    if stop:
        pid = d.stop_daemon(paths)
        echo(f"Stopped the watch daemon (pid {pid})." if pid else "No watch daemon is running.")
        return
    if daemon:
        from archivist.errors import IndexBusy
        from archivist.index.lock import WriterLock
        from archivist.security.passphrase import get_passphrase

        holder = WriterLock(paths.writer_lock).holder()
        if holder:
            raise IndexBusy(f"{holder.get('role', 'Another writer')} (pid {holder.get('pid', '?')}) is already "
                            "writing to the index.", hint="`archivist status` shows it; `archivist watch --stop` "
                            "stops a daemon.")
        services = _context()  # checks the passphrase (and creates the index) before detaching
        services.close()
        pid = d.spawn_daemon(paths, get_passphrase(creating=False))
        echo(f"Watch daemon started (pid {pid}). Log: {safe_line(str(paths.watch_log))}. Stop: archivist watch --stop")
        return
    from archivist.shell import watch_foreground

    services = _context()
    try:
        watch_foreground(services)
    finally:
        services.close()


@cli.command()
def tui() -> None:
    """Open the terminal UI (what `archivist` with no command does)."""
    from archivist.tui.app import run

    code = run()
    if code:
        sys.exit(code)


@cli.command()
def locate() -> None:
    """Print where Archivist keeps its config, data, cache and models."""
    from archivist.index.generations import current_database
    from archivist.paths import Paths

    paths = Paths.resolve()
    for name, value in (("config", paths.config_file), ("data", paths.data_dir), ("index", current_database(paths)),
                        ("cache", paths.cache_dir), ("models", paths.models_dir), ("log", paths.watch_log)):
        echo(f"{name:<7} {safe_line(str(value))}")


@cli.group()
def models() -> None:
    """The bundled models."""


@models.command()
@click.option("--force", is_flag=True, help="Export again even if the current export matches.")
def prepare(force: bool) -> None:
    """Export the bundled MiniLM embedder to int8 ONNX (done once by the set-up script)."""
    from archivist.embed.export import export_onnx, onnx_is_current
    from archivist.paths import Paths

    paths = Paths.resolve()
    if not force and onnx_is_current(paths.models_dir):
        echo(f"Embedder export is current: {safe_line(str(paths.models_dir))}")
        return
    echo("Exporting MiniLM to int8 ONNX (one time, ~1 min)...", err=True)
    target = export_onnx(paths.models_dir)
    echo(f"Wrote {safe_line(str(target))}")


@cli.command()
@click.option("--question", default="What caused the warehouse outage in April?", show_default=True)
def demo(question: str) -> None:
    """Index the bundled sample folder into a demo index and answer a sample question."""
    from archivist.shell import run_demo

    run_demo(question)


from archivist.cli_setup import register  # noqa: E402 - init, doctor, models trust (issue 8)

register(cli, models)

from archivist.cli_adapters import adapters, dataset, feedback  # noqa: E402 - issue 6

cli.add_command(adapters)
cli.add_command(feedback)
cli.add_command(dataset)


from archivist.cli_privacy import audit, forget, history, passwd  # noqa: E402 - privacy (issue 4)

for _command in (forget, audit, passwd, history):
    cli.add_command(_command)


from archivist.cli_generations import register as register_generations  # noqa: E402 - generations (issue 7)

register_generations(cli, index)

from archivist.cli_meta import meta  # noqa: E402 - document metadata ("The answer on the screen")

cli.add_command(meta)
from archivist.cli_facts import facts  # noqa: E402 - table facts ("Tables are data", issue 15)

cli.add_command(facts)


def main() -> None:
    import os

    from archivist.security import egress
    from archivist.security.offline import enforce_offline

    os.umask(0o077)  # every file Archivist creates (index, WAL, logs, exports) is private to this user
    enforce_offline()
    egress.install()
    cli(prog_name="archivist")


if __name__ == "__main__":
    main()
