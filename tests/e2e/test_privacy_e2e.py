"""Privacy through the installed ``archivist`` command with the real models (issue 4).

One session (add -> index -> ask -> forget) is shared by the checks that only read its results: no outbound
connection (strace), nothing of the forgotten file recoverable (raw bytes, every table of the decrypted
databases, a plaintext export, every decrypted page), private files while the daemon holds them open, no
passphrase on disk. Profiles and key files get their own sandboxes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import wait_until
from e2e_support import ARCHIVIST, Sandbox, make_corpus
from privacy_support import decrypted_pages, exported_bytes, table_bytes

CANARY = b"marmotglaze"  # legal/retention.txt, the file the session forgets
FTS_PROBE = b"otglaz"  # inside the Porter stem of the canary: what the keyword index stores
KEPT = b"quokkafrost"  # ops/zephyr-runbook.md, which stays
QUESTION = "How long are client contracts retained?"


def _sandbox(root: Path) -> Sandbox:
    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    return Sandbox(root)


def _ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


# -- reading the encrypted files as someone holding the key ----------------------------------------------------

# -- the shared session ---------------------------------------------------------------------------------------

@dataclass
class Session:
    box: Sandbox
    passphrase: str
    traces: list[Path] = field(default_factory=list)
    before_forget: dict[str, bool] = field(default_factory=dict)
    forgotten: Path | None = None

    @property
    def databases(self) -> list[Path]:
        return sorted((self.box.root / "data").rglob("*.db"))

    def stored_files(self) -> list[Path]:
        return [p for d in self.box.stored_dirs for p in d.rglob("*") if p.is_file()]


def _traced(box: Sandbox, trace: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the command under strace, recording every connect() of every thread and child."""
    return subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), str(ARCHIVIST), *args],
                          env=box.env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
                          check=False)


def _strace_works(tmp: Path) -> bool:
    """strace is installed, may trace here, and sees an inet connect (the check below would catch one)."""
    if shutil.which("strace") is None:
        return False
    trace = tmp / "probe.trace"
    connect = "import socket; socket.socket().connect_ex(('127.0.0.1', 9))"
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace), sys.executable, "-c",
                            connect], capture_output=True, check=False)
    return probe.returncode == 0 and "AF_INET" in trace.read_text()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("privacy-session")
    box = _sandbox(root)
    s = Session(box, box.env["ARCHIVIST_PASSPHRASE"])
    make_corpus(box.docs)
    strace = _strace_works(root)
    _ok(box.run("add", str(box.docs)))
    for name, args in (("index", ("index",)), ("ask", ("ask", "--json", QUESTION))):
        if strace:
            s.traces.append(root / f"{name}.trace")
            result = _traced(box, s.traces[-1], *args)
        else:
            result = box.run(*args)
        _ok(result)
        if name == "ask":
            cited = [c["path"] for c in json.loads(result.stdout)["citations"]]
            assert any(p.endswith("retention.txt") for p in cited), cited
    _ok(box.run("ask", "--json", "--extractive", QUESTION))
    _ok(box.run("search", "client contracts retained eleven years"))
    index_db = next(p for p in s.databases if p.name == "index.db")
    s.before_forget = {
        "pages": CANARY in decrypted_pages(index_db, s.passphrase),
        "fts": FTS_PROBE in table_bytes(index_db, s.passphrase)["chunks_fts_data"],
        "state": any(CANARY in decrypted_pages(db, s.passphrase) for db in s.databases if db.name == "state.db"),
    }
    s.forgotten = box.docs / "legal" / "retention.txt"
    _ok(box.run("forget", str(s.forgotten)))
    return s


def test_a_full_session_makes_no_outbound_connection(session: Session) -> None:
    if session.traces:
        lines = [line for t in session.traces for line in t.read_text().splitlines()]
        inet = [line for line in lines if re.search(r"AF_INET6?\b", line)]
        assert inet == [], inet
    entries = json.loads(_ok(session.box.run("audit", "show", "--json")).stdout)
    assert any(e["action"] == "ask" for e in entries)
    assert [e for e in entries if e["action"] == "egress-refused"] == []
    assert "egress guard active" in session.box.run("doctor", "--privacy").stdout


def test_nothing_of_a_forgotten_file_is_recoverable(session: Session, tmp_path: Path) -> None:
    assert session.before_forget == {"pages": True, "fts": True, "state": True}, "controls: visible before forget"
    for path in session.stored_files():
        raw = path.read_bytes()
        assert CANARY not in raw and FTS_PROBE not in raw, f"canary readable in {path}"
    assert {db.name for db in session.databases} >= {"index.db", "state.db"}
    for n, db in enumerate(session.databases):
        for name, content in table_bytes(db, session.passphrase).items():
            assert CANARY not in content and FTS_PROBE not in content, f"canary in {db.name}:{name}"
        exported = exported_bytes(db, session.passphrase, tmp_path / f"plain-{n}.db")
        assert CANARY not in exported and FTS_PROBE not in exported, f"canary in the export of {db}"
        pages = decrypted_pages(db, session.passphrase)
        assert CANARY not in pages and FTS_PROBE not in pages, f"canary recoverable from the pages of {db}"
    index_db = next(db for db in session.databases if db.name == "index.db")
    assert KEPT in b"".join(table_bytes(index_db, session.passphrase).values()), "forget removed too much"


def test_no_file_holds_the_passphrase(session: Session) -> None:
    files = session.stored_files()
    assert files
    for path in files:
        assert session.passphrase.encode() not in path.read_bytes(), f"passphrase written to {path}"


def test_every_data_file_is_private_while_the_daemon_holds_them_open(session: Session) -> None:
    box = session.box
    started = _ok(box.run("watch", "--daemon"))
    pid = int(re.search(r"pid (\d+)", started.stdout).group(1))
    try:
        data = box.root / "data"
        assert wait_until(lambda: any(data.rglob("index.db-wal")) and any(data.rglob("*.log")), timeout=60), \
            sorted(p.name for p in data.rglob("*"))
        modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [data / "archivist", *(data / "archivist").rglob("*")]}
        names = {p.name for p in modes}
        assert {"index.db", "index.db-wal", "index.db-shm", "state.db", "watch.log"} <= names, names
        wrong = {str(p): oct(m) for p, m in modes.items() if m != (0o700 if p.is_dir() else 0o600)}
        assert wrong == {}
    finally:
        box.run("watch", "--stop", timeout=120)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_forgotten_file_stays_out_of_the_index(session: Session) -> None:
    box = session.box
    assert session.forgotten is not None
    _ok(box.run("index"))
    hits = json.loads(_ok(box.run("search", "--json", "client contracts retained eleven years")).stdout)["results"]
    assert not [h for h in hits if h["path"] == str(session.forgotten)]
    assert any(h["path"].endswith("zephyr-runbook.md") for h in
               json.loads(box.run("search", "--json", "Zephyr backup service port").stdout)["results"])
    assert _ok(box.run("audit", "verify")).stdout.startswith("Audit trail intact")


# -- profiles ---------------------------------------------------------------------------------------------------

def test_two_profiles_see_only_their_own_folders(tmp_path: Path) -> None:
    box = _sandbox(tmp_path)
    make_corpus(box.docs)
    legal, ops = box.docs / "legal", box.docs / "ops"
    _ok(box.run("--profile", "legal", "add", str(legal)))
    _ok(box.run("--profile", "ops", "add", str(ops)))
    _ok(box.run("--profile", "legal", "index"))
    _ok(box.run("--profile", "ops", "index"))
    ops_markers = ["quokkafrost", str(ops), "zephyr-runbook", "7431", "Frankfurt", "status.html"]
    seen = [
        box.run("--profile", "legal", "search", "--json", "Zephyr backup service port snapshots"),
        box.run("--profile", "legal", "search", "--json", "--mode", "vector", "Heron ingest cluster nodes"),
        box.run("--profile", "legal", "ask", "--json", "Which port does the Zephyr backup service listen on?"),
        box.run("--profile", "legal", "history", "--json"),
        box.run("--profile", "legal", "status", "--json"),
    ]
    for result in seen:
        _ok(result)
        assert not [m for m in ops_markers if m in result.stdout], result.stdout
    assert "Added folders: legal." in _one_line_error(
        box.run("--profile", "legal", "search", "in:ops Zephyr backup port"))
    own = json.loads(_ok(box.run("--profile", "ops", "search", "--json", "Zephyr backup service port")).stdout)
    assert own["results"][0]["path"].endswith("zephyr-runbook.md"), "control: ops finds its own file"
    assert "Not allowed" in _one_line_error(box.run("--profile", "legal", "add", str(ops)))


# -- key file ---------------------------------------------------------------------------------------------------

@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[Sandbox]:
    box = _sandbox(tmp_path)
    make_corpus(box.docs)
    _ok(box.run("add", str(box.docs)))
    _ok(box.run("index"))
    yield box


def test_passwd_to_a_key_file_then_open_with_it(keyed: Sandbox, tmp_path: Path) -> None:
    key = tmp_path / "usb" / "archivist.key"
    key.parent.mkdir()
    _ok(keyed.run("passwd", "--new-key-file", str(key)))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    by_file = {"ARCHIVIST_PASSPHRASE": "", "ARCHIVIST_PASSPHRASE_FILE": str(key)}
    hits = json.loads(_ok(keyed.run("search", "--json", "Heron ingest nodes", env=by_file)).stdout)["results"]
    assert hits and hits[0]["path"].endswith("status.html")
    assert _ok(keyed.run("audit", "verify", env=by_file)).stdout.startswith("Audit trail intact")
    assert "Wrong passphrase" in _one_line_error(keyed.run("status"))
