"""The encrypted store: passphrases, plaintext at rest, migrations, permissions."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from conftest import PASSPHRASE, FakeGenerator

from archivist.errors import StoreError, WrongPassphrase
from archivist.index.migrations import LATEST
from archivist.index.store import Store


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_open_creates_a_private_database(tmp_path: Path) -> None:
    db = tmp_path / "data" / "index.db"
    Store.open(db, PASSPHRASE).close()
    assert db.is_file()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert not list(db.parent.glob(".index-*")), "temporary creation file left behind"


def test_wrong_passphrase_is_one_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    store = Store.open(db, PASSPHRASE)
    store.add_folder(tmp_path)
    store.close()
    before = _digest(db)
    with pytest.raises(WrongPassphrase) as info:
        Store.open(db, "not-the-passphrase")
    assert "Wrong passphrase" in str(info.value) and str(db) in str(info.value)
    assert _digest(db) == before
    reopened = Store.open(db, PASSPHRASE)
    assert [f.path for f in reopened.folders()] == [tmp_path]
    reopened.close()


def test_nothing_indexed_is_readable_at_rest(services_factory, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "secret.md").write_text("# Plans\n\nThe canary word is quokkafrost and the vault code is 7431.\n")
    services = services_factory(FakeGenerator("The canary is quokkafrost [1]."))
    services.store.add_folder(docs)
    services.indexer().index_all()
    services.answerer().ask("What is the canary word?")
    services.close()
    data_dir = services.paths.data_dir
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        raw = path.read_bytes()
        assert b"quokkafrost" not in raw, f"plaintext in {path}"
        assert b"secret.md" not in raw, f"file name in plaintext in {path}"


def test_schema_is_migrated_and_recorded(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    assert store.schema_version() == LATEST
    store.close()


def test_an_index_from_a_newer_archivist_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    store = Store.open(db, PASSPHRASE)
    store._conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (LATEST + 5,))
    store.close()
    with pytest.raises(StoreError, match="newer Archivist"):
        Store.open(db, PASSPHRASE)


FIXTURES = Path(__file__).parents[1] / "fixtures" / "schema1"
"""index.db and state.db written by the first released code (tests/fixtures/schema1/build.py says how);
passphrase ``schema-1-fixture``."""
OLD_PASSPHRASE = "schema-1-fixture"


def _old_file(tmp_path: Path, name: str) -> Path:
    import shutil

    copy = tmp_path / name
    shutil.copyfile(FIXTURES / name, copy)
    return copy


def test_a_schema_1_index_from_the_first_release_is_migrated_forward(tmp_path: Path) -> None:
    """Every migration (2 to the latest, with the shingle, metadata and table-fact backfills) runs on a file the
    first release wrote, and what it held is still there and searchable."""
    from archivist.index.boilerplate import backfill  # noqa: F401 - the step migration 4 runs

    db = _old_file(tmp_path, "index.db")
    store = Store.open(db, OLD_PASSPHRASE)
    try:
        versions = [r[0] for r in store._conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == list(range(1, LATEST + 1))
        assert [f.path for f in store.folders()] == [Path("/srv/reports")]
        assert store.counts() == {"folders": 1, "chunks": 3, "indexed": 2, "skipped": 0, "failed": 1}
        assert store.problems() == [(Path("/srv/reports/broken.pdf"), "failed", "not a PDF")]
        hits = store.keyword_search('"cooling unit"', 5)
        assert [store.chunks([cid])[cid].path.name for cid, _ in hits] == ["outage-notes.md"]
        # migration 4 sampled the old passages' shingles; 5 read the 10-K's cover; 6 read its table row
        assert store._conn.execute("SELECT count(*) FROM chunk_shingles").fetchone()[0] > 0
        meta = store.document(Path("/srv/reports/Gannet_2019_10K.md"))
        assert meta is not None and meta.doc_type == "10-K" and "2019" in meta.period
        assert store.fact_count() > 0
        folder = store.folders()[0]
        assert folder.profiles == ("default",) and folder.exclude == ()  # migration 3's defaults
    finally:
        store.close()


def test_a_schema_1_state_file_from_the_first_release_opens_with_everything_in_it(tmp_path: Path) -> None:
    from archivist.storage.state import SCHEMA, StateStore

    state = StateStore.open(_old_file(tmp_path, "state.db"), OLD_PASSPHRASE)
    try:
        versions = [r[0] for r in state._conn.execute("SELECT version FROM schema_migrations")]
        assert versions == list(range(1, SCHEMA.latest + 1))
        assert [h.question for h in state.history("default")] == ["What caused the warehouse outage?"]
        assert [(f.rating, f.question) for f in state.feedback()] == [("good", "What caused the warehouse outage?")]
        assert [(e.action, e.chunk_ids) for e in state.audit_entries()] == [("ask", [3]), ("search", [2, 1])]
        assert state.verify_audit() == []
        assert state.forgotten() == [Path("/srv/reports/salaries.xlsx")]
        state.audit("default", "search", "after the upgrade")  # the chain goes on from the old entries
        assert state.verify_audit() == []
    finally:
        state.close()


def test_a_state_file_from_a_newer_archivist_is_refused_clearly(tmp_path: Path) -> None:
    from archivist.storage.state import SCHEMA, StateStore

    db = tmp_path / "state.db"
    state = StateStore.open(db, PASSPHRASE)
    state._conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (SCHEMA.latest + 1,))
    state.close()
    with pytest.raises(StoreError, match=r"state file .* newer Archivist"):
        StateStore.open(db, PASSPHRASE)


