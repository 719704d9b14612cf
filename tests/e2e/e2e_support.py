"""End-to-end helpers: the installed ``archivist`` command in a throw-away HOME/XDG sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ARCHIVIST = Path(os.environ.get("E2E_ARCHIVIST") or Path(sys.executable).parent / "archivist")
"""The installed command; ``E2E_ARCHIVIST`` names another (a wrapper running a worktree's sources)."""


class Sandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.docs = root / "docs"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ARCHIVIST_", "XDG_"))}
        self.env.update(HOME=str(root / "home"), XDG_CONFIG_HOME=str(root / "config"),
                        XDG_DATA_HOME=str(root / "data"), XDG_CACHE_HOME=str(root / "cache"),
                        XDG_STATE_HOME=str(root / "state"), XDG_RUNTIME_DIR=str(root / "run"),
                        ARCHIVIST_PASSPHRASE="e2e-passphrase-3317", COLUMNS="200")
        for d in ("home", "run", "docs"):
            (root / d).mkdir(mode=0o700, exist_ok=True)

    def run(self, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([str(ARCHIVIST), *args], env={**self.env, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)

    @property
    def stored_dirs(self) -> list[Path]:
        return [self.root / d for d in ("home", "config", "data", "cache", "state", "run")]


def daemon_sandbox(root: Path) -> Iterator[Sandbox]:
    """A fixture's body: a sandbox at ``root`` that never leaves a watch daemon behind, even when its test failed
    half-way (a test records the pids it started in ``daemon_pids``)."""
    import pytest

    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    box = Sandbox(root)
    yield box
    box.run("watch", "--stop", timeout=60)
    for pid in getattr(box, "daemon_pids", []):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Tmux:
    """A private tmux server for one test: its own socket (``-L``), no configuration file, and an environment
    without the caller's tmux variables or terminal size. A tmux the user is running (its environment, its
    ``~/.tmux.conf``, its sessions) can then neither change what the test sees nor be touched by it.

    ``tmux(*args)`` runs one tmux command on that server and returns its output; ``wait_for`` polls a pane until
    it shows what a test waits for; ``kill()`` ends the server.
    """

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.socket = f"archivist-{name}-{os.getpid()}-{time.monotonic_ns()}"
        self.env = {k: v for k, v in env.items() if k not in ("TMUX", "TMUX_PANE", "COLUMNS", "LINES")}

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, "-f", os.devnull, *args], capture_output=True, text=True,
                              env=self.env, check=False).stdout

    def wait_for(self, predicate, what: str, timeout: float = 300, target: str = "tui") -> str:  # noqa: ANN001
        """The screen of pane ``target`` once ``predicate(screen)`` holds; AssertionError with the screen after
        ``timeout`` seconds."""
        screen = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self("capture-pane", "-p", "-J", "-t", target)
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"never saw {what}; screen:\n{screen}")

    def kill(self) -> None:
        self("kill-server")


def make_corpus(docs: Path) -> None:
    """The facts and canary words the end-to-end checks look for."""
    (docs / "ops").mkdir(parents=True, exist_ok=True)
    (docs / "legal").mkdir(exist_ok=True)
    (docs / "ops" / "zephyr-runbook.md").write_text(
        "# Zephyr backup service runbook\n\nThe Zephyr backup service listens on port 7431 and writes snapshots "
        "to the vault every six hours.\nIf a snapshot fails twice in a row, page the storage on-call engineer. "
        "Canary: quokkafrost.\n")
    (docs / "legal" / "retention.txt").write_text(
        "Record retention policy.\nClient contracts are retained for eleven years after termination.\n"
        "Draft memos are deleted after ninety days. Canary: marmotglaze.\n")
    (docs / "ops" / "status.html").write_text(
        "<html><head><title>Status</title><script>var x='scriptnoise';</script></head><body><nav>Home | Menu</nav>"
        "<h1>Service status</h1><p>The Heron ingest cluster has 14 nodes in the Frankfurt region.</p></body></html>")
