"""A model's checksum is recorded on first use and verified afterwards; a swapped file is refused with the way
to accept it, and an unchanged one is not re-hashed on every question."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from archivist.app.models import default_generator  # the real one (unit tests replace it in services)
from archivist.cli import cli
from archivist.errors import ModelError
from archivist.security import checksums as model_checksums
from archivist.security.checksums import ModelChecksums
from archivist.settings import Settings


def _gguf(path: Path, body: bytes = b"weights-v1") -> Path:
    path.write_bytes(b"GGUF" + body)
    return path


@pytest.fixture
def record(tmp_path: Path) -> ModelChecksums:
    return ModelChecksums(tmp_path / "data")


def test_first_use_records_a_private_file(record: ModelChecksums, tmp_path: Path) -> None:
    model = _gguf(tmp_path / "m.gguf")
    verdict = record.verify(model)
    assert verdict.status == "recorded"
    assert record.get(model) is not None and record.get(model).size == model.stat().st_size
    assert stat.S_IMODE(record.file.stat().st_mode) == 0o600
    assert stat.S_IMODE(record.data_dir.stat().st_mode) == 0o700
    assert str(model.resolve()) in json.loads(record.file.read_text())["models"]


def test_an_unchanged_file_is_not_hashed_again(record: ModelChecksums, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    model = _gguf(tmp_path / "m.gguf")
    record.verify(model)
    calls = []
    real = model_checksums.sha256_file
    monkeypatch.setattr(model_checksums, "sha256_file", lambda p: calls.append(p) or real(p))
    assert record.verify(model).status == "unchanged" and calls == []
    assert record.verify(model, rehash=True).status == "verified" and len(calls) == 1


def test_a_swapped_file_is_refused_with_the_way_to_accept_it(record: ModelChecksums, tmp_path: Path) -> None:
    model = _gguf(tmp_path / "m.gguf")
    record.verify(model)
    _gguf(model, b"weights-v2")
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # whatever the file system's clock grain
    with pytest.raises(ModelError) as err:
        record.verify(model)
    assert "changed since it was first used" in str(err.value)
    assert f"archivist models trust {model.resolve()}" in str(err.value)
    with pytest.raises(ModelError):  # still refused the next time: the record was not overwritten
        record.verify(model)
    record.trust(model)
    assert record.verify(model).status == "unchanged"


def test_a_touched_but_identical_file_is_accepted(record: ModelChecksums, tmp_path: Path) -> None:
    model = _gguf(tmp_path / "m.gguf")
    record.verify(model)
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert record.verify(model).status == "verified"
    assert record.verify(model).status == "unchanged"  # the new time was recorded


def test_read_only_verification_records_nothing(record: ModelChecksums, tmp_path: Path) -> None:
    model = _gguf(tmp_path / "m.gguf")
    assert record.verify(model, record=False).status == "recorded"
    assert not record.file.exists()


def test_a_corrupt_record_says_what_to_do(record: ModelChecksums, tmp_path: Path) -> None:
    record.data_dir.mkdir(parents=True)
    record.file.write_text("{not json")
    with pytest.raises(ModelError, match="Delete it"):
        record.verify(_gguf(tmp_path / "m.gguf"))


def test_the_generator_refuses_a_swapped_model_before_loading_it(home: Path, tmp_path: Path) -> None:
    model = _gguf(tmp_path / "big.gguf")
    settings = Settings.load(None)
    ModelChecksums(home / "data").verify(model)  # first use, as the first `ask` records it
    _gguf(model, b"weights-v2")
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(ModelError, match="changed since it was first used"):
        default_generator(settings, model)


def test_models_trust_command_accepts_a_replaced_model(home: Path, tmp_path: Path) -> None:
    model = _gguf(tmp_path / "big.gguf")
    runner = CliRunner()
    result = runner.invoke(cli, ["models", "trust", str(model)], catch_exceptions=False)
    assert result.exit_code == 0 and "Trusted" in result.output
    assert ModelChecksums(home / "data").get(model) is not None
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("hello")
    bad = runner.invoke(cli, ["models", "trust", str(not_a_model)])
    assert bad.exit_code == 2 and "not a GGUF model" in bad.output
