"""Set-up commands of the ``archivist`` CLI: ``init`` (first run), ``doctor`` and ``models trust``.

Registered on the main group by ``register`` (one line in cli.py), so the set-up commands live apart from the
everyday ones. Only click is imported at module level: ``archivist --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from archivist.cli.console import echo

_MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red"), "skip": ("-", "white")}


# ---------------------------------------------------------------- doctor

@click.command()
@click.option("--privacy", is_flag=True,
              help="Report the egress guard, where data lives and the permissions of every file there.")
def doctor(privacy: bool) -> None:
    """Check that this installation works offline: Python, storage, models and their checksums, CPU features,
    permissions, disk, the egress guard and the watcher. Exit 1 when a check fails (warnings do not fail)."""
    from archivist.app.setup import FAIL, diagnose
    from archivist.paths import Paths

    paths = Paths.resolve()
    if privacy:
        sys.exit(_print_privacy(paths))
    checks = diagnose(paths)
    for c in checks:
        mark, colour = _MARKS[c.status]
        echo(f"{mark} {c.name:<12} {c.detail}", fg=colour)
        if c.fix:
            echo(f"  {'':<12} {'fix' if c.status == FAIL else 'hint'}: {c.fix}")
    failed = [c.name for c in checks if c.status == FAIL]
    echo(f"{len(failed)} problem(s): {', '.join(failed)}." if failed else "Everything needed is in place.")
    sys.exit(1 if failed else 0)


def _print_privacy(paths) -> int:  # noqa: ANN001
    from archivist.app.setup import privacy_report

    report = privacy_report(paths)
    if report.guard_active:
        echo(f"✓ egress guard active: network connections are refused ({report.refused_attempts} refused "
             "in this process)", fg="green")
    else:
        echo("✗ egress guard NOT active in this process", fg="red")
    echo("\nTelemetry, update-check and hub switches (set before any library loads):")
    for sw in report.switches:
        setting = f"{sw.name}={sw.actual if sw.actual is not None else '(unset)'}"
        echo(f"  {'✓' if sw.ok else '✗'} {setting:<37} {sw.purpose}", fg=None if sw.ok else "red")
    echo("\nWhere your data lives:")
    for name, path, exists in report.locations:
        echo(f"  {name:<8} {path}{'' if exists else '  (not created yet)'}")
    echo("\nPermissions (data files must be 0600, folders 0700):")
    entries = report.entries + ([report.passphrase_file] if report.passphrase_file else [])
    if not entries:
        echo("  nothing stored yet")
    for e in entries:
        kind = "dir " if e.is_dir else "file"
        echo(f"  {'✓' if e.private else '✗'} {e.mode:04o} {kind} {e.path}", fg=None if e.private else "red")
    echo("\nWritten by libraries outside Archivist's folders:")
    if not report.traces:
        echo("  nothing (every place the README's dependency audit names is absent)")
    for t in report.traces:
        echo(f"  ! {t.path} ({t.library}; {t.files} file(s), {t.size / 1000:.0f} kB)", fg="yellow")
        echo(f"      {t.what}.")
        echo(f"      Archivist needs none of it; it can be deleted: rm {'' if t.path.is_file() else '-r '}{t.path}")
    if report.problems:
        echo(f"\n{len(report.problems)} problem(s):", fg="red")
        for p in report.problems:
            echo(f"  - {p}")
        return 1
    echo("\nEverything is private." if not report.traces else
         "\nArchivist's own files are private; the library folders listed above are not Archivist's.")
    return 0


# ---------------------------------------------------------------- models trust

@click.command(name="trust")
@click.argument("model", type=click.Path(path_type=Path))
def trust(model: Path) -> None:
    """Accept MODEL's current content as the expected one (after replacing a GGUF on purpose)."""
    from archivist.app.models import trust_model
    from archivist.paths import Paths

    sha256 = trust_model(Paths.resolve(), model)
    echo(f"Trusted {model.expanduser().resolve()} (SHA-256 {sha256}).")


# ---------------------------------------------------------------- init

@click.command()
@click.option("--folder", "folders", multiple=True, type=click.Path(path_type=Path),
              help="A folder to index (repeat for several).")
@click.option("--profile", help="Profile name (letters, digits, . _ -); written to config.toml.")
@click.option("--yes", "-y", is_flag=True, help="Ask nothing: take the flags as given, the passphrase from "
              "ARCHIVIST_PASSPHRASE (or ARCHIVIST_PASSPHRASE_FILE), and index at once.")
@click.option("--index/--no-index", "index_now", default=None, help="Index the folders now (default: ask; "
              "with --yes: index).")
def init(folders: tuple[Path, ...], profile: str | None, yes: bool, index_now: bool | None) -> None:
    """First-run set-up: choose folders, a profile and the index passphrase, then index."""
    from archivist.app.setup import index_database, set_profile
    from archivist.errors import FolderNotFound
    from archivist.paths import Paths
    from archivist.settings import Settings

    paths = Paths.resolve()
    interactive = not yes and sys.stdin.isatty()
    database = index_database(paths)
    if database.exists() and not folders and profile is None:
        echo(f"Archivist is already set up (index {database}).\n"
             "Add folders with `archivist add PATH`; `archivist doctor` checks the installation.")
        return
    if interactive:
        echo("Archivist keeps an encrypted index of your folders and answers from it offline.\n")
        folders = folders or _ask_folders()
        if profile is None:
            profile = click.prompt("Profile name", default=Settings.load(paths.config_file).profile)
    chosen = []
    for folder in folders:
        path = folder.expanduser().resolve()
        if not path.is_dir():
            what = "is not a folder" if path.exists() else "does not exist"
            raise FolderNotFound(f"{folder} {what}.", hint="Pass an existing folder with --folder.")
        chosen.append(path)
    if profile is not None:
        set_profile(paths, profile)
        echo(f"Profile {profile} written to {paths.config_file}")
    _create_and_fill(paths, chosen, index_now, interactive)


def _ask_folders() -> tuple[Path, ...]:
    picked: list[Path] = []
    while True:
        answer = click.prompt("Folder to index (empty to finish)", default="", show_default=False).strip()
        if not answer:
            return tuple(picked)
        path = Path(answer).expanduser()
        if path.is_dir():
            picked.append(path)
        else:
            echo(f"{answer} is not a folder.", fg="yellow", err=True)


def _create_and_fill(paths, folders: list[Path], index_now: bool | None, interactive: bool) -> None:  # noqa: ANN001
    """Create the index, then add the folders and index them with the same use cases as `archivist add` and
    `archivist index` (folder readers, forgotten files, index generations), the passphrase asked once and kept
    in this process's memory only (never in its environment)."""
    from archivist.app.setup import index_database
    from archivist.app.workspace import open_workspace
    from archivist.cli.commands.folders import print_change
    from archivist.cli.commands.index import run_index
    from archivist.security.passphrase import get_passphrase
    from archivist.settings import Settings

    creating = not index_database(paths).exists()
    passphrase = get_passphrase(creating=creating)  # environment, passphrase file, or asked (twice when new)
    ws = open_workspace(paths, Settings.load(paths.config_file), passphrase=passphrase)
    try:
        if creating:
            echo(f"Created the encrypted index {paths.database}")
        if folders:
            print_change(ws.add_folders(folders), added=True)
            echo("Run `archivist index` to read it.")
        if index_now is None:  # asked last: the passphrase prompt comes first, then the long part
            index_now = bool(folders) and (not interactive or click.confirm("Index the folders now?", default=True))
        if index_now and folders:
            run_index(ws, quiet=False)
    finally:
        ws.close()
    echo("Ready: `archivist ask \"...\"`, or `archivist` for the terminal UI. `archivist doctor` checks the "
         "installation.")


# ---------------------------------------------------------------- locate, models, demo

@click.command()
def locate() -> None:
    """Print where Archivist keeps its config, data, cache and models."""
    from archivist.app.setup import locations
    from archivist.cli.console import safe_line
    from archivist.paths import Paths

    for name, value in locations(Paths.resolve()):
        echo(f"{name:<7} {safe_line(str(value))}")


@click.group()
def models() -> None:
    """The bundled models."""


@models.command()
@click.option("--force", is_flag=True, help="Export again even if the current export matches.")
def prepare(force: bool) -> None:
    """Export the bundled MiniLM embedder to int8 ONNX (done once by the set-up script)."""
    from archivist.app.models import prepare_embedder
    from archivist.cli.console import safe_line
    from archivist.paths import Paths

    paths = Paths.resolve()
    target = prepare_embedder(paths, force=force,
                              starting=lambda: echo("Exporting MiniLM to int8 ONNX (one time, ~1 min)...", err=True))
    if target is None:
        echo(f"Embedder export is current: {safe_line(str(paths.models_dir))}")
        return
    echo(f"Wrote {safe_line(str(target))}")


models.add_command(trust)


@click.command()
@click.option("--question", default="What caused the warehouse outage in April?", show_default=True)
def demo(question: str) -> None:
    """Index the bundled sample folder into a demo index and answer a sample question."""
    from archivist.app.workspace import open_workspace
    from archivist.cli.commands.ask import stream_answer
    from archivist.cli.commands.index import run_index
    from archivist.cli.render import out
    from archivist.errors import FolderNotFound
    from archivist.paths import Paths
    from archivist.safe_console import field
    from archivist.settings import Settings

    checkout = Path(__file__).resolve().parents[4]
    sample = checkout / "examples" / "sample-docs"
    if not sample.is_dir():
        raise FolderNotFound(f"The sample folder {sample} is missing.", hint="Run the demo from a source checkout.")
    # The demo's own home and passphrase, for this process: the user's index is never touched.
    os.environ.setdefault("ARCHIVIST_HOME", str(checkout / ".demo"))
    os.environ.setdefault("ARCHIVIST_PASSPHRASE", "demo-passphrase")
    paths = Paths.resolve()
    ws = open_workspace(paths, Settings.load(paths.config_file))
    try:
        ws.add_folders([sample])
        out.print(f"[bold]Demo index[/] {field(paths.database)} (passphrase from ARCHIVIST_PASSPHRASE)")
        run_index(ws, quiet=False)
        out.print(f"\n[bold]Question:[/] {field(question)}\n")
        stream_answer(ws, question)
    finally:
        ws.close()


def register(cli: click.Group) -> None:
    for command in (init, doctor, locate, models, demo):
        cli.add_command(command)
