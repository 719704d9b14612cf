"""The audit trail (issue 4): append-only, hash-chained, encrypted.

Someone holding the key edits the database with plain SQL; ``verify_audit()`` and ``archivist audit verify``
(exit 1) must notice any edited, deleted or reordered entry, and pass (exit 0) on an untouched trail and
after ``forget`` redacts the questions that showed forgotten passages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PASSPHRASE, FakeEmbedder, FakeGenerator

from archivist.cli import cli
from archivist.paths import Paths
from archivist.storage.state import StateStore

ENTRIES = [
    ("legal", "search", "retention of client contracts", [11, 12], ""),
    ("legal", "ask", "How long are client contracts kept?", [11], "extractive"),
    ("ops", "ask", "Which port does Zephyr use?", [31, 32, 33], "generated"),
    ("ops", "search", "heron nodes", [40], ""),
    ("legal", "forget", "/home/ana/cases/old.md", [], "1 files, 3 passages"),
]


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator", lambda settings, model=None: FakeGenerator(""))
    monkeypatch.delenv("ARCHIVIST_PROFILE", raising=False)
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(cli, list(args), catch_exceptions=False)

    yield invoke
    os.environ.pop("ARCHIVIST_PROFILE", None)  # cli.py writes it directly; monkeypatch then restores any original


@pytest.fixture
def trail(home: Path) -> Path:
    """The state file of the test home with five entries from two profiles."""
    path = Paths.resolve().state_database
    state = StateStore.open(path, PASSPHRASE)
    for profile, action, query, ids, detail in ENTRIES:
        state.audit(profile, action, query, ids, detail)
    state.close()
    return path


def _tamper(path: Path, *statements: str) -> None:
    """Edit the decrypted database directly, as someone holding the key could."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    for sql in statements:
        conn.execute(sql)
    conn.close()


def _verify(path: Path) -> list:
    state = StateStore.open(path, PASSPHRASE)
    try:
        return state.verify_audit()
    finally:
        state.close()


_SWAP_COLUMNS = ("at", "profile", "action", "query_sha", "chunk_ids", "detail", "prev_hash", "hash")

TAMPERING = {
    "edit-detail": ["UPDATE audit SET detail = 'nothing to see' WHERE seq = 3"],
    "edit-action": ["UPDATE audit SET action = 'search' WHERE seq = 2"],
    "edit-profile": ["UPDATE audit SET profile = 'legal' WHERE seq = 3"],
    "edit-passages-shown": ["UPDATE audit SET chunk_ids = '[]' WHERE seq = 3"],
    "edit-time": ["UPDATE audit SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 1"],
    "edit-question": ["UPDATE audit_query SET query = 'an innocent question' WHERE seq = 3"],
    "delete-first": ["DELETE FROM audit_query WHERE seq = 1", "DELETE FROM audit WHERE seq = 1"],
    "delete-middle": ["DELETE FROM audit_query WHERE seq = 3", "DELETE FROM audit WHERE seq = 3"],
    "delete-last": ["DELETE FROM audit_query WHERE seq = 5", "DELETE FROM audit WHERE seq = 5"],
    "delete-all-entries": ["DELETE FROM audit_query", "DELETE FROM audit"],
    "swap-seq": [f"UPDATE {t} SET seq = {a} WHERE seq = {b}" for t in ("audit", "audit_query")
                 for a, b in ((-1, 2), (2, 3), (3, -1))],
    "swap-contents": [
        "CREATE TEMP TABLE two AS SELECT * FROM audit WHERE seq = 2",
        "UPDATE audit SET " + ", ".join(f"{c} = (SELECT {c} FROM audit WHERE seq = 3)" for c in _SWAP_COLUMNS)
        + " WHERE seq = 2",
        "UPDATE audit SET " + ", ".join(f"{c} = (SELECT {c} FROM two)" for c in _SWAP_COLUMNS) + " WHERE seq = 3",
    ],
    "append-forged": [
        "INSERT INTO audit(seq, at, profile, action, query_sha, chunk_ids, detail, prev_hash, hash) "
        "SELECT 6, at, profile, 'search', query_sha, '[]', '', hash, printf('%064d', 0) FROM audit WHERE seq = 5",
        "UPDATE meta SET value = '6:' || printf('%064d', 0) WHERE key = 'audit_head'",
    ],
}


def test_an_untouched_trail_verifies(trail: Path, run) -> None:  # noqa: ANN001
    assert _verify(trail) == []
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "intact: 5 entries" in result.stdout


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_is_detected(trail: Path, run, case: str) -> None:  # noqa: ANN001
    _tamper(trail, *TAMPERING[case])
    problems = _verify(trail)
    assert problems, f"{case} went unnoticed"
    result = run("audit", "verify")
    assert result.exit_code == 1, result.output
    assert "tampered" in result.stderr


def test_entries_are_kept_in_order_with_what_was_shown(trail: Path) -> None:
    state = StateStore.open(trail, PASSPHRASE)
    try:
        entries = state.audit_entries()
        assert [(e.profile, e.action, e.query, e.chunk_ids, e.detail) for e in entries] == \
            [(p, a, q, ids, d) for p, a, q, ids, d in ENTRIES]
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert [e.query for e in state.audit_entries(2)] == [ENTRIES[3][2], ENTRIES[4][2]]
    finally:
        state.close()
    raw = trail.read_bytes() + (Path(str(trail) + "-wal").read_bytes() if Path(str(trail) + "-wal").exists()
                                else b"")
    for _, _, query, _, _ in ENTRIES:
        assert query.encode() not in raw, "audit text readable at rest"


def test_search_and_ask_record_the_passages_they_showed(run, tmp_path: Path) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "heron.md").write_text("# Heron\n\nThe Heron ingest cluster has 14 nodes in the Frankfurt region.\n")
    (docs / "kestrel.md").write_text("# Kestrel\n\nThe Kestrel cluster has 9 nodes and runs the billing jobs.\n")
    run("add", str(docs))
    run("index")
    search = json.loads(run("search", "--json", "-k", "2", "Heron ingest cluster").stdout)
    ask = json.loads(run("ask", "--json", "--extractive", "How many nodes has the Heron cluster?").stdout)
    entries = json.loads(run("audit", "show", "--json").stdout)
    assert [(e["action"], e["query"]) for e in entries] == [
        ("search", "Heron ingest cluster"), ("ask", "How many nodes has the Heron cluster?")]
    assert len(entries[0]["chunk_ids"]) == len(search["results"]) == 2
    assert sorted(entries[1]["chunk_ids"]) == sorted(c["chunk_id"] for c in ask["citations"])


def test_forget_redacts_the_questions_that_showed_the_passages_and_the_chain_holds(run, tmp_path: Path) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "secret.md").write_text("# Settlement\n\nThe settlement clause codename is marmotglaze.\n")
    (docs / "keep.md").write_text("# Heron\n\nThe Heron ingest cluster has 14 nodes in the Frankfurt region.\n")
    run("add", str(docs))
    run("index")
    shown = "What is the settlement clause codename?"
    unrelated = "How many nodes has the Heron ingest cluster?"
    assert "secret.md" in run("ask", "--json", "--extractive", shown).stdout
    assert "secret.md" not in run("search", "--json", "-k", "1", unrelated).stdout
    assert run("forget", str(docs / "secret.md")).exit_code == 0
    entries = json.loads(run("audit", "show", "--json").stdout)
    by_action = [(e["action"], e["query"]) for e in entries]
    assert by_action == [("ask", None), ("search", unrelated), ("forget", str(docs / "secret.md"))]
    assert "(redacted)" in run("audit", "show").stdout
    assert shown not in run("audit", "show").stdout
    verify = run("audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert "intact: 3 entries" in verify.stdout
