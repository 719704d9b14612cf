"""``archivist doctor --privacy``: the egress guard, the telemetry switches, where every piece of data lives, the
permissions of every file there, and the folders that libraries wrote outside Archivist's own."""

from __future__ import annotations

import getpass
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from archivist.doctor.permissions import PermEntry, passphrase_entry, scan_permissions
from archivist.paths import Paths


@dataclass(frozen=True)
class DependencyTrace:
    """A folder that a library Archivist uses writes outside Archivist's own folders, when it exists."""

    library: str
    path: Path
    what: str
    files: int
    size: int


def _cache_home() -> Path:
    value = os.environ.get("XDG_CACHE_HOME")
    return Path(value) if value else Path.home() / ".cache"


def _trace_locations() -> list[tuple[str, Path, str]]:
    """Where each library would write, resolved as the library itself resolves it (its variable, else the XDG
    cache folder). The README's privacy section has the audit behind this list; Archivist's switches keep every
    one of them empty, so a folder found here was written before the switches, or by another program."""
    cache = _cache_home()
    env = os.environ.get
    try:
        user = re.sub(r'[\\/:*?"<>|]', "_", getpass.getuser())  # as torch._inductor names its folder
    except (KeyError, OSError):
        user = ""
    return [
        ("ONNX Runtime", cache / "Microsoft" / "DeveloperTools" / ".onnxruntime",
         "telemetry: a device id and usage events (OS, CPU, memory, Python path) queued for upload, written when "
         "onnxruntime loads without ORT_DISABLE_TELEMETRY=1"),
        ("ONNX Runtime", Path(tempfile.gettempdir()) / ".ses",
         "its telemetry's session file (a start time and a session id), written beside the folder above"),
        ("Hugging Face hub", Path(env("HF_HOME") or cache / "huggingface"),
         "downloaded models, a login token and update-check stamps; Archivist reads no model from it (check "
         "that no other program of yours uses it before deleting)"),
        ("PyTorch", Path(env("TORCH_HOME") or cache / "torch"),
         "torch hub downloads and sentence-transformers' old model cache; Archivist downloads nothing"),
        ("PyTorch", Path(tempfile.gettempdir()) / f"torchinductor_{user}",
         "the cache of torch's compiler (torch.compile; torch.onnx.export, run once by `archivist models "
         "prepare` at set-up, creates it empty); Archivist keeps nothing there"),
        ("Triton", Path.home() / ".triton", "GPU kernel cache; the CPU build Archivist uses never writes it"),
        ("llama.cpp", Path(env("LLAMA_CACHE") or cache / "llama.cpp"),
         "models downloaded by llama.cpp's own tools (-hf); Archivist loads local files only"),
    ]


def dependency_traces() -> list[DependencyTrace]:
    """The library folders (and files) of ``_trace_locations`` that exist, with their file count and size."""
    out: list[DependencyTrace] = []
    for library, path, what in _trace_locations():
        if path.is_symlink() or not path.exists():
            continue
        if path.is_file():
            out.append(DependencyTrace(library, path, what, 1, path.stat().st_size))
            continue
        files = size = 0
        for dirpath, _dirs, names in os.walk(path):
            for name in names:
                try:
                    size += (Path(dirpath) / name).lstat().st_size
                except OSError:
                    continue
                files += 1
        out.append(DependencyTrace(library, path, what, files, size))
    return out


@dataclass(frozen=True)
class SwitchState:
    """One telemetry/hub switch as this process sees it."""

    name: str
    wanted: str
    actual: str | None
    purpose: str

    @property
    def ok(self) -> bool:
        return self.actual == self.wanted


def switch_states() -> list[SwitchState]:
    """Every switch of ``archivist.security.offline.SWITCHES`` with its value in this process."""
    from archivist.security.offline import SWITCH_PURPOSE, SWITCHES

    return [SwitchState(name, wanted, os.environ.get(name), SWITCH_PURPOSE.get(name, ""))
            for name, wanted in SWITCHES.items()]


@dataclass
class PrivacyReport:
    """What ``archivist doctor --privacy`` prints."""

    guard_active: bool
    refused_attempts: int
    locations: list[tuple[str, Path, bool]]
    entries: list[PermEntry]
    passphrase_file: PermEntry | None = None
    problems: list[str] = field(default_factory=list)
    switches: list[SwitchState] = field(default_factory=list)
    traces: list[DependencyTrace] = field(default_factory=list)


def privacy_report(paths: Paths) -> PrivacyReport:
    """The egress guard, the switches, where data lives, the mode of every file there and the libraries' folders
    outside Archivist's; ``problems`` lists each fix (a library's folder is reported, not a problem: it may be
    another program's)."""
    from archivist.index.generations import current_database
    from archivist.security import egress

    locations = [("config", paths.config_file), ("data", paths.data_dir), ("index", current_database(paths)),
                 ("state", paths.state_database),
                 ("cache", paths.cache_dir), ("runtime", paths.runtime_dir), ("models", paths.models_dir),
                 ("log", paths.watch_log)]
    report = PrivacyReport(egress.active(), len(egress.attempts()),
                           [(name, path, path.exists()) for name, path in locations], scan_permissions(paths))
    if not report.guard_active:
        report.problems.append("The egress guard is not active: run Archivist through the `archivist` command.")
    report.switches = switch_states()
    unset = [s.name for s in report.switches if not s.ok]
    if unset:
        report.problems.append(f"Telemetry/hub switches not set in this process: {', '.join(unset)}; run Archivist "
                               "through the `archivist` command (it sets them before any library loads).")
    report.traces = dependency_traces()
    report.passphrase_file = passphrase_entry()
    for entry in report.entries + ([report.passphrase_file] if report.passphrase_file else []):
        if not entry.private:
            what = "folder" if entry.is_dir else "file"
            report.problems.append(f"{entry.path}: {what} mode {entry.mode:04o} lets others read it; {entry.fix}")
    return report
