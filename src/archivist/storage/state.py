"""Encrypted state that outlives any one index generation: feedback, answer history, the audit trail and
the paths the analyst asked Archivist to forget.

One SQLCipher file (``state.db`` beside the index, same passphrase, 0600). Index generations come and go;
this file stays, so a rollback never loses a rating or an audit entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from archivist.storage.database import open_database
from archivist.storage.migrate import Schema
from archivist.storage.sqlcipher import transaction

AUDIT_READ_ALL = "audit-all-profiles"
"""The audit action of ``audit show --all-profiles``: listed in every profile's ``audit show``."""

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
        """CREATE TABLE feedback (
               id INTEGER PRIMARY KEY,
               created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
               profile TEXT NOT NULL DEFAULT 'default',
               question TEXT NOT NULL,
               answer_json TEXT NOT NULL,
               rating TEXT NOT NULL CHECK (rating IN ('good', 'bad')),
               correction TEXT)""",
        """CREATE TABLE history (
               id INTEGER PRIMARY KEY,
               created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
               profile TEXT NOT NULL,
               question TEXT NOT NULL,
               answer_json TEXT NOT NULL)""",
        """CREATE INDEX history_profile ON history(profile)""",
        # Append-only and hash-chained: each row's hash covers its fields (the query as its SHA-256) and the
        # previous row's hash. The query text sits in audit_query so `forget` can redact a question that showed
        # a forgotten passage without breaking the chain.
        """CREATE TABLE audit (
               seq INTEGER PRIMARY KEY,
               at TEXT NOT NULL,
               profile TEXT NOT NULL,
               action TEXT NOT NULL,
               query_sha TEXT NOT NULL,
               chunk_ids TEXT NOT NULL DEFAULT '[]',
               detail TEXT NOT NULL DEFAULT '',
               prev_hash TEXT NOT NULL,
               hash TEXT NOT NULL)""",
        """CREATE TABLE audit_query (seq INTEGER PRIMARY KEY REFERENCES audit(seq), query TEXT NOT NULL)""",
        """CREATE TABLE forgotten (
               path TEXT PRIMARY KEY,
               at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))""",
    ],
}
SCHEMA = Schema("state file", MIGRATIONS)
GENESIS = "0" * 64


@dataclass(frozen=True)
class FeedbackRow:
    """A rating of one answer, with an optional correction (stored encrypted, for the adapter data set)."""

    id: int
    created_at: str
    question: str
    answer_json: str
    rating: str
    correction: str | None


class LegacyFeedback(Protocol):
    """An index that may still hold ratings older versions kept there (``index.store.Store``)."""

    def feedback(self) -> list[FeedbackRow]: ...

    def clear_legacy_feedback(self) -> None: ...


@dataclass(frozen=True)
class HistoryRow:
    id: int
    created_at: str
    profile: str
    question: str
    answer_json: str


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    profile: str
    action: str
    query: str | None
    """None: redacted by ``forget`` (the entry showed a forgotten passage)."""
    chunk_ids: list[int]
    detail: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    problem: str


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _entry_hash(prev_hash: str, seq: int, at: str, profile: str, action: str, query_sha: str, chunk_ids: str,
                detail: str) -> str:
    return _sha(json.dumps([prev_hash, seq, at, profile, action, query_sha, chunk_ids, detail], ensure_ascii=False))


class StateStore:
    """Feedback, history, audit and forgotten paths. Build one with ``StateStore.open``."""

    def __init__(self, conn, path: Path) -> None:  # noqa: ANN001
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, passphrase: str) -> StateStore:
        """Open (creating atomically at 0600) the state file at ``path``.

        Raises:
            WrongPassphrase: the passphrase does not open it.
            StoreError: it cannot be created or was written by a newer Archivist.
        """
        return cls(open_database(path, passphrase, SCHEMA), path)

    def close(self) -> None:
        self._conn.close()

    # -- feedback --------------------------------------------------------------------------------------------

    def add_feedback(self, question: str, answer_json: str, rating: str, correction: str | None = None,
                     profile: str = "default") -> int:
        """Store a rating (``good`` or ``bad``) of an answer; returns its id.

        Raises:
            ValueError: ``rating`` is neither ``good`` nor ``bad``.
        """
        if rating not in ("good", "bad"):
            raise ValueError(f"rating must be 'good' or 'bad', not {rating!r}")
        cur = self._conn.execute(
            "INSERT INTO feedback(profile, question, answer_json, rating, correction) VALUES (?,?,?,?,?)",
            (profile, question, answer_json, rating, correction))
        return cur.lastrowid

    def feedback(self, profile: str | None = None) -> list[FeedbackRow]:
        """Stored ratings, oldest first (only ``profile``'s when given)."""
        sql = "SELECT id, created_at, question, answer_json, rating, correction FROM feedback"
        args: tuple = ()
        if profile is not None:
            sql += " WHERE profile = ?"
            args = (profile,)
        return [FeedbackRow(*r) for r in self._conn.execute(sql + " ORDER BY id", args)]

    def import_feedback(self, store: LegacyFeedback) -> int:
        """Move ratings kept by older versions inside the index into this file (once); returns how many."""
        try:
            rows = store.feedback()
        except Exception:  # noqa: BLE001 - an index without the old table has nothing to move
            return 0
        if not rows:
            return 0
        with transaction(self._conn, self.path):
            for r in rows:
                self._conn.execute(
                    "INSERT INTO feedback(created_at, question, answer_json, rating, correction) VALUES (?,?,?,?,?)",
                    (r.created_at, r.question, r.answer_json, r.rating, r.correction))
        store.clear_legacy_feedback()
        return len(rows)

    # -- history ---------------------------------------------------------------------------------------------

    def add_history(self, profile: str, question: str, answer_json: str) -> int:
        cur = self._conn.execute("INSERT INTO history(profile, question, answer_json) VALUES (?,?,?)",
                                 (profile, question, answer_json))
        return cur.lastrowid

    def history(self, profile: str, limit: int = 200) -> list[HistoryRow]:
        """``profile``'s past questions and answers, newest first (never another profile's)."""
        return [HistoryRow(*r) for r in self._conn.execute(
            "SELECT id, created_at, profile, question, answer_json FROM history WHERE profile = ? "
            "ORDER BY id DESC LIMIT ?", (profile, limit))]

    # -- audit -----------------------------------------------------------------------------------------------

    def audit(self, profile: str, action: str, query: str = "", chunk_ids: Sequence[int] = (),
              detail: str = "") -> AuditEntry:
        """Append one entry to the hash chain."""
        from datetime import UTC, datetime

        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ids = json.dumps([int(i) for i in chunk_ids])
        c = self._conn
        with transaction(c, self.path):
            last = c.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            digest = _entry_hash(prev, seq, at, profile, action, _sha(query), ids, detail)
            c.execute("INSERT INTO audit(seq, at, profile, action, query_sha, chunk_ids, detail, prev_hash, hash) "
                      "VALUES (?,?,?,?,?,?,?,?,?)", (seq, at, profile, action, _sha(query), ids, detail, prev, digest))
            c.execute("INSERT INTO audit_query(seq, query) VALUES (?, ?)", (seq, query))
            c.execute("INSERT INTO meta(key, value) VALUES ('audit_head', ?) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (f"{seq}:{digest}",))
        return AuditEntry(seq, at, profile, action, query, json.loads(ids), detail, prev, digest)

    def audit_entries(self, limit: int | None = None, profile: str | None = None) -> list[AuditEntry]:
        """Entries oldest first (the last ``limit`` when given; only ``profile``'s when given, plus every
        profile's reads of all profiles' entries: each profile sees that its entries were read)."""
        where, args = (("WHERE a.profile = ? OR a.action = ?", (profile, AUDIT_READ_ALL)) if profile is not None
                       else ("", ()))
        rows = list(self._conn.execute(
            "SELECT a.seq, a.at, a.profile, a.action, q.query, a.chunk_ids, a.detail, a.prev_hash, a.hash "
            f"FROM audit a LEFT JOIN audit_query q ON q.seq = a.seq {where} ORDER BY a.seq", args))
        if limit is not None:
            rows = rows[-limit:]
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8]) for r in rows]

    def verify_audit(self) -> list[AuditProblem]:
        """Walk the chain: an edited, deleted, inserted or reordered entry breaks it. Empty list: intact."""
        problems: list[AuditProblem] = []
        prev, expected_seq = GENESIS, 1
        rows = list(self._conn.execute(
            "SELECT a.seq, a.at, a.profile, a.action, a.query_sha, a.chunk_ids, a.detail, a.prev_hash, a.hash, "
            "q.query FROM audit a LEFT JOIN audit_query q ON q.seq = a.seq ORDER BY a.rowid"))
        for seq, at, profile, action, query_sha, ids, detail, prev_hash, digest, query in rows:
            if seq != expected_seq:
                problems.append(AuditProblem(seq, f"expected entry {expected_seq} here: entries were deleted, "
                                                  "inserted or reordered"))
            if prev_hash != prev:
                problems.append(AuditProblem(seq, "does not follow the previous entry (chain broken)"))
            if _entry_hash(prev_hash, seq, at, profile, action, query_sha, ids, detail) != digest:
                problems.append(AuditProblem(seq, "its content was edited after it was written"))
            elif query is not None and _sha(query) != query_sha:
                problems.append(AuditProblem(seq, "its question text was edited after it was written"))
            prev, expected_seq = digest, seq + 1
        head = self._conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
        if head is not None:
            head_seq, head_hash = head[0].split(":", 1)
            if int(head_seq) != expected_seq - 1 or head_hash != prev:
                problems.append(AuditProblem(int(head_seq), "the newest entries were removed (the chain ends "
                                                            f"at {expected_seq - 1}, the head says {head_seq})"))
        elif rows:
            problems.append(AuditProblem(rows[-1][0], "the chain head record is missing"))
        return problems

    # -- forget ----------------------------------------------------------------------------------------------

    def add_forgotten(self, paths: Iterable[Path]) -> None:
        for p in paths:
            self._conn.execute("INSERT OR IGNORE INTO forgotten(path) VALUES (?)", (str(p),))

    def forgotten(self) -> list[Path]:
        return [Path(r[0]) for r in self._conn.execute("SELECT path FROM forgotten ORDER BY path")]

    def unforget(self, path: Path) -> bool:
        return self._conn.execute("DELETE FROM forgotten WHERE path = ?", (str(path),)).rowcount > 0

    def purge_mentions(self, needles: Sequence[str]) -> int:
        """Delete history and feedback rows whose stored text contains any of ``needles`` (paths or quoted
        passages); secure-delete overwrites the freed pages. Returns the number of rows removed."""
        removed = 0
        needles = [n for n in needles if n]
        for table in ("history", "feedback"):
            for row_id, question, answer in list(self._conn.execute(
                    f"SELECT id, question, answer_json FROM {table}")):
                blob = question + "\n" + answer
                try:
                    blob += "\n" + json.dumps(json.loads(answer), ensure_ascii=True)
                except ValueError:
                    pass
                if any(n in blob for n in needles):
                    self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
                    removed += 1
        return removed

    def redact_audit(self, chunk_ids: Iterable[int]) -> int:
        """Drop the question text of entries that showed any of ``chunk_ids`` (the entry, its hash and the
        question's digest stay, so ``verify_audit`` still passes). Returns how many were redacted."""
        wanted = set(chunk_ids)
        if not wanted:
            return 0
        seqs = [seq for seq, ids in self._conn.execute("SELECT seq, chunk_ids FROM audit")
                if wanted & set(json.loads(ids))]
        for seq in seqs:
            self._conn.execute("DELETE FROM audit_query WHERE seq = ?", (seq,))
        return len(seqs)

    def scrub(self) -> None:
        """Push deleted pages out of the WAL and rewrite the file (after a forget)."""
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.execute("VACUUM")
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
