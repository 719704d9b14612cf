"""``archivist doctor``: checks that this installation can work offline, and says how to fix what cannot.

Every check is fast and local: no model is loaded, nothing is downloaded, no document text is read.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archivist.errors import ArchivistError
from archivist.paths import Paths
from archivist.settings import Settings

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def _python(paths: Paths, settings: Settings) -> Check:
    v = sys.version_info
    ok = v >= (3, 11)
    return Check("python", OK if ok else FAIL, f"Python {v.major}.{v.minor}.{v.micro}",
                 "" if ok else "Install Python 3.11 or newer and rerun packaging/bootstrap.sh.")


def _offline(paths: Paths, settings: Settings) -> Check:
    from archivist.offline import SWITCHES

    missing = [k for k, v in SWITCHES.items() if os.environ.get(k) != v]
    return Check("offline", OK if not missing else FAIL,
                 "hub and telemetry switches set" if not missing else f"not set: {', '.join(missing)}",
                 "" if not missing else "Run Archivist through the `archivist` command (it sets them).")


def _model(paths: Paths, settings: Settings) -> Check:
    from archivist.answer.generator import bundled_model_path, check_gguf

    path = settings.answer.model_path or bundled_model_path()
    check_gguf(Path(path).expanduser())
    try:
        import llama_cpp  # noqa: F401 - importable means the native build is usable
    except ImportError as exc:
        return Check("model", FAIL, f"llama-cpp-python cannot be imported ({exc})",
                     "Rerun packaging/bootstrap.sh (it builds llama-cpp-python).")
    size = Path(path).stat().st_size / 1e6
    return Check("model", OK, f"{Path(path).name} ({size:.0f} MB), llama-cpp-python importable")


def _embedder(paths: Paths, settings: Settings) -> Check:
    from archivist.embed.export import onnx_is_current
    from archivist.embed.minilm import ONNX_FILE, bundled_model_dir

    bundled_model_dir()
    if settings.embed.backend == "torch":
        return Check("embedder", OK, "MiniLM via sentence-transformers/torch (slower than ONNX)")
    if not onnx_is_current(paths.models_dir):
        return Check("embedder", FAIL, f"no current ONNX export in {paths.models_dir}",
                     "Run `archivist models prepare` (the set-up script does it).")
    return Check("embedder", OK, f"MiniLM int8 ONNX export current ({paths.models_dir / ONNX_FILE})")


def _storage(paths: Paths, settings: Settings) -> Check:
    from archivist.index.store import _connect

    with tempfile.TemporaryDirectory() as tmp:
        conn = _connect(Path(tmp) / "probe.db", "doctor-probe")
        try:
            conn.execute("CREATE VIRTUAL TABLE f USING fts5(x, tokenize='porter unicode61')")
            conn.execute("CREATE VIRTUAL TABLE v USING vec0(e float[4])")
            cipher = conn.execute("PRAGMA cipher_version").fetchone()[0]
            sqlite = conn.execute("SELECT sqlite_version()").fetchone()[0]
            vec = conn.execute("SELECT vec_version()").fetchone()[0]
        finally:
            conn.close()
    return Check("storage", OK, f"SQLCipher {cipher}, SQLite {sqlite} with FTS5, sqlite-vec {vec}")


def _permissions(paths: Paths, settings: Settings) -> Check:
    problems = []
    if paths.data_dir.exists() and stat.S_IMODE(paths.data_dir.stat().st_mode) & 0o077:
        problems.append(f"{paths.data_dir} is readable by others")
    if paths.database.exists() and stat.S_IMODE(paths.database.stat().st_mode) & 0o077:
        problems.append(f"{paths.database} is readable by others")
    if problems:
        return Check("permissions", WARN, "; ".join(problems),
                     f"chmod 700 {paths.data_dir} && chmod 600 {paths.database}")
    exists = "index present" if paths.database.exists() else "no index yet (created on first use)"
    return Check("permissions", OK, f"data folder private; {exists}")


def _disk(paths: Paths, settings: Settings) -> Check:
    where = paths.data_dir if paths.data_dir.exists() else paths.data_dir.parent
    while not where.exists():
        where = where.parent
    free_gb = shutil.disk_usage(where).free / 1e9
    if free_gb < 1:
        return Check("disk", WARN, f"{free_gb:.2f} GB free at {where}",
                     "Free some space: indexing stops with a clear error when the disk fills.")
    return Check("disk", OK, f"{free_gb:.1f} GB free at {where}")


def _watch_limits(paths: Paths, settings: Settings) -> Check:
    try:
        limit = int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    except (OSError, ValueError):
        return Check("watch", SKIP, "inotify limits unavailable on this system")
    if limit < 8192:
        return Check("watch", WARN, f"inotify allows {limit} watched folders",
                     "Raise it: sudo sysctl fs.inotify.max_user_watches=524288")
    return Check("watch", OK, f"inotify allows {limit} watched folders")


CHECKS: list[Callable[[Paths, Settings], Check]] = [
    _python, _offline, _model, _embedder, _storage, _permissions, _disk, _watch_limits]


def run_checks(paths: Paths, settings: Settings) -> list[Check]:
    """Run every check; a check that raises an ArchivistError fails with that error's message and hint."""
    out: list[Check] = []
    for check in CHECKS:
        name = check.__name__.strip("_").replace("_limits", "")
        try:
            out.append(check(paths, settings))
        except ArchivistError as exc:
            out.append(Check(name, FAIL, exc.message, exc.hint or ""))
    return out
