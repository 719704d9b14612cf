"""Privacy commands: ``forget``, ``audit show|verify``, ``passwd``, ``history``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archivist.cli.console import echo, safe_line
from archivist.cli.context import open_ws, workspace


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--allow-reindex", is_flag=True, help="Do not add PATH to the folder's exclude list.")
@click.option("--json", "as_json", is_flag=True)
def forget(path: Path, allow_reindex: bool, as_json: bool) -> None:
    """Remove PATH (a file or folder) from the index for good: text, passages, vectors, keyword entries and
    the history that quotes it. It is not indexed again unless --allow-reindex."""
    with workspace() as ws:
        report = ws.forget(path, allow_reindex=allow_reindex)
    if as_json:
        click.echo(json.dumps({"files": [str(p) for p in report.files], "passages": report.passages,
                               "history_removed": report.history_removed, "audit_redacted": report.audit_redacted,
                               "excluded": report.excluded}, indent=2))
        return
    echo(f"Forgot {len(report.files)} file(s), {report.passages} passage(s); removed "
         f"{report.history_removed} history entr{'y' if report.history_removed == 1 else 'ies'}; "
         f"redacted the question of {report.audit_redacted} audit entr"
         f"{'y' if report.audit_redacted == 1 else 'ies'}.")
    echo("It will not be indexed again." if report.excluded else
         "It will be indexed again at the next `archivist index` if it still exists.")


@click.group()
def audit() -> None:
    """The encrypted, hash-chained audit trail (asks, searches, opened passages, exports, forgets)."""


ALL_PROFILES_NOTE = ("Profiles are views inside one installation, not boundaries between users: anyone with the "
                     "passphrase can read every profile's entries (separate OS accounts keep users apart). This "
                     "read is recorded in the audit trail, and every profile's `audit show` lists it.")


@audit.command("show")
@click.option("-n", "--last", "limit", default=50, show_default=True, type=click.IntRange(1, 100000))
@click.option("--all-profiles", is_flag=True, help="Every profile's entries. " + ALL_PROFILES_NOTE)
@click.option("--json", "as_json", is_flag=True)
def audit_show(limit: int, all_profiles: bool, as_json: bool) -> None:
    """The current profile's last entries, oldest first (with every read of all profiles' entries)."""
    with workspace() as ws:
        entries = ws.audit_entries(limit, all_profiles=all_profiles)
    if all_profiles:  # with --json on stderr, so the output stays one JSON document
        echo(f"All profiles' audit entries, read as profile {ws.profile}. {ALL_PROFILES_NOTE}",
             err=as_json, fg="yellow")
    if as_json:
        click.echo(json.dumps([vars(e) for e in entries], indent=2, ensure_ascii=False))
        return
    from rich.table import Table
    from rich.text import Text

    from archivist.cli.console import console

    table = Table("SEQ", "TIME (UTC)", "PROFILE", "ACTION", "QUERY", "PASSAGES", "DETAIL", box=None)
    for e in entries:
        query = Text("(redacted)", style="dim") if e.query is None else Text(safe_line(e.query))
        table.add_row(str(e.seq), e.at[:19].replace("T", " "), Text(safe_line(e.profile)), e.action, query,
                      str(len(e.chunk_ids)), Text(safe_line(e.detail)))
    console(soft_wrap=False).print(table)


@audit.command("verify")
def audit_verify() -> None:
    """Check the chain: any edited, deleted, inserted or reordered entry is reported (exit 1)."""
    with workspace() as ws:
        problems, count = ws.verify_audit()
    if problems:
        for p in problems:
            echo(f"entry {p.seq}: {p.problem}", fg="red", err=True)
        echo(f"The audit trail was tampered with ({len(problems)} problem(s) in {count} entries).",
             fg="red", err=True)
        sys.exit(1)
    echo(f"Audit trail intact: {count} entries, chain verified.")


@click.command()
@click.option("--new-key-file", type=click.Path(path_type=Path),
              help="Generate a random key into this file (e.g. on removable media) and use it instead of a "
                   "passphrase: then set ARCHIVIST_PASSPHRASE_FILE to it.")
def passwd(new_key_file: Path | None) -> None:
    """Change the passphrase of the index, all its generations and the state file, atomically."""
    import os

    from archivist.app.privacy import change_passphrase

    ws = open_ws()  # checks the current passphrase opens everything
    ws.close()
    new = None
    if new_key_file is not None:
        new_key_file = Path(os.path.abspath(new_key_file.expanduser()))
    else:
        new = click.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True)
        if not new:
            raise click.UsageError("The new passphrase cannot be empty.")
    files, _ = change_passphrase(ws.paths, ws.passphrase, new, key_file=new_key_file)
    echo(f"Re-keyed {len(files)} file(s).")
    if new_key_file is not None:
        echo(f"Key written to {new_key_file}: set ARCHIVIST_PASSPHRASE_FILE={new_key_file} (keep it safe; "
             "without it the index cannot be opened).")


@click.command()
@click.option("-n", "--last", "limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
def history(limit: int, as_json: bool) -> None:
    """This profile's past questions and answers (kept encrypted)."""
    with workspace() as ws:
        rows = ws.history(limit)
    if as_json:
        click.echo(json.dumps([{"at": r.created_at, "question": r.question, "answer": json.loads(r.answer_json)}
                               for r in rows], indent=2, ensure_ascii=False))
        return
    for r in rows:
        answer = json.loads(r.answer_json)
        echo(f"{r.created_at}  {safe_line(r.question)}\n    {safe_line(answer.get('answer', '')[:200])}")


def register(cli: click.Group) -> None:
    for command in (forget, audit, passwd, history):
        cli.add_command(command)
