"""The ``archivist`` command: the group, the error boundary and ``main``; a thin shell over ``archivist.app``.

Each kind of command lives in ``cli.commands`` and is registered the same way (``register(cli)``); every command
opens its workspace through ``cli.context`` and prints through ``cli.render`` (which shows control characters
from file names and documents escaped). Imports run downward only: nothing below imports this module.

User errors (``ArchivistError``) print one red line on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from archivist.cli.commands import adapters, ask, facts, folders, generations, index, meta, privacy, setup
from archivist.cli.console import echo, safe_line
from archivist.errors import ArchivistError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - whatever the command returns
        try:
            return super().invoke(ctx)
        except ArchivistError as exc:
            # One line whatever the message quotes: a file name with a newline cannot add a line of its own.
            echo(safe_line(f"{exc.title}: {exc}"), fg="red", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            echo("Interrupted; the index keeps every file finished so far.", fg="yellow", err=True)
            sys.exit(130)


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
def tui() -> None:
    """Open the terminal UI (what `archivist` with no command does)."""
    from archivist.tui.app import run

    code = run()
    if code:
        sys.exit(code)


# ``index`` first: ``generations`` adds its subcommands to it.
for _kind in (folders, index, ask, generations, privacy, adapters, setup, meta, facts):
    _kind.register(cli)


def main() -> None:
    """The console script: private files, offline switches and the egress guard before anything else."""
    import os

    from archivist.security import egress
    from archivist.security.offline import enforce_offline

    os.umask(0o077)  # every file Archivist creates (index, WAL, logs, exports) is private to this user
    enforce_offline()
    egress.install()
    cli(prog_name="archivist")


if __name__ == "__main__":
    main()
