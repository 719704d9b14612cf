"""Architecture checks: the core never imports Textual; `archivist --help` loads no heavy library (not even Rich,
~60 ms: every command starts by importing the CLI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import archivist

CORE = Path(archivist.__file__).parent


def test_core_modules_do_not_import_textual() -> None:
    modules = [
        ".".join(p.relative_to(CORE.parent).with_suffix("").parts)
        for p in CORE.rglob("*.py") if "tui" not in p.parts and p.name != "__main__.py"
    ]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'textual', 'torch', 'llama_cpp', "
            "'sentence_transformers', 'onnxruntime'})\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"core import pulled in: {out}"


def test_help_is_light() -> None:
    code = ("import sys\nfrom archivist.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED:' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'torch', 'llama_cpp', 'onnxruntime', 'numpy', 'textual', 'sqlcipher3', 'rich'})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage" in out
    assert out.strip().splitlines()[-1] == "LOADED:"
