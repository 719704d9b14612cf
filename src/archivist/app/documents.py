"""What the index holds: status, what each document is (and the analyst's corrections), table facts, and whether
an answer's citations still hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archivist.answer.verify import GONE, MOVED, UNCHANGED, load_answer
from archivist.app.base import Base
from archivist.errors import FolderNotFound
from archivist.index.store import Store

# ``verify``'s verdicts and the reading of an answer file (``-``: standard input), for the shells.
__all__ = ["GONE", "MOVED", "UNCHANGED", "DocumentCases", "documents_json", "load_answer"]


def documents_json(store: Store) -> list[dict]:
    """What each indexed file is (``ingest.metadata``), with the fields the user corrected named."""
    overrides = store.meta_overrides()
    return [{"path": str(path), **meta.as_dict(), "corrected": sorted(overrides.get(str(path), {}))}
            for path, meta in sorted(store.documents().values(), key=lambda d: str(d[0]))]


class DocumentCases(Base):
    def sync_generations(self) -> list:
        raise NotImplementedError  # app.folders

    def status(self, *, boilerplate_count: bool = True) -> dict:
        """What ``archivist status`` shows (``--json``) and the terminal UI's sources view. ``boilerplate_count``:
        also count boilerplate passages and OCRed pages (about a second at 30,000 passages: the sources view,
        refreshed often, leaves them out)."""
        from archivist.index import boilerplate
        from archivist.index.generations import generation_of
        from archivist.index.rules import left_out
        from archivist.ingest.unreadable import not_read_by_type
        from archivist.watch.daemon import daemon_state

        store = self.store
        counts = store.counts()
        problems = store.problems()
        extra: dict = {}
        if boilerplate_count:
            from archivist.index.ocr_stats import ocr_summary

            counts["boilerplate"] = boilerplate.count(store)
            extra["ocr"] = ocr_summary(store)
        return {
            "watch_daemon": daemon_state(self),
            "index": str(store.path),
            "generation": generation_of(self.paths, store.path),
            "schema_version": store.schema_version(),
            "folders": [{"path": str(f.path), "exists": f.path.is_dir()} for f in store.folders()],
            "counts": counts,
            "problems": [{"path": str(p), "type": p.suffix.lower(), "status": s, "reason": r} for p, s, r in problems],
            "not_read_by_type": not_read_by_type([p for p, _, _ in problems]),
            "denied": [{"path": str(p), "pattern": pat} for p, pat in left_out(store)],
            "documents": documents_json(store),
            **extra,
        }

    def describe(self, file: Path, changes: dict[str, str | None] | None = None, *, reset: bool = False) -> dict:
        """What ``file`` is taken to be (entity, period, type, title), after applying ``changes`` (or dropping
        every correction with ``reset``); building or ready generations keep the correction too.

        Raises:
            FolderNotFound: ``file`` is not an indexed file of this profile.
        """
        path = Path(file).expanduser().resolve()
        store = self.store
        if store.document(path) is None:
            raise FolderNotFound(f"{path} is not an indexed file.",
                                 hint="`archivist status --json` lists the documents; add its folder and run "
                                      "`archivist index` first.")
        changes = dict(changes or {})
        if reset:
            changes = {k: None for k in store.meta_overrides().get(str(path), {})}
        if changes:
            store.correct_metadata(path, changes)
            self.sync_generations()  # a generation being built keeps the correction too
        described = store.document(path)
        assert described is not None
        corrected = sorted(store.meta_overrides().get(str(path), {}))
        return {"path": str(path), **described.as_dict(), "corrected": corrected}

    def facts(self, query: str, *, limit: int = 50) -> tuple[list[tuple[float, Any]], int]:
        """Table facts matching ``query`` (score, fact), best first, and how many facts the index holds."""
        from archivist.retrieve.factmatch import search

        found = search(self.store, query, limit=limit, glossary=self.settings.retrieval.glossary)
        return found, self.store.fact_count()

    def verify(self, answer: Any) -> list:  # noqa: ANN401 - an answer's JSON
        """Whether each passage ``answer`` (``ask --json``) cited is still there: unchanged, moved or gone."""
        from archivist.answer.verify import verify

        return verify(self, answer)
