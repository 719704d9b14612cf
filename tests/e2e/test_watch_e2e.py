"""The watch daemon through the installed ``archivist`` command: start, status, freshness, one writer, stop, log."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import wait_until as _wait_until
from e2e_support import Sandbox, daemon_sandbox, make_corpus

TIMEOUT = 60.0  # each poll runs the command (~1-2 s); CI machines are noisy


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT, interval: float = 0.3) -> bool:
    return _wait_until(predicate, timeout, interval)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from daemon_sandbox(tmp_path)


def _found(sandbox: Sandbox, query: str) -> list[str]:
    out = sandbox.run("search", "--json", "--mode", "bm25", query)
    return [r["path"] for r in json.loads(out.stdout)["results"]] if out.returncode == 0 else []


def test_daemon_start_status_freshness_one_writer_stop(sandbox: Sandbox) -> None:
    make_corpus(sandbox.docs)
    assert sandbox.run("add", str(sandbox.docs)).returncode == 0
    assert sandbox.run("index").returncode == 0
    assert "Watch daemon: not running" in sandbox.run("status").stdout

    started = sandbox.run("watch", "--daemon")
    assert started.returncode == 0, started.stderr
    match = re.search(r"Watch daemon started \(pid (\d+)\)", started.stdout)
    assert match, started.stdout
    pid = int(match.group(1))
    sandbox.daemon_pids = [pid]  # type: ignore[attr-defined]
    status = sandbox.run("status")
    assert status.returncode == 0 and f"Watch daemon: running (pid {pid})" in status.stdout, status.stdout

    # A new file and a broken one, while the daemon watches.
    memo = sandbox.docs / "ops" / "pelican-memo.md"
    memo.write_text("# Pelican memo\n\nThe Pelican relay was moved to rack 12. Canary: lemurbasalt.\n")
    (sandbox.docs / "legal" / "scan-0042.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    assert wait_until(lambda: _found(sandbox, "lemurbasalt") == [str(memo)]), "the new file never became findable"
    assert wait_until(lambda: "scan-0042.pdf" in sandbox.run("status").stdout), "the failed file is not reported"
    running = sandbox.run("status", "--json")
    daemon = json.loads(running.stdout)["watch_daemon"]
    assert daemon["pid"] == pid and daemon["errors"] >= 1

    # One writer: a manual index, a foreground watcher and a second daemon are all refused, by name.
    second = sandbox.run("index")
    assert second.returncode == 2, second.stdout + second.stderr
    assert "watch daemon" in second.stderr and f"pid {pid}" in second.stderr
    assert "archivist watch --stop" in second.stderr
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    foreground = sandbox.run("watch", timeout=120)
    assert foreground.returncode == 2 and "watch daemon" in foreground.stderr, foreground.stderr
    again = sandbox.run("watch", "--daemon", timeout=120)
    assert again.returncode == 2 and "watch daemon" in again.stderr, again.stderr
    assert f"Watch daemon: running (pid {pid})" in sandbox.run("status").stdout  # the first one is unharmed

    stopped = sandbox.run("watch", "--stop")
    assert stopped.returncode == 0 and f"Stopped the watch daemon (pid {pid})" in stopped.stdout, stopped.stdout
    assert "Watch daemon: not running" in sandbox.run("status").stdout
    assert "No watch daemon is running" in sandbox.run("watch", "--stop").stdout
    after = sandbox.run("index")  # the writer lock is free again
    assert after.returncode == 0, after.stderr
    assert "unchanged" in after.stdout

    # The log has counts and states, never document text or names.
    located = dict(line.split(None, 1) for line in sandbox.run("locate").stdout.splitlines())
    log = Path(located["log"].strip()).read_text()
    assert "daemon started" in log and "daemon stopped" in log
    for secret in ("lemurbasalt", "Pelican", "pelican-memo", "scan-0042", "quokkafrost", "marmotglaze", "Zephyr",
                   "zephyr-runbook", "retention", "status.html", "Heron", str(sandbox.docs)):
        assert secret not in log, f"{secret!r} is in the daemon log {located['log']}"


def test_the_daemon_builds_the_next_generation_when_the_settings_are_edited(sandbox: Sandbox) -> None:
    make_corpus(sandbox.docs)
    assert sandbox.run("add", str(sandbox.docs)).returncode == 0
    assert sandbox.run("index").returncode == 0
    started = sandbox.run("watch", "--daemon")
    assert started.returncode == 0, started.stderr
    pid = int(re.search(r"pid (\d+)", started.stdout).group(1))  # type: ignore[union-attr]
    sandbox.daemon_pids = [pid]  # type: ignore[attr-defined]

    located = dict(line.split(None, 1) for line in sandbox.run("locate").stdout.splitlines())
    config = Path(located["config"].strip())
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[chunk]\nmax_tokens = 120\n")  # no restart: the running daemon reads it

    def generations() -> dict:
        return json.loads(sandbox.run("index", "generations", "--json").stdout)

    assert wait_until(lambda: any(g["id"] == 2 and g["status"] == "ready" for g in generations()["generations"])), \
        generations()
    assert generations()["current"] == 1  # built beside the current one, not switched to
    assert "chunk 120" in next(g["built_from"] for g in generations()["generations"] if g["id"] == 2)
    assert "settings changed: reloaded" in Path(located["log"].strip()).read_text()
    assert sandbox.run("watch", "--stop").returncode == 0
