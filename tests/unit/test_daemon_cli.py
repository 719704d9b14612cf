"""``search``, ``ask`` and ``status`` answered by the watch daemon's socket (served here on a thread, with the fake
models): the same output as in-process, each profile seeing only its folders, the passphrase required, and every
way of not being served (no daemon, ``ARCHIVIST_NO_DAEMON``, a stale socket, other settings) running in-process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PASSPHRASE
from test_privacy import LEGAL_QUERIES, OPS_QUERIES, Teams, gen, run, teams  # noqa: F401 - fixtures

from archivist.app import serving
from archivist.cli.daemon_answers import COMMANDS
from archivist.paths import Paths


@pytest.fixture
def daemon(teams: Teams) -> Iterator[list[str]]:  # noqa: F811 - the fixture above
    """The daemon's answering side on this process's index; yields the commands it served, in order."""
    served: list[str] = []

    def counted(name: str):  # noqa: ANN202
        def run_command(ws, args: dict, send) -> dict:  # noqa: ANN001
            served.append(name)
            return COMMANDS[name](ws, args, send)
        return run_command

    stop = serving.start_service(Paths.resolve(), PASSPHRASE, {name: counted(name) for name in COMMANDS})
    yield served
    stop()


def _without_timings(text: str) -> dict:
    data = json.loads(text)
    data.pop("timings_ms", None)
    return data


def _same(run, *args: str) -> None:  # noqa: ANN001, F811
    via = run(*args)
    local = run(*args, env={"ARCHIVIST_NO_DAEMON": "1"})
    assert (via.exit_code, via.stderr) == (local.exit_code, local.stderr)
    if "--json" in args and via.exit_code == 0:
        assert _without_timings(via.stdout) == _without_timings(local.stdout)
    else:
        assert via.stdout == local.stdout


@pytest.mark.parametrize("args", [
    ("--profile", "ops", "search", "--json", OPS_QUERIES[0]),
    ("--profile", "ops", "search", OPS_QUERIES[1]),
    ("--profile", "ops", "search", "-k", "1", "--mode", "bm25", OPS_QUERIES[0]),
    ("--profile", "legal", "search", LEGAL_QUERIES[0]),
    ("--profile", "ops", "status"),
    ("--profile", "legal", "status", "--json"),
    ("--profile", "ops", "ask", "--extractive", "Which port does the Zephyr backup service use?"),
    ("--profile", "legal", "ask", "--json", LEGAL_QUERIES[0]),
    ("--profile", "legal", "ask", LEGAL_QUERIES[0]),  # the fake model streams its tokens
    ("--profile", "ops", "search", "--folder", "/not/added", "Zephyr"),  # a user error: the same line, exit 2
])
def test_the_daemon_prints_what_the_command_prints_in_process(run, daemon: list[str], args) -> None:  # noqa: F811
    _same(run, *args)
    assert daemon == [args[args.index("--profile") + 2]]


def test_a_profile_never_sees_another_profiles_folders_through_the_daemon(run, teams: Teams,  # noqa: F811
                                                                          daemon: list[str]) -> None:
    for query in OPS_QUERIES:
        for profile, markers in (("legal", teams.ops_markers), ("ops", teams.legal_markers)):
            result = run("--profile", profile, "search", "--json", query)
            assert not [m for m in markers if m in result.stdout], result.stdout
    legal = json.loads(run("--profile", "legal", "status", "--json").stdout)
    assert [f["path"] for f in legal["folders"]] == [str(teams.cases)]
    assert not [m for m in teams.ops_markers if m in json.dumps(legal)]
    assert len(daemon) == 2 * len(OPS_QUERIES) + 1


def test_a_wrong_passphrase_is_not_served(run, daemon: list[str], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(serving, "WRONG_DELAY", 0.0)
    result = run("--profile", "ops", "search", "Zephyr", env={"ARCHIVIST_PASSPHRASE": "not-it"})
    assert result.exit_code == 2 and result.stderr.startswith("Wrong passphrase")  # from the index itself
    assert len(result.stderr.strip().splitlines()) == 1  # no note: the refusal is not told apart
    assert daemon == []


def test_no_daemon_switch_runs_in_process(run, daemon: list[str]) -> None:  # noqa: F811
    result = run("--profile", "ops", "search", "Zephyr", env={"ARCHIVIST_NO_DAEMON": "1"})
    assert result.exit_code == 0 and "zephyr-runbook.md" in result.stdout and result.stderr == ""
    assert daemon == []


def test_without_a_daemon_commands_run_in_process_silently(run, teams: Teams) -> None:  # noqa: F811
    result = run("--profile", "ops", "search", "Zephyr")
    assert result.exit_code == 0 and "zephyr-runbook.md" in result.stdout and result.stderr == ""


def test_a_stale_socket_is_noted_and_the_command_runs_in_process(run, teams: Teams) -> None:  # noqa: F811
    path = Paths.resolve().service_socket
    path.parent.mkdir(parents=True, exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))  # what a killed daemon leaves behind
    dead.close()
    result = run("--profile", "ops", "search", "Zephyr")
    assert result.exit_code == 0 and "zephyr-runbook.md" in result.stdout
    assert result.stderr.splitlines() == ["Note: the watch daemon's socket is stale (nothing listens on it); "
                                          "answering in this process."]


def test_other_settings_in_the_environment_are_answered_in_process(run, daemon: list[str]) -> None:  # noqa: F811
    result = run("--profile", "ops", "search", "--json", OPS_QUERIES[0], env={"ARCHIVIST_RETRIEVAL__TOP_K": "1"})
    assert len(json.loads(result.stdout)["results"]) == 1  # the setting took effect: in-process
    assert "other ARCHIVIST_* settings" in result.stderr and daemon == []


def test_a_daemon_started_under_a_profile_does_not_guess_the_profile_of_a_command(home: Path) -> None:
    views = serving.Views(Paths.resolve(), PASSPHRASE, lambda settings: pytest.fail("opened a view"),
                          environ={**os.environ, "ARCHIVIST_PROFILE": "ops"})
    events: list[dict] = []
    views.serve({"command": "search", "profile": None, "passphrase": PASSPHRASE, "paths": serving.paths_json(
        views.paths), "env": serving.settings_environment(os.environ)}, events.append, {"search": COMMANDS["search"]})
    assert events[-1]["event"] == "unserved" and "ARCHIVIST_PROFILE" in events[-1]["reason"]


def test_a_command_served_by_the_daemon_loads_no_heavy_library(run, daemon: list[str]) -> None:  # noqa: F811
    code = ("import sys\nfrom archivist.cli import cli\n"
            "try:\n    cli(['--profile', 'ops', 'search', 'Zephyr'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED:' + ','.join(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'onnxruntime', "
            "'sqlcipher3', 'llama_cpp', 'textual', 'rich', 'torch', 'pydantic'})))")
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVIST_PROFILE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert "zephyr-runbook.md" in out and out.strip().splitlines()[-1] == "LOADED:"
    assert daemon == ["search"]
