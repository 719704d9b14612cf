"""``archivist`` with no command opens the terminal UI (in a terminal); ``archivist tui`` is the same."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archivist import cli as cli_module


def test_no_command_in_a_terminal_opens_the_ui(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[bool] = []
    monkeypatch.setattr("archivist.tui.app.run", lambda: opened.append(True) or 0)
    monkeypatch.setattr(cli_module, "_interactive", lambda: True)
    result = CliRunner().invoke(cli_module.cli, [], catch_exceptions=False)
    assert result.exit_code == 0 and opened == [True]


def test_no_command_outside_a_terminal_prints_help() -> None:
    result = CliRunner().invoke(cli_module.cli, [], catch_exceptions=False)
    assert result.exit_code == 0 and "Usage" in result.output and "terminal UI" in result.output


def test_tui_command_passes_on_the_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("archivist.tui.app.run", lambda: 2)
    result = CliRunner().invoke(cli_module.cli, ["tui"], catch_exceptions=False)
    assert result.exit_code == 2
