"""``archivist ask``, ``search`` and ``eval``: answers, passages, and how well they hold on a question file."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
    from archivist.cli import daemon_client

    reply = daemon_client.ask_daemon("search", {"query": " ".join(words), "k": k, "folder": _absolute(folder),
                                                "mode": mode, "json": as_json})
    if reply.served:
        daemon_client.write(reply)
        return
    from archivist.cli.context import workspace
    from archivist.cli.render import print_search, search_json

    with workspace(passphrase=reply.passphrase) as ws:
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
    passphrase = None
    if model is None and adapter is None and adapter_scale is None:  # the daemon answers with the configured model
        reply = _ask_daemon({"question": " ".join(words), "folder": _absolute(folder), "extractive": extractive,
                             "follow_up": follow_up, "after": after, "json": as_json})
        if reply.served:
            return
        passphrase = reply.passphrase
    from archivist.cli.context import workspace

    with workspace(model=model, adapter=adapter, adapter_scale=adapter_scale, passphrase=passphrase) as ws:
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
    from archivist.cli.render import out, print_answer

    with live_answer(out) as live:
        answer = ws.ask(question, folder=folder, extractive=extractive, follows=follows, on_token=live.token,
                        asked_as=live.asked_as, on_draft=lambda draft: live.quoted(draft.answer))
    print_answer(answer)
    return answer


@dataclass
class LiveAnswer:
    """What ``live_answer`` shows: ``quoted(text)`` the quotes found before the model starts, ``token(piece)``
    the model's raw text below them, ``asked_as(question)`` the whole question a follow-up was asked as."""

    token: Callable[[str], None]
    quoted: Callable[[str], None]
    asked_as: Callable[[str], None]

    def event(self, event: dict) -> None:
        """A streamed event of the watch daemon (``token``, ``quoted``, ``asked_as``)."""
        show = {"token": self.token, "quoted": self.quoted}.get(str(event.get("event")), self.asked_as)
        show(str(event.get("text", "")))


@contextmanager
def live_answer(to) -> Iterator[LiveAnswer]:  # noqa: ANN001 - a console
    """The quoted answer, then the model's raw text, shown live on the console ``to`` while the block runs, gone
    when it ends (the checked answer is printed then)."""
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    from archivist.safe_console import field

    quotes, text = Text(), Text(style="dim")
    with Live(Group(quotes, text), console=to, transient=True, refresh_per_second=12) as live:
        def token(piece: str) -> None:
            text.append(piece)
            live.update(Group(quotes, text))

        def quoted(answer: str) -> None:
            quotes.append(f"{field(answer)}\n", style="")
            quotes.append("Quoted from the passages while the model writes its answer…\n", style="dim italic")
            live.update(Group(quotes, text), refresh=True)  # at once: the first thing to read

        yield LiveAnswer(token, quoted, lambda whole: live.console.print(f"[dim]Asked as:[/] {field(whole)}"))


def _ask_daemon(args: dict):  # noqa: ANN202 - daemon_client.Reply
    """``ask`` answered by the watch daemon, its tokens shown live as in-process (nothing live with ``--json``)."""
    from archivist.cli import daemon_client

    pending = daemon_client.prepare("ask", args)  # the passphrase is asked for before anything is drawn
    if pending is None:
        return daemon_client.Reply()
    if args["json"]:
        reply = pending.send()
    else:
        from archivist.cli.console import console

        with live_answer(console()) as live:
            reply = pending.send(live.event)
    if reply.served:
        daemon_client.write(reply)
    return reply


def _absolute(folder: Path | None) -> str | None:
    """``--folder`` as the daemon must read it (it does not share this process's working folder)."""
    return str(folder.expanduser().resolve()) if folder is not None else None


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
