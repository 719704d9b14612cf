"""What packaging/build-bundle puts in a bundle: the run-time closure of the installed environment, with the
``train`` extra only when asked (``--with-train``), read from this checkout's pyproject.toml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "packaging" / "bundle_tools.py"
TRAINING = {"torch", "transformers", "peft", "gguf"}


def _pins(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOLS), "pins", str(ROOT / "pyproject.toml"), *args],
                          capture_output=True, text=True, check=False)


def _names(proc: subprocess.CompletedProcess) -> set[str]:
    assert proc.returncode == 0, proc.stderr
    return {re.sub(r"[-_.]+", "-", line.split("==")[0]).lower() for line in proc.stdout.splitlines()}


def test_a_plain_bundle_carries_the_runtime_but_no_training_stack() -> None:
    names = _names(_pins())
    assert {"llama-cpp-python", "sqlcipher3", "sqlite-vec", "textual", "onnxruntime"} <= names
    assert not names & TRAINING  # torch alone is hundreds of MB: only with --with-train


def test_with_train_the_bundle_also_carries_torch_peft_and_their_dependencies() -> None:
    names = _names(_pins("--extra", "train"))
    assert TRAINING <= names
    assert {"safetensors", "tokenizers"} <= names  # transformers' own dependencies come along
    torch = next(line for line in _pins("--extra", "train").stdout.splitlines() if line.lower().startswith("torch=="))
    assert torch.startswith("torch==2.13.0")  # the pinned CPU build, never whatever the index has


def test_an_unknown_extra_is_refused_with_the_known_ones() -> None:
    proc = _pins("--extra", "nope")
    assert proc.returncode != 0
    assert "no optional dependencies named nope" in proc.stderr and "train" in proc.stderr
