"""How fresh the index is: files on disk that the next indexing run would read or drop.

Uses the indexer's own rules (walk, supported types, size and mtime), reading no file content, so it is
cheap enough to run when a sources view opens. A file whose stat changed but whose content did not shows
as pending until the next run confirms it by hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archivist.index.indexer import Indexer
from archivist.index.store import Folder, Store
from archivist.ingest import extractor_for
from archivist.settings import Settings


@dataclass
class Pending:
    """What the next indexing run of one folder would do."""

    new: list[Path] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)
    gone: list[Path] = field(default_factory=list)
    missing: bool = False
    """The folder itself does not exist (unplugged drive); its index is kept."""

    @property
    def count(self) -> int:
        return len(self.new) + len(self.changed) + len(self.gone)


def _no_embedder():  # noqa: ANN202 - never called: walking needs no model
    raise AssertionError("pending_files reads no content")


def pending_files(store: Store, settings: Settings, folder: Folder) -> Pending:
    """New, changed and deleted files of ``folder`` that the index does not reflect yet."""
    pending = Pending()
    if not folder.path.is_dir():
        pending.missing = True
        return pending
    indexer = Indexer(store, _no_embedder, settings)
    known = {row.path: row for row in store.files(folder.id)}
    seen: set[Path] = set()
    for path in indexer.walk(folder.path):
        extractor = extractor_for(path)
        if extractor is None:
            continue
        seen.add(path)
        row = known.get(path)
        if row is None:
            pending.new.append(path)
            continue
        try:
            st = path.stat()
        except OSError:
            continue
        if (row.size, row.mtime, row.extractor) != (st.st_size, st.st_mtime, f"{extractor.kind}-{extractor.version}"):
            pending.changed.append(path)
    pending.gone = sorted(p for p in known if p not in seen)
    return pending
