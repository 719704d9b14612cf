"""The encrypted index: one SQLCipher database with FTS5 (keywords) and a sqlite-vec ``vec0`` table (vectors).

Opening and migrating are in ``archivist.storage`` (schema: ``index.migrations``), the rows it returns in
``index.rows``; searches in ``index.search_queries``, metadata in ``index.docmeta``, table facts in
``index.factstore`` (mixins). Every file's rows are replaced in one transaction, so a killed process leaves either
the old or the new version of a file, never half of each.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from archivist.errors import AccessDenied
from archivist.index import boilerplate, docmeta, factstore, rules
from archivist.index.migrations import MIGRATIONS, PYTHON_STEPS
from archivist.index.rows import ChunkRow, FileRow, Folder, FolderStats, NewChunk
from archivist.index.search_queries import SearchQueries
from archivist.ingest.metadata import DocMeta
from archivist.storage.database import open_database
from archivist.storage.migrate import Schema, schema_version
from archivist.storage.sqlcipher import connect, transaction
from archivist.storage.state import FeedbackRow

VECTOR_BYTES = 384 * 4

_STEPS = {"backfill_shingles": boilerplate.backfill, "backfill_metadata": docmeta.backfill,
          "backfill_facts": factstore.backfill}
SCHEMA = Schema("index", MIGRATIONS, {version: _STEPS[name] for version, name in PYTHON_STEPS.items()})
"""The index's numbered migrations with their backfills (``index.migrations``)."""


class Store(SearchQueries, docmeta.MetadataQueries, factstore.FactQueries):
    """All reads and writes of the index. Build one with ``Store.open``.

    Access is enforced here, in SQL: a store opened for a profile only ever returns folders, files, passages,
    vectors and counts from the folders that profile may read. ``profile=None`` (the watch daemon, ``forget``,
    re-keying) sees everything.
    """

    def __init__(self, conn, path: Path, profile: str | None = None) -> None:  # noqa: ANN001
        self._conn = conn
        self.path = path
        self.profile = profile

    # -- opening -------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, passphrase: str, *, cache_mb: int = 256, profile: str | None = None) -> Store:
        """Open the index at ``path``, creating it (atomically, 0600) when it does not exist.

        ``profile``: only that profile's folders are visible through this store (None: all of them).

        Raises:
            WrongPassphrase: the passphrase does not open the existing file.
            StoreError: the file cannot be created or migrated.
        """
        conn = open_database(path, passphrase, SCHEMA)
        conn.execute("PRAGMA synchronous = NORMAL")
        store = cls(conn, path, profile)
        store._size_cache(cache_mb)
        store._reader = functools.partial(connect, path, passphrase)  # the key is in memory with conn already
        return store

    def unfiltered(self) -> Store:
        """This store on the same connection with every folder visible (``forget`` removes a path whatever
        profile reads it; the caller has checked that this profile may)."""
        return self if self.profile is None else Store(self._conn, self.path)

    def _size_cache(self, minimum_mb: int) -> None:
        # Keep the whole vector index in the page cache: otherwise every KNN query re-decrypts it
        # (measured 279 ms vs 30 ms at 100k chunks).
        pages, size = (int(self._conn.execute(f"PRAGMA {p}").fetchone()[0]) for p in ("page_count", "page_size"))
        want_kib = max(minimum_mb * 1024, int(pages * size * 1.25 / 1024))
        self._conn.execute(f"PRAGMA cache_size = -{want_kib}")

    def schema_version(self) -> int:
        return schema_version(self._conn)

    def close(self) -> None:
        self._conn.close()

    def transaction(self) -> AbstractContextManager[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error.

        Raises:
            DiskFull: the disk filled up; the transaction was rolled back, the index is as before it.
        """
        return transaction(self._conn, self.path)

    # -- meta ------------------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def delete_meta(self, key: str) -> None:
        self._conn.execute("DELETE FROM meta WHERE key = ?", (key,))

    # -- folders ---------------------------------------------------------------------------------------------

    def add_folder(self, path: Path, profiles: Sequence[str] | None = None) -> tuple[Folder, bool]:
        """Register ``path`` (absolute) for ``profiles`` (default: this store's profile, else ``default``);
        returns the folder and whether it was new.

        Raises:
            AccessDenied: the folder is already added for other profiles only.
        """
        existing = next((f for f in self._all_folders() if f.path == path), None)
        if existing is not None:
            if not existing.readable_by(self.profile):
                raise AccessDenied(
                    f"{path} is already added for profile(s) {', '.join(existing.profiles)}, not {self.profile}.",
                    hint="Use that profile (--profile), or list the folder in config.toml [[folders]] with "
                         "every profile that may read it.")
            return existing, False
        who = tuple(profiles) if profiles else (self.profile or "default",)
        cur = self._conn.execute("INSERT INTO folders(path, profiles) VALUES (?, ?)",
                                 (str(path), json.dumps(list(who))))
        return Folder(cur.lastrowid, path, who), True

    def set_folder_rules(self, path: Path, profiles: Sequence[str], exclude: Sequence[str]) -> Folder:
        """Register ``path`` or replace its rules (config.toml ``[[folders]]`` is the source of these)."""
        self._conn.execute(
            "INSERT INTO folders(path, profiles, exclude) VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
            "profiles = excluded.profiles, exclude = excluded.exclude",
            (str(path), json.dumps(list(profiles)), json.dumps(list(exclude))))
        return next(f for f in self._all_folders() if f.path == path)

    def add_exclude(self, folder: Folder, pattern: str) -> None:
        """Never index ``pattern`` (a glob relative to the folder, or an absolute path) again."""
        current = next((f for f in self._all_folders() if f.id == folder.id), folder)
        if pattern not in current.exclude:
            self._conn.execute("UPDATE folders SET exclude = ? WHERE id = ?",
                               (json.dumps([*current.exclude, pattern]), folder.id))

    def _all_folders(self) -> list[Folder]:
        return [Folder(i, Path(p), tuple(json.loads(pr)), tuple(json.loads(ex))) for i, p, pr, ex in
                self._conn.execute("SELECT id, path, profiles, exclude FROM folders ORDER BY path")]

    def folders(self) -> list[Folder]:
        """The folders this store's profile may read."""
        return [f for f in self._all_folders() if f.readable_by(self.profile)]

    def profile_names(self) -> list[str]:
        """Every profile named by a folder rule (names only: no folder is revealed)."""
        return sorted({p for f in self._all_folders() for p in f.profiles})

    def hidden_folders(self) -> int:
        """How many added folders this store's profile may not read."""
        return sum(1 for f in self._all_folders() if not f.readable_by(self.profile))

    def _visible(self) -> str:
        """SQL list of the folder ids this profile may read, for ``folder_id IN (...)``."""
        return ",".join(str(f.id) for f in self.folders()) or "NULL"

    def folder_for(self, path: Path) -> Folder | None:
        """The registered folder that owns ``path``: the most specific one that is it or contains it (a folder
        added inside another keeps its own files and readers). None when that folder is not this profile's."""
        best = None
        for folder in self._all_folders():
            if path == folder.path or folder.path in path.parents:
                if best is None or len(str(folder.path)) > len(str(best.path)):
                    best = folder
        return best if best is not None and best.readable_by(self.profile) else None

    def folder_paths(self) -> list[Path]:
        """Every added folder's path, whoever may read it (the indexer leaves nested folders to their owner)."""
        return [f.path for f in self._all_folders()]

    # -- files -----------------------------------------------------------------------------------------------

    def _file(self, row: Sequence) -> FileRow:
        return FileRow(row[0], row[1], Path(row[2]), row[3], row[4], row[5], row[6], row[7], row[8], row[9])

    _FILE_COLS = "id, folder_id, path, size, mtime, sha256, status, error, kind, extractor"

    def files(self, folder_id: int | None = None) -> list[FileRow]:
        sql = f"SELECT {self._FILE_COLS} FROM files WHERE folder_id IN ({self._visible()})"
        args: tuple = ()
        if folder_id is not None:
            sql += " AND folder_id = ?"
            args = (folder_id,)
        return [self._file(r) for r in self._conn.execute(sql + " ORDER BY path", args)]

    def file_by_path(self, path: Path) -> FileRow | None:
        row = self._conn.execute(f"SELECT {self._FILE_COLS} FROM files WHERE path = ? "
                                 f"AND folder_id IN ({self._visible()})", (str(path),)).fetchone()
        return self._file(row) if row else None

    def files_by_sha(self, sha256: str) -> list[FileRow]:
        rows = self._conn.execute(f"SELECT {self._FILE_COLS} FROM files WHERE sha256 = ? "
                                  f"AND folder_id IN ({self._visible()})", (sha256,))
        return [self._file(r) for r in rows]

    def files_under(self, path: Path) -> list[FileRow]:
        """Indexed rows of ``path`` itself or of every file below it, visible to this profile."""
        prefix = str(path).rstrip("/") + "/"
        rows = self._conn.execute(
            f"SELECT {self._FILE_COLS} FROM files WHERE (path = ? OR substr(path, 1, ?) = ?) "
            f"AND folder_id IN ({self._visible()}) ORDER BY path", (str(path), len(prefix), prefix))
        return [self._file(r) for r in rows]

    def touch_file(self, file_id: int, size: int, mtime: float) -> None:
        """Same content, new stat (e.g. ``touch``): remember the stat so the next scan skips hashing."""
        self._conn.execute("UPDATE files SET size = ?, mtime = ? WHERE id = ?", (size, mtime, file_id))

    def move_file(self, file_id: int, new_path: Path, folder_id: int, size: int, mtime: float) -> None:
        """A renamed file keeps its chunks and vectors; only its path changes."""
        with self.transaction():
            self._conn.execute("UPDATE files SET path = ?, folder_id = ?, size = ?, mtime = ? WHERE id = ?",
                               (str(new_path), folder_id, size, mtime, file_id))
            self._conn.execute(
                "UPDATE chunk_vec SET folder_id = ? WHERE rowid IN (SELECT id FROM chunks WHERE file_id = ?)",
                (folder_id, file_id))

    def replace_file(self, *, folder_id: int, path: Path, size: int, mtime: float, sha256: str | None,
                     status: str, error: str | None = None, kind: str | None = None,
                     title: str | None = None, pages: int | None = None, extractor: str | None = None,
                     chunks: Sequence[NewChunk] = (), vectors: np.ndarray | None = None,
                     meta: DocMeta | None = None) -> int:
        """Write one file's row and all its chunks and vectors in one transaction, replacing the old ones."""
        if chunks and (vectors is None or len(vectors) != len(chunks)):
            raise ValueError("one vector per chunk")
        c = self._conn
        with self.transaction():
            old = c.execute("SELECT id FROM files WHERE path = ?", (str(path),)).fetchone()
            if old:
                self._delete_file_rows(old[0])
            cur = c.execute(
                "INSERT INTO files(folder_id, path, size, mtime, sha256, kind, status, error, title, pages, "
                "extractor) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (folder_id, str(path), size, mtime, sha256, kind, status, error, title, pages, extractor))
            file_id = cur.lastrowid
            if meta is not None:
                docmeta.write(c, file_id, meta)
            for seq, ch in enumerate(chunks):
                cur = c.execute(
                    "INSERT INTO chunks(file_id, seq, text, prefix, page, line_start, line_end, heading, "
                    "content_hash, n_tokens) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (file_id, seq, ch.text, ch.prefix, ch.page, ch.line_start, ch.line_end, ch.heading,
                     ch.content_hash, ch.n_tokens))
                assert vectors is not None
                c.execute("INSERT INTO chunk_vec(rowid, embedding, folder_id) VALUES (?, ?, ?)",
                          (cur.lastrowid, np.ascontiguousarray(vectors[seq], dtype=np.float32).tobytes(),
                           folder_id))
                c.executemany("INSERT OR IGNORE INTO chunk_shingles(chunk_id, h) VALUES (?, ?)",
                              boilerplate.rows(cur.lastrowid, ch.text))
            factstore.write(c, file_id)  # table facts, read from the passages just written (ingest.facts)
        return file_id

    def _delete_file_rows(self, file_id: int) -> None:
        self._conn.execute("DELETE FROM chunk_vec WHERE rowid IN (SELECT id FROM chunks WHERE file_id = ?)",
                           (file_id,))
        self._conn.execute("DELETE FROM files WHERE id = ?", (file_id,))  # chunks cascade, FTS by trigger

    def delete_file(self, file_id: int) -> None:
        with self.transaction():
            self._delete_file_rows(file_id)

    def remove_folder(self, folder: Folder) -> int:
        """Drop a folder and everything indexed from it; returns the number of files dropped."""
        if not folder.readable_by(self.profile):
            raise AccessDenied(f"{folder.path} belongs to other profiles.", hint="Use one of them (--profile).")
        with self.transaction():
            ids = [r[0] for r in self._conn.execute("SELECT id FROM files WHERE folder_id = ?", (folder.id,))]
            for file_id in ids:
                self._delete_file_rows(file_id)
            self._conn.execute("DELETE FROM folders WHERE id = ?", (folder.id,))
            rules.record_left_out(self, folder, [])
        return len(ids)

    def folders_under(self, path: Path) -> list[Folder]:
        """Added folders that are ``path``, inside it, or contain it, whoever may read them."""
        return [f for f in self._all_folders()
                if f.path == path or path in f.path.parents or f.path in path.parents]

    def forget(self, path: Path) -> tuple[list[Path], list[int], list[str]]:
        """Remove ``path`` (a file, or every file below a folder) for good, whatever the profile: rows, passages,
        vectors (zeroed first) and keyword entries; then merge the keyword index (FTS5 keeps deleted terms in
        old segments until a merge), and rewrite the file so no freed page or WAL frame still holds the text.

        Returns the removed file paths, passage ids and passage texts (to purge history that quotes them).
        """
        prefix = str(path).rstrip("/") + "/"
        c = self._conn
        files = [(i, Path(p)) for i, p in c.execute(
            "SELECT id, path FROM files WHERE path = ? OR substr(path, 1, ?) = ?", (str(path), len(prefix), prefix))]
        ids: list[int] = []
        texts: list[str] = []
        zero = np.zeros(VECTOR_BYTES // 4, dtype=np.float32).tobytes()
        with self.transaction():
            rules.forget_left_out(self, self._all_folders(), path)  # that record names paths too
            for file_id, _ in files:
                for cid, text in list(c.execute("SELECT id, text FROM chunks WHERE file_id = ?", (file_id,))):
                    ids.append(cid)
                    texts.append(text)
                    c.execute("UPDATE chunk_vec SET embedding = ? WHERE rowid = ?", (zero, cid))
                self._delete_file_rows(file_id)
        self.scrub()
        return [p for _, p in files], ids, texts

    def scrub(self) -> None:
        """Merge the keyword index and rewrite the file: nothing deleted survives in a segment, page or WAL."""
        self._conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.execute("VACUUM")
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- status ----------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        c, visible = self._conn, self._visible()
        out = {"folders": len(self.folders()),
               "chunks": c.execute(f"SELECT count(*) FROM chunks c JOIN files f ON f.id = c.file_id "
                                   f"WHERE f.folder_id IN ({visible})").fetchone()[0]}
        for status in ("indexed", "skipped", "failed"):
            out[status] = c.execute(f"SELECT count(*) FROM files WHERE status = ? AND folder_id IN ({visible})",
                                    (status,)).fetchone()[0]
        return out

    def folder_stats(self) -> dict[int, FolderStats]:
        """Counts and the time of the last indexed change, per folder id (folders with no files are absent)."""
        rows = self._conn.execute(
            "SELECT f.folder_id, sum(f.status = 'indexed'), sum(f.status = 'skipped'), sum(f.status = 'failed'), "
            "max(f.indexed_at), (SELECT count(*) FROM chunks c JOIN files g ON g.id = c.file_id "
            f"WHERE g.folder_id = f.folder_id) FROM files f WHERE f.folder_id IN ({self._visible()}) "
            "GROUP BY f.folder_id")
        return {r[0]: FolderStats(r[1] or 0, r[5] or 0, r[2] or 0, r[3] or 0, r[4]) for r in rows}

    # -- feedback --------------------------------------------------------------------------------------------

    def feedback(self) -> list[FeedbackRow]:
        """Every stored rating, oldest first."""
        return [FeedbackRow(*r) for r in self._conn.execute(
            "SELECT id, created_at, question, answer_json, rating, correction FROM feedback ORDER BY id")]

    def clear_legacy_feedback(self) -> None:
        """Ratings now live in the state file (``archivist.storage.state``); drop the copy older versions kept here."""
        self._conn.execute("DELETE FROM feedback")

    def problems(self) -> list[tuple[Path, str, str]]:
        """Files that were skipped or failed: (path, status, reason)."""
        return [(Path(p), s, e or "") for p, s, e in self._conn.execute(
            f"SELECT path, status, error FROM files WHERE status != 'indexed' AND folder_id IN ({self._visible()}) "
            "ORDER BY status, path")]


__all__ = ["VECTOR_BYTES", "ChunkRow", "FeedbackRow", "FileRow", "Folder", "FolderStats", "NewChunk", "Store"]
