"""Nothing leaves the machine and nothing is left outside Archivist's folders, shown at the OS level.

Every command of a whole session runs under ``strace -f -e trace=socket`` (each thread and child process: the watch
daemon, the extraction worker, doctor's llama.cpp probe): add, index, search, ask with the real model, status, a
watch daemon cycle (start, an edit picked up, stop), the terminal UI (opened in a private tmux server, a search,
quit), doctor and doctor --privacy; then, in a test of its own, a short adapter training. Not one AF_INET or
AF_INET6 socket may be opened, by Python or native code. The sandbox's HOME, XDG folders and TMPDIR are listed
before and after: every new path lies inside Archivist's own folders (``archivist.paths.Paths``).

The telemetry and hub switches are removed from the environment first (the tests' own process sets them), so the
test proves that the ``archivist`` command sets them itself: ONNX Runtime's telemetry would otherwise write
``$XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime`` at the first index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import wait_until
from e2e_support import ARCHIVIST, Sandbox, Tmux, make_corpus

from archivist.security.offline import SWITCHES

CI_MARKERS = {"CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "RUN_ID", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD",
              "JENKINS_URL", "BUILDKITE", "CIRCLECI", "TRAVIS", "TEAMCITY_VERSION", "CODEBUILD_BUILD_ID"}
"""Environment variables by which libraries recognise a CI service (and some turn their telemetry off)."""

pytestmark = pytest.mark.slow

WATCHED = ("home", "config", "data", "cache", "state", "run", "tmp")
INET = re.compile(r"\bsocket\((?:AF|PF)_INET6?\b")
QUESTION = "Which port does the Zephyr backup service listen on?"


def _strace_problem(tmp: Path) -> str | None:
    """Why strace cannot prove anything here (None: it is installed, may trace, and sees an inet socket)."""
    if shutil.which("strace") is None:
        return "strace is not installed (packaging/bootstrap.sh test installs it when it can: apt-get install strace)"
    trace = tmp / "probe.trace"
    probe = subprocess.run(["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=socket", "-o", str(trace),
                            sys.executable, "-c", "import socket; socket.socket().close()"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0 or not trace.exists():
        return f"strace cannot trace here (ptrace not permitted?): {probe.stderr.strip()[-200:]}"
    if not INET.search(trace.read_text()):
        return "strace ran but did not record a control AF_INET socket"
    return None


class TracedBox:
    """A sandbox whose every ``archivist`` run is traced, with none of the switches in its environment."""

    def __init__(self, root: Path) -> None:
        if not ARCHIVIST.exists():
            pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
        problem = _strace_problem(root)
        if problem:
            pytest.skip(problem)
        self.box = Sandbox(root)
        self.root = root
        for d in WATCHED:
            (root / d).mkdir(mode=0o700, exist_ok=True)
        self.traces = root / "traces"
        self.traces.mkdir()
        # CI markers go too: ONNX Runtime writes no telemetry where it sees a CI service, which would let this
        # test pass in CI whether or not Archivist turns it off.
        env = {k: v for k, v in self.box.env.items()
               if k not in SWITCHES and k not in CI_MARKERS and k not in ("ORT_TELEMETRY_DISABLED",
                                                                          "TORCHINDUCTOR_CACHE_DIR",
                                                                          "TRITON_CACHE_DIR")}
        env["TMPDIR"] = str(root / "tmp")
        self.env = env
        self._n = 0

    def argv(self, name: str, *args: str) -> list[str]:
        self._n += 1
        trace = self.traces / f"{self._n:02d}-{name}.trace"
        return ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=socket", "-o", str(trace), str(ARCHIVIST),
                *args]

    def run(self, name: str, *args: str, timeout: float = 600, env: dict | None = None,
            ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(self.argv(name, *args), env={**self.env, **(env or {})}, capture_output=True,
                                text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
        if ok:
            assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        return result

    def listing(self) -> set[str]:
        out = set()
        for d in WATCHED:
            for dirpath, dirnames, filenames in os.walk(self.root / d):
                for name in dirnames + filenames:
                    out.add(str((Path(dirpath) / name).relative_to(self.root)))
        return out

    def archivist_folders(self, env: dict | None = None) -> list[str]:
        """Archivist's own folders in this sandbox, as archivist.paths resolves them for the command."""
        code = ("from archivist.paths import Paths\np = Paths.resolve()\n"
                "print('\\n'.join(map(str, (p.config_dir, p.data_dir, p.cache_dir, p.runtime_dir, p.models_dir))))")
        out = subprocess.run([sys.executable, "-c", code], env={**self.env, **(env or {})}, capture_output=True,
                             text=True, check=True).stdout.split()
        return [str(Path(p).relative_to(self.root)) for p in out if Path(p).is_relative_to(self.root)]

    def inet_sockets(self) -> list[str]:
        traces = sorted(self.traces.glob("*.trace"))
        assert len(traces) == self._n, "a traced command left no trace file"  # strace ran every time
        lines = [f"{t.name}: {line}" for t in traces for line in t.read_text(errors="replace").splitlines()]
        return [line for line in lines if INET.search(line)]

    def assert_nothing_outside(self, before: set[str], allowed: list[str]) -> None:
        new = sorted(self.listing() - before)
        stray = [p for p in new if not any(p == a or p.startswith(a + "/") for a in allowed)]
        assert stray == [], f"written outside Archivist's folders {allowed}: {stray}"


def _tmux_tui(box: TracedBox, screen_has: Callable[[str], bool]) -> None:
    """Open the terminal UI (traced) in a private tmux server, search in search-only mode, quit."""
    tmux = Tmux(box.env, "no-trace")

    wait_for = tmux.wait_for

    command = " ".join(box.argv("tui"))
    tmux("new-session", "-d", "-s", "tui", "-x", "160", "-y", "45", f"{command}; echo EXIT-$?; sleep 60")
    try:
        wait_for(lambda s: "Ask about" in s, "the opened index")
        tmux("send-keys", "-t", "tui", "C-s")  # search only: the embedder (ONNX Runtime) loads, no model call
        tmux("send-keys", "-t", "tui", "Zephyr backup port", "Enter")
        wait_for(screen_has, "the passages of the search")
        tmux("send-keys", "-t", "tui", "C-q")
        assert "EXIT-0" in wait_for(lambda s: "EXIT-" in s, "the UI to quit", timeout=60)
    finally:
        tmux.kill()


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (packaging/bootstrap.sh test "
                    "installs it when it can: apt-get install tmux)")
def test_a_whole_session_opens_no_inet_socket_and_writes_only_in_archivists_folders(tmp_path: Path) -> None:
    box = TracedBox(tmp_path)
    make_corpus(box.box.docs)
    before = box.listing()

    box.run("add", "add", str(box.box.docs))
    box.run("index", "index")
    hits = json.loads(box.run("search", "search", "--json", "Zephyr backup service port").stdout)["results"]
    assert any(h["path"].endswith("zephyr-runbook.md") for h in hits)
    answer = json.loads(box.run("ask", "ask", "--json", QUESTION).stdout)
    assert any(c["path"].endswith("zephyr-runbook.md") and "7431" in c["text"] for c in answer["citations"])
    assert str(box.box.docs) in box.run("status", "status").stdout

    # The watch daemon: started (traced with every child it forks), an edit picked up, stopped.
    out = box.root / "daemon.out"
    with out.open("w") as sink:
        daemon = subprocess.Popen(box.argv("watch-daemon", "watch", "--daemon"), env=box.env, stdout=sink,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: "pid" in out.read_text(), timeout=120), out.read_text()
        (box.box.docs / "ops" / "osprey.md").write_text("The Osprey relay forwards alerts on port 9922.\n")

        def found() -> bool:
            result = box.run("search-during-watch", "search", "--json", "Osprey relay alerts port", ok=False)
            return result.returncode == 0 and any(h["path"].endswith("osprey.md")
                                                  for h in json.loads(result.stdout)["results"])

        assert wait_until(found, timeout=120, interval=1.0), "the daemon never indexed the edit"
        box.run("watch-stop", "watch", "--stop", timeout=120)
        daemon.wait(timeout=120)  # strace exits when the daemon it followed has
    finally:
        if daemon.poll() is None:
            box.run("watch-stop-again", "watch", "--stop", ok=False, timeout=120)
            daemon.kill()

    _tmux_tui(box, lambda s: re.search(r"\[1\] docs/\S+", s) is not None)

    doctor = box.run("doctor", "doctor", ok=False)
    assert doctor.returncode in (0, 1), doctor.stdout + doctor.stderr  # 1: a warning-free sandbox is not the point
    assert re.search(r"✓ offline +all \d+ switches set: ONNX Runtime telemetry off", doctor.stdout), doctor.stdout
    private = box.run("doctor-privacy", "doctor", "--privacy")
    assert "✓ ORT_DISABLE_TELEMETRY=1" in private.stdout
    assert "Written by libraries outside Archivist's folders:\n  nothing" in private.stdout, private.stdout

    assert box.inet_sockets() == []
    box.assert_nothing_outside(before, box.archivist_folders())
    assert (box.root / "data" / "archivist" / "index.db").is_file()  # control: the listing sees Archivist's files


def test_a_short_adapter_training_opens_no_inet_socket_and_writes_only_in_archivists_folders(tmp_path: Path) -> None:
    box = TracedBox(tmp_path)
    models = {"ARCHIVIST_MODELS_DIR": str(tmp_path / "data" / "archivist-models")}  # the candidate lands in it
    box.env.update(models)
    examples = Path(__file__).resolve().parents[2] / "examples" / "adapters" / "brief" / "examples.jsonl"
    before = box.listing()
    train = box.run("train", "adapters", "train", "--data", str(examples), "--name", "no-trace", "--steps", "2",
                    "--rank", "2", "--no-eval", timeout=900)
    assert "step 2/2" in train.stdout + train.stderr
    assert (tmp_path / "data" / "archivist-models" / "adapters" / "candidates" / "no-trace.gguf").is_file()
    assert box.inet_sockets() == []
    box.assert_nothing_outside(before, box.archivist_folders())
