"""The telemetry switches are in force before ONNX Runtime loads, wherever Archivist loads it, and the files that
start Archivist outside Python (the systemd unit) carry the same list."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import archivist
from archivist.security.offline import SWITCHES

ROOT = Path(__file__).resolve().parents[2]
CORE = Path(archivist.__file__).parent
TELEMETRY = Path("cache") / "Microsoft" / "DeveloperTools" / ".onnxruntime"
CI_MARKERS = {"CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "RUN_ID", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD",
              "JENKINS_URL", "BUILDKITE", "CIRCLECI", "TRAVIS", "TEAMCITY_VERSION", "CODEBUILD_BUILD_ID"}


def _run_in_clean_home(tmp_path: Path, code: str) -> list[Path]:
    """Run ``code`` with a fresh HOME, XDG_CACHE_HOME and TMPDIR and none of the switches; the files it left."""
    # ONNX Runtime writes no telemetry when it sees a CI service (CI=true and the like): the control would prove
    # nothing there, so those markers are left out too.
    env = {k: v for k, v in os.environ.items()
           if k not in SWITCHES and k not in CI_MARKERS and k != "ORT_TELEMETRY_DISABLED"}
    (tmp_path / "tmp").mkdir(parents=True)
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"), TMPDIR=str(tmp_path / "tmp"))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, cwd=tmp_path)
    return sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())


def test_a_bare_import_of_onnxruntime_writes_its_telemetry_and_archivists_loader_does_not(tmp_path: Path) -> None:
    bare = _run_in_clean_home(tmp_path / "bare", "import onnxruntime")
    assert TELEMETRY / "deviceid" in bare, f"control: onnxruntime wrote no telemetry here ({bare})"
    assert Path("tmp") / ".ses" in bare  # its session file, in the temporary folder
    loaded = _run_in_clean_home(tmp_path / "archivist", "from archivist.security.offline import load_onnxruntime\n"
                                "ort = load_onnxruntime()\nassert ort.get_device()")
    assert loaded == []


def _imports_onnxruntime(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] == "onnxruntime" for a in node.names)
    return isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "onnxruntime"


def _calls_loader(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_onnxruntime"


def test_every_module_loads_onnxruntime_through_the_loader_first() -> None:
    """`import onnxruntime` anywhere in Archivist must follow a load_onnxruntime() call in the same function."""
    wrong = []
    for path in CORE.rglob("*.py"):
        if path.name == "offline.py":
            continue
        tree = ast.parse(path.read_text())
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for nodes in [list(ast.iter_child_nodes(tree)), *(list(ast.walk(f)) for f in functions)]:
            loader_seen = False
            for node in sorted((n for n in nodes if hasattr(n, "lineno")), key=lambda n: (n.lineno, n.col_offset)):
                loader_seen = loader_seen or _calls_loader(node)
                if _imports_onnxruntime(node) and not loader_seen:
                    wrong.append(f"{path.relative_to(CORE)}:{node.lineno}")
    assert wrong == [], f"onnxruntime imported without archivist.security.offline.load_onnxruntime() first: {wrong}"


def test_the_systemd_unit_sets_every_switch() -> None:
    unit = (ROOT / "packaging" / "systemd" / "archivist-watch.service").read_text()
    pairs = [p for line in re.findall(r"^Environment=(.*)$", unit, re.MULTILINE) for p in line.split()]
    assert dict(p.split("=", 1) for p in pairs) == SWITCHES


def test_the_offline_installers_launcher_exports_the_installed_switches() -> None:
    """install-offline writes `export $SWITCHES` into TARGET/bin/archivist, from the installed package's list."""
    script = (ROOT / "packaging" / "install-offline").read_text()
    code = re.search(r"SWITCHES=\$\(\"\$TARGET/venv/bin/python\" -c '(.*?)'\)", script, re.DOTALL)
    assert code is not None and "\nexport $SWITCHES\n" in script
    printed = subprocess.run([sys.executable, "-c", code.group(1)], capture_output=True, text=True, check=True)
    assert dict(p.split("=", 1) for p in printed.stdout.split()) == SWITCHES
