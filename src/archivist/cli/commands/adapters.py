"""``archivist adapters ...``, ``archivist feedback`` and ``archivist dataset export``: thin shells over
``archivist.app.adapters`` and the workspace. Only click is imported here; everything else loads inside the
command that needs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archivist.cli.console import echo, safe_line
from archivist.cli.context import paths_settings, workspace


@click.group()
def adapters() -> None:
    """Team adapters: LoRA styles for answers (list, show, use, train)."""


@adapters.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the adapters as JSON.")
def list_(as_json: bool) -> None:
    """List the registered adapters and whether each fits the model answers use."""
    from archivist.app.adapters import list_adapters

    paths, settings = paths_settings()
    listing = list_adapters(paths, settings)
    if as_json:
        click.echo(json.dumps(listing.to_json(), indent=2))
        return
    rows = listing.adapters
    if not rows:
        echo(f"No adapters in {paths.adapters_dir}. Train one: archivist adapters train --help", err=True)
        return
    width = max(4, *(len(r.name) for r in rows))
    echo(f"{'NAME':<{width}}  ACTIVE  FITS  RANK  STYLE        DESCRIPTION")
    for r in rows:
        fits = "?" if r.fits is None else ("yes" if r.fits else "no")
        echo(f"{r.name:<{width}}  {'*' if r.active else '':<6}  {fits:<4}  {r.rank or '-':<4}  "
             f"{r.style:<11}  {safe_line(r.description or '')}")


@adapters.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
def show(name: str, as_json: bool) -> None:
    """Show an adapter's metadata: base model, rank, training data, evaluation, style checks."""
    from archivist.app.adapters import show_adapter

    info, data = show_adapter(*paths_settings(), name)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    echo(f"{safe_line(info.name)}: {safe_line(info.description or '(no description)')}")
    echo(f"  file       {info.path}")
    bm = info.base_model
    if bm:
        echo(f"  base model {bm.get('name')} ({bm.get('architecture')}, {bm.get('n_layer')} layers, "
             f"{bm.get('n_embd')} wide) sha256 {str(bm.get('sha256', '?'))[:16]}…")
    echo(f"  LoRA       rank {info.rank}, alpha {info.alpha}, on {', '.join(info.target_modules) or '?'}")
    echo(f"  created    {info.created or '?'}")
    t = info.training
    if t:
        echo(f"  training   {t.get('examples')} examples ({t.get('held_out')} held out), {t.get('epochs')} "
             f"epochs, {t.get('steps')} steps in {t.get('seconds')} s, final loss {t.get('final_loss')}; "
             f"data sha256 {str(t.get('data_sha256', '?'))[:16]}…")
    ev = info.evaluation
    if ev:
        echo(f"  style      {ev.get('style_base')} without -> {ev.get('style_adapter')} with the adapter "
             "(held-out examples)")
        if ev.get("sample_style_base") is not None:
            echo(f"             {ev['sample_style_base']} -> {ev.get('sample_style_adapter')} (answers on "
                 f"{ev.get('questions')})")
        echo(f"  grounding  supported-sentence rate {ev.get('supported_base')} -> {ev.get('supported_adapter')}"
             f" on {ev.get('questions') or '-'}")
        echo(f"  verdict    {ev.get('verdict', '-')}{' (promoted)' if ev.get('promoted') else ''}")
    if info.style_checks:
        echo(f"  checks     {json.dumps(info.style_checks, ensure_ascii=False)}")
    if "fits_model" in data:
        fm = data["fits_model"]
        echo(f"  fits       {fm['model']}: " + ("yes" if fm["fits"] else "no — " + "; ".join(fm["problems"])))


@adapters.command()
@click.argument("name")
@click.option("--scale", type=click.FloatRange(0, 4), default=1.0, show_default=True,
              help="How strongly the adapter applies (1: as trained).")
def use(name: str, scale: float) -> None:
    """Answer in adapter NAME's style from now on (`none`: the bare model), for the current profile."""
    from archivist.app.adapters import use_adapter

    paths, settings = paths_settings()
    chosen = use_adapter(paths, settings, name, scale)
    if chosen is None:
        echo(f"Answers use no adapter (profile {settings.profile}).")
        return
    echo(f"Answers use adapter {chosen} at scale {scale:g} (profile {settings.profile}). "
         "`archivist adapters use none` goes back to the bare model.")


@adapters.command()
@click.option("--data", "data", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Examples (JSON Lines, chat format or question/passages/answer; an encrypted export works too).")
@click.option("--name", required=True, help="The adapter's name (letters, digits, _ . -).")
@click.option("--description", default="", help="One line saying what the adapter does.")
@click.option("--style", "style_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The team's format checks (JSON; see archivist/adapters/style.py). Default: style.json beside "
                   "--data, if any.")
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--steps", type=click.IntRange(1), help="Stop after this many steps (overrides --epochs).")
@click.option("--rank", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--alpha", default=16.0, show_default=True, type=click.FloatRange(min=0, min_open=True))
@click.option("--lr", "learning_rate", default=1e-3, show_default=True, type=click.FloatRange(min=0, min_open=True))
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--held-out", default=0.2, show_default=True, type=click.FloatRange(0, 0.9),
              help="Share of the examples kept out of training to measure style.")
@click.option("--model", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Base GGUF (default: the model answers use).")
@click.option("--eval-questions", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Questions for the grounded-answer check (default: examples/sample-questions.jsonl).")
@click.option("--eval-docs", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="The folder those questions are about (default: examples/sample-docs).")
@click.option("--no-eval", is_flag=True, help="Skip the evaluation (then --promote refuses).")
@click.option("--promote", is_flag=True, help="Register the adapter if style improves without less grounding.")
@click.option("--replace", is_flag=True, help="Replace a registered adapter of the same name.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Where to keep the candidate (default: models/adapters/candidates/NAME.gguf).")
@click.option("--threads", type=click.IntRange(1, 64), help="CPU threads (default: all cores).")
def train(data: Path, name: str, description: str, style_file: Path | None, epochs: int, steps: int | None,
          rank: int, alpha: float, learning_rate: float, batch_size: int, held_out: float, model: Path | None,
          eval_questions: Path | None, eval_docs: Path | None, no_eval: bool, promote: bool, replace: bool,
          output: Path | None, threads: int | None) -> None:
    """Train a style adapter offline from example answers, evaluate it, and (with --promote) register it.

    \b
    Ctrl-C stops at once and writes nothing.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from archivist.app.adapters import train_adapter
    from archivist.cli.console import console
    from archivist.safe_console import prose

    err = console(stderr=True, soft_wrap=False)
    bar = Progress(TextColumn("Training {task.fields[name]}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]}"), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn(), console=err, transient=False)
    task = bar.add_task("train", total=None, name=name, loss="-")

    def progress(step: int, total: int, loss: float) -> None:
        if not err.is_terminal:  # a log: one line per step instead of a bar
            err.print(f"step {step}/{total} loss {loss:.3f}")
            return
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=step, total=total, loss=f"{loss:.3f}")
        if step == total:
            bar.stop()  # the evaluation's messages follow

    try:
        outcome = train_adapter(*paths_settings(), data, name, model=model, description=description,
                                style_file=style_file, held_out=held_out, evaluate=not no_eval,
                                eval_questions=eval_questions, eval_docs=eval_docs, promote=promote, replace=replace,
                                output=output, progress=progress, say=lambda text: err.print(f"[dim]{prose(text)}[/]"),
                                epochs=epochs, max_steps=steps, rank=rank, alpha=alpha, learning_rate=learning_rate,
                                batch_size=batch_size, threads=threads)
    except KeyboardInterrupt:
        bar.stop()
        echo("Training cancelled; nothing was written.", fg="yellow", err=True)
        sys.exit(130)
    finally:
        bar.stop()
    _report(outcome, promote=promote)


@adapters.command()
@click.argument("name")
@click.option("--data", "data", required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The examples the candidate was trained on (its held-out share is evaluated).")
@click.option("--style", "style_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The team's format checks (default: style.json beside --data).")
@click.option("--eval-questions", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--eval-docs", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--replace", is_flag=True, help="Replace a registered adapter of the same name.")
@click.option("--threads", type=click.IntRange(1, 64), help="CPU threads (default: all cores).")
def promote(name: str, data: Path, style_file: Path | None, eval_questions: Path | None, eval_docs: Path | None,
            replace: bool, threads: int | None) -> None:
    """Evaluate the kept candidate NAME (from `adapters train`) again and register it if it passes."""
    from archivist.app.adapters import promote_adapter
    from archivist.cli.console import console
    from archivist.safe_console import prose

    err = console(stderr=True, soft_wrap=False)
    outcome = promote_adapter(*paths_settings(), name, data, style_file=style_file, eval_questions=eval_questions,
                              eval_docs=eval_docs, replace=replace, threads=threads,
                              say=lambda text: err.print(f"[dim]{prose(text)}[/]"))
    _report(outcome, promote=True)


def _report(outcome, *, promote: bool) -> None:  # noqa: ANN001
    ev = outcome.evaluation
    if ev is not None:
        echo(f"Style score on {ev.held_out} held-out examples: {ev.style_base:.2f} without, "
             f"{ev.style_adapter:.2f} with the adapter.")
        if ev.supported_base is not None:
            echo(f"Supported-sentence rate on {ev.questions}: {ev.supported_base:.2f} without, "
                 f"{ev.supported_adapter:.2f} with the adapter.")
        if ev.sample_style_base is not None:
            echo(f"Style score of the answers on {ev.questions}: {ev.sample_style_base:.2f} without, "
                 f"{ev.sample_style_adapter:.2f} with the adapter.")
        echo(f"Verdict: {ev.verdict()}.")
    echo(f"Candidate kept: {outcome.candidate}")
    if outcome.registered:
        echo(f"Registered as {outcome.info.name}: `archivist adapters use {outcome.info.name}` or "
             f"`archivist ask --adapter {outcome.info.name} ...`.")
    elif promote:
        echo("Not registered: the evaluation did not allow promotion "
             f"(`archivist adapters promote {outcome.info.name} --data ...` evaluates it again).",
             fg="yellow", err=True)
        sys.exit(1)


# -- feedback and the data set ---------------------------------------------------------------------------------

@click.command()
@click.argument("rating", type=click.Choice(["good", "bad"]), required=False)
@click.option("--answer", "answer_id", type=int, help="Rate this answer (an id from `feedback --list`; default: "
                                                      "the last one).")
@click.option("--correction", help="What the answer should have said (becomes the training target).")
@click.option("--list", "list_", is_flag=True, help="List recent answers with their ids.")
def feedback(rating: str | None, answer_id: int | None, correction: str | None, list_: bool) -> None:
    """Rate the last answer (or --answer ID) good or bad, with an optional correction (stored encrypted)."""
    if not list_ and rating is None:
        raise click.UsageError("Give a RATING (good or bad), or --list.")
    with workspace() as ws:
        if list_:
            history = ws.history(20)
            for row in history:
                echo(f"{row.id:>5}  {row.created_at}  {safe_line(row.question[:90])}")
            if not history:
                echo("No answers yet: ask something first.")
            return
        assert rating is not None
        fid, row = ws.rate(rating, answer_id=answer_id, correction=correction)
    text = (correction or "").strip()
    echo(f"Stored feedback {fid} ({rating}{', with a correction' if text else ''}) on: "
         f"{safe_line(row.question[:80])}")


@click.group()
def dataset() -> None:
    """Training data from rated answers."""


@dataset.command()
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--plaintext", is_flag=True, help="Write plain JSON Lines (it quotes your documents: handle with care).")
@click.option("--include-bad", is_flag=True, help="Also export answers rated bad without a correction.")
def export(output: Path, plaintext: bool, include_bad: bool) -> None:
    """Write rated answers as chat-format training examples to OUTPUT (encrypted unless --plaintext).

    \b
    Each example keeps the passages the answer was given in its prompt, so an adapter learns the
    team's style of answering from context, not the facts. Train on it directly:
      archivist adapters train --data OUTPUT --name NAME
    """
    with workspace() as ws:
        written, skipped = ws.export_dataset(output, plaintext=plaintext, include_bad=include_bad)
    how = "plain text" if plaintext else "encrypted with the index passphrase"
    echo(f"Wrote {written} examples to {output} ({how}); {skipped} rating(s) skipped "
         "(bad without a correction, or quotes).")


def register(cli: click.Group) -> None:
    for command in (adapters, feedback, dataset):
        cli.add_command(command)
