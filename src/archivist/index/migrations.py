"""Numbered schema migrations, recorded in ``schema_migrations`` and kept apart from the package version.

Never edit a migration that has shipped: add the next number.
"""

from __future__ import annotations

EMBED_DIM = 384

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE folders (
               id INTEGER PRIMARY KEY,
               path TEXT NOT NULL UNIQUE,
               added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))""",
        """CREATE TABLE files (
               id INTEGER PRIMARY KEY,
               folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
               path TEXT NOT NULL UNIQUE,
               size INTEGER NOT NULL,
               mtime REAL NOT NULL,
               sha256 TEXT,
               kind TEXT,
               status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped', 'failed')),
               error TEXT,
               title TEXT,
               pages INTEGER,
               extractor TEXT,
               indexed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))""",
        """CREATE INDEX files_folder ON files(folder_id)""",
        """CREATE INDEX files_sha ON files(sha256)""",
        """CREATE TABLE chunks (
               id INTEGER PRIMARY KEY,
               file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
               seq INTEGER NOT NULL,
               text TEXT NOT NULL,
               prefix TEXT NOT NULL DEFAULT '',
               page INTEGER,
               line_start INTEGER,
               line_end INTEGER,
               heading TEXT NOT NULL DEFAULT '',
               content_hash TEXT NOT NULL,
               n_tokens INTEGER NOT NULL)""",
        """CREATE INDEX chunks_file ON chunks(file_id)""",
        """CREATE INDEX chunks_hash ON chunks(content_hash)""",
        # Keywords: an external-content FTS5 index kept in step by triggers.
        """CREATE VIRTUAL TABLE chunks_fts USING fts5(
               prefix, text, content='chunks', content_rowid='id',
               tokenize='porter unicode61 remove_diacritics 2')""",
        """CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
               INSERT INTO chunks_fts(rowid, prefix, text) VALUES (new.id, new.prefix, new.text);
           END""",
        """CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
               INSERT INTO chunks_fts(chunks_fts, rowid, prefix, text)
               VALUES ('delete', old.id, old.prefix, old.text);
           END""",
        # Vectors: L2 on normalised vectors ranks like cosine and measured ~30% faster. folder_id is a
        # metadata column so a folder filter runs inside the KNN scan (13.8 ms vs 33 ms at 100k).
        f"""CREATE VIRTUAL TABLE chunk_vec USING vec0(
               embedding float[{EMBED_DIM}],
               folder_id integer)""",
    ],
    # Feedback on answers (terminal UI), kept inside the encrypted index for the adapter data set (issue 6).
    2: [
        """CREATE TABLE feedback (
               id INTEGER PRIMARY KEY,
               created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
               question TEXT NOT NULL,
               answer_json TEXT NOT NULL,
               rating TEXT NOT NULL CHECK (rating IN ('good', 'bad')),
               correction TEXT)""",
    ],
    # Access rules per folder (issue 4): the profiles that may read it (JSON list, "*" = every profile) and
    # exclude globs (relative to the folder, or absolute paths: what `archivist forget` adds).
    3: [
        """ALTER TABLE folders ADD COLUMN profiles TEXT NOT NULL DEFAULT '["default"]'""",
        """ALTER TABLE folders ADD COLUMN exclude TEXT NOT NULL DEFAULT '[]'""",
    ],
    # Boilerplate (index.boilerplate): a 1-in-8 sample of each passage's 5-word shingle hashes, so text that
    # recurs across many files (auditor opinions, legends) is recognised. Filled for old passages by
    # ``boilerplate.backfill`` in the same transaction.
    4: [
        """CREATE TABLE chunk_shingles (
               chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
               h INTEGER NOT NULL,
               PRIMARY KEY (chunk_id, h)) WITHOUT ROWID""",
        """CREATE INDEX chunk_shingles_h ON chunk_shingles(h)""",
    ],
    # Document context (ingest.metadata): entity, period and type of each file, read at ingest, and the user's
    # corrections (``archivist meta``), kept by path so that re-reading the file does not undo them. Filled for
    # files indexed before from their stored first-page passages by ``docmeta.backfill``.
    5: [
        """ALTER TABLE files ADD COLUMN entity TEXT NOT NULL DEFAULT ''""",
        """ALTER TABLE files ADD COLUMN period TEXT NOT NULL DEFAULT ''""",
        """ALTER TABLE files ADD COLUMN doc_type TEXT NOT NULL DEFAULT ''""",
        """ALTER TABLE files ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]'""",
        """CREATE TABLE meta_overrides (
               path TEXT PRIMARY KEY,
               fields TEXT NOT NULL,
               updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))""",
    ],
    # Table facts ("Tables are data", ``ingest.facts``): every figure of a table row, typed, beside the passage
    # it was read from. Deleted with their passage or file (cascade), so forget, scrub, generations and the
    # profile rules hold as for passages. Filled for passages indexed before from their stored text by
    # ``factstore.backfill``. ``value`` is a decimal written as text (exact), NULL for "n/m".
    6: [
        """CREATE TABLE facts (
               id INTEGER PRIMARY KEY,
               file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
               chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
               entity TEXT NOT NULL DEFAULT '',
               title TEXT NOT NULL DEFAULT '',
               label TEXT NOT NULL,
               col TEXT NOT NULL DEFAULT '',
               period TEXT NOT NULL DEFAULT '',
               value TEXT,
               raw TEXT NOT NULL,
               unit TEXT NOT NULL DEFAULT '',
               scale TEXT NOT NULL DEFAULT '',
               page INTEGER,
               line INTEGER,
               cells TEXT NOT NULL DEFAULT '')""",
        """CREATE INDEX facts_file ON facts(file_id)""",
        """CREATE INDEX facts_chunk ON facts(chunk_id)""",
    ],
    # Binary codes of the vectors ("A million passages", issue 17) were tried here and measured slower than the
    # exact scan (below). This migration never reached a release, so it is empty: an upgrading index is not made to
    # fill a table that 8 drops at once (filling it took over 10 minutes at 1M passages).
    7: [],
    # ...and dropped again: measured in the same run at 100k passages, ranking the binary candidates by their float
    # vectors cost more than the exact scan it replaced (vec0 reads one stored vector by rowid in ~0.3 ms: hybrid
    # p50 2.25x the exact scan's at 800 candidates, 1.19x at 400; benchmarks/RESULTS.md, "A million passages").
    # This one removes the table from an index that ran 7 while it still created it (development copies).
    8: [
        """DROP TABLE IF EXISTS chunk_bits""",
    ],
}

PYTHON_STEPS = {4: "backfill_shingles", 5: "backfill_metadata", 6: "backfill_facts"}
"""Migrations that also run Python after their SQL (``index.store.SCHEMA`` binds each name to its backfill)."""

LATEST = max(MIGRATIONS)
