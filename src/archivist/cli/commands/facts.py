"""``archivist facts QUERY``: the table facts that match a query (a line item, an entity, a year), each with its
citation, for reading and for scripts (``--json``). Facts are every figure of a table row, read at ingest
(``ingest.facts``, ``index.factstore``)."""

from __future__ import annotations

import click

from archivist.cli.console import echo_json


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=50, show_default=True, help="At most this many facts.")
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
def facts(query: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List the table facts matching QUERY (e.g. "Gannet revenue FY2025"), with their citations."""
    from archivist.cli.context import workspace

    text = " ".join(query)
    with workspace() as ws:
        found, total = ws.facts(text, limit=limit)
    if as_json:
        echo_json({"query": text, "facts": [{**f.as_dict(), "match": round(score, 3)} for score, f in found],
                   "total_facts": total})
        return
    from archivist.cli.render import out
    from archivist.safe_console import field  # Rich: loaded only when printing (every command imports this module)

    if not found:
        out.print(f"No table facts match {field(text)} ({total} facts in the index). Name a line item as the "
                  "tables print it, an entity or a year; `archivist search` finds passages.")
        return
    for _score, f in found:
        entity = f"{field(f.entity)} · " if f.entity else ""
        out.print(f"{entity}{field(f.label)} · {field(f.when())}: [bold]{field(f.shown())}[/]"
                  f"  [dim]{field(f.title)} — {field(f.where())}[/]")


def register(cli: click.Group) -> None:
    cli.add_command(facts)
