"""Warm answers through the installed command: with the watch daemon running, ``search``, ``status`` and an
extractive ``ask`` are answered by it, and print exactly what the command prints in-process
(``ARCHIVIST_NO_DAEMON=1``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import wait_until
from e2e_support import Sandbox, daemon_sandbox, make_corpus


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    yield from daemon_sandbox(tmp_path)


def _results(text: str) -> dict:
    data = json.loads(text)
    data.pop("timings_ms")  # how long it took is the one thing meant to differ
    return data


def test_the_daemon_answers_search_as_the_command_does_in_process(sandbox: Sandbox) -> None:
    make_corpus(sandbox.docs)
    assert sandbox.run("add", str(sandbox.docs)).returncode == 0
    assert sandbox.run("index").returncode == 0
    local = {"ARCHIVIST_NO_DAEMON": "1"}
    started = sandbox.run("watch", "--daemon")
    assert started.returncode == 0, started.stderr
    sandbox.daemon_pids = [int(started.stdout.split("(pid ")[1].split(")")[0])]  # type: ignore[attr-defined]
    socket = sandbox.root / "run" / "archivist" / "daemon.sock"
    assert wait_until(socket.exists, timeout=60)

    for query in ("Zephyr snapshot port", "How long are client contracts retained?", "Heron nodes region"):
        via, in_process = sandbox.run("search", "--json", query), sandbox.run("search", "--json", query, env=local)
        assert via.returncode == in_process.returncode == 0, via.stderr + in_process.stderr
        assert via.stderr == in_process.stderr == ""  # served: no note
        assert _results(via.stdout) == _results(in_process.stdout)
        assert _results(via.stdout)["results"], "the comparison must compare passages"
    for args in (("search", "Zephyr snapshot port"), ("status",), ("ask", "--extractive", "Which port for Zephyr?")):
        via, in_process = sandbox.run(*args), sandbox.run(*args, env=local)
        assert (via.returncode, via.stdout, via.stderr) == (in_process.returncode, in_process.stdout,
                                                            in_process.stderr), args

    # The daemon answered them: its audit trail holds them like any search (history is the same store).
    audit = sandbox.run("audit", "show", "--json", env=local)
    assert audit.returncode == 0 and audit.stdout.count('"search"') >= 8, audit.stdout[:2000]

    assert sandbox.run("watch", "--stop").returncode == 0
    assert not socket.exists()
    after = sandbox.run("search", "Zephyr snapshot port")  # no daemon: in-process, silently
    assert after.returncode == 0 and after.stderr == "" and "zephyr-runbook.md" in after.stdout
