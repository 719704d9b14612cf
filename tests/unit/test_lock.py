"""packaging/requirements.lock: every distribution of the tested environment at its exact version with a hash, and
every requirement of pyproject.toml satisfied by it. A dependency added to pyproject.toml (or upgraded in the
environment) without `packaging/lock refresh` fails here."""

from __future__ import annotations

import importlib.metadata as md
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "packaging" / "requirements.lock"
sys.path.insert(0, str(ROOT / "packaging"))

import lockfile  # noqa: E402


@pytest.fixture(scope="module")
def locked() -> dict[str, lockfile.Entry]:
    return lockfile.parse(LOCK.read_text())


def _installed() -> dict[str, str]:
    """Every distribution of this environment but Archivist itself (installed editable from the checkout)."""
    return {lockfile.canonical(d.metadata["Name"]): d.version for d in md.distributions()
            if lockfile.canonical(d.metadata["Name"]) != "archivist"}


def test_the_lock_holds_every_installed_distribution_at_its_version(locked: dict[str, lockfile.Entry]) -> None:
    installed = _installed()
    assert {"onnxruntime", "torch", "llama-cpp-python", "pytest", "pip"} <= installed.keys()  # control
    missing = sorted(f"{k}=={v}" for k, v in installed.items() if k not in locked)
    differ = sorted(f"{k}: {v} installed, {locked[k].version} locked" for k, v in installed.items()
                    if k in locked and locked[k].version != v)
    assert missing == [] and differ == [], "refresh the lock: packaging/lock refresh (README, Set-up)"
    assert sorted(k for k in locked if k not in installed) == [], "locked but not installed here"


def test_every_requirement_of_pyproject_is_locked_and_satisfied(locked: dict[str, lockfile.Entry]) -> None:
    assert lockfile.pyproject_problems(locked) == []
    assert locked["onnxruntime"].version == "1.32.0"  # pinned: its telemetry was audited at this release


def test_every_entry_carries_a_sha256(locked: dict[str, lockfile.Entry]) -> None:
    assert all(e.hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in e.hashes) for e in locked.values())


def test_a_pyproject_dependency_missing_from_the_lock_is_named(locked: dict[str, lockfile.Entry],
                                                              tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text()
    pyproject.write_text(text.replace('"click>=8.1",', '"click>=8.1",\n    "left-pad-archivist>=1.0",', 1))
    del locked["numpy"]
    assert lockfile.pyproject_problems(locked, pyproject) == [
        "numpy>=1.26 (pyproject.toml) is not in the lock",
        "left-pad-archivist>=1.0 (pyproject.toml) is not in the lock"]


def test_lock_check_fails_naming_what_the_environment_has_beyond_the_lock(tmp_path: Path) -> None:
    text = LOCK.read_text()
    without = re.sub(r"^watchdog==\S+ \\\n(    --hash=\S+( \\\n)?)+", "", text, flags=re.MULTILINE)
    assert without != text
    lock = tmp_path / "requirements.lock"
    lock.write_text(without)
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "lockfile.py"), "check", "--venv", sys.prefix,
                           "--lock", str(lock)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert re.search(r"watchdog==\S+ is installed but not in the lock", proc.stderr)
    assert "watchdog>=6.0 (pyproject.toml) is not in the lock" in proc.stderr
    assert "packaging/lock refresh" in proc.stderr
    ok = subprocess.run([sys.executable, str(ROOT / "packaging" / "lockfile.py"), "check", "--venv", sys.prefix],
                        capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr


def test_select_prints_entries_pip_installs_with_require_hashes() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "lockfile.py"), "select", "torch", "pip"],
                          capture_output=True, text=True, check=True)
    entries = lockfile.parse(proc.stdout)
    assert set(entries) == {"torch", "pip"} and entries["torch"].version.startswith("2.13.0")
    rest = lockfile.parse(subprocess.run([sys.executable, str(ROOT / "packaging" / "lockfile.py"), "select",
                                          "--except", "torch", "pip"], capture_output=True, text=True,
                                         check=True).stdout)
    assert "torch" not in rest and len(rest) == len(lockfile.parse(LOCK.read_text())) - 2
