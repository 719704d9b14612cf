"""The one schema-migration runner, for the index and the state file.

Each database lists numbered migrations (lists of SQL statements, optionally followed by a Python step that fills
new tables from old rows); the versions applied are recorded in ``schema_migrations``, apart from the package
version. A database recorded at a version newer than this Archivist knows is refused, never downgraded.
Never edit a migration that has shipped: add the next number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archivist.errors import StoreError
from archivist.storage.sqlcipher import transaction


@dataclass(frozen=True)
class Schema:
    """The migrations of one kind of database."""

    name: str
    """What the user calls it in messages: ``index``, ``state file``."""
    migrations: Mapping[int, Sequence[str]]
    steps: Mapping[int, Callable[[Any], None]] = field(default_factory=dict)
    """Python run after a version's SQL, in the same transaction, given the connection (backfills)."""

    @property
    def latest(self) -> int:
        return max(self.migrations)


def applied(conn: Any) -> set[int]:  # noqa: ANN401 - sqlcipher3 has no type stubs
    """The versions recorded in the database (creating the record table when missing)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                 "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))")
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: Any, path: Path, schema: Schema) -> list[int]:  # noqa: ANN401
    """Apply ``schema``'s missing migrations in order, each in one transaction; returns the versions applied.

    Raises:
        StoreError: the database was written by a newer Archivist.
        DiskFull: the disk filled up during a migration (that migration was rolled back).
    """
    done = applied(conn)
    if done and max(done) > schema.latest:
        raise StoreError(f"The {schema.name} at {path} was written by a newer Archivist (schema {max(done)}).",
                         hint="Upgrade Archivist to open it.")
    ran = []
    for version in sorted(v for v in schema.migrations if v not in done):
        with transaction(conn, path):
            for statement in schema.migrations[version]:
                conn.execute(statement)
            step = schema.steps.get(version)
            if step is not None:
                step(conn)
            conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (version,))
        ran.append(version)
    return ran


def schema_version(conn: Any) -> int:  # noqa: ANN401
    """The newest version recorded."""
    return conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
