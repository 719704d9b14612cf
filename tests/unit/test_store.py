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


def test_an_old_index_is_migrated_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database at schema 1 gains a later migration on open, keeping its rows."""
    import archivist.index.store as store_mod
    from archivist.index import migrations

    db = tmp_path / "index.db"
    old = Store.open(db, PASSPHRASE)
    old.add_folder(tmp_path)
    old.close()
    later = dict(migrations.MIGRATIONS)
    later[LATEST + 1] = ["CREATE TABLE future_feature (x INTEGER)"]
    monkeypatch.setattr(store_mod, "MIGRATIONS", later)
    monkeypatch.setattr(store_mod, "LATEST", LATEST + 1)
    new = Store.open(db, PASSPHRASE)
    assert new.schema_version() == LATEST + 1
    assert [f.path for f in new.folders()] == [tmp_path]
    new.close()
