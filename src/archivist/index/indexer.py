"""Keeps the index in step with the registered folders.

Per file: stat; same size+mtime as stored -> unchanged (no read). Else hash: same sha256 -> only the stat
is updated. A new path whose hash matches a file that vanished in the same scan is a rename: its rows move,
nothing is re-embedded. Everything else is extracted, chunked and embedded, reusing stored vectors for any
chunk whose content hash is already in the index (or earlier in the same file), and written in one transaction.
While a file is embedded, the next one is read in the extraction sandbox (``readahead``).
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archivist.embed.base import Embedder
from archivist.errors import ExtractionError, FolderNotFound, SkipFile, StoreError
from archivist.hashing import sha256_file
from archivist.index import scan
from archivist.index.readahead import ReadAhead
from archivist.index.rules import denied, excluded, record_left_out
from archivist.index.store import FileRow, Folder, NewChunk, Store
from archivist.ingest import Document, extractor_for
from archivist.ingest.chunk import chunk_document
from archivist.ingest.metadata import describe, from_pages
from archivist.settings import Settings

Progress = Callable[[int, int, Path | None], None]
"""progress(done, total, current_path)"""
FolderProgress = Callable[[Folder, int, int, Path | None], None]
"""progress(folder, done, total, current_path)"""


class _Stopped(Exception):  # noqa: N818 - a signal, not an error
    pass


@dataclass
class FoldersRun:
    """What ``Indexer.index_folders`` did: the merged report, the folders found missing, whether it stopped."""

    report: IndexReport
    missing: list[Path]
    stopped: bool


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    skipped: int = 0
    failed: int = 0
    unsupported: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    problems: list[tuple[Path, str]] = field(default_factory=list)
    denied: list[tuple[Path, str]] = field(default_factory=list)
    """Files the deny list left out (path, the pattern it matched): keys and credentials, or a look-alike."""

    def merge(self, other: IndexReport) -> None:
        for name in ("added", "updated", "unchanged", "moved", "removed", "skipped", "failed", "unsupported",
                     "chunks_embedded", "chunks_reused"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems
        self.denied += other.denied


class Indexer:
    """Indexes folders into a ``Store``; the embedder is built only when something needs embedding."""

    def __init__(self, store: Store, embedder: Callable[[], Embedder], settings: Settings) -> None:
        from archivist.index import fingerprint

        self.store = store
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self.settings = settings
        recorded = (fingerprint.read(store) or {}).get("extractors", {})
        self._built_with = {f"{kind}-{version}" for kind, version in recorded.items()}
        """Extractor versions this generation was built with: an unchanged file read by one of them is kept as
        it is, even when a newer extractor exists (the newer one builds the next generation instead)."""
        self._sandbox = None

    def read(self, path: Path) -> Document:
        """Extract ``path`` in the process's extraction sandbox: a child process under the memory limit and
        time budget of the settings, so a hostile or broken file fails alone instead of stopping the run.

        Raises:
            SkipFile, ExtractionError: with the reason (and what to do) that the file is recorded with.
        """
        from archivist.ingest.isolate import budget_from, shared_sandbox

        if self._sandbox is None:
            self._sandbox = shared_sandbox(budget_from(self.settings.index))
        return self._sandbox.extract(path, max_bytes=int(self.settings.index.max_file_mb * 1e6))

    def _abort_read(self) -> None:
        if self._sandbox is not None:
            self._sandbox.abort()

    def _fits(self, read_with: str | None, version: str | None) -> bool:
        """Whether a file read by ``read_with`` belongs in this generation without being read again."""
        return read_with == version or (read_with is not None and read_with in self._built_with)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
            self._check_embedder(self._embedder)
        return self._embedder

    def _check_embedder(self, embedder: Embedder) -> None:
        from archivist.index import fingerprint

        if fingerprint.read(self.store) is None:  # the first passages written: record what builds this index
            fingerprint.write(self.store, fingerprint.compute(self.settings, embedder))
        model = embedder.id.split("/")[0]
        stored = self.store.get_meta("embedder_model")
        if stored is None:
            self.store.set_meta("embedder_model", model)
        elif stored != model:
            raise StoreError(f"The index was built with the embedder {stored!r}, not {model!r}.",
                             hint="Rebuild it: remove the index file (`archivist locate`) and run `archivist index`.")

    # -- scanning --------------------------------------------------------------------------------------------

    def walk(self, root: Path, problems: list[tuple[Path, str]] | None = None,
             left_out: list[tuple[Path, str]] | None = None) -> Iterator[Path]:
        """The files under ``root`` worth looking at (``scan.walk``); a folder added inside it is left to its own
        scan (it may have other readers)."""
        nested = {p for p in self.store.folder_paths() if root in p.parents}
        return scan.walk(root, self.settings.index, nested, problems, left_out)

    def wanted(self, root: Path, path: Path) -> bool:
        """Whether ``path`` under ``root`` passes the rules that ``walk`` applies (``scan.wanted``)."""
        return scan.wanted(root, path, self.settings.index)

    def index_all(self, progress: Progress | None = None) -> IndexReport:
        """Bring every registered folder up to date."""
        report = IndexReport()
        for folder in self.store.folders():
            report.merge(self.index_folder(folder, progress))
        return report

    def index_folders(self, progress: FolderProgress | None = None,
                      stop: threading.Event | None = None) -> FoldersRun:
        """Bring every folder of the store up to date. A missing folder is noted (its index is kept) and the
        others go on; ``stop``, checked between files, ends the run early (each finished file is kept)."""
        report, missing = IndexReport(), []
        for folder in self.store.folders():
            def step(done: int, total: int, path: Path | None, folder: Folder = folder) -> None:
                if stop is not None and stop.is_set():
                    raise _Stopped
                if progress is not None:
                    progress(folder, done, total, path)

            try:
                report.merge(self.index_folder(folder, step))
            except FolderNotFound:
                missing.append(folder.path)
            except _Stopped:
                return FoldersRun(report, missing, True)
        return FoldersRun(report, missing, False)

    def index_folder(self, folder: Folder, progress: Progress | None = None) -> IndexReport:
        """Bring one folder up to date: new, changed, renamed and deleted files.

        Raises:
            FolderNotFound: the folder no longer exists (nothing is removed from the index).
        """
        if not folder.path.is_dir():
            raise FolderNotFound(f"Folder {folder.path} does not exist any more.",
                                 hint="Reconnect the drive, or `archivist remove` it; its index is kept meanwhile.")
        report = IndexReport()
        known = {row.path: row for row in self.store.files(folder.id)}
        on_disk: list[Path] = []
        for path in self.walk(folder.path, report.problems, report.denied):
            if excluded(folder.path, path, folder.exclude):
                continue  # excluded (or forgotten) files count as gone: their rows are removed below
            if extractor_for(path) is None:
                report.unsupported += 1
            else:
                on_disk.append(path)
        present = set(on_disk)
        record_left_out(self.store, folder, report.denied)
        # So far ``problems`` only holds folders the walk could not list: their files are not gone, keep them.
        unlisted = [where for where, _ in report.problems]
        vanished = {p: row for p, row in known.items()
                    if p not in present and not any(d == p or d in p.parents for d in unlisted)}
        by_sha: dict[str, FileRow] = {row.sha256: row for row in vanished.values() if row.sha256}
        total = len(on_disk)
        ahead = ReadAhead(self.read, self._abort_read)
        try:
            for done, path in enumerate(on_disk):
                if progress:
                    progress(done, total, path)
                after = on_disk[done + 1] if done + 1 < total else None
                self._index_path(folder, path, known.get(path), by_sha, vanished, report, ahead,
                                 (after, known.get(after)) if after is not None else None)
        finally:
            ahead.close()  # an error or a stop: the read of the next file is abandoned
        for row in vanished.values():
            self.store.delete_file(row.id)
            report.removed += 1
        if progress:
            progress(total, total, None)
        return report

    def index_file(self, path: Path) -> IndexReport:
        """(Re)index one file of a registered folder, or drop it when it is gone (used by the watcher)."""
        report = IndexReport()
        folder = self.store.folder_for(path)
        if folder is None:
            return report
        row = self.store.file_by_path(path)
        # Never through a symbolic link (the file itself or a folder between the watched folder and it): a link
        # to another team's folder, to ~/.ssh or to any file outside every folder must not bring it in. A full
        # index skips links the same way (``walk``); a link replacing an indexed file drops it.
        if scan.linked(folder.path, path) or not scan.regular_file(path):
            if row is not None:
                self.store.delete_file(row.id)
                report.removed += 1
            return report
        if excluded(folder.path, path, folder.exclude):
            if row is not None:
                self.store.delete_file(row.id)
                report.removed += 1
            return report
        if extractor_for(path) is None or not self.wanted(folder.path, path):
            report.unsupported += 1
            return report
        real = Path(os.path.realpath(path))
        if real != path and denied(real, self.settings.index.deny, self.settings.index.allow_sensitive):
            return report  # the deny list holds for where the file really is, too (a folder above it linked)
        # A file that appears with the content of an indexed file whose path is gone was moved or renamed.
        by_sha: dict[str, FileRow] = {}
        vanished: dict[Path, FileRow] = {}
        if row is None:
            try:
                sha = sha256_file(path)
            except OSError:
                sha = None
            for other in self.store.files_by_sha(sha) if sha else []:
                if not other.path.exists():
                    by_sha[sha] = other
                    vanished[other.path] = other
                    break
        self._index_path(folder, path, row, by_sha, vanished, report)
        return report

    # -- one file --------------------------------------------------------------------------------------------

    def _needs_read(self, path: Path, row: FileRow | None, by_sha: dict[str, FileRow]) -> str | None:
        """The SHA-256 of ``path`` when ``_index_path`` will read it, None when it will not (unchanged,
        moved, gone): what decides whether to read it ahead."""
        try:
            st = path.lstat()
        except OSError:
            return None
        version = self._version(path)
        if not stat.S_ISREG(st.st_mode) or self._unchanged(row, st, version):
            return None
        try:
            sha = sha256_file(path)
        except OSError:
            return None
        if row is not None and row.sha256 == sha and self._fits(row.extractor, version):
            return None
        old = by_sha.get(sha) if row is None else None
        return None if old is not None and self._fits(old.extractor, version) else sha

    @staticmethod
    def _version(path: Path) -> str | None:
        extractor = extractor_for(path)
        return f"{extractor.kind}-{extractor.version}" if extractor else None

    def _unchanged(self, row: FileRow | None, st: os.stat_result, version: str | None) -> bool:
        return row is not None and row.size == st.st_size and row.mtime == st.st_mtime \
            and self._fits(row.extractor, version)

    def _index_path(self, folder: Folder, path: Path, row: FileRow | None, by_sha: dict[str, FileRow],
                    vanished: dict[Path, FileRow], report: IndexReport, ahead: ReadAhead | None = None,
                    after: tuple[Path, FileRow | None] | None = None) -> None:
        """Index one file. ``ahead``, ``after``: the read-ahead and the next file (with its row); the next file's
        read starts once this one is read, beside this one's chunking and embedding."""
        try:
            st = path.lstat()
        except OSError:
            return  # gone since the listing: the deletion is handled with the vanished rows
        if not stat.S_ISREG(st.st_mode):
            return  # replaced by a link (or a folder) since the listing: never followed
        version = self._version(path)
        if self._unchanged(row, st, version):
            report.unchanged += 1
            self._count_status(row.status, report, row, count=False)
            return
        try:
            sha = sha256_file(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            self._record(folder, path, st, None, "failed", f"{path.name}: could not be read ({exc.strerror}).",
                         version, report, row)
            return
        if row is not None and row.sha256 == sha and self._fits(row.extractor, version):
            self.store.touch_file(row.id, st.st_size, st.st_mtime)
            report.unchanged += 1
            return
        if row is None and sha in by_sha and self._fits(by_sha[sha].extractor, version):
            old = by_sha.pop(sha)
            vanished.pop(old.path, None)
            self.store.move_file(old.id, path, folder.id, st.st_size, st.st_mtime)
            report.moved += 1
            return
        try:
            doc = ahead.take(path, sha) if ahead is not None else None
            if doc is None:
                doc = self.read(path)
        except SkipFile as exc:
            self._record(folder, path, st, sha, "skipped", str(exc), version, report, row)
            return
        except ExtractionError as exc:
            if not path.exists():
                if row is not None:
                    self.store.delete_file(row.id)
                    report.removed += 1
                return
            self._record(folder, path, st, sha, "failed", str(exc), version, report, row)
            return
        embedder = self.embedder
        if ahead is not None and after is not None:
            ahead.start(after[0], lambda: self._needs_read(after[0], after[1], by_sha))
        cs = self.settings.chunk
        # Stored as read; the header written into the passages carries the user's corrections.
        read = describe(path, from_pages(doc.blocks), doc.title)
        meta = read.corrected(self.store.meta_overrides().get(str(path), {}))
        pieces = chunk_document(doc, embedder.tokens, cs.max_tokens, cs.overlap_tokens, embedder.max_tokens,
                                meta=meta, sentence_ends=cs.sentence_ends)
        chunks = [NewChunk(p.text, p.prefix, p.page, p.line_start, p.line_end, " > ".join(p.heading),
                           p.content_hash, p.n_tokens) for p in pieces]
        vectors = self._vectors(chunks, [p.embed_text for p in pieces], report)
        self.store.replace_file(folder_id=folder.id, path=path, size=st.st_size, mtime=st.st_mtime, sha256=sha,
                                status="indexed", kind=doc.kind, title=read.title, pages=doc.pages,
                                extractor=version, chunks=chunks, vectors=vectors, meta=read)
        if row is None:
            report.added += 1
        else:
            report.updated += 1

    def _vectors(self, chunks: list[NewChunk], texts: list[str], report: IndexReport) -> np.ndarray:
        """Each chunk's vector: stored ones reused by content hash, each distinct new passage embedded once
        (a file repeats its own boilerplate: legends, page headers)."""
        vectors = np.zeros((len(chunks), self.embedder.dim), dtype=np.float32)
        known = self.store.vectors_for_hashes([c.content_hash for c in chunks])
        first: dict[str, int] = {}  # content hash -> the chunk that is embedded for it
        for i, c in enumerate(chunks):
            if c.content_hash in known:
                vectors[i] = known[c.content_hash]
            else:
                first.setdefault(c.content_hash, i)
        todo = list(first.values())
        if todo:
            vectors[todo] = self.embedder.embed_batch([texts[i] for i in todo])
            for i, c in enumerate(chunks):
                if c.content_hash in first:
                    vectors[i] = vectors[first[c.content_hash]]
        report.chunks_embedded += len(todo)
        report.chunks_reused += len(chunks) - len(todo)
        return vectors

    def _record(self, folder: Folder, path: Path, st: os.stat_result, sha: str | None, status: str,
                reason: str, version: str | None, report: IndexReport, row: FileRow | None) -> None:
        self.store.replace_file(folder_id=folder.id, path=path, size=st.st_size, mtime=st.st_mtime, sha256=sha,
                                status=status, error=reason, extractor=version)
        self._count_status(status, report, row, count=True)
        report.problems.append((path, reason))

    @staticmethod
    def _count_status(status: str, report: IndexReport, row: FileRow | None, *, count: bool) -> None:
        if status == "skipped":
            report.skipped += 1
        elif status == "failed":
            report.failed += 1
        if not count and row is not None and row.error and status != "indexed":
            report.problems.append((row.path, row.error))
