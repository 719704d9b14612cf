"""``archivist add``, ``remove`` and ``status``: the folders Archivist reads and what it made of them."""

from __future__ import annotations

from pathlib import Path

import click

from archivist.cli.console import echo, echo_json, safe_line


def print_change(change, *, added: bool) -> None:  # noqa: ANN001 - app.folders.FolderChange
    """What adding or removing folders did, and which building or ready generations got the change."""
    for folder, flag in change.folders:
        if added:
            echo(f"{'Added' if flag else 'Already added'}: {safe_line(str(folder.path))} (readable by: "
                 f"{safe_line(', '.join(folder.profiles))})")
        else:
            echo(f"Removed {safe_line(str(folder.path))} ({change.files_dropped} files dropped from the index).")
    for g in change.synced:
        echo(f"Also applied to generation {g.id} ({g.status}).")


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--profiles", metavar="A,B", help="Profiles that may read these folders (default: the current one; "
                                                "'*' for every profile).")
def add(folders: tuple[Path, ...], profiles: str | None) -> None:
    """Add FOLDERS to the index (then run `archivist index`)."""
    from archivist.app.folders import existing_folder
    from archivist.cli.context import workspace

    for folder in folders:
        existing_folder(folder)  # before the passphrase is asked
    readers = [p.strip() for p in profiles.split(",") if p.strip()] if profiles else None
    with workspace() as ws:
        print_change(ws.add_folders(folders, readers), added=True)
    echo("Run `archivist index` to read it.")


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
def remove(folder: Path) -> None:
    """Stop indexing FOLDER and drop everything indexed from it."""
    from archivist.cli.context import workspace

    with workspace() as ws:
        print_change(ws.remove_folder(folder), added=False)


@click.command()
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """Folders, counts, and every file that was skipped or failed, with the reason."""
    from archivist.cli import daemon_client

    reply = daemon_client.ask_daemon("status", {"json": as_json})
    if reply.served:
        daemon_client.write(reply)
        return
    from archivist.cli.context import workspace

    with workspace(passphrase=reply.passphrase) as ws:
        data = ws.status()
    if as_json:
        echo_json(data)
    else:
        from archivist.cli.render import print_status

        print_status(data)


def register(cli: click.Group) -> None:
    for command in (add, remove, status):
        cli.add_command(command)
