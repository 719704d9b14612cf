"""``archivist verify ANSWER.json``: do the passages an answer cited still say the same, where it said?

Each citation of ``archivist ask --json`` carries the passage's content hash and the generation that
answered. A citation is

- **unchanged**: the file, cut again now as that generation cuts files, still holds a passage with that hash
  at the same page and lines;
- **moved**: the same passage (same hash) is now at other lines of the file, or in another file (renamed or
  copied) whose entry in the index is up to date;
- **gone**: no such passage any more (the file was edited or deleted).

Read-only: nothing is written, so it runs while the watcher writes.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from archivist.embed.base import Embedder
from archivist.errors import ConfigError
from archivist.index import fingerprint, generations
from archivist.index.store import Store
from archivist.ingest.chunk import chunk_document
from archivist.paths import Paths
from archivist.settings import Settings


class Services(Protocol):
    """What checking citations reads (``app.Workspace`` is one): the generation that answers, the settings, the
    embedder's word-piece counter, and the passphrase that opens the generation that answered then."""

    paths: Paths
    settings: Settings
    store: Store
    passphrase: str

    def embedder(self) -> Embedder: ...

UNCHANGED, MOVED, GONE, UNKNOWN = "unchanged", "moved", "gone", "unknown"

Location = tuple[int | None, int | None, int | None]
"""(page, first line, last line)"""


@dataclass
class CitationCheck:
    """The verdict on one citation."""

    n: int
    status: str
    """``unchanged``, ``moved``, ``gone``, or ``unknown`` (the answer carries no content hash)."""
    path: str
    page: int | None
    line_start: int | None
    line_end: int | None
    now_path: str | None = None
    """Where the passage is now (``moved``), else None."""
    now_page: int | None = None
    now_line_start: int | None = None
    now_line_end: int | None = None
    reason: str = ""

    def to_json(self) -> dict:
        return asdict(self)


def _citations(answer: Any) -> list[dict]:
    if not isinstance(answer, dict) or not isinstance(answer.get("citations"), list) or \
            not all(isinstance(c, dict) and "path" in c for c in answer["citations"]):
        raise ConfigError("This is not an answer printed by `archivist ask --json` (no citations list).",
                          hint="Save one with: archivist ask --json \"...\" > answer.json")
    return answer["citations"]


class _Verifier:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.embedder = services.embedder()  # its word-piece counter cuts files exactly as the indexer did
        self._stores: dict[int | None, Store] = {}
        self._opened: list[Store] = []
        self._live: dict[tuple[Path, int | None], dict[str, list[Location]] | None] = {}

    def store_for(self, generation: int | None) -> Store:
        """The generation that answered, when it is still on disk; else the current one."""
        if generation not in self._stores:
            store = self.services.store
            manifest = generations.load(self.services.paths)
            gen = next((g for g in manifest.generations if g.id == generation), None)
            db = gen.path(self.services.paths) if gen is not None else None
            if db is not None and db != store.path and db.is_file():
                profile = getattr(store, "profile", None)
                store = Store.open(db, self.services.passphrase,
                                   cache_mb=self.services.settings.cache_mb,
                                   **({"profile": profile} if profile is not None else {}))
                self._opened.append(store)
            self._stores[generation] = store
        return self._stores[generation]

    def close(self) -> None:
        for store in self._opened:
            store.close()

    def live(self, store: Store, generation: int | None, path: Path) -> dict[str, list[Location]] | None:
        """Content hash -> locations of the passages ``path`` is cut into now (None: unreadable, or not in a
        folder this store indexes)."""
        key = (path, generation)
        if key not in self._live:
            self._live[key] = None
            if store.folder_for(path) is not None and path.is_file():
                from archivist.errors import ExtractionError
                from archivist.ingest import extract

                settings = fingerprint.settings_for(self.services.settings, fingerprint.read(store))
                try:
                    doc = extract(path, max_bytes=int(settings.index.max_file_mb * 1e6))
                except ExtractionError:
                    return None
                found: dict[str, list[Location]] = {}
                for piece in chunk_document(doc, self.embedder.tokens, settings.chunk.max_tokens,
                                            settings.chunk.overlap_tokens, self.embedder.max_tokens,
                                            sentence_ends=settings.chunk.sentence_ends):
                    found.setdefault(piece.content_hash, []).append((piece.page, piece.line_start, piece.line_end))
                self._live[key] = found
        return self._live[key]

    def check(self, n: int, c: dict) -> CitationCheck:
        path = Path(str(c["path"]))
        where: Location = (c.get("page"), c.get("line_start"), c.get("line_end"))
        out = CitationCheck(n, GONE, str(path), *where)
        wanted = c.get("content_hash")
        if not wanted:
            out.status, out.reason = UNKNOWN, "the answer carries no content hash (made by an older Archivist)"
            return out
        store = self.store_for(c.get("generation"))
        live = self.live(store, c.get("generation"), path)
        if live is not None and wanted in live:
            return self._placed(out, path, where, live[wanted])
        # Elsewhere (a renamed file keeps its passages in the index): trust index entries whose file is
        # unchanged on disk since it was indexed.
        for row in store.chunks_by_hash(wanted):
            indexed = store.file_by_path(row.path)
            try:
                st = os.stat(row.path)
            except OSError:
                continue
            if indexed is not None and indexed.size == st.st_size and indexed.mtime == st.st_mtime:
                return self._placed(out, row.path, where, [(row.page, row.line_start, row.line_end)])
        out.reason = "the file was edited" if path.exists() else "the file was deleted"
        return out

    @staticmethod
    def _placed(out: CitationCheck, now: Path, where: Location, locations: list[Location]) -> CitationCheck:
        if now == Path(out.path) and where in locations:
            out.status = UNCHANGED
            return out
        out.status = MOVED
        out.now_path = str(now)
        out.now_page, out.now_line_start, out.now_line_end = locations[0]
        out.reason = "now at other lines of the file" if now == Path(out.path) else "now in another file"
        return out


def verify(services: Services, answer: Any) -> list[CitationCheck]:
    """Check every citation of ``answer`` (the JSON of ``archivist ask --json``).

    Raises:
        ConfigError: ``answer`` is not such an answer.
    """
    citations = _citations(answer)
    verifier = _Verifier(services)
    try:
        return [verifier.check(int(c.get("n", i)), c) for i, c in enumerate(citations, start=1)]
    finally:
        verifier.close()


def load_answer(path: Path) -> Any:
    """Read an answer file (``-``: standard input).

    Raises:
        ConfigError: unreadable or not JSON.
    """
    import json
    import sys

    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.", hint="Pass the file `ask --json` wrote.") \
            from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not JSON ({exc}).", hint="Pass the file `ask --json` wrote.") from None

