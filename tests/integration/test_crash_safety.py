"""SIGKILL the installed ``archivist index`` at several points, restart it: the index equals a clean build.

Real ONNX embedder, real encrypted index, a folder of ~150 varied documents (~200 passages). Kill points are
chosen by progress seen through a second connection (lock taken, first file committed, 40 %, 75 %), never by
elapsed time; between two kills the folder is also changed (a folder renamed, a file edited, one deleted, one
added) so moves and deletes are interrupted too. The clean build runs on the final folder in a second home.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import wait_until as _wait_until

from archivist.index.lock import WriterLock
from archivist.index.store import Store

pytestmark = pytest.mark.slow

ARCHIVIST = Path(sys.executable).parent / "archivist"
PASSPHRASE = "crash-passphrase-5120"
N_FILES = 150  # ~200 passages: a clean build takes ~10-20 s on 2 busy cores

WORDS = ("archive budget contract delivery engine forecast gateway harbor invoice journal ledger manifest network "
         "outage pipeline quarterly reactor schedule shipment tariff upgrade vendor warehouse audit backup cluster "
         "deadline escalation firmware hazard incident latency migration patch policy procurement quota refund "
         "retention rollout sensor storage supplier throughput ticket").split()


def wait_until(predicate: Callable[[], bool], timeout: float = 120.0, interval: float = 0.05) -> bool:
    return _wait_until(predicate, timeout, interval)


class Home:
    """The installed command in a throw-away HOME/XDG sandbox (as tests/e2e/e2e_support.py's Sandbox)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "XDG_"))}
        self.env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "config"),
                        XDG_DATA_HOME=str(root / "data"), XDG_CACHE_HOME=str(root / "cache"),
                        XDG_STATE_HOME=str(root / "state"), XDG_RUNTIME_DIR=str(root / "run"),
                        ARCHIVIST_PASSPHRASE=PASSPHRASE)
        for d in ("home", "run"):
            (root / d).mkdir(parents=True, mode=0o700, exist_ok=True)
        self.data = root / "data" / "archivist"
        self.lock = root / "run" / "archivist" / "index.lock"  # the writer lock lives in the runtime folder

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(ARCHIVIST), *args], env=self.env, capture_output=True, text=True, timeout=600,
                              stdin=subprocess.DEVNULL, check=False)

    def start_index(self) -> subprocess.Popen:
        return subprocess.Popen([str(ARCHIVIST), "index"], env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _make_corpus(root: Path, n: int) -> None:
    rng = random.Random(20240517)
    for i in range(n):
        folder = root / f"team{i % 6}" / ("notes" if i % 3 else "reports")
        folder.mkdir(parents=True, exist_ok=True)
        paragraphs = []
        for p in range(rng.randint(2, 3) if i % 10 else 8):  # one file in ten is several passages long
            sentences = []
            for s in range(rng.randint(2, 4)):
                words = rng.choices(WORDS, k=rng.randint(8, 16))
                words.insert(rng.randrange(len(words)), f"code{i}x{p}x{s}")
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(" ".join(sentences))
        if i % 2:
            (folder / f"doc-{i:03d}.md").write_text(f"# Document {i}\n\n" + "\n\n".join(paragraphs) + "\n")
        else:
            (folder / f"doc-{i:03d}.txt").write_text(f"Document {i}\n\n" + "\n\n".join(paragraphs) + "\n")


def _snapshot(db: Path) -> tuple[dict, dict]:
    """Files and passages of the index at ``db``; asserts on the way that it has no orphan or duplicate rows."""
    store = Store.open(db, PASSPHRASE)
    try:
        c = store._conn
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        c.execute("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')")  # raises when corrupt
        chunk_ids = {r[0] for r in c.execute("SELECT id FROM chunks")}
        vec_ids = {r[0] for r in c.execute("SELECT rowid FROM chunk_vec")}
        assert vec_ids == chunk_ids, (f"{len(vec_ids - chunk_ids)} vectors without a passage, "
                                      f"{len(chunk_ids - vec_ids)} passages without a vector")
        assert c.execute("SELECT count(*) FROM chunks_fts_docsize").fetchone()[0] == len(chunk_ids)
        assert c.execute("SELECT count(*) FROM chunks WHERE file_id NOT IN (SELECT id FROM files)").fetchone()[0] == 0
        empty = c.execute("SELECT path FROM files WHERE status = 'indexed' AND id NOT IN "
                          "(SELECT file_id FROM chunks)").fetchall()
        assert not empty, f"indexed files without passages: {empty[:3]}"
        files = {r[0]: (r[1], r[2]) for r in c.execute("SELECT path, status, sha256 FROM files")}
        rows = c.execute("SELECT f.path, c.seq, c.prefix, c.text, v.embedding FROM chunks c "
                         "JOIN files f ON f.id = c.file_id JOIN chunk_vec v ON v.rowid = c.id").fetchall()
        chunks = {(p, seq): (prefix, text, np.frombuffer(blob, dtype=np.float32))
                  for p, seq, prefix, text, blob in rows}
        assert len(chunks) == len(rows) == len(chunk_ids), "duplicate passages"
        return files, chunks
    finally:
        store.close()


def _kill_when(home: Home, reached: Callable[[subprocess.Popen], bool]) -> None:
    proc = home.start_index()
    try:
        assert wait_until(lambda: proc.poll() is not None or reached(proc)), "no progress within the timeout"
        assert proc.poll() is None, f"index finished before the kill point: {proc.stderr.read()[-500:]}"
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert "Traceback" not in err, err


def test_sigkill_at_any_point_then_restart_equals_a_clean_build(tmp_path: Path) -> None:
    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    docs = tmp_path / "docs"
    _make_corpus(docs, N_FILES)
    crashed = Home(tmp_path / "crashed")
    assert crashed.run("add", str(docs)).returncode == 0
    db = crashed.data / "index.db"
    lock = WriterLock(crashed.lock)
    reader = Store.open(db, PASSPHRASE)

    def indexed() -> int:
        return reader.counts()["indexed"]

    try:
        # 1. Holding the writer lock, before or while loading the model.
        _kill_when(crashed, lambda proc: (lock.holder() or {}).get("pid") == proc.pid)
        # 2. Right after this run commits its first file (likely in the middle of the next one).
        before = indexed()
        _kill_when(crashed, lambda proc: indexed() > before)
        # 3. About 40 % in.
        _kill_when(crashed, lambda proc: indexed() >= 0.4 * N_FILES)
        # The user works on while nothing runs: these are caught by the restarts.
        os.rename(docs / "team0", docs / "archive-team0")  # indexed files, now at new paths
        edited = sorted((docs / "team2").rglob("*.txt"))[0]
        edited.write_text(edited.read_text() + "\nAmended after the crash: otterlimestone.\n")
        sorted((docs / "team1").rglob("*.md"))[0].unlink()
        (docs / "team5" / "notes" / "late.md").write_text("# Late\n\nAdded between two crashes: ibisgranite.\n")
        # 4. About 75 % in, with the moves, the edit and the delete in the same run.
        _kill_when(crashed, lambda proc: indexed() >= 0.75 * N_FILES)
    finally:
        reader.close()

    finished = crashed.run("index")
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr + finished.stdout

    clean = Home(tmp_path / "clean")
    assert clean.run("add", str(docs)).returncode == 0
    built = clean.run("index")
    assert built.returncode == 0, built.stderr

    crashed_files, crashed_chunks = _snapshot(db)
    clean_files, clean_chunks = _snapshot(clean.data / "index.db")
    assert len(clean_files) == N_FILES  # 150 - 1 deleted + 1 added
    assert crashed_files == clean_files
    assert set(crashed_chunks) == set(clean_chunks)
    for key, (prefix, text, vector) in clean_chunks.items():
        got_prefix, got_text, got_vector = crashed_chunks[key]
        assert (got_prefix, got_text) == (prefix, text), key
        assert float(np.dot(got_vector, vector)) > 0.999, f"{key}: the passage carries another passage's vector"
    search = crashed.run("search", "--json", "otterlimestone")
    assert search.returncode == 0 and str(edited) in search.stdout
