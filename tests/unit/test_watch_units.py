"""The watcher's parts without a real observer: temp-file filter, debounce, event routing, writer lock, full disk."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import wait_until

from archivist.errors import DiskFull, IndexBusy
from archivist.index.lock import WriterLock
from archivist.index.store import Folder
from archivist.watch.debounce import Debouncer
from archivist.watch.filters import is_temporary
from archivist.watch.watcher import Watcher, WatchError

# -- temp and backup files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    ".report.md.swp", "report.md.swo", "report.md~", ".#report.md", "report.pdf.part", "report.pdf.crdownload",
    "report.tmp", "REPORT.TMP", "~$report.docx", "#report.md#", "4913",
])
def test_editor_and_download_temporaries_are_ignored(name: str) -> None:
    assert is_temporary(Path("/docs") / name)


@pytest.mark.parametrize("name", [
    "report.md", "notes.txt", "budget-2024.pdf", "tmp-notes.md", "part-1.txt", "swap.md", "temporary.html",
    "a~b.txt", "#hashtag.md",
])
def test_ordinary_documents_are_not_temporary(name: str) -> None:
    assert not is_temporary(Path("/docs") / name)


# -- debounce ----------------------------------------------------------------------------------------------------

def test_a_path_is_released_only_after_it_has_been_quiet_for_the_delay(tmp_path: Path) -> None:
    q = Debouncer(delay=1.0)
    f = tmp_path / "a.txt"
    q.touch(f, now=100.0)
    assert q.take_due(now=100.5) == ([], [])
    q.touch(f, now=100.8)  # still being written: the quiet period starts again
    assert q.take_due(now=101.5) == ([], [])
    assert q.next_due_in(now=101.5) == pytest.approx(0.3)
    assert q.take_due(now=101.8) == ([f], [])
    assert len(q) == 0 and q.take_due(now=200.0) == ([], [])


def test_many_touches_of_one_path_come_out_once(tmp_path: Path) -> None:
    q = Debouncer(delay=0.5)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    for i in range(50):  # created, modified x n, closed: one path, one release
        q.touch(a, now=10.0 + i * 0.001)
        q.touch(b, now=10.0 + i * 0.001)
    assert len(q) == 2
    paths, _ = q.take_due(now=11.0)
    assert sorted(paths) == [a, b]


def test_existing_paths_come_before_missing_ones(tmp_path: Path) -> None:
    """A move is seen at its new path (and recognised by its hash) before its old path is dropped."""
    (tmp_path / "new").mkdir()
    moved_to = tmp_path / "new" / "z.txt"
    moved_to.write_text("x")
    moved_from = tmp_path / "a-old.txt"  # sorts first by name, but no longer exists
    q = Debouncer(delay=0.1)
    q.touch(moved_from, now=1.0)
    q.touch(moved_to, now=1.0)
    assert q.take_due(now=2.0) == ([moved_to, moved_from], [])


def test_folder_rescans_are_debounced_too(tmp_path: Path) -> None:
    q = Debouncer(delay=1.0)
    q.rescan(tmp_path, now=5.0)
    q.rescan(tmp_path, now=5.5)
    assert q.take_due(now=6.0) == ([], [])
    assert q.take_due(now=6.5) == ([], [tmp_path])


def test_the_queue_counts_what_waits_per_group(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    q = Debouncer(delay=1.0, group=lambda p: a if a in p.parents or p == a else b)
    q.touch(a / "1.txt", now=10.0)
    q.touch(a / "1.txt", now=10.5)  # the same path again: still one waiting
    q.touch(a / "2.txt", now=11.5)
    q.rescan(b, now=10.0)
    assert q.counts() == {a: 2, b: 1}
    assert q.take_due(now=11.6) == ([a / "1.txt"], [b])
    assert q.counts() == {a: 1}
    q.take_due(now=20.0)
    assert q.counts() == {} and len(q) == 0


# -- event routing -----------------------------------------------------------------------------------------------

@pytest.fixture
def watcher(tmp_path: Path) -> Watcher:
    """A watcher over ``tmp_path/docs`` whose queue is inspected directly (nothing is started)."""
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    store = SimpleNamespace(folders=lambda: [Folder(1, docs)])
    return Watcher(SimpleNamespace(store=store), debounce=0.1)  # type: ignore[arg-type]


def _queued(w: Watcher) -> tuple[list[Path], list[Path]]:
    paths, rescans = w.queue.take_due(now=1e12)
    return sorted(paths), rescans


def test_reads_including_the_indexers_own_are_ignored(watcher: Watcher, tmp_path: Path) -> None:
    f = str(tmp_path / "docs" / "a.txt")
    watcher.on_event("opened", f)
    watcher.on_event("closed_no_write", f)
    assert _queued(watcher) == ([], [])
    watcher.on_event("closed", f)
    assert _queued(watcher) == ([Path(f)], [])


def test_temp_files_and_paths_outside_the_folders_are_ignored(watcher: Watcher, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for name in (".a.txt.swp", "a.txt~", ".#a.txt", "big.pdf.part", "big.pdf.crdownload", "x.tmp"):
        watcher.on_event("created", str(docs / name))
        watcher.on_event("modified", str(docs / name))
    watcher.on_event("created", str(tmp_path / "elsewhere.txt"))
    watcher.on_event("created", str(tmp_path / "docs-other" / "b.txt"))  # a sibling whose name starts alike
    assert _queued(watcher) == ([], [])


def test_an_atomic_save_queues_the_target_not_the_temp_file(watcher: Watcher, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    watcher.on_event("moved", str(docs / "a.txt.tmp"), str(docs / "a.txt"))
    assert _queued(watcher) == ([docs / "a.txt"], [])


def test_a_file_move_queues_both_ends(watcher: Watcher, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    watcher.on_event("moved", str(docs / "a.txt"), str(docs / "sub" / "a.txt"))
    assert _queued(watcher) == ([docs / "a.txt", docs / "sub" / "a.txt"], [])


@pytest.mark.parametrize("kind", ["moved", "deleted"])
def test_a_directory_moved_or_deleted_rescans_its_folder(watcher: Watcher, tmp_path: Path, kind: str) -> None:
    docs = tmp_path / "docs"
    watcher.on_event(kind, str(docs / "sub"), str(docs / "renamed") if kind == "moved" else None, is_dir=True)
    assert _queued(watcher) == ([], [docs])


def test_directory_creation_alone_queues_nothing(watcher: Watcher, tmp_path: Path) -> None:
    watcher.on_event("created", str(tmp_path / "docs" / "new"), is_dir=True)
    watcher.on_event("modified", str(tmp_path / "docs"), is_dir=True)
    assert _queued(watcher) == ([], [])


# -- one writer --------------------------------------------------------------------------------------------------

_HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from archivist.index.lock import WriterLock
    WriterLock(Path(sys.argv[1])).acquire(sys.argv[2])
    print("held", flush=True)
    time.sleep(600)
""")


def test_a_second_writer_process_is_refused_by_name_until_the_holder_dies(tmp_path: Path) -> None:
    lock_path = tmp_path / "data" / "index.lock"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(lock_path), "watch daemon"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusy) as refused:
            WriterLock(lock_path).acquire("archivist index")
        message = str(refused.value)
        assert "watch daemon" in message and f"pid {holder.pid}" in message
        assert "archivist watch --stop" in message
        assert WriterLock(lock_path).holder()["pid"] == holder.pid  # type: ignore[index]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    # The kernel dropped the lock with the process: no stale lock after a crash.
    assert WriterLock(lock_path).holder() is None
    with WriterLock(lock_path) as lock:
        lock.acquire("archivist index")
        assert WriterLock(lock_path).holder()["role"] == "archivist index"  # type: ignore[index]
    assert WriterLock(lock_path).holder() is None


# -- full disk ---------------------------------------------------------------------------------------------------

def _big_text(lines: int) -> str:
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(3000)]
    return "\n".join(" ".join(rng.choice(vocab) for _ in range(8)) for _ in range(lines))


# With 32-token passages the big file is ~1,250 passages (~220 pages of text before its 1,024th vector).
# 10 pages of room fail in SQLite's own tables (SQLITE_FULL); 380 pages fail while sqlite-vec allocates its
# next 1.6 MB vector chunk, which it reports as a plain SQLITE_ERROR (the window is ~215-560 pages).
@pytest.mark.parametrize("room_pages", [10, 380])
def test_a_full_disk_is_a_clear_error_and_the_index_stays_consistent(services_factory, tmp_path: Path,
                                                                     room_pages: int) -> None:
    from archivist.settings import ChunkSettings, Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "zephyr.txt").write_text("The Zephyr backup service listens on port 7431.\n")
    services = services_factory(settings=Settings(chunk=ChunkSettings(max_tokens=32, overlap_tokens=0)))
    services.store.add_folder(docs)
    indexer = services.indexer()
    indexer.index_all()
    conn = services.store._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + room_pages}").fetchone()
    big = docs / "big.txt"
    big.write_text(_big_text(5000) + "\nCanary: wombatquill.\n")

    with pytest.raises(DiskFull) as full:
        indexer.index_file(big)
    assert full.value.title == "Disk full"
    assert "full" in str(full.value) and str(services.store.path.parent) in str(full.value)
    assert "Free some space" in str(full.value)

    # Nothing of the failed file, everything of the earlier one.
    assert services.store.file_by_path(big) is None
    assert services.store.counts()["chunks"] == 1
    assert services.store.counts()["indexed"] == 1
    assert [h.chunk.path for h in services.retriever().search("Zephyr port", 3, mode="bm25").hits] \
        == [docs / "zephyr.txt"]
    assert services.retriever().search("wombatquill", 3, mode="bm25").hits == []
    assert conn.execute("SELECT count(*) FROM chunk_vec").fetchone()[0] == 1
    conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')")

    # Space freed: the same file now goes in.
    conn.execute("PRAGMA max_page_count = 1073741823").fetchone()
    assert indexer.index_file(big).added == 1
    assert [h.chunk.path for h in services.retriever().search("wombatquill", 3, mode="bm25").hits] == [big]


# -- one daemon, several profiles ----------------------------------------------------------------------------------

def test_each_profile_is_shown_only_its_own_folders_activity(tmp_path: Path) -> None:
    """Issue 13: the default profile's ``status`` showed the daemon's last file and errors from team-b's folder.
    The daemon (all folders) stores its state per folder; each profile's view is cut from it."""
    import json

    from archivist.index.indexer import IndexReport
    from archivist.watch.daemon import WITHHELD, profile_view, status_json

    ours, theirs = tmp_path / "ours", tmp_path / "team-b"
    for d in (ours, theirs):
        d.mkdir()
    secret = theirs / "acquisition-plan.md"

    def index_folder(folder: Folder) -> IndexReport:
        if folder.path == theirs:
            return IndexReport(added=1, problems=[(secret, f"{secret.name}: not a readable PDF.")])
        return IndexReport(added=2)

    store = SimpleNamespace(folders=lambda: [Folder(1, ours), Folder(2, theirs, ("team-b",))])
    w = Watcher(SimpleNamespace(store=store, index_folder=index_folder), debounce=600)  # type: ignore[arg-type]
    w.on_event("created", str(theirs / "q3-layoffs.txt"))  # still waiting in their folder at the end
    w.start()
    try:
        assert wait_until(lambda: w.status.state == "watching")
    finally:
        w.stop()
    w.status.watcher_errors.append(WatchError(1.0, f"watcher stopped: KeyError: '{secret}'"))
    state = json.loads(status_json(w.status, pid=4242))

    mine = profile_view(state, [str(ours)], [str(theirs)])
    shown = json.dumps(mine)
    for leak in ("team-b", "acquisition-plan", "q3-layoffs", "not a readable PDF"):
        assert leak not in shown, (leak, shown)
    assert (mine["done"], mine["errors"], mine["queued"]) == (1, 0, 0)  # our folder's catch-up only
    assert mine["last_file"] == str(ours)
    assert [e["reason"] for e in mine["recent_errors"]] == [f"watcher stopped ({WITHHELD})"]
    assert mine["pid"] == 4242 and mine["state"] == "stopped"  # the process itself is the same for all

    their_view = profile_view(state, [str(theirs)], [str(ours)])
    assert (their_view["done"], their_view["errors"], their_view["queued"]) == (1, 1, 1)
    assert their_view["last_file"] == str(theirs)
    reasons = [e["reason"] for e in their_view["recent_errors"]]
    assert reasons == [f"watcher stopped: KeyError: '{secret}'", f"{secret.name}: not a readable PDF."]
    assert their_view["recent_errors"][1]["path"] == str(secret)
    everything = profile_view(state, [str(ours), str(theirs)], [])  # a store opened for every profile
    assert (everything["done"], everything["errors"]) == (2, 1)


def test_the_daemon_log_keeps_a_librarys_message_out(tmp_path: Path) -> None:
    """watch.log holds counts and states, never names or text; pypdf's warnings quote document bytes."""
    import logging

    from archivist.watch.daemon import own_messages_only

    log_file = tmp_path / "watch.log"
    handler = logging.FileHandler(log_file)
    handler.addFilter(own_messages_only)
    for name in ("pypdf._reader", "archivist.watch"):
        logging.getLogger(name).addHandler(handler)
    try:
        logging.getLogger("pypdf._reader").warning("Ignoring wrong object in %s: b'quokkafrost'", "merger-q3.pdf")
        logging.getLogger("archivist.watch").warning("state=%s queued=%d", "watching", 3)
    finally:
        for name in ("pypdf._reader", "archivist.watch"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()
    text = log_file.read_text()
    assert "merger-q3" not in text and "quokkafrost" not in text
    assert "pypdf._reader: a warning" in text and "state=watching queued=3" in text
