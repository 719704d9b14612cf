"""Set-up commands of the ``archivist`` CLI: ``init`` (first run), ``doctor`` and ``models trust``.

Registered on the main group by ``register`` (one line in cli.py), so the set-up commands live apart from the
everyday ones. Only click is imported at module level: ``archivist --help`` stays fast.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from archivist.cli_console import echo

_MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red"), "skip": ("-", "white")}


# ---------------------------------------------------------------- doctor

@click.command()
@click.option("--privacy", is_flag=True,
              help="Report the egress guard, where data lives and the permissions of every file there.")
def doctor(privacy: bool) -> None:
    """Check that this installation works offline: Python, storage, models and their checksums, CPU features,
    permissions, disk, the egress guard and the watcher. Exit 1 when a check fails (warnings do not fail)."""
    from archivist.paths import Paths

    paths = Paths.resolve()
    if privacy:
        sys.exit(_print_privacy(paths))
    from archivist.doctor import FAIL, diagnose

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
    from archivist.doctor import privacy_report

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
    from archivist.answer.generator import check_gguf
    from archivist.paths import Paths
    from archivist.security.checksums import ModelChecksums

    check_gguf(model.expanduser())
    record = ModelChecksums(Paths.resolve().data_dir).trust(model)
    echo(f"Trusted {model.expanduser().resolve()} (SHA-256 {record.sha256}).")


# ---------------------------------------------------------------- init

PROFILE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


@click.command()
@click.option("--folder", "folders", multiple=True, type=click.Path(path_type=Path),
              help="A folder to index (repeat for several).")
@click.option("--profile", help="Profile name (letters, digits, . _ -); written to config.toml.")
@click.option("--yes", "-y", is_flag=True, help="Ask nothing: take the flags as given, the passphrase from "
              "ARCHIVIST_PASSPHRASE (or ARCHIVIST_PASSPHRASE_FILE), and index at once.")
@click.option("--index/--no-index", "index_now", default=None, help="Index the folders now (default: ask; "
              "with --yes: index).")
@click.pass_context
def init(ctx: click.Context, folders: tuple[Path, ...], profile: str | None, yes: bool, index_now: bool | None) -> None:
    """First-run set-up: choose folders, a profile and the index passphrase, then index."""
    from archivist.errors import ConfigError, FolderNotFound
    from archivist.index.generations import current_database
    from archivist.paths import Paths
    from archivist.settings import Settings

    paths = Paths.resolve()
    interactive = not yes and sys.stdin.isatty()
    database = current_database(paths)
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
        if not PROFILE_RE.match(profile):
            raise ConfigError(f"Profile name {profile!r} is not allowed.",
                              hint="Use 1-40 letters, digits, '.', '_' or '-'.")
        write_top_level_key(paths, "profile", profile)
        echo(f"Profile {profile} written to {paths.config_file}")
    _create_and_fill(ctx, paths, chosen, index_now, interactive)


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


def _create_and_fill(ctx: click.Context, paths, folders: list[Path], index_now: bool | None,  # noqa: ANN001
                     interactive: bool) -> None:
    """Create the index, then run `archivist add` and `archivist index` themselves (so init gets whatever they
    do: folder readers, forgotten files, index generations) with the passphrase asked once."""
    from archivist.cli import _context, add, index
    from archivist.index.generations import current_database
    from archivist.security.passphrase import ENV, get_passphrase

    creating = not current_database(paths).exists()
    passphrase = get_passphrase(creating=creating)  # environment, passphrase file, or asked (twice when new)
    saved = os.environ.get(ENV)
    # This process only, for the two commands below; the watch daemon never inherits it (it drops the variable).
    os.environ[ENV] = passphrase
    try:
        _context().close()  # creates the encrypted index (or checks the passphrase against the existing one)
        if creating:
            echo(f"Created the encrypted index {paths.database}")
        if folders:
            ctx.invoke(add, folders=tuple(folders))
        if index_now is None:  # asked last: the passphrase prompt comes first, then the long part
            index_now = bool(folders) and (not interactive or click.confirm("Index the folders now?", default=True))
        if index_now and folders:
            ctx.invoke(index, as_json=False)
    finally:
        if saved is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = saved
    echo("Ready: `archivist ask \"...\"`, or `archivist` for the terminal UI. `archivist doctor` checks the "
         "installation.")


def write_top_level_key(paths, key: str, value: str) -> None:  # noqa: ANN001
    """Set ``key = "value"`` at the top level of config.toml (replacing an existing top-level ``key``), keeping
    every other line; written atomically at 0600 in a 0700 folder."""
    import json

    line = f"{key} = {json.dumps(value)}"  # a JSON string is a valid TOML basic string
    config = paths.config_file
    lines = config.read_text().splitlines() if config.is_file() else []
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    first_table = next((i for i, text in enumerate(lines) if text.lstrip().startswith("[")), len(lines))
    found = next((i for i in range(first_table) if pattern.match(lines[i])), None)
    if found is not None:
        lines[found] = line
    else:
        lines.insert(0, line)  # top-level keys must come before the first [table]
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.config_dir, 0o700)
    from archivist.storage.private import write_private

    write_private(config, "\n".join(lines) + "\n")


def register(cli: click.Group, models: click.Group) -> None:
    """Add the set-up commands to the main group and ``trust`` to ``archivist models``."""
    cli.add_command(init)
    cli.add_command(doctor)
    models.add_command(trust)
