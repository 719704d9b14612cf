"""The installed command prints no control character from a file name or a document (issue 13, defect 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_support import ARCHIVIST, Sandbox

HOSTILE = "Escape test \x1b[2J\x1b[31mescapecanary\x1b[0m \x1b]0;TITLE\x07 end"  # as ../shared/acceptance/16
# Enough prose that the file is surely read as text (a few controls in a short file may mean "binary").
TEXT = (f"{HOSTILE}: the crane code opens the berth gate at night.\n\n"
        + "The night shift keeps the crane code that opens the berth gate at night in the crane cabin. " * 6 + "\n")
QUESTION = "Which crane code opens the berth gate at night?"
NAME = "c-evil\x1b[2Jname.txt"
SHOWN = "c-evil\\u001b[2Jname.txt"


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    return Sandbox(tmp_path)


def test_hostile_names_and_text_are_printed_escaped_and_exact_in_json(sandbox: Sandbox) -> None:
    (sandbox.docs / NAME).write_text(TEXT)
    (sandbox.docs / "broken\x1b]0;TITLE\x07.pdf").write_bytes(b"%PDF-1.7\ngarbage")  # not indexed: listed by name
    assert sandbox.run("add", str(sandbox.docs)).returncode == 0
    runs = {"index": sandbox.run("index"), "search": sandbox.run("search", QUESTION),
            "ask": sandbox.run("ask", "--extractive", QUESTION),
            "status": sandbox.run("status")}
    for name, run in runs.items():
        assert run.returncode == 0, run.stderr
        assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout + run.stderr, name
    assert SHOWN in runs["search"].stdout
    assert "\\u001b[31mescapecanary\\u001b[0m \\u001b]0;TITLE\\u0007 end:" in runs["search"].stdout
    assert SHOWN in runs["ask"].stdout and "\\u001b[31mescapecanary" in runs["ask"].stdout
    for name in ("index", "status"):
        assert "broken\\u001b]0;TITLE\\u0007.pdf: " in runs[name].stdout
    hit = json.loads(sandbox.run("search", "--json", QUESTION).stdout)["results"][0]
    assert hit["path"].endswith(NAME) and HOSTILE in hit["text"]
    problems = json.loads(sandbox.run("status", "--json").stdout)["problems"]
    assert [Path(p["path"]).name for p in problems] == ["broken\x1b]0;TITLE\x07.pdf"]
