"""Forget and re-key: the two operations that must leave nothing behind and lose nothing.

``forget`` removes a file's (or folder's) text from every index generation and from the history that quotes
it, then rewrites the files so the text cannot be recovered even by someone holding the key.

``rekey`` changes the passphrase of every encrypted file (all index generations and the state file)
as one all-or-nothing step: each file is copied and re-keyed beside the original, then a commit marker is
written, then the copies replace the originals. A crash before the marker leaves the old key working on
every file (the copies are discarded at the next start); a crash after it is finished at the next start.
Both hold the writer lock, which ``rekey`` holds from its first check to its last rename: copies seen while
a live re-key holds it are its work in progress, never leftovers.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archivist.errors import AccessDenied, ArchivistError, FolderNotFound, IndexBusy
from archivist.index.lock import WriterLock
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.storage import sqlcipher
from archivist.storage.private import fsync_file as _fsync
from archivist.storage.private import write_private
from archivist.storage.state import StateStore

REKEY_SUFFIX = ".rekey"
REKEY_MARKER = "rekey.commit"
REKEY_ROLE = "archivist passwd"
"""The writer lock's role while ``rekey`` runs."""


@dataclass(frozen=True)
class ForgetReport:
    files: list[Path]
    passages: int
    history_removed: int
    audit_redacted: int
    excluded: bool


def forget(store: Store, state: StateStore, paths: Paths, open_store: Callable[[Path], Store], path: Path, *,
           allow_reindex: bool = False) -> ForgetReport:
    """Remove ``path`` for good (see the module docstring) from every index generation, ``store`` (opened for the
    current profile) being the one that answers; ``open_store`` opens the others. ``path`` is excluded from
    indexing unless ``allow_reindex``.

    Raises:
        FolderNotFound: ``path`` is in no folder of the current profile.
        AccessDenied: files below ``path`` belong to another profile's folder (nothing was forgotten).
        IndexBusy: another process is writing the index (the watch daemon): stop it first.
    """
    from archivist.index.generations import database_files

    path = Path(os.path.abspath(path.expanduser()))
    _check_forget(store, path)
    removed: list[Path] = []
    ids: list[int] = []
    texts: list[str] = []
    with WriterLock(paths.writer_lock) as lock:
        lock.acquire("archivist forget")
        for db in database_files(paths) or [store.path]:
            other = open_store(db) if db != store.path else None
            target = other or store.unfiltered()  # same connection, every folder: the path goes everywhere
            try:
                files, chunk_ids, chunk_texts = target.forget(path)
                removed += [f for f in files if f not in removed]
                ids += chunk_ids
                texts += chunk_texts
                if not allow_reindex:
                    for f in target.folders_under(path):  # the folder holding it, and any added inside it
                        target.add_exclude(f, str(path))
            finally:
                if other is not None:
                    other.close()
    needles = [str(p) for p in removed] + [str(path)] + [t for t in texts if len(t) >= 20]
    history = state.purge_mentions(needles)
    redacted = state.redact_audit(ids)
    if not allow_reindex:
        state.add_forgotten([path])  # re-applied whenever its folder is added again
    state.audit(store.profile or "default", "forget", str(path), detail=f"{len(removed)} files, {len(ids)} passages")
    state.scrub()
    return ForgetReport(removed, len(ids), history, redacted, not allow_reindex)


def _check_forget(store: Store, path: Path) -> None:
    """Refuse, before anything is deleted, a path this profile may not forget."""
    profile = store.profile
    folder = store.folder_for(path)
    inner = [f for f in store.folders() if path in f.path.parents]
    if folder is None and not inner:
        if store.hidden_folders():
            raise AccessDenied(f"{path} is not in any folder of profile {profile}.",
                               hint="Run forget with the profile that reads it (--profile).")
        raise FolderNotFound(f"{path} is not in any added folder.", hint="`archivist status` lists them.")
    # Files below ``path`` that belong to another profile's folder (one added inside it, or the one that
    # contains it) are not this profile's to forget.
    owners = [f for f in store.folders_under(path) if not f.readable_by(profile)]
    mine = {f.path for f in store.folders()}
    for other in owners:
        if other.path == path or path in other.path.parents:
            raise AccessDenied(f"{path} holds the folder {other.path}, which profile {profile} does "
                               "not read; nothing was forgotten.",
                               hint="Forget the files of your own folders, or run with that folder's profile.")
        if not any(m == path or m in path.parents for m in mine if other.path in m.parents or m == other.path):
            raise AccessDenied(f"{path} belongs to a folder profile {profile} does not read.",
                               hint="Run forget with the profile that reads it (--profile).")


# -- re-key ----------------------------------------------------------------------------------------------------


def encrypted_files(paths: Paths) -> list[Path]:
    """Every file encrypted with the passphrase: the index generations and the state file."""
    from archivist.index.generations import database_files

    files = [p for p in database_files(paths) if p.exists()]
    if paths.database.exists() and paths.database not in files:
        files.append(paths.database)
    if paths.state_database.exists():
        files.append(paths.state_database)
    return files


def apply_forgotten(store: Store, forgotten: list[Path]) -> None:
    """Keep every forgotten path excluded from the folders that hold it, even a folder removed and added
    again (its rules are new) or one added inside a forgotten folder."""
    for path in forgotten:
        for folder in store.folders_under(path):
            if str(path) not in folder.exclude:
                store.add_exclude(folder, str(path))


def write_key_file(path: Path, key: str) -> None:
    """Write a new key file durably (0600, fsynced, never over an existing file).

    Raises:
        ArchivistError: the file exists or its folder cannot be written.
    """
    try:
        write_private(path, key + "\n", exclusive=True)  # never overwrite a key
    except OSError as exc:
        raise ArchivistError(f"Cannot write the key file {path}: {exc.strerror}; nothing was changed.",
                             hint="Choose a new file name in a folder you can write.") from None


def rekey_in_progress(paths: Paths) -> bool:
    """Whether a live ``archivist passwd`` holds the writer lock (its files may be half switched over)."""
    holder = WriterLock(paths.writer_lock).holder()
    return bool(holder) and holder.get("role") == REKEY_ROLE


def _rekey_files(paths: Paths) -> bool:
    marker = paths.data_dir / REKEY_MARKER
    return (marker.exists() or next(_marker_temps(paths), None) is not None
            or next(paths.data_dir.rglob(f"*{REKEY_SUFFIX}"), None) is not None)


def _marker_temps(paths: Paths):  # noqa: ANN202 - an iterator of paths
    """The temp files of a commit marker being written (``storage.private.write_private``) when a crash came."""
    return paths.data_dir.glob(f".{REKEY_MARKER}.*.tmp")


def finish_interrupted_rekey(paths: Paths) -> str | None:
    """Complete or discard a re-key a crash interrupted (called at every start, before opening anything).

    It is done holding the writer lock. When another process holds the lock, the re-key files are not
    leftovers but a live ``archivist passwd``'s work: they are left alone, and the files to open are still
    the originals until its commit marker is written.

    Returns:
        ``"finished"``, ``"discarded"`` or None (nothing to do, or a live re-key's files left alone).

    Raises:
        IndexBusy: a live re-key is switching the files to the new passphrase right now.
    """
    if not _rekey_files(paths):
        return None  # the usual start: no lock taken, so a start never delays or refuses a writer
    lock = WriterLock(paths.writer_lock)
    try:
        lock.acquire("finishing an interrupted re-key")
    except IndexBusy:
        if (paths.data_dir / REKEY_MARKER).exists():
            raise switching(paths) from None
        return None
    try:
        return _finish_rekey(paths)
    finally:
        lock.release()


def switching(paths: Paths) -> IndexBusy:
    """The error a reader meets while a live re-key switches the files to the new passphrase."""
    holder = WriterLock(paths.writer_lock).holder() or {}
    return IndexBusy(f"A passphrase change is in progress ({holder.get('role', 'archivist passwd')}, pid "
                     f"{holder.get('pid', '?')}): the index files are being switched to the new passphrase.",
                     hint="Try again in a moment.")


def _finish_rekey(paths: Paths) -> str | None:
    """``finish_interrupted_rekey``'s work; the caller holds the writer lock."""
    marker = paths.data_dir / REKEY_MARKER
    if marker.exists():
        for name in json.loads(marker.read_text()):
            copy = Path(name + REKEY_SUFFIX)
            if copy.exists():
                os.replace(copy, name)
                for side in ("-wal", "-shm"):
                    Path(name + side).unlink(missing_ok=True)
        marker.unlink()
        return "finished"
    leftovers = list(paths.data_dir.rglob(f"*{REKEY_SUFFIX}"))
    for copy in leftovers:
        copy.unlink()
    for tmp in _marker_temps(paths):
        tmp.unlink()
    return "discarded" if leftovers else None


def rekey(paths: Paths, old: str, new: str, *, fail_after: int | None = None) -> list[Path]:
    """Change the passphrase of every encrypted file, all or nothing. Returns the files re-keyed.

    ``fail_after`` (tests only) raises after that many files were copied, to stage an interruption.

    Raises:
        WrongPassphrase: ``old`` does not open a file (nothing changed).
        IndexBusy: another process writes the index.
    """
    with WriterLock(paths.writer_lock) as lock:
        lock.acquire(REKEY_ROLE)
        files = encrypted_files(paths)  # listed under the lock: no generation is added meanwhile
        for db in files:  # the old key must open every file before anything is written
            sqlcipher.checkpoint(db, old)
        copies: list[Path] = []
        try:
            for n, db in enumerate(files):
                if fail_after is not None and n >= fail_after:
                    raise KeyboardInterrupt("staged interruption")
                copy = Path(str(db) + REKEY_SUFFIX)
                shutil.copyfile(db, copy)
                os.chmod(copy, 0o600)
                copies.append(copy)
                sqlcipher.rekey(copy, old, new)
                _fsync(copy)
        except BaseException:
            for copy in copies:
                copy.unlink(missing_ok=True)
            raise
        write_private(paths.data_dir / REKEY_MARKER, json.dumps([str(f) for f in files]))
        _finish_rekey(paths)
    return files
