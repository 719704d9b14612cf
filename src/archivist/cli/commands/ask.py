"""``archivist ask``, ``search`` and ``eval``: answers, passages, and how well they hold on a question file."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("words", metavar="QUERY...", nargs=-1, required=True)
@click.option("-k", "--top", "k", default=None, type=click.IntRange(1, 100), help="How many passages.")
@click.option("--folder", type=click.Path(path_type=Path), help="Only passages from this added folder.")
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "vector"]), default="hybrid", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON (schemas/search.json).")
def search(words: tuple[str, ...], k: int | None, folder: Path | None, mode: str, as_json: bool) -> None:
    """Show the passages that best match QUERY (no model call; quotes are optional)."""
    from archivist.cli.context import workspace
    from archivist.cli.render import print_search, search_json

    with workspace() as ws:
        result = ws.search(" ".join(words), k=k, folder=folder, mode=mode)
    if as_json:
        from archivist.cli.console import echo_json

        echo_json(search_json(result))
    else:
        print_search(result)


@click.command()
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
    from archivist.cli.context import workspace

    with workspace(model=model, adapter=adapter, adapter_scale=adapter_scale) as ws:
        if model is not None:
            from archivist.app.models import check_model

            check_model(model)
        follows = ws.earlier_question(after) if (follow_up or after is not None) else None
        answer = stream_answer(ws, " ".join(words), folder=folder, extractive=extractive, quiet=as_json,
                               follows=follows)
    if as_json:
        from archivist.cli.console import echo_json

        echo_json(answer.to_json())


def stream_answer(ws, question: str, *, folder: Path | None = None, extractive: bool = False,  # noqa: ANN001, ANN201
                  quiet: bool = False, follows: str | None = None):
    """Ask, showing the model's raw text live (replaced by the checked answer, printed when done); ``quiet``:
    nothing is shown. Returns the answer."""
    if quiet:
        return ws.ask(question, folder=folder, extractive=extractive, follows=follows)
    from rich.live import Live
    from rich.text import Text

    from archivist.cli.render import out, print_answer
    from archivist.safe_console import field

    text = Text(style="dim")
    with Live(text, console=out, transient=True, refresh_per_second=12) as live:
        def on_token(piece: str) -> None:
            text.append(piece)
            live.update(text)

        answer = ws.ask(question, folder=folder, extractive=extractive, follows=follows, on_token=on_token,
                        asked_as=lambda whole: live.console.print(f"[dim]Asked as:[/] {field(whole)}"))
    print_answer(answer)
    return answer


@click.command(name="eval")
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
    from archivist.cli.render_eval import eval_compare, eval_run

    if compare_runs:
        sys.exit(eval_compare(*compare_runs, tolerance=tolerance))
    if questions is None:
        raise click.UsageError("Give a QUESTIONS.jsonl file, or --compare A.json B.json.")
    from archivist.cli.context import workspace

    with workspace() as ws:
        eval_run(ws, questions, k=k, answer=not no_answer, extractive=extractive, folder=folder, output=output,
                 report=report, as_json=as_json)


def register(cli: click.Group) -> None:
    for command in (ask, search, eval_):
        cli.add_command(command)
