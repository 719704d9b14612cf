"""SIGKILL the installed ``archivist index build`` halfway through a new generation: the current generation
keeps answering exactly as before, and running the build again finishes the same index a clean build makes.

Real ONNX embedder and encrypted files; the kill point is chosen by progress seen through a second
connection to the candidate's file (some files written, not all), never by elapsed time.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_until

from archivist.index.store import Store

ARCHIVIST = Path(sys.executable).parent / "archivist"
PASSPHRASE = "generation-crash-4471"
N_FILES = 60
WORDS = ("archive budget contract delivery engine forecast gateway harbor invoice journal ledger manifest network "
         "outage pipeline quarterly reactor schedule shipment tariff upgrade vendor warehouse audit backup").split()


class Home:
    """The installed command in a throw-away HOME/XDG sandbox."""

    def __init__(self, root: Path, **settings: str) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "XDG_"))}
        self.env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "config"),
                        XDG_DATA_HOME=str(root / "data"), XDG_CACHE_HOME=str(root / "cache"),
                        XDG_STATE_HOME=str(root / "state"), XDG_RUNTIME_DIR=str(root / "run"),
                        ARCHIVIST_PASSPHRASE=PASSPHRASE, **settings)
        for d in ("home", "run"):
            (root / d).mkdir(parents=True, mode=0o700, exist_ok=True)
        self.data = root / "data" / "archivist"

    def run(self, *args: str, **settings: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(ARCHIVIST), *args], env={**self.env, **settings}, capture_output=True, text=True,
                              timeout=600, stdin=subprocess.DEVNULL, check=False)

    def start(self, *args: str, **settings: str) -> subprocess.Popen:
        return subprocess.Popen([str(ARCHIVIST), *args], env={**self.env, **settings}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def manifest(self) -> dict:
        return json.loads((self.data / "generations.json").read_text())


def _corpus(root: Path) -> None:
    rng = random.Random(7)
    for i in range(N_FILES):
        folder = root / f"team{i % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        paragraphs = [" ".join(rng.choices(WORDS, k=40)) + f" code{i}x{p}." for p in range(3)]
        (folder / f"doc-{i:03d}.md").write_text(f"# Document {i}\n\n" + "\n\n".join(paragraphs) + "\n")


def _contents(db: Path) -> tuple[dict, dict]:
    """Files and passages (with no orphan vector or passage) of the index at ``db``."""
    store = Store.open(db, PASSPHRASE)
    try:
        c = store._conn
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        chunk_ids = {r[0] for r in c.execute("SELECT id FROM chunks")}
        assert {r[0] for r in c.execute("SELECT rowid FROM chunk_vec")} == chunk_ids
        files = {r[0]: (r[1], r[2]) for r in c.execute("SELECT path, status, sha256 FROM files")}
        chunks = {(p, seq): text for p, seq, text in c.execute(
            "SELECT f.path, c.seq, c.text FROM chunks c JOIN files f ON f.id = c.file_id")}
        return files, chunks
    finally:
        store.close()


def _search(home: Home, query: str) -> list:
    result = home.run("search", "--json", query)
    assert result.returncode == 0, result.stderr
    return [(h["path"], h["line_start"], h["text"]) for h in json.loads(result.stdout)["results"]]


def test_sigkill_mid_build_keeps_the_current_generation_and_the_build_resumes(tmp_path: Path) -> None:
    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    docs = tmp_path / "docs"
    _corpus(docs)
    home = Home(tmp_path / "crashed")
    assert home.run("add", str(docs)).returncode == 0
    assert home.run("index").returncode == 0
    before = _search(home, "code7x1 gateway")
    small = {"ARCHIVIST_CHUNK__MAX_TOKENS": "48", "ARCHIVIST_CHUNK__OVERLAP_TOKENS": "8"}

    candidate = home.data / "generations" / "2.db"
    proc = home.start("index", "build", **small)
    reader: list[Store] = []

    def some_files_written() -> bool:
        if not reader and candidate.exists():
            reader.append(Store.open(candidate, PASSPHRASE))
        return bool(reader) and reader[0].counts()["indexed"] >= 3

    try:
        assert wait_until(lambda: proc.poll() is not None or some_files_written(), timeout=300)
        assert proc.poll() is None, f"the build finished before the kill point: {proc.stderr.read()[-500:]}"
        written = reader[0].counts()["indexed"]
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        for r in reader:
            r.close()
    assert proc.returncode == -signal.SIGKILL and "Traceback" not in err
    assert written < N_FILES, "the kill came after the last file"

    manifest = home.manifest()
    assert manifest["current"] == 1
    assert {g["id"]: g["status"] for g in manifest["generations"]} == {1: "current", 2: "building"}
    assert _search(home, "code7x1 gateway") == before  # the current generation answers as before
    assert "generation 1" in home.run("status").stdout

    resumed = home.run("index", "build", **small)
    assert resumed.returncode == 0, resumed.stderr
    assert "Generation 2 is ready" in resumed.stdout
    assert {g["id"]: g["status"] for g in home.manifest()["generations"]} == {1: "current", 2: "ready"}

    clean = Home(tmp_path / "clean", **small)
    assert clean.run("add", str(docs)).returncode == 0
    assert clean.run("index").returncode == 0
    resumed_files, resumed_chunks = _contents(candidate)
    clean_files, clean_chunks = _contents(clean.data / "index.db")
    assert len(resumed_files) == N_FILES
    assert resumed_files == clean_files
    assert resumed_chunks == clean_chunks
