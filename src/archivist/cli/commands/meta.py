"""``archivist meta FILE``: what Archivist takes a document to be (entity, period, type, title), and the analyst's
corrections of it (``index.docmeta``). Ranking uses a correction at once; the passages' context header
follows the next time the file is read (``archivist index`` or the watcher)."""

from __future__ import annotations

from pathlib import Path

import click

from archivist.cli.console import echo_json


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--entity", help="The company or organisation the document is about.")
@click.option("--period", help="The period it covers, e.g. FY2024 or \"FY2024 Q2\".")
@click.option("--type", "doc_type", help="Its type: 10-K, 10-Q, 8-K, earnings release, memo, ...")
@click.option("--title", help="A readable title.")
@click.option("--reset", is_flag=True, help="Drop every correction of FILE (back to what was read from it).")
@click.option("--json", "as_json", is_flag=True, help="Print the metadata as JSON.")
def meta(file: Path, entity: str | None, period: str | None, doc_type: str | None, title: str | None,
         reset: bool, as_json: bool) -> None:
    """Show or correct what FILE is: entity, period, type and title (used to rank answers)."""
    from archivist.cli.context import workspace

    given = {"entity": entity, "period": period, "doc_type": doc_type, "title": title}
    changes = {k: v for k, v in given.items() if v is not None}
    with workspace() as ws:
        data = ws.describe(file, changes, reset=reset)
    corrected = data["corrected"]
    if as_json:
        echo_json(data)
        return
    from archivist.cli.render import out
    from archivist.safe_console import field  # Rich: loaded only when printing

    for name, key in (("Entity", "entity"), ("Period", "period"), ("Type", "doc_type"), ("Title", "title")):
        mark = " [dim](corrected)[/]" if key in corrected else ""
        out.print(f"{name + ':':8} {field(data[key] or '-')}{mark}")
    if data["aliases"]:
        out.print(f"{'Aliases:':8} {field(', '.join(data['aliases']))}")
    if changes or reset:
        out.print("[dim]Answers rank with this now; the passages' context header follows at the next "
                  "`archivist index`.[/]")


def register(cli: click.Group) -> None:
    cli.add_command(meta)
