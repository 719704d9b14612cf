"""The lock of every run-time and test dependency: exact versions with SHA-256 hashes (packaging/requirements.lock).

Run through ``packaging/lock`` (stdlib only, so the set-up script can use it before any environment exists):

    packaging/lock refresh [--venv .venv]      regenerate the lock from the tested environment
    packaging/lock check [--venv .venv]        exit 1 unless the environment holds exactly the locked versions and
                                               the lock satisfies every requirement of pyproject.toml
    packaging/lock select [--except] NAME...   print these entries of the lock (or all but these)

``refresh`` takes ``pip freeze --all --exclude-editable`` of the environment (so the versions are the tested ones;
Archivist itself, installed editable, is left out) and asks pip, without installing anything
(``pip install --dry-run --no-deps --report``), which file it would pick for each pinned version and that
file's SHA-256: once with this machine's pip configuration (its local indexes and find-links) and once as a
fresh machine would (the package index alone, no configuration). Every hash found is kept, so either install
passes ``--require-hashes``. A file found only on this machine (a find-links wheel without a hash in its
link) is hashed from the file itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "packaging" / "requirements.lock"
PYPROJECT = ROOT / "pyproject.toml"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Entry:
    """One locked distribution: ``name==version`` and the SHA-256 of every file pip may install it from."""

    name: str
    version: str
    hashes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return canonical(self.name)

    def render(self) -> str:
        lines = [f"# {note}" for note in self.notes]
        lines.append(f"{self.name}=={self.version}" + "".join(f" \\\n    --hash=sha256:{h}" for h in self.hashes))
        return "\n".join(lines)


def parse(text: str) -> dict[str, Entry]:
    """The entries of a lock file (comments and line continuations understood)."""
    entries: dict[str, Entry] = {}
    logical = re.sub(r"\\\n\s*", " ", text)
    for raw in logical.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})*)\s*$", line)
        if match is None:
            raise SystemExit(f"lock: cannot read this line of the lock: {line!r}")
        name, version, hashes = match.groups()
        entries[canonical(name)] = Entry(name, version, re.findall(r"sha256:([0-9a-f]{64})", hashes))
    return entries


# ---------------------------------------------------------------- the environment

def _pip(venv: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "python"), "-m", "pip", *args], capture_output=True, text=True,
                          env=env, check=False)


def installed(venv: Path) -> dict[str, Entry]:
    """``pip freeze --all --exclude-editable`` of ``venv`` (pip and setuptools included; Archivist, editable, not)."""
    proc = _pip(venv, "freeze", "--all", "--exclude-editable")
    if proc.returncode != 0:
        raise SystemExit(f"lock: pip freeze failed in {venv}: {proc.stderr.strip()[-400:]}")
    out: dict[str, Entry] = {}
    for raw in proc.stdout.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "==" not in line:
            raise SystemExit(f"lock: {line!r} is not installed from a package index or wheel (pip freeze shows no "
                             "version); install a released version before locking.")
        name, version = line.split("==", 1)
        out[canonical(name)] = Entry(name, version)
    return out


def _fresh_machine_env() -> dict[str, str]:
    """pip as on a machine with no configuration: the package index alone, no find-links, no constraints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _report(venv: Path, pins: list[str], env: dict[str, str] | None) -> dict[str, tuple[str, str | None]]:
    """For each pin, the file pip would install (url) and its SHA-256 when the index gives one; raises on failure."""
    with tempfile.TemporaryDirectory() as tmp:
        reqs, report = Path(tmp) / "pins.txt", Path(tmp) / "report.json"
        reqs.write_text("\n".join(pins) + "\n")
        proc = _pip(venv, "install", "--dry-run", "--ignore-installed", "--no-deps", "--quiet", "--report",
                    str(report), "-r", str(reqs), env=env)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.strip()[-600:])
        data = json.loads(report.read_text())
    out: dict[str, tuple[str, str | None]] = {}
    for item in data["install"]:
        info = item["download_info"]
        archive = info.get("archive_info", {})
        digest = archive.get("hashes", {}).get("sha256")
        if digest is None and archive.get("hash", "").startswith("sha256="):
            digest = archive["hash"].split("=", 1)[1]
        out[canonical(item["metadata"]["name"])] = (info["url"], digest)
    return out


def _file_sha256(url: str) -> str | None:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    digest = hashlib.sha256()
    with open(unquote(parsed.path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_name(url: str) -> str:
    return unquote(Path(urlparse(url).path).name)


def _where(url: str) -> str:
    """The folder (a local file) or host (an index) a file comes from."""
    parsed = urlparse(url)
    return str(Path(unquote(parsed.path)).parent) if parsed.scheme == "file" else parsed.netloc


def refresh(venv: Path, lock: Path) -> dict[str, Entry]:
    """Write ``lock`` from ``venv``: its versions, and the hash of every file either pip would pick."""
    entries = installed(venv)
    pins = [f"{e.name}=={e.version}" for e in entries.values()]
    print(f"lock: {len(pins)} distributions installed in {venv}; asking pip which files it would install",
          file=sys.stderr)
    here = _report(venv, pins, env=None)
    fresh: dict[str, tuple[str, str | None]] = {}
    public = [p for p in pins if "+" not in p.split("==", 1)[1]]  # a local version (+cpu) is never on the index
    try:
        fresh = _report(venv, public, _fresh_machine_env())
    except RuntimeError:
        for pin in public:  # one is not on the index: find which, keep the others
            try:
                fresh.update(_report(venv, [pin], _fresh_machine_env()))
            except RuntimeError:
                print(f"lock: {pin} is not on the package index (only this machine's indexes have it)",
                      file=sys.stderr)
    for key, entry in entries.items():
        if key not in here:
            raise SystemExit(f"lock: pip found no file for {entry.name}=={entry.version}")
        url, digest = here[key]
        digest = digest or _file_sha256(url)
        if digest is None:
            raise SystemExit(f"lock: no SHA-256 for {entry.name}=={entry.version} ({url})")
        entry.hashes.append(digest)
        if key in fresh and fresh[key][1] and fresh[key][1] not in entry.hashes:
            entry.hashes.append(fresh[key][1])
            entry.notes.append(f"{entry.name}: this machine installs {_file_name(url)} from {_where(url)}; a fresh "
                               f"machine picks {_file_name(fresh[key][0])} from {_where(fresh[key][0])}")
        elif key not in fresh:
            entry.notes.append(f"{entry.name}=={entry.version} is not on the package index: this machine installs "
                               f"{_file_name(url)} from {_where(url)} (README, Set-up)")
    ordered = dict(sorted(entries.items()))
    system = f"Python {platform.python_version()}, {sys.platform} {platform.machine()}, glibc {platform.libc_ver()[1]}"
    header = [
        "# Archivist's locked dependencies: every run-time and test dependency (the `dev` extra: export, train, tests,",
        "# lint) at the version of the tested environment, with the SHA-256 of the file pip picks for it on this",
        "# platform, here and on a machine without this one's pip configuration (both, where they differ).",
        f"# Generated by `packaging/lock refresh` from {venv.name} ({system}); do not edit by hand.",
        "# packaging/bootstrap.sh installs it with `pip install --require-hashes --no-deps`; build-bundle ships it.",
        "",
        "",
    ]
    text = "\n".join(header) + "\n".join(e.render() for e in ordered.values()) + "\n"
    tmp = lock.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, lock)
    print(f"lock: wrote {lock} ({len(ordered)} distributions)", file=sys.stderr)
    return ordered


# ---------------------------------------------------------------- checks

def _requirement_class():  # noqa: ANN202
    try:
        from packaging.requirements import Requirement
    except ImportError:  # a bare venv: pip's own copy
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    return Requirement


def pyproject_problems(locked: dict[str, Entry], pyproject: Path = PYPROJECT) -> list[str]:
    """Requirements of pyproject.toml (dependencies and every extra) that the lock lacks or does not satisfy."""
    Requirement = _requirement_class()
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = [*project["dependencies"], *(r for extra in project.get("optional-dependencies", {}).values()
                                          for r in extra)]
    problems = []
    for raw in wanted:
        req = Requirement(raw)
        if canonical(req.name) == canonical(project["name"]) or (req.marker and not req.marker.evaluate()):
            continue
        entry = locked.get(canonical(req.name))
        if entry is None:
            problems.append(f"{raw} (pyproject.toml) is not in the lock")
        elif req.specifier and not req.specifier.contains(entry.version, prereleases=True):
            problems.append(f"{raw} (pyproject.toml) is not satisfied by the locked {entry.name}=={entry.version}")
    return problems


def environment_problems(locked: dict[str, Entry], present: dict[str, Entry]) -> list[str]:
    """Differences between an environment and the lock, each with what to do."""
    problems = []
    for key, have in sorted(present.items()):
        want = locked.get(key)
        if want is None:
            problems.append(f"{have.name}=={have.version} is installed but not in the lock")
        elif want.version != have.version:
            problems.append(f"{have.name} {have.version} is installed; the lock has {want.version}")
    for key, want in sorted(locked.items()):
        if key not in present:
            problems.append(f"{want.name}=={want.version} is in the lock but not installed")
    for want in locked.values():
        if not want.hashes:
            problems.append(f"{want.name}=={want.version} has no hash in the lock")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="packaging/lock", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("refresh", "check"):
        p = sub.add_parser(name)
        p.add_argument("--venv", type=Path, default=ROOT / ".venv")
        p.add_argument("--lock", type=Path, default=LOCK)
    p = sub.add_parser("select")
    p.add_argument("--lock", type=Path, default=LOCK)
    p.add_argument("--except", dest="exclude", action="store_true", help="every entry but these")
    p.add_argument("names", nargs="+")
    args = parser.parse_args(argv)

    if args.command == "refresh":
        refresh(args.venv.absolute(), args.lock)
        return 0
    if not args.lock.is_file():
        print(f"lock: {args.lock} does not exist; run `packaging/lock refresh` in a set-up checkout", file=sys.stderr)
        return 1
    locked = parse(args.lock.read_text())
    if args.command == "select":
        wanted = {canonical(n) for n in args.names}
        unknown = wanted - locked.keys()
        if unknown and not args.exclude:
            print(f"lock: not in {args.lock}: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 1
        print("\n".join(e.render() for k, e in locked.items() if (k in wanted) != args.exclude))
        return 0
    problems = pyproject_problems(locked) + environment_problems(locked, installed(args.venv.absolute()))
    if problems:
        print(f"lock: {args.venv} does not match {args.lock}:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        print("Refresh the lock from a tested environment (`packaging/lock refresh`, README Set-up), or reinstall "
              "(packaging/bootstrap.sh setup).", file=sys.stderr)
        return 1
    print(f"lock: {args.venv} holds exactly the {len(locked)} locked distributions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
