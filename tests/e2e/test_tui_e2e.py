"""The terminal UI as a user meets it: the installed ``archivist`` with no command, in tmux, real models."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from e2e_support import ARCHIVIST, Sandbox, Tmux

SAMPLE_DOCS = Path(__file__).resolve().parents[2] / "examples" / "sample-docs"
QUESTION = "What caused the warehouse outage in April?"


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    return Sandbox(tmp_path)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_ui_answers_a_question_with_a_cited_path(sandbox: Sandbox) -> None:
    assert sandbox.run("add", str(SAMPLE_DOCS)).returncode == 0
    indexed = sandbox.run("index")
    assert indexed.returncode == 0, indexed.stderr
    # A private tmux server starts with this sandbox's environment, whatever server the user runs; without the
    # sandbox's COLUMNS, which would make the UI lay itself out wider than the tmux window.
    tmux = Tmux(sandbox.env, "tui-e2e")

    wait_for = tmux.wait_for

    # 160 columns: the passages pane is wide enough for the sample paths on one line.
    tmux("new-session", "-d", "-s", "tui", "-x", "160", "-y", "45", f"{ARCHIVIST}; echo EXIT-$?; sleep 60")
    try:
        wait_for(lambda s: "Ask about 8 files in sample-docs" in s, "the opened index")
        tmux("send-keys", "-t", "tui", QUESTION, "Enter")
        # The streamed draft says so until the checked answer replaces it.
        screen = wait_for(lambda s: re.search(r"\[1\] sample-docs/\S+", s) is not None and "thinking…" not in s
                          and "not yet checked" not in s, "the checked answer with its passages")
        answer_lines = [line.split("▏")[0] for line in screen.splitlines()]
        answer = " ".join(" ".join(answer_lines).split()).split(QUESTION, 1)[1]
        assert "Not found in your documents" not in answer
        assert re.search(r"\[\d\]|“", answer), f"no cited sentence in {answer!r}"
        cited = re.search(r"\[1\] (sample-docs/\S+)", screen)
        assert cited is not None and (SAMPLE_DOCS.parent / cited.group(1)).is_file(), screen
        tmux("send-keys", "-t", "tui", "C-q")
        assert "EXIT-0" in wait_for(lambda s: "EXIT-" in s, "the UI to quit", timeout=30)
    finally:
        tmux.kill()
