"""`archivist doctor`: a healthy set-up passes; each problem it claims to detect is staged here and must be
named with its fix and fail the exit code (warnings are printed but do not fail)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from archivist.cli import cli
from archivist.doctor import checks, llama, privacy
from archivist.index.lock import WriterLock
from archivist.paths import Paths
from archivist.security.checksums import ModelChecksums
from archivist.security.offline import enforce_offline
from archivist.watch.daemon import DAEMON_ROLE


@pytest.fixture
def doctor(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Run `archivist doctor` as the `archivist` command would (offline switches set, egress guard on).

    The real guard is a process-wide audit hook that cannot be removed, so its state is staged here instead.
    """
    enforce_offline()
    monkeypatch.setattr("archivist.security.egress.active", lambda: True)
    # A user's own home and temp folder, empty: what libraries left in the real ones must not change the outcome.
    user = home.parent / "user-home"
    (user / "tmp").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.setenv("XDG_CACHE_HOME", str(user / ".cache"))
    for key in ("HF_HOME", "TORCH_HOME", "LLAMA_CACHE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr("tempfile.tempdir", str(user / "tmp"))
    for key in list(os.environ):
        if key.startswith(("ARCHIVIST_ANSWER__", "ARCHIVIST_PASSPHRASE_FILE", "ARCHIVIST_MODELS_DIR")):
            monkeypatch.delenv(key)

    def run(*args: str, **env: str):  # noqa: ANN202
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        return CliRunner().invoke(cli, ["doctor", *args], catch_exceptions=False)

    return run


def _line(output: str, name: str) -> str:
    """The report line of check ``name`` and the fix/hint line under it."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line[2:].startswith(name + " "):
            return line + ("\n" + lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("   ") else "")
    raise AssertionError(f"no {name} line in:\n{output}")


def _fake_gguf(path: Path, body: bytes = b"weights-v1") -> Path:
    path.write_bytes(b"GGUF" + body)
    return path


def test_the_set_up_of_this_checkout_passes(doctor) -> None:
    result = doctor()
    assert result.exit_code == 0, result.output
    assert "Everything needed is in place." in result.output
    assert "SmolLM2" in result.output and "FTS5" in result.output and "sqlite-vec" in result.output
    assert "matches its package record" in _line(result.output, "model")
    assert _line(result.output, "egress").startswith("✓")
    # No daemon runs here: a warning with its hint, not a failure.
    daemon = _line(result.output, "daemon")
    assert daemon.startswith("!") and "not running" in daemon and "archivist watch --daemon" in daemon


def test_missing_embedder_export_fails_with_the_fix(doctor, tmp_path: Path) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    result = doctor(ARCHIVIST_MODELS_DIR=str(empty))
    assert result.exit_code == 1
    line = _line(result.output, "embedder")
    assert "no current ONNX export" in line and "archivist models prepare" in line
    assert "1 problem(s): embedder." in result.output


def test_an_export_by_the_older_recipe_is_a_warning_with_the_fix(doctor, tmp_path: Path) -> None:
    import json

    from archivist.embed.minilm import ONNX_FILE, bundled_model_dir, weights_sha256

    models = tmp_path / "models"
    models.mkdir()
    (models / ONNX_FILE).write_bytes(b"an export made before the recipe was recorded")
    (models / ONNX_FILE).with_suffix(".json").write_text(
        json.dumps({"weights_sha256": weights_sha256(bundled_model_dir()), "quantisation": "int8 per-channel"}))
    result = doctor(ARCHIVIST_MODELS_DIR=str(models))
    line = _line(result.output, "embedder")
    assert line.startswith("!") and "older" in line and "archivist models prepare" in line
    summary = [ln for ln in result.output.splitlines() if "problem(s):" in ln]
    assert not any("embedder" in ln for ln in summary)  # a warning, not a failure


def test_a_model_that_is_not_gguf_fails(doctor, tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"nope" * 10)
    result = doctor(ARCHIVIST_ANSWER__MODEL_PATH=str(fake))
    assert result.exit_code == 1 and "not a GGUF model" in _line(result.output, "model")


def test_a_missing_model_file_fails(doctor, tmp_path: Path) -> None:
    result = doctor(ARCHIVIST_ANSWER__MODEL_PATH=str(tmp_path / "gone.gguf"))
    assert result.exit_code == 1
    assert "does not exist" in _line(result.output, "model")


def test_a_model_changed_since_first_use_fails_and_says_how_to_accept_it(doctor, home: Path, tmp_path: Path) -> None:
    model = _fake_gguf(tmp_path / "big.gguf")
    first = doctor(ARCHIVIST_ANSWER__MODEL_PATH=str(model))
    assert first.exit_code == 0, first.output
    assert "recorded on first use" in _line(first.output, "model")
    ModelChecksums(Paths.resolve().data_dir).verify(model)  # the first `ask` records it
    assert "matches the checksum recorded" in _line(doctor().output, "model")
    _fake_gguf(model, b"weights-v2")  # same size, other content
    result = doctor()
    assert result.exit_code == 1
    line = _line(result.output, "model")
    assert "changed since it was first used" in line and f"archivist models trust {model}" in line


def test_readable_data_folder_fails(doctor, home: Path) -> None:
    data = home / "data"
    data.mkdir(parents=True)
    data.chmod(0o755)
    result = doctor()
    assert result.exit_code == 1
    line = _line(result.output, "permissions")
    assert "readable by others" in line and f"chmod 700 {data}" in line


def test_a_readable_data_file_fails(doctor, home: Path) -> None:
    data = home / "data"
    data.mkdir(parents=True, mode=0o700)
    (data / "index.db").write_bytes(b"x")
    (data / "index.db").chmod(0o644)
    result = doctor()
    assert result.exit_code == 1 and f"chmod 600 {data / 'index.db'}" in _line(result.output, "permissions")


def test_a_readable_config_file_is_a_warning(doctor, home: Path) -> None:
    config = home / "config"
    config.mkdir(parents=True, mode=0o700)
    (config / "config.toml").write_text("[retrieval]\ntop_k = 5\n")
    (config / "config.toml").chmod(0o644)
    result = doctor()
    assert result.exit_code == 0, result.output
    assert _line(result.output, "permissions").startswith("!")


def test_a_readable_passphrase_file_fails(doctor, tmp_path: Path) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("hunter2\n")
    secret.chmod(0o644)
    result = doctor(ARCHIVIST_PASSPHRASE_FILE=str(secret))
    assert result.exit_code == 1 and f"chmod 600 {secret}" in _line(result.output, "permissions")


def test_guard_not_active_fails(doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("archivist.security.egress.active", lambda: False)
    result = doctor()
    assert result.exit_code == 1
    line = _line(result.output, "egress")
    assert "not active" in line and "`archivist` command" in line


def test_offline_switches_missing_fail(doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    result = doctor()
    assert result.exit_code == 1 and "HF_HUB_OFFLINE" in _line(result.output, "offline")


def test_the_offline_line_names_onnx_runtime_telemetry_and_fails_without_it(doctor,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ok = _line(doctor().output, "offline")
    assert ok.startswith("✓") and "ONNX Runtime telemetry off (ORT_DISABLE_TELEMETRY)" in ok
    monkeypatch.setenv("ORT_DISABLE_TELEMETRY", "0")
    monkeypatch.setenv("ORT_TELEMETRY_DISABLED", "1")  # the name that does nothing on onnxruntime 1.32
    result = doctor()
    line = _line(result.output, "offline")
    assert result.exit_code == 1 and line.startswith("✗") and "not set: ORT_DISABLE_TELEMETRY=1" in line


class _Usage:
    def __init__(self, free: int) -> None:
        self.total, self.used, self.free = 100 * 10**9, 0, free


def test_low_disk_fails_and_little_disk_warns(doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks.shutil, "disk_usage", lambda where: _Usage(100 * 10**6))
    result = doctor()
    assert result.exit_code == 1 and "Free some space" in _line(result.output, "disk")
    monkeypatch.setattr(checks.shutil, "disk_usage", lambda where: _Usage(600 * 10**6))
    result = doctor()
    assert result.exit_code == 0 and _line(result.output, "disk").startswith("!")


def test_a_running_daemon_is_reported(doctor, home: Path) -> None:
    lock = WriterLock(Paths.resolve().writer_lock)
    lock.acquire(DAEMON_ROLE)
    try:
        result = doctor()
    finally:
        lock.release()
    assert f"watch daemon running (pid {os.getpid()})" in _line(result.output, "daemon")


def test_a_llama_build_for_another_cpu_fails(doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | "
    monkeypatch.setattr(llama, "llama_probe", lambda: llama.LlamaProbe(True, "0.3.36", info))
    monkeypatch.setattr(llama, "cpu_flags", lambda: {"pni", "avx", "avx2", "fma", "f16c"})
    result = doctor()
    assert result.exit_code == 1
    line = _line(result.output, "cpu")
    assert "AMX_INT8, AVX512" in line and "lacks" in line and "--portable" in line


def test_a_llama_build_that_crashes_on_import_fails(doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    crashed = llama.LlamaProbe(False, error="killed by SIGILL", illegal_instruction=True)
    monkeypatch.setattr(llama, "llama_probe", lambda: crashed)
    result = doctor()
    assert result.exit_code == 1
    assert "crashes on import" in _line(result.output, "llama.cpp") and "--portable" in result.output


def test_llama_not_importable_fails(doctor, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = llama.LlamaProbe(False, error="ModuleNotFoundError: No module named 'llama_cpp'")
    monkeypatch.setattr(llama, "llama_probe", lambda: broken)
    result = doctor()
    assert result.exit_code == 1 and "cannot be imported" in _line(result.output, "llama.cpp")


def test_a_broken_config_file_fails_and_the_other_checks_still_run(doctor, home: Path) -> None:
    (home / "config").mkdir(parents=True, mode=0o700)
    (home / "config" / "config.toml").write_text("[retrieval\n")
    (home / "config" / "config.toml").chmod(0o600)
    result = doctor()
    assert result.exit_code == 1
    assert "not valid TOML" in _line(result.output, "config")
    assert _line(result.output, "storage").startswith("✓")


def test_feature_comparison() -> None:
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 0 | OPENMP = 1 | "
    assert llama.build_features(info) == {"SSE3", "AVX", "AVX2", "F16C", "FMA", "OPENMP"}
    assert llama.missing_cpu_features(info, {"pni", "avx", "avx2", "f16c", "fma"}) == []
    assert llama.missing_cpu_features(info, {"pni", "avx"}) == ["AVX2", "F16C", "FMA"]


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx avx2\n\nprocessor\t: 1\nflags\t\t: fpu sse avx avx2\n")
    assert llama.cpu_flags(cpuinfo) == {"fpu", "sse", "avx", "avx2"}
    assert llama.cpu_flags(tmp_path / "missing") is None


# ---------------------------------------------------------------- --privacy

def test_privacy_report_lists_where_data_lives_and_every_file(doctor, home: Path) -> None:
    data = home / "data"
    data.mkdir(parents=True, mode=0o700)
    (data / "index.db").write_bytes(b"x")
    (data / "index.db").chmod(0o600)
    result = doctor("--privacy")
    assert result.exit_code == 0, result.output
    assert "egress guard active" in result.output
    assert f"data     {data}" in result.output
    assert f"0600 file {data / 'index.db'}" in result.output and f"0700 dir  {data}" in result.output
    assert "Everything is private." in result.output


def test_privacy_report_flags_a_readable_file_and_an_inactive_guard(doctor, home: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = home / "data"
    (data / "generations").mkdir(parents=True, mode=0o700)
    data.chmod(0o700)
    leaked = data / "generations" / "2.db"
    leaked.write_bytes(b"x")
    leaked.chmod(0o640)
    monkeypatch.setattr("archivist.security.egress.active", lambda: False)
    result = doctor("--privacy")
    assert result.exit_code == 1
    assert f"{leaked}: file mode 0640 lets others read it; chmod 600 {leaked}" in result.output
    assert "egress guard NOT active" in result.output and "2 problem(s)" in result.output


def test_privacy_report_lists_every_switch_and_fails_when_one_is_not_set(doctor,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from archivist.security.offline import SWITCHES

    result = doctor("--privacy")
    assert result.exit_code == 0, result.output
    for name, value in SWITCHES.items():
        assert f"✓ {name}={value} " in result.output
    monkeypatch.delenv("ORT_DISABLE_TELEMETRY")
    result = doctor("--privacy")
    assert result.exit_code == 1
    assert "✗ ORT_DISABLE_TELEMETRY=(unset)" in result.output
    assert "switches not set in this process: ORT_DISABLE_TELEMETRY;" in result.output


def test_privacy_report_names_what_libraries_left_outside_archivists_folders(doctor) -> None:
    user = Path(os.environ["HOME"])
    clean = doctor("--privacy")
    assert "nothing (every place the README's dependency audit names is absent)" in clean.output
    assert "Everything is private." in clean.output

    ort = user / ".cache" / "Microsoft" / "DeveloperTools" / ".onnxruntime"
    ort.mkdir(parents=True)
    (ort / "deviceid").write_text("5f0c1d9e-0000-4000-8000-000000000000")
    (ort / "onnxruntime.db").write_bytes(b"SQLite format 3\0" + b"\0" * 4080)
    session = user / "tmp" / ".ses"  # the telemetry's session file, in the temporary folder
    session.write_text("1796226134917\n8ad08382-8339-e481-43e3-d7c0c60ecb9b\n")
    hub = user / ".cache" / "huggingface"
    hub.mkdir()
    (hub / "token").write_text("hf_not_a_real_token")
    result = doctor("--privacy")
    assert result.exit_code == 0, result.output  # reported, not failed: another program may have written them
    out = result.output
    assert f"! {ort} (ONNX Runtime; 2 file(s)" in out and "a device id and usage events" in out
    assert f"it can be deleted: rm -r {ort}" in out
    assert f"! {session} (ONNX Runtime; 1 file(s)" in out and f"it can be deleted: rm {session}\n" in out
    assert f"! {hub} (Hugging Face hub; 1 file(s)" in out and f"rm -r {hub}" in out
    assert "Everything is private." not in out
    assert "Archivist's own files are private; the library folders listed above are not Archivist's." in out


def test_library_folders_are_found_where_the_libraries_put_them(doctor, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """XDG_CACHE_HOME moves ONNX Runtime's telemetry folder (measured on 1.32); HF_HOME moves the hub's."""
    cache, hf = tmp_path / "xdg-cache", tmp_path / "hf-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("HF_HOME", str(hf))
    (cache / "Microsoft" / "DeveloperTools" / ".onnxruntime").mkdir(parents=True)
    hf.mkdir()
    found = {t.library: t.path for t in privacy.dependency_traces()}
    assert found == {"ONNX Runtime": cache / "Microsoft" / "DeveloperTools" / ".onnxruntime",
                     "Hugging Face hub": hf}


def test_missing_tesseract_warns_with_the_offline_bundles_packages_when_they_are_kept(
        doctor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archivist.ingest import ocr

    def missing() -> ocr.OcrEngine:
        raise ocr.OcrUnavailable("tesseract is not installed")

    monkeypatch.setattr(ocr, "default_engine", missing)
    line = _line(doctor().output, "ocr")
    assert line.startswith("!") and "apt-get install tesseract-ocr" in line
    install = tmp_path / "opt"  # what install-offline leaves when it was not run as root
    (install / "models").mkdir(parents=True)
    (install / "debs").mkdir()
    (install / ".archivist-install").touch()
    (install / "debs" / "tesseract-ocr_5.3.0-2_amd64.deb").write_bytes(b"!<arch>\n")
    output = " ".join(doctor(ARCHIVIST_MODELS_DIR=str(install / "models")).output.split())
    assert f"as root (no network needed): `dpkg -i {install / 'debs'}/*.deb`" in output
