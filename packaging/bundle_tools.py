"""Helpers of packaging/build-bundle, run with the Python of the environment being bundled.

    python bundle_tools.py pins PYPROJECT [--extra NAME]  name==version of every installed runtime dependency
                                                          (with the project's optional extra NAME: ``train``)
    python bundle_tools.py repack DEST PYPROJECT [--extra NAME] [DIST...]
                                                          wheels of those (plus DIST) rebuilt from the
                                                          installed files, each checked against pip's RECORD
    python bundle_tools.py locked LOCK PYPROJECT [--extra NAME] [DIST...]
                                                          the lock's entries (versions and SHA-256 hashes) for
                                                          that same closure (plus DIST): what build-bundle fetches
    python bundle_tools.py llama-info WHEEL               llama.cpp's system info, imported from WHEEL

``repack`` makes a bundle from the exact, tested environment without any network (the CI test uses it): a
wheel is rebuilt from the files pip installed, after verifying every file against the SHA-256 pip recorded,
so a modified installation is refused rather than shipped. Console scripts are left out (pip writes them
again from ``entry_points.txt``); ``.pyc`` files are left out (pip compiles again).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata as md
import io
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement

SKIP_DIST_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(pyproject: Path, extras: Sequence[str] = ()) -> list[md.Distribution]:
    """Installed distributions needed at run time: ``[project].dependencies`` (and those of the project's
    optional ``extras``) and theirs, markers evaluated for this interpreter (extras followed where a
    requirement asks for them).

    Raises:
        SystemExit: a requirement is not installed, or the installed version does not satisfy it.
    """
    project = tomllib.loads(pyproject.read_text())["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        sys.exit(f"{pyproject} has no optional dependencies named {', '.join(unknown)} "
                 f"(it has: {', '.join(sorted(optional))}).")
    wanted = [*project["dependencies"], *(r for e in extras for r in optional[e])]
    todo = [(Requirement(r), project["name"]) for r in wanted]
    found: dict[str, md.Distribution] = {}
    extras_done: dict[str, set[str]] = {}
    while todo:
        req, parent = todo.pop()
        key = canonical(req.name)
        try:
            dist = found.get(key) or md.distribution(req.name)
        except md.PackageNotFoundError:
            sys.exit(f"{req} (needed by {parent}) is not installed here; set up the environment first.")
        if req.specifier and not req.specifier.contains(dist.version, prereleases=True):
            sys.exit(f"installed {req.name} {dist.version} does not satisfy {req} (needed by {parent}).")
        new_extras = set(req.extras) - extras_done.setdefault(key, set())
        if key in found and not new_extras:
            continue
        found[key] = dist
        extras_done[key] |= new_extras
        for raw in dist.requires or []:
            sub = Requirement(raw)
            envs = [{"extra": e} for e in sorted(extras_done[key])] or [{"extra": ""}]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in envs):
                todo.append((sub, dist.metadata["Name"]))
    return sorted(found.values(), key=lambda d: canonical(d.metadata["Name"]))


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _wheel_tags(wheel_text: str) -> str:
    tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")]
    if not tags:
        sys.exit("a WHEEL file without Tag lines")
    parts = [t.split("-") for t in tags]
    return "-".join(".".join(dict.fromkeys(p[i] for p in parts)) for i in range(3))


def _console_scripts(dist: md.Distribution) -> set[str]:
    return {ep.name for ep in dist.entry_points if ep.group in ("console_scripts", "gui_scripts")}


def repack(dist: md.Distribution, dest: Path) -> Path:
    """Rebuild the wheel ``dist`` was installed from (files verified against RECORD first).

    Raises:
        SystemExit: an installed file differs from pip's record, or lies where a wheel cannot put it back.
    """
    name = dist.metadata["Name"]
    version = dist.version
    files = dist.files or []
    info_dir = next((str(f).split("/")[0] for f in files if str(f).split("/")[0].endswith(".dist-info")), None)
    if info_dir is None:
        sys.exit(f"{name}: no .dist-info in its RECORD")
    wheel_text = (dist.read_text("WHEEL") or "")
    stem = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}"
    data_dir = f"{stem}.data"
    scripts = _console_scripts(dist)
    members: list[tuple[str, Path]] = []
    for entry in files:
        rel = str(entry)
        if rel.endswith(".pyc") or "__pycache__/" in rel:
            continue
        top, _, rest = rel.partition("/")
        if top == info_dir and rest in SKIP_DIST_INFO:
            continue
        source = Path(str(dist.locate_file(entry)))
        arcname = rel
        if rel.startswith("../"):
            if "/bin/" in "/" + rel and Path(rel).name in scripts:
                continue  # pip writes console scripts again from entry_points.txt
            if "/bin/" in "/" + rel:
                members.append((f"{data_dir}/scripts/{Path(rel).name}", source))
                continue
            # Data files (a man page under share/): put back below the environment's prefix, as installed.
            under_prefix = os.path.relpath(os.path.normpath(source), os.path.normpath(sys.prefix))
            if under_prefix.startswith(".."):
                sys.exit(f"{name}: installed file {rel} lies outside the environment; build this bundle from the "
                         "index instead (without --from-venv).")
            arcname = f"{data_dir}/data/{Path(under_prefix).as_posix()}"
        if entry.hash is not None:
            actual = _b64(hashlib.new(entry.hash.mode, source.read_bytes()).digest())
            if actual != entry.hash.value:
                sys.exit(f"{name}: installed file {rel} differs from what pip installed; reinstall {name} "
                         "before bundling.")
        members.append((arcname, source))
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{stem}-{_wheel_tags(wheel_text)}.whl"
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    fd, tmp = tempfile.mkstemp(dir=dest, suffix=".tmp")
    os.close(fd)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for arcname, source in members:
            data = source.read_bytes()
            if arcname.startswith(f"{data_dir}/scripts/") and data.startswith(b"#!"):
                data = b"#!python" + data[data.index(b"\n"):]  # pip rewrites the interpreter line
            zi = zipfile.ZipInfo(arcname, ZIP_DATE)
            zi.external_attr = (0o755 if os.access(source, os.X_OK) else 0o644) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data, compresslevel=1)
            writer.writerow([arcname, f"sha256={_b64(hashlib.sha256(data).digest())}", len(data)])
        writer.writerow([f"{info_dir}/RECORD", "", ""])
        zi = zipfile.ZipInfo(f"{info_dir}/RECORD", ZIP_DATE)
        zi.external_attr = 0o644 << 16
        zf.writestr(zi, record.getvalue())
    os.replace(tmp, target)
    return target


def locked_entries(lock: Path, dists: Sequence[md.Distribution]) -> list[str]:
    """The lock's entries (``name==version`` with its hashes) of ``dists``, as requirement lines.

    Raises:
        SystemExit: a distribution is not in the lock, or the lock has another version (refresh the lock).
    """
    from lockfile import parse

    entries = parse(lock.read_text())
    out, wrong = [], []
    for dist in dists:
        entry = entries.get(canonical(dist.metadata["Name"]))
        if entry is None or entry.version != dist.version:
            wrong.append(f"{dist.metadata['Name']}=={dist.version} (the lock has "
                         f"{entry.version if entry else 'no entry'})")
        else:
            out.append(entry.render())
    if wrong:
        sys.exit(f"{lock} does not match the installed environment: {', '.join(wrong)}; run `packaging/lock "
                 "refresh` after testing, or packaging/bootstrap.sh setup.")
    return out


def llama_info(wheel: Path) -> str:
    """Import llama_cpp from ``wheel`` (unpacked in a temporary folder) and return its system info."""
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(tmp)
        for so in Path(tmp).rglob("*.so*"):
            so.chmod(0o755)
        code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
        proc = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": tmp}, cwd=tmp,
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"the llama-cpp-python wheel {wheel.name} does not import here: {proc.stderr.strip()[-400:]}")
    return proc.stdout.strip()


def _take_extras(args: list[str]) -> tuple[list[str], list[str]]:
    """Split ``--extra NAME`` options from the other arguments."""
    extras, rest = [], []
    it = iter(args)
    for arg in it:
        if arg == "--extra":
            extras.append(next(it, ""))
        else:
            rest.append(arg)
    return extras, rest


def main(argv: list[str]) -> None:
    command, *args = argv
    extras, args = _take_extras(args)
    if command == "pins":
        for dist in runtime_closure(Path(args[0]), extras):
            print(f"{dist.metadata['Name']}=={dist.version}")
    elif command == "repack":
        dest, pyproject, *extra = args
        dists = runtime_closure(Path(pyproject), extras) + [md.distribution(n) for n in extra]
        for dist in dists:
            print(repack(dist, Path(dest)).name)
    elif command == "locked":
        lock, pyproject, *extra = args
        dists = runtime_closure(Path(pyproject), extras) + [md.distribution(n) for n in extra]
        print("\n".join(locked_entries(Path(lock), dists)))
    elif command == "llama-info":
        print(llama_info(Path(args[0])))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
