"""Document metadata in the index: what each file is (``ingest.metadata.DocMeta``) and the user's corrections.

The corrections are kept by path in ``meta_overrides``, apart from the file's row, so re-reading a changed file
(or a new index generation) never undoes them. Ranking reads the corrected metadata at once; the passages'
context header follows the next time the file is read (``archivist meta`` marks it for that).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from archivist.ingest.metadata import FIELDS, DocMeta, describe

if TYPE_CHECKING:
    from collections.abc import Mapping


def write(conn, file_id: int, meta: DocMeta) -> None:  # noqa: ANN001 - a SQLCipher connection
    conn.execute("UPDATE files SET title = ?, entity = ?, period = ?, doc_type = ?, aliases = ? WHERE id = ?",
                 (meta.title, meta.entity, meta.period, meta.doc_type, json.dumps(list(meta.aliases)), file_id))


def _row_meta(row) -> DocMeta:  # noqa: ANN001
    title, entity, period, doc_type, aliases = row
    try:
        names = tuple(json.loads(aliases or "[]"))
    except ValueError:
        names = ()
    return DocMeta(title or "", entity or "", period or "", doc_type or "", names)


class MetadataQueries:
    """The ``Store`` methods for document metadata (mixed into ``Store``; access rules as everywhere there)."""

    _conn: object
    def _visible(self) -> str: ...  # provided by Store

    def documents(self) -> dict[int, tuple[Path, DocMeta]]:
        """Every indexed file this profile may read: ``file id -> (path, metadata with corrections)``."""
        overrides = self.meta_overrides()
        out: dict[int, tuple[Path, DocMeta]] = {}
        for fid, path, *rest in self._conn.execute(  # type: ignore[attr-defined]
                "SELECT id, path, title, entity, period, doc_type, aliases FROM files "
                f"WHERE status = 'indexed' AND folder_id IN ({self._visible()})"):
            meta = _row_meta(rest)
            out[fid] = (Path(path), meta.corrected(overrides.get(path, {})))
        return out

    def documents_version(self) -> tuple:
        """Changes whenever ``documents()`` would return something else (a cache key)."""
        return self._conn.execute(  # type: ignore[attr-defined]
            "SELECT (SELECT count(*) FROM files), (SELECT max(indexed_at) FROM files), (SELECT max(id) FROM files),"
            " (SELECT sum(length(path)) FROM files), (SELECT group_concat(path || fields, '|') FROM meta_overrides)"
        ).fetchone()

    def document(self, path: Path) -> DocMeta | None:
        """The (corrected) metadata of the indexed file at ``path``; None when it is not indexed or not visible."""
        row = self._conn.execute(  # type: ignore[attr-defined]
            "SELECT title, entity, period, doc_type, aliases FROM files WHERE path = ? AND status = 'indexed' "
            f"AND folder_id IN ({self._visible()})", (str(path),)).fetchone()
        if row is None:
            return None
        return _row_meta(row).corrected(self.meta_overrides().get(str(path), {}))

    def meta_overrides(self) -> dict[str, dict[str, str]]:
        """The user's corrections: ``path -> {field: value}``."""
        out: dict[str, dict[str, str]] = {}
        for path, fields in self._conn.execute("SELECT path, fields FROM meta_overrides"):  # type: ignore[attr-defined]
            try:
                out[path] = {k: v for k, v in json.loads(fields).items() if k in FIELDS}
            except (ValueError, AttributeError):
                continue
        return out

    def correct_metadata(self, path: Path, fields: Mapping[str, str | None]) -> dict[str, str]:
        """Record the user's corrections for ``path`` (a value of None drops that field's correction; all None
        drops them all). The file is marked to be read again, so its passages' context header follows.
        Returns the corrections now in force."""
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown metadata fields {sorted(unknown)}; known: {', '.join(FIELDS)}")
        current = self.meta_overrides().get(str(path), {})
        for key, value in fields.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value.strip()
        conn = self._conn
        if current:
            conn.execute("INSERT INTO meta_overrides(path, fields) VALUES (?, ?) ON CONFLICT(path) DO UPDATE "  # type: ignore[attr-defined]
                         "SET fields = excluded.fields, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
                         (str(path), json.dumps(current, sort_keys=True)))
        else:
            conn.execute("DELETE FROM meta_overrides WHERE path = ?", (str(path),))  # type: ignore[attr-defined]
        # Read again on the next index run (the header of its passages); ranking uses the correction already.
        conn.execute("UPDATE files SET extractor = NULL WHERE path = ?", (str(path),))  # type: ignore[attr-defined]
        return current


def backfill(conn) -> None:  # noqa: ANN001
    """Describe the files indexed before metadata existed, from their stored passages of the first pages."""
    files = conn.execute("SELECT id, path, title FROM files WHERE status = 'indexed'").fetchall()
    for fid, path, title in files:
        texts: dict[int, list[str]] = {}
        for page, text in conn.execute("SELECT page, text FROM chunks WHERE file_id = ? AND (page IS NULL OR "
                                       "page <= 3) ORDER BY seq LIMIT 200", (fid,)):
            texts.setdefault(page or 1, []).append(text)
        pages = ["\n".join(texts[p]) for p in sorted(texts)]
        write(conn, fid, describe(Path(path), pages, title or ""))
