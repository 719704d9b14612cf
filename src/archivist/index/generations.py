"""Index generations: each one a SQLCipher file (same passphrase); a small manifest says which one answers.

``data_dir/index.db`` is generation 1 (every install made before generations existed has it); later ones
live in ``data_dir/generations/<id>.db``. The manifest (``generations.json``, 0600, written atomically with
``os.replace``) holds ids, states, times, the digest of what built each generation, sizes and eval summaries:
never document text or file names. It is the only thing a switch rewrites, so promote and rollback are
atomic; a query in flight holds its own connection to the old file and finishes on it.

Lifecycle::

    building ──(indexed every folder)──▶ ready ──promote──▶ current ──(another is promoted)──▶ retired
       ▲                                                       ▲                                  │
       └──── settings match a retired one again: caught up ────┴─────────── rollback ─────────────┘

``current``, ``building`` and ``ready`` generations are kept fresh by ``archivist index`` and the watcher;
a ``retired`` one is kept as it was (for a rollback) until retention removes it.

Nothing here needs the passphrase: the functions read and write the manifest and the files' sizes only.
Opening and filling a generation is ``archivist.index.rebuild``'s job.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archivist.errors import ArchivistError, ConfigError
from archivist.paths import Paths
from archivist.storage.private import write_private

CURRENT, BUILDING, READY, RETIRED = "current", "building", "ready", "retired"
STATUSES = (CURRENT, BUILDING, READY, RETIRED)
FRESH = (CURRENT, BUILDING, READY)
"""States whose generation is kept up to date with the folders (a retired one is kept as it was)."""
MANIFEST_FORMAT = 1


class GenerationError(ArchivistError):
    """A generation cannot be switched to or removed (unknown id, still building, the current one)."""

    title = "Generation error"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Generation:
    """One index generation as the manifest records it."""

    id: int
    file: str
    """Path of the database relative to the data folder (``index.db``, ``generations/2.db``)."""
    status: str
    created: str
    """UTC ISO time the generation was started."""
    fingerprint: str = ""
    """Digest of what built it (``archivist.index.fingerprint``); empty: not recorded yet."""
    built_from: str = ""
    """What built it, in a few words (chunker, embedder, schema): the ``built from`` column."""
    size: int = 0
    """Bytes on disk (database, WAL and shared memory) when the manifest was last written."""
    eval: dict | None = None
    """Summary of the last promotion gate on this generation: metric name -> value, plus ``questions``."""
    promoted: str | None = None
    """UTC ISO time it last became current."""
    finished: str | None = None
    """UTC ISO time its build completed (None while building)."""

    def path(self, paths: Paths) -> Path:
        return paths.data_dir / self.file


@dataclass
class Manifest:
    """Every generation and which one is current."""

    current: int
    generations: list[Generation] = field(default_factory=list)
    previous: int | None = None
    """The generation that was current before the last switch: what ``rollback`` with no id goes back to."""

    def get(self, gen_id: int) -> Generation:
        """The generation ``gen_id``.

        Raises:
            GenerationError: there is no such generation.
        """
        for g in self.generations:
            if g.id == gen_id:
                return g
        known = ", ".join(str(g.id) for g in self.generations) or "none"
        raise GenerationError(f"There is no index generation {gen_id} (known: {known}).",
                              hint="`archivist index generations` lists them.")

    @property
    def current_generation(self) -> Generation:
        return self.get(self.current)

    def to_json(self) -> dict:
        return {"format": MANIFEST_FORMAT, "current": self.current, "previous": self.previous,
                "generations": [asdict(g) for g in self.generations]}

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        known = set(Generation.__dataclass_fields__)
        gens = [Generation(**{k: v for k, v in g.items() if k in known}) for g in data.get("generations", [])]
        return cls(int(data["current"]), gens, data.get("previous"))


# -- the manifest ----------------------------------------------------------------------------------------------

def _implicit(paths: Paths) -> Manifest:
    """The manifest of an install that never had one: ``index.db`` is generation 1 and current."""
    created = _now()
    if paths.database.exists():
        created = dt.datetime.fromtimestamp(paths.database.stat().st_mtime, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Manifest(1, [Generation(1, paths.database.name, CURRENT, created)])


def load(paths: Paths) -> Manifest:
    """Read the manifest (an install without one has generation 1, ``index.db``, current).

    Raises:
        ConfigError: the manifest exists but cannot be read.
    """
    try:
        raw = paths.generations_manifest.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _implicit(paths)
    except OSError as exc:
        raise ConfigError(f"Cannot read {paths.generations_manifest}: {exc.strerror}.",
                          hint="Check its permissions.") from None
    try:
        manifest = Manifest.from_json(json.loads(raw))
        manifest.current_generation  # noqa: B018 - validates that the current id exists
    except (ValueError, KeyError, TypeError, GenerationError) as exc:
        raise ConfigError(f"{paths.generations_manifest} is damaged ({exc}).",
                          hint="Restore it from a backup, or delete it to go back to index.db as the only "
                               "generation (the generation files stay in place).") from None
    return manifest


def save(paths: Paths, manifest: Manifest) -> None:
    """Write the manifest atomically: temp file (0600), fsync, ``os.replace``, fsync of the folder."""
    paths.ensure_private(paths.data_dir)
    write_private(paths.generations_manifest, json.dumps(manifest.to_json(), indent=1))


@contextmanager
def update(paths: Paths) -> Iterator[Manifest]:
    """Read, change and write the manifest under an exclusive lock (a daemon and a command may both write)."""
    paths.ensure_private(paths.data_dir)
    lock = paths.generations_manifest.with_suffix(".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        manifest = load(paths)
        yield manifest
        for g in manifest.generations:
            g.size = file_size(g.path(paths))
        save(paths, manifest)
    finally:
        os.close(fd)  # closing drops the lock


# -- files -----------------------------------------------------------------------------------------------------

def _companions(db: Path) -> list[Path]:
    """The database and the files SQLite keeps beside it."""
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), db.with_name(db.name + "-journal")]


def file_size(db: Path) -> int:
    """Bytes used by a generation: the database with its WAL and shared-memory files."""
    total = 0
    for p in _companions(db):
        try:
            total += p.stat().st_size
        except FileNotFoundError:
            pass
    return total


def current_database(paths: Paths) -> Path:
    """The database file of the current generation (``paths.database`` on an install without a manifest)."""
    return load(paths).current_generation.path(paths)


def generation_of(paths: Paths, database: Path) -> int | None:
    """The id of the generation whose file is ``database`` (None: not a generation of this install)."""
    return next((g.id for g in load(paths).generations if g.path(paths) == database), None)


def database_files(paths: Paths) -> list[Path]:
    """Every generation database that exists on disk, current first.

    Includes generations the manifest lists in any state and files in ``generations/`` it does not list (a
    build interrupted before its manifest entry was written): re-keying or forgetting must reach them all.
    """
    manifest = load(paths)
    ordered = [manifest.current_generation.path(paths)]
    ordered += [g.path(paths) for g in sorted(manifest.generations, key=lambda g: g.id)]
    ordered.append(paths.database)
    if paths.generations_dir.is_dir():
        ordered += sorted(paths.generations_dir.glob("*.db"))
    seen: set[Path] = set()
    out: list[Path] = []
    for p in ordered:
        if p not in seen and p.is_file():
            seen.add(p)
            out.append(p)
    return out


def disk_usage(paths: Paths) -> int:
    """Bytes used by every generation file on disk (with WAL and shared memory)."""
    return sum(file_size(p) for p in database_files(paths))


def _remove_files(db: Path) -> None:
    # The files hold only SQLCipher ciphertext (pages, WAL frames); the shared-memory file holds WAL offsets.
    # Unlinking them is enough: without the passphrase nothing in them is readable.
    for p in _companions(db):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


# -- the lifecycle ---------------------------------------------------------------------------------------------

def list_generations(paths: Paths) -> list[Generation]:
    """Every generation, oldest first, with its size on disk now."""
    gens = load(paths).generations
    for g in gens:
        g.size = file_size(g.path(paths))
    return sorted(gens, key=lambda g: g.id)


def record_fingerprint(paths: Paths, gen_id: int, fingerprint: str, built_from: str) -> Generation:
    """Record what built generation ``gen_id`` (done when a build starts, or the first time an old one is seen)."""
    with update(paths) as manifest:
        g = manifest.get(gen_id)
        g.fingerprint, g.built_from = fingerprint, built_from
        return g


def create(paths: Paths, fingerprint: str, built_from: str) -> Generation:
    """Start a new generation (``building``); its file is created by whoever opens it first.

    The manifest entry is written before the file exists, so a crash at any point leaves either nothing or
    a ``building`` generation that the next build resumes.
    """
    with update(paths) as manifest:
        gen_id = max([g.id for g in manifest.generations] + _ids_on_disk(paths)) + 1
        g = Generation(gen_id, f"{paths.generations_dir.name}/{gen_id}.db", BUILDING, _now(), fingerprint,
                       built_from)
        manifest.generations.append(g)
    paths.ensure_private(paths.generations_dir)
    return g


def _ids_on_disk(paths: Paths) -> list[int]:
    # An orphan file (its manifest entry never written) must not be reused under a new id: it is someone
    # else's half-built index.
    if not paths.generations_dir.is_dir():
        return []
    return [int(p.stem) for p in paths.generations_dir.glob("*.db") if p.stem.isdigit()]


def set_status(paths: Paths, gen_id: int, status: str) -> Generation:
    """Change a generation's state (not to or from ``current``: use ``promote``/``rollback``).

    Raises:
        GenerationError: the generation is current, or ``status`` is ``current``.
    """
    if status not in STATUSES or status == CURRENT:
        raise ValueError(f"not a settable status: {status!r}")
    with update(paths) as manifest:
        g = manifest.get(gen_id)
        if g.status == CURRENT:
            raise GenerationError(f"Generation {gen_id} is the current one.",
                                  hint="Promote or roll back to another generation first.")
        g.status = status
        if status == READY:
            g.finished = _now()
        return g


def _switch(paths: Paths, gen_id: int, *, allow_building: bool, eval_summary: dict | None) -> Generation:
    with update(paths) as manifest:
        target = manifest.get(gen_id)
        if target.status == CURRENT:
            raise GenerationError(f"Generation {gen_id} is already the current one.",
                                  hint="`archivist index generations` lists the others.")
        if target.status == BUILDING and not allow_building:
            raise GenerationError(f"Generation {gen_id} is still being built: it would answer from part of "
                                  "your documents.", hint="Finish it first: archivist index build")
        if not target.path(paths).is_file():
            raise GenerationError(f"The file of generation {gen_id} is gone ({target.file}).",
                                  hint="Pick another generation.")
        old = manifest.current_generation
        old.status = RETIRED
        target.status = CURRENT
        target.promoted = _now()
        if eval_summary is not None:
            target.eval = eval_summary
        manifest.previous = old.id
        manifest.current = target.id
        return target


def promote(paths: Paths, gen_id: int, *, eval_summary: dict | None = None, force: bool = False) -> Generation:
    """Make ``gen_id`` the current generation in one atomic manifest write; the old current is retired.

    The quality gate (``archivist.eval.gate``) runs before this; ``force`` also allows a generation whose
    build has not finished.

    Raises:
        GenerationError: unknown id, already current, still building (without ``force``), file missing.
    """
    return _switch(paths, gen_id, allow_building=force, eval_summary=eval_summary)


def rollback(paths: Paths, gen_id: int | None = None) -> Generation:
    """Go back to ``gen_id`` or, without one, to the generation that was current before the last switch.

    Raises:
        GenerationError: nothing to roll back to, or the target cannot be switched to (see ``promote``).
    """
    manifest = load(paths)
    if gen_id is None:
        gen_id = manifest.previous
        if gen_id is None or all(g.id != gen_id for g in manifest.generations):
            retired = [g for g in manifest.generations if g.status == RETIRED and g.path(paths).is_file()]
            if not retired:
                raise GenerationError("There is no earlier generation to roll back to.",
                                      hint="`archivist index generations` lists the generations.")
            gen_id = max(retired, key=lambda g: (g.promoted or "", g.id)).id
    return _switch(paths, gen_id, allow_building=False, eval_summary=None)


def remove(paths: Paths, gen_id: int) -> Generation:
    """Delete a generation: its manifest entry, then its encrypted file with the WAL and shared memory.

    Raises:
        GenerationError: it is the current generation.
    """
    with update(paths) as manifest:
        g = manifest.get(gen_id)
        if g.status == CURRENT:
            raise GenerationError(f"Generation {gen_id} is the current one and cannot be removed.",
                                  hint="Promote or roll back to another generation first.")
        manifest.generations.remove(g)
        if manifest.previous == gen_id:
            manifest.previous = None
    _remove_files(g.path(paths))
    return g


def prune(paths: Paths, keep: int) -> list[Generation]:
    """Keep ``keep`` generations (counting the current one); remove the retired ones that answered longest ago.

    A building or ready generation is never removed here (it is a candidate), nor the current one.
    Returns the generations removed.
    """
    # Most recently answering first: the generation a rollback goes back to is the last one removed.
    retired = sorted((g for g in load(paths).generations if g.status == RETIRED),
                     key=lambda g: (g.promoted or g.finished or g.created, g.id), reverse=True)
    doomed = retired[max(0, keep - 1):]
    return [remove(paths, g.id) for g in doomed]


def human_size(n_bytes: int) -> str:
    """``12.3 MB``, ``640 KB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} B"


def eval_text(summary: dict | None) -> str:
    """``R@5 0.80, MRR 0.65 (6 q)``: a generation's eval summary in the generations table."""
    if not summary:
        return "–"
    parts = [f"{label} {summary[key]:.2f}" for key, label in (("recall@5", "R@5"), ("mrr", "MRR"))
             if isinstance(summary.get(key), (int, float))]
    return ", ".join(parts) + f" ({summary.get('questions', '?')} q)"
