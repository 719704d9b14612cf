"""The air-gapped bundle: built from this set-up checkout, carried as one file, verified and installed with no
network at all (a network namespace with only a down loopback), then add -> index -> ask on the sample
folder with the installed command. A tampered or padded bundle is refused, naming the file, and nothing is
installed.

The bundle is built once per module with ``--from-venv`` (wheels rebuilt from this tested environment, so
llama-cpp-python is never compiled again and no package index is needed); Tesseract's Debian packages are
fetched with ``apt-get download`` (about 40 MB from the machine's apt sources, ~10 s).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tomllib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample-docs"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _netns_available() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        return False


NETNS = _netns_available()


def offline(*cmd: str | Path) -> list[str]:
    """``cmd`` inside a fresh network namespace (no interface up: nothing can be reached). Where namespaces are
    not permitted the command runs as is: install-offline still uses pip --no-index and Archivist its egress
    guard, but the test no longer proves that nothing reached the network."""
    if not NETNS:
        warnings.warn("unshare -rn is not permitted here: the bundle test runs without a network namespace",
                      stacklevel=2)
        return [str(c) for c in cmd]
    return ["unshare", "-rn", *(str(c) for c in cmd)]


def run(cmd: list[str], env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          check=False)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([str(ROOT / "packaging" / "build-bundle"), "--from-venv", sys.prefix, "--out", str(out)],
                          capture_output=True, text=True, timeout=900, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.name.startswith(f"archivist-bundle-{VERSION}-")
    assert Path(f"{path}.sha256").read_text().split()[0] in proc.stderr  # the checksum to carry is printed
    yield path
    shutil.rmtree(out, ignore_errors=True)  # ~300 MB; pytest keeps the last runs' temp folders


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    box = Sandbox(tmp_path)
    box.env.pop("ARCHIVIST_MODELS_DIR", None)
    box.env.update(ARCHIVIST_HOME=str(tmp_path / "archivist-home"))
    return box


def _unpack(bundle: Path, where: Path) -> Path:
    with tarfile.open(bundle) as tar:
        tar.extractall(where, filter="data")
    (root,) = where.iterdir()
    return root


def test_the_namespace_has_no_network(sandbox: Sandbox) -> None:
    if not NETNS:
        pytest.skip("unshare -rn is not permitted on this machine")
    probe = "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"
    proc = run(offline(sys.executable, "-c", probe), sandbox.env, timeout=60)
    assert proc.returncode != 0 and ("unreachable" in proc.stderr.lower() or "OSError" in proc.stderr)


def test_bundle_installs_and_answers_with_no_network(bundle: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
    assert any("/wheels/llama_cpp_python-" in n for n in names) and any("/wheels/archivist-" in n for n in names)
    assert any(n.endswith("/models/minilm-l6-v2.int8.onnx") for n in names)
    assert not any("/wheels/torch-" in n for n in names)  # the offline machine never needs torch
    debs = [n.rsplit("/", 1)[1] for n in names if "/debs/" in n and n.endswith(".deb")]
    assert {"tesseract-ocr", "tesseract-ocr-eng", "libtesseract5", "liblept5"} <= {d.split("_")[0] for d in debs}
    with tarfile.open(bundle) as tar:
        member = tar.extractfile(next(n for n in names if n.endswith("/MANIFEST.json")))
        assert member is not None
        manifest = json.load(member)
    assert sorted(debs) == manifest["ocr_debs"] and manifest["ocr_debian"]

    target = tmp_path / "opt" / "archivist"
    install = run(offline(ROOT / "packaging" / "install-offline", bundle, target), sandbox.env)
    assert install.returncode == 0, install.stdout + install.stderr[-3000:]
    assert "files match SHA256SUMS" in install.stderr
    # This machine has Tesseract (bootstrap.sh): nothing to install, and the installer says so.
    assert "OCR: Tesseract and the libraries it needs are installed already." in install.stderr
    assert "Everything needed is in place." in install.stdout

    archivist = str(target / "bin" / "archivist")
    version = run(offline(archivist, "--version"), sandbox.env)
    assert version.returncode == 0 and f"version {VERSION}" in version.stdout
    where = run(offline(target / "venv" / "bin" / "python", "-c", "import archivist; print(archivist.__file__)"),
                sandbox.env)
    assert where.stdout.strip().startswith(str(target))  # the bundle's copy, not this checkout's

    add = run(offline(archivist, "add", SAMPLE), sandbox.env)
    assert add.returncode == 0, add.stderr
    index = run(offline(archivist, "index"), sandbox.env)
    assert index.returncode == 0, index.stderr
    assert "8 added" in index.stdout
    ask = run(offline(archivist, "ask", "--json", "What caused the warehouse outage in April?"), sandbox.env)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert not answer["abstained"]
    assert any(c["path"].endswith("INC-2291-warehouse-outage.pdf") for c in answer["citations"])
    assert "CWP-2" in answer["answer"] or any("CWP-2" in c["text"] for c in answer["citations"])

    doctor = run(offline(archivist, "doctor"), sandbox.env)
    assert doctor.returncode == 0, doctor.stdout
    assert "bundled, SHA-256" in doctor.stdout and f"{target / 'models'}" in doctor.stdout
    shutil.rmtree(target)  # ~700 MB; kept only when an assertion above failed


def test_a_tampered_wheel_is_refused_and_nothing_is_installed(bundle: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    root = _unpack(bundle, tmp_path / "unpacked")
    (wheel,) = (root / "wheels").glob("click-*.whl")
    data = bytearray(wheel.read_bytes())
    data[len(data) // 2] ^= 0xFF
    wheel.write_bytes(bytes(data))
    tampered = tmp_path / bundle.name
    with tarfile.open(tampered, "w:gz", compresslevel=1) as tar:
        tar.add(root, arcname=root.name)
    shutil.rmtree(root.parent)

    target = tmp_path / "opt" / "archivist"
    proc = run(offline(ROOT / "packaging" / "install-offline", tampered, target), sandbox.env)
    assert proc.returncode != 0
    assert "REFUSED" in proc.stderr and f"wheels/{wheel.name}: FAILED" in proc.stderr
    assert not (target / "venv").exists()
    tampered.unlink()


def test_an_unlisted_wheel_is_refused(bundle: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    root = _unpack(bundle, tmp_path / "unpacked")
    (root / "wheels" / "helpful-1.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    target = tmp_path / "opt" / "archivist"
    proc = run(offline(root / "install-offline", root, target), sandbox.env)  # the copy shipped in the bundle
    assert proc.returncode != 0
    assert "not listed in SHA256SUMS: wheels/helpful-1.0-py3-none-any.whl" in proc.stderr
    assert not (target / "venv").exists()
    shutil.rmtree(root)


def test_a_bundle_with_the_train_extra_trains_an_adapter_with_no_network(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    proc = subprocess.run([str(ROOT / "packaging" / "build-bundle"), "--from-venv", sys.prefix, "--with-train",
                           "--out", str(out)], capture_output=True, text=True, timeout=900, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    bundle = Path(proc.stdout.strip().splitlines()[-1])
    assert bundle.name.endswith("-train.tar.gz")
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
    assert any("/wheels/torch-2.13.0" in n for n in names) and any("/wheels/peft-" in n for n in names)

    target = tmp_path / "opt" / "archivist"
    install = run(offline(ROOT / "packaging" / "install-offline", bundle, target), sandbox.env)
    assert install.returncode == 0, install.stdout + install.stderr[-3000:]
    assert "with the optional extras: train" in install.stderr
    shutil.rmtree(out)

    candidate = tmp_path / "style.gguf"
    train = run(offline(target / "bin" / "archivist", "adapters", "train", "--data",
                        ROOT / "examples" / "adapters" / "brief" / "examples.jsonl", "--name", "offline",
                        "--steps", "2", "--rank", "2", "--no-eval", "--output", candidate), sandbox.env)
    assert train.returncode == 0, train.stdout + train.stderr[-3000:]
    assert "step 2/2" in train.stdout + train.stderr
    assert candidate.read_bytes()[:4] == b"GGUF"  # a llama.cpp adapter, made on the offline machine
    shutil.rmtree(target)  # ~1.5 GB with torch
