"""`archivist doctor`: a healthy set-up passes; each problem is named with its fix and fails the exit code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from archivist.cli import cli
from archivist.offline import enforce_offline


@pytest.fixture
def doctor(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    enforce_offline()
    for key in list(os.environ):
        if key.startswith("ARCHIVIST_ANSWER__"):
            monkeypatch.delenv(key)

    def run(**env: str):  # noqa: ANN202
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        return CliRunner().invoke(cli, ["doctor"], catch_exceptions=False)

    return run


def test_the_set_up_of_this_checkout_passes(doctor) -> None:
    result = doctor()
    assert result.exit_code == 0, result.output
    assert "Everything needed is in place." in result.output
    assert "SmolLM2" in result.output and "FTS5" in result.output and "sqlite-vec" in result.output


def test_missing_embedder_export_fails_with_the_fix(doctor, tmp_path: Path) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    result = doctor(ARCHIVIST_MODELS_DIR=str(empty))
    assert result.exit_code == 1
    assert "no current ONNX export" in result.output and "archivist models prepare" in result.output


def test_a_model_that_is_not_gguf_fails(doctor, tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"nope" * 10)
    result = doctor(ARCHIVIST_ANSWER__MODEL_PATH=str(fake))
    assert result.exit_code == 1 and "not a GGUF model" in result.output


def test_readable_data_folder_is_flagged(doctor, home: Path) -> None:
    data = home / "data"
    data.mkdir(parents=True)
    data.chmod(0o755)
    result = doctor()
    assert "readable by others" in result.output and "chmod 700" in result.output
