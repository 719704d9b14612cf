"""The one context of every command: where things are, the settings, the open workspace, progress bars.

Commands import this and ``cli.render``; nothing here imports a command or the group (``archivist.cli``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archivist.app.workspace import Workspace
    from archivist.index.rows import Folder
    from archivist.paths import Paths
    from archivist.settings import Settings


def paths_settings() -> tuple[Paths, Settings]:
    """Where Archivist keeps its files, and the settings of config.toml (and ``ARCHIVIST_*``)."""
    from archivist.paths import Paths
    from archivist.settings import Settings

    paths = Paths.resolve()
    return paths, Settings.load(paths.config_file)


def open_ws(**options: Any) -> Workspace:  # noqa: ANN401 - open_workspace's keywords
    """Open the workspace of the current profile (``open_workspace``'s keywords: model, adapter, ...)."""
    from archivist.app.workspace import open_workspace

    paths, settings = paths_settings()
    return open_workspace(paths, settings, **options)


@contextmanager
def workspace(**options: Any) -> Iterator[Workspace]:  # noqa: ANN401
    """``open_ws``, closed when the block ends."""
    ws = open_ws(**options)
    try:
        yield ws
    finally:
        ws.close()


@contextmanager
def folder_bar(label: Callable[[Folder], str], *, quiet: bool = False,
               current: bool = False) -> Iterator[tuple[Any, Callable[[Folder, int, int, Path | None], None]]]:
    """A progress bar on stderr with one line per folder (``label(folder)``), and the ``progress(folder, done,
    total, current_file)`` callback that drives it; ``current`` also shows the file being read."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from archivist.cli.render import err
    from archivist.safe_console import field

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if current:
        columns.append(TextColumn("{task.fields[current]}"))
    tasks: dict[Path, Any] = {}
    # Started by the first folder's progress, not before: an error raised before any work (the index is
    # busy, a wrong passphrase) prints its one line alone, without a blank line from an empty bar.
    bar = Progress(*columns, console=err, disable=quiet, transient=True)

    def progress(folder: Folder, done: int, total: int, path: Path | None) -> None:
        if folder.path not in tasks:
            if not tasks:
                bar.start()
            tasks[folder.path] = bar.add_task(label(folder), total=None, current="")
        # The columns parse markup: a file named "[/red].txt" must neither style nor break the bar.
        bar.update(tasks[folder.path], completed=done, total=total, current=field(path.name) if path else "")

    try:
        yield bar, progress
    finally:
        if tasks:
            bar.stop()
