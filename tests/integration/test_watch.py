"""The real watchdog (inotify) observer on real files and a real encrypted index; the fake embedder for speed.

Searches go through a second connection to the index, as ``archivist search`` does while a watcher writes.
Every wait polls for what a user would see (a search result, a status line) with a generous timeout; no
assertion depends on how long anything took.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import PASSPHRASE, FakeEmbedder
from conftest import wait_until as _wait_until

from archivist.index.indexer import IndexReport
from archivist.index.store import Store
from archivist.retrieve.hybrid import Retriever
from archivist.watch.watcher import Watcher

TIMEOUT = 20.0


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT, interval: float = 0.05) -> bool:
    return _wait_until(predicate, timeout, interval)


class Watched:
    """A watcher over the test's folder, plus a separate reader connection for searching."""

    def __init__(self, services) -> None:  # noqa: ANN001
        self.services = services
        self.handled: Counter[Path] = Counter()
        self.watcher: Watcher | None = None
        self.reader = Store.open(services.paths.database, PASSPHRASE)
        # Its own fake embedder, so query embeddings never count as re-embedding documents.
        self.retriever = Retriever(self.reader, FakeEmbedder)

    def _on_indexed(self, path: Path, report: IndexReport) -> None:
        self.handled[path] += 1

    def start(self) -> Watcher:
        self.watcher = Watcher(self.services.indexer(), on_indexed=self._on_indexed, debounce=0.3)
        self.watcher.start()
        assert wait_until(lambda: self.watcher.status.state == "watching"), "catch-up never finished"
        return self.watcher

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def found(self, word: str) -> set[Path]:
        """Files whose passages contain ``word`` (keyword search, as a user would type it)."""
        return {h.chunk.path for h in self.retriever.search(word, 50, mode="bm25").hits}

    def indexed(self) -> set[Path]:
        return {f.path for f in self.reader.files()}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    return d


@pytest.fixture
def watched(services_factory, docs: Path) -> Iterator[Watched]:
    services = services_factory()
    services.store.add_folder(docs)
    w = Watched(services)
    yield w
    w.stop()
    w.reader.close()


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _atomic_save(target: Path, tmp_name: str, text: str) -> None:
    """What editors do: write a temp file next to the target, flush it, rename it over the target."""
    tmp = target.with_name(tmp_name)
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def test_a_new_file_becomes_searchable(watched: Watched, docs: Path) -> None:
    watched.start()
    top = _write(docs / "runbook.md", "# Zephyr\n\nThe Zephyr backup service listens on port 7431. quokkafrost\n")
    nested = _write(docs / "fresh" / "deeper" / "memo.txt", "A memo in a brand-new folder: heronlattice.\n")
    assert wait_until(lambda: watched.found("quokkafrost") == {top}), watched.found("quokkafrost")
    assert wait_until(lambda: watched.found("heronlattice") == {nested}), watched.found("heronlattice")
    assert watched.watcher is not None and watched.watcher.status.errors == 0


def test_an_editor_atomic_save_replaces_the_old_text(watched: Watched, docs: Path) -> None:
    notes = _write(docs / "notes.txt", "Version one of the plan mentions marmotglaze.\n")
    watched.services.indexer().index_all()
    watched.start()
    assert watched.found("marmotglaze") == {notes}

    _atomic_save(notes, "notes.txt.tmp", "Version two of the plan mentions pelicanbrass.\n")
    assert wait_until(lambda: watched.found("pelicanbrass") == {notes} and not watched.found("marmotglaze"))

    # A second save through a hidden temp name (gedit, GLib), with a backup and a swap file left around.
    _write(docs / "notes.txt~", "Version two of the plan mentions pelicanbrass.\n")
    _write(docs / ".notes.txt.swp", "b0VIM swap pelicanbrass\n")
    _atomic_save(notes, ".goutputstream-K3J9Q1", "Version three of the plan mentions otterglint.\n")
    assert wait_until(lambda: watched.found("otterglint") == {notes} and not watched.found("pelicanbrass"))

    assert watched.indexed() == {notes}, "a temp or backup file got into the index"
    assert watched.reader.counts()["chunks"] == 1


def test_temporary_files_never_reach_the_index_or_its_problem_list(watched: Watched, docs: Path) -> None:
    """A Word owner file (``~$x.docx``) has an indexable suffix but is 162 bytes of lock data."""
    _write(docs / "plan.md", "The plan mentions ibexmarble.\n")
    (docs / "~$budget.docx").write_bytes(b"\x05owner" + b"\0" * 156)  # there before the watcher starts
    watched.start()
    (docs / "~$plan.docx").write_bytes(b"\x05owner" + b"\0" * 156)  # and one made while it watches
    _write(docs / "download.txt.part", "half a download: ibexmarble\n")
    sentinel = _write(docs / "zz-sentinel.txt", "sentinel\n")
    assert wait_until(lambda: watched.handled[sentinel] == 1)
    assert watched.found("ibexmarble") == {docs / "plan.md"}
    assert watched.indexed() == {docs / "plan.md", sentinel}
    assert watched.reader.problems() == []


def test_a_move_across_subfolders_keeps_the_file_without_reembedding(watched: Watched, docs: Path,
                                                                     fake_embedder: FakeEmbedder) -> None:
    old = _write(docs / "inbox" / "contract.txt", "Client contracts are retained for eleven years. lynxpaper\n")
    _write(docs / "inbox" / "other.txt", "Unrelated text about storks.\n")
    watched.services.indexer().index_all()
    watched.start()
    embedded = fake_embedder.texts_embedded

    new = docs / "archive" / "2024" / "contract.txt"
    new.parent.mkdir(parents=True)
    os.rename(old, new)
    assert wait_until(lambda: watched.found("lynxpaper") == {new} and old not in watched.indexed())
    assert watched.indexed() == {new, docs / "inbox" / "other.txt"}
    assert fake_embedder.texts_embedded == embedded, "a moved file was embedded again"


def test_a_directory_rename_moves_every_file_in_it(watched: Watched, docs: Path,
                                                   fake_embedder: FakeEmbedder) -> None:
    for i in range(5):
        _write(docs / "projects" / "alpha" / f"note{i}.txt", f"Project alpha note {i}: gannetcode{i}.\n")
    _write(docs / "projects" / "alpha" / "sub" / "deep.txt", "A deep note: gannetdeep.\n")
    _write(docs / "keep.txt", "Stays where it is: gannetstay.\n")
    watched.services.indexer().index_all()
    watched.start()
    embedded = fake_embedder.texts_embedded

    os.rename(docs / "projects" / "alpha", docs / "projects" / "omega")
    omega = docs / "projects" / "omega"
    expected = {omega / f"note{i}.txt" for i in range(5)} | {omega / "sub" / "deep.txt", docs / "keep.txt"}
    assert wait_until(lambda: watched.indexed() == expected), watched.indexed()
    assert watched.found("gannetcode3") == {omega / "note3.txt"}
    assert watched.found("gannetdeep") == {omega / "sub" / "deep.txt"}
    assert fake_embedder.texts_embedded == embedded, "a renamed folder's files were embedded again"


def test_a_folder_moved_in_from_outside_becomes_searchable(watched: Watched, docs: Path, tmp_path: Path) -> None:
    outside = tmp_path / "downloads" / "unzipped"
    for i in range(3):
        _write(outside / "part" / f"doc{i}.txt", f"Unzipped document {i}: puffinslate{i}.\n")
    watched.start()
    os.rename(outside, docs / "unzipped")
    assert wait_until(lambda: watched.found("puffinslate2") == {docs / "unzipped" / "part" / "doc2.txt"})
    assert wait_until(lambda: len(watched.indexed()) == 3)


def test_a_deleted_file_leaves_the_results(watched: Watched, docs: Path) -> None:
    doomed = _write(docs / "draft.txt", "Draft memos are deleted after ninety days. tapirmoss\n")
    kept = _write(docs / "final.txt", "Final memos are kept. tapirmoss\n")
    watched.services.indexer().index_all()
    watched.start()
    assert watched.found("tapirmoss") == {doomed, kept}
    doomed.unlink()
    assert wait_until(lambda: watched.found("tapirmoss") == {kept})
    assert watched.indexed() == {kept}


def test_changes_made_while_nobody_watched_are_caught_up_at_start(watched: Watched, docs: Path) -> None:
    edited = _write(docs / "edited.txt", "Before the edit: coyotebrick.\n")
    deleted = _write(docs / "deleted.txt", "Soon gone: coyotegone.\n")
    moved = _write(docs / "a" / "moved.txt", "Will move: coyotemove.\n")
    watched.services.indexer().index_all()
    # Nobody watches while these happen.
    edited.write_text("After the edit: coyotefresh, a longer line than before.\n")
    deleted.unlink()
    moved_to = docs / "b" / "moved.txt"
    moved_to.parent.mkdir()
    os.rename(moved, moved_to)
    added = _write(docs / "added.txt", "New while nobody watched: coyotenew.\n")

    watched.start()  # returns once the catch-up scan is done
    assert watched.found("coyotefresh") == {edited} and watched.found("coyotebrick") == set()
    assert watched.found("coyotegone") == set()
    assert watched.found("coyotemove") == {moved_to}
    assert watched.found("coyotenew") == {added}
    assert watched.indexed() == {edited, moved_to, added}


BURST = 1000  # measured ~3 s for the whole burst on a 2-core machine, far under the 60 s budget


def test_a_burst_of_files_is_each_indexed_exactly_once(watched: Watched, docs: Path,
                                                       fake_embedder: FakeEmbedder) -> None:
    _write(docs / "existing.txt", "Already indexed before the burst.\n")
    watched.services.indexer().index_all()
    existing = watched.reader.counts()["indexed"]
    watched.start()
    embedded = fake_embedder.texts_embedded

    burst = [docs / ("new" if i % 2 else "") / f"note-{i:04d}.txt" for i in range(BURST)]
    (docs / "new").mkdir()
    for i, path in enumerate(burst):
        path.write_text(f"Burst note {i} about item{i} in zone{i % 7}, code c{i * 7919}.\n")
    # inotify delivers events in order and the queue hands out due paths sorted by name, so once this
    # sentinel (written last, sorted last) is handled, every burst event before it has been handled too.
    sentinel = _write(docs / "zz-sentinel.txt", "sentinel\n")
    assert wait_until(lambda: watched.handled[sentinel] >= 1, timeout=120), len(watched.handled)

    twice = {p: n for p, n in watched.handled.items() if n != 1 and p in set(burst)}
    assert not twice, f"handled more than once: {list(twice.items())[:5]}"
    assert all(watched.handled[p] == 1 for p in burst), "a burst file was never handled"
    counts = watched.reader.counts()
    assert counts["indexed"] == BURST + existing + 1
    assert counts["chunks"] == counts["indexed"], "a file has duplicate passages"
    assert fake_embedder.texts_embedded - embedded == BURST + 1, "a passage was embedded more than once"
    assert watched.found("item737") == {burst[737]}
    assert watched.watcher is not None and watched.watcher.status.errors == 0


def test_an_unreadable_subfolder_is_reported_and_watching_goes_on(watched: Watched, docs: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    private = docs / "private"
    inside = _write(private / "salaries.txt", "Salary bands, indexed while still readable: okapiledger.\n")
    _write(docs / "public.txt", "Public notes.\n")
    watched.services.indexer().index_all()
    os.symlink(docs, docs / "loop")  # a symlink loop next to it must not hang or crash anything

    # Tests run as root, who can read anything: make the folder behave as one without r and x permission
    # does for another user (listing it and stat-ing anything in it fail with EACCES).
    real_scandir, real_stat = os.scandir, os.stat

    def denied(path) -> bool:  # noqa: ANN001
        p = Path(os.fsdecode(path))
        return p == private or private in p.parents

    def scandir(path=".", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if denied(path):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_scandir(path, *args, **kwargs)

    def stat(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if isinstance(path, (str, bytes, os.PathLike)) and denied(path) and Path(os.fsdecode(path)) != private:
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)
    watcher = watched.start()
    reasons = [e.reason for e in watcher.status.recent_errors()]
    assert any("private" in r and "could not be read" in r and "Permission denied" in r for r in reasons), reasons
    assert watched.found("okapiledger") == {inside}, "an unreadable folder's files were dropped from the index"

    # A change inside it while watching (the event arrives, the file cannot be stat-ed): reported, not fatal.
    with open(private / "bonus.txt", "w") as fh:
        fh.write("Bonus plan.\n")
    fresh = _write(docs / "fresh.txt", "Written after the errors: wallabyquartz.\n")
    assert wait_until(lambda: watched.found("wallabyquartz") == {fresh}), watcher.status.recent_errors()
    assert wait_until(lambda: any("bonus.txt" in e.reason and "Permission denied" in e.reason
                                  for e in watcher.status.recent_errors())), watcher.status.recent_errors()
    later = _write(docs / "later.txt", "And after that too: wallabyslate.\n")
    assert wait_until(lambda: watched.found("wallabyslate") == {later}), "the watcher stopped after the error"
    assert watched.found("okapiledger") == {inside}


def test_symlinks_made_in_a_watched_folder_are_never_indexed(watched: Watched, docs: Path, tmp_path: Path) -> None:
    # A hostile colleague's links: to another team's file, a deny-listed key, a file and a folder outside.
    outside = tmp_path / "outside"
    _write(outside / ".env", "AWS_SECRET_ACCESS_KEY=denycanary\n")
    _write(outside / "secret.txt", "Outside every folder: outsidecanary.\n")
    _write(tmp_path / "team-b" / "plan.md", "Team B plan, codeword platypuscanary.\n")
    watched.start()
    (docs / "sneaky-b.md").symlink_to(tmp_path / "team-b" / "plan.md")
    (docs / "settings-notes.txt").symlink_to(outside / ".env")
    (docs / "linked.txt").symlink_to(outside / "secret.txt")
    (docs / "linked-dir").symlink_to(outside, target_is_directory=True)
    later = _write(docs / "later.txt", "Written after the links: puffinslate.\n")
    assert wait_until(lambda: watched.found("puffinslate") == {later})
    assert wait_until(lambda: all(watched.handled[docs / n] for n in ("sneaky-b.md", "linked.txt")))
    for canary in ("platypuscanary", "denycanary", "outsidecanary"):
        assert watched.found(canary) == set(), canary
    assert watched.indexed() == {later}
