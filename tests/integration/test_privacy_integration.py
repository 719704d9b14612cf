"""Privacy in real processes (issue 4): the egress guard refuses and audits a connection made from inside
Archivist, and a re-key killed at any point leaves every encrypted file openable with one key.

Each scenario runs in a child Python process: an audit hook cannot be removed, so installing the guard here
would leak into the rest of the test session, and a crash is only real when the process really dies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import PASSPHRASE

from archivist.app.workspace import open_workspace as open_services
from archivist.errors import WrongPassphrase
from archivist.paths import Paths
from archivist.settings import Settings
from archivist.storage.state import StateStore

NEW = "the-new-passphrase-0917"


def _child(home: Path, script: str, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVIST_")}
    env.update(ARCHIVIST_HOME=str(home), ARCHIVIST_PASSPHRASE=passphrase)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


# -- egress --------------------------------------------------------------------------------------------------

EGRESS = """
    import json, os, socket, tempfile
    from archivist.paths import Paths
    from archivist.security import egress
    from archivist.app.workspace import open_workspace as open_services
    from archivist.settings import Settings

    out = {}

    def attempt(name, fn):
        try:
            fn()
            out[name] = "connected"
        except PermissionError as exc:
            out[name] = "refused: " + str(exc)
        except OSError as exc:  # what an unguarded process gets here (no network, nothing on port 9)
            out[name] = "not refused: " + repr(exc)

    def tcp_numeric():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(("127.0.0.1", 9))

    def udp():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"x", ("127.0.0.1", 9))

    egress.install()
    out["active"] = egress.active()
    attempt("before-services", lambda: socket.create_connection(("example.org", 80), timeout=5).close())
    paths = Paths.resolve()
    services = open_services(paths, Settings.load(paths.config_file))
    attempt("tcp", lambda: socket.create_connection(("example.com", 80), timeout=5).close())
    attempt("tcp-numeric", tcp_numeric)
    attempt("udp", udp)
    folder = tempfile.mkdtemp()
    server = socket.socket(socket.AF_UNIX)
    server.bind(os.path.join(folder, "sock"))
    server.listen(1)
    client = socket.socket(socket.AF_UNIX)
    attempt("unix", lambda: client.connect(os.path.join(folder, "sock")))
    peer, _ = server.accept()
    client.sendall(b"ping")
    out["unix-data"] = peer.recv(4).decode()
    out["attempts"] = len(egress.attempts())
    services.close()
    print(json.dumps(out))
"""


def test_a_connection_from_inside_archivist_is_refused_and_audited(home: Path) -> None:
    done = _child(home, EGRESS)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["active"] is True
    for name in ("before-services", "tcp", "tcp-numeric", "udp"):
        assert out[name].startswith("refused: Archivist refuses network access"), (name, out[name])
    assert out["unix"] == "connected" and out["unix-data"] == "ping", "Unix sockets must keep working"
    assert out["attempts"] == 4
    state = StateStore.open(Paths.resolve().state_database, PASSPHRASE)
    try:
        refused = [e for e in state.audit_entries() if e.action == "egress-refused"]
        assert state.verify_audit() == []
    finally:
        state.close()
    details = " | ".join(e.detail for e in refused)
    assert len(refused) >= 3, details
    assert "example.com" in details and "127.0.0.1" in details
    assert {e.profile for e in refused} == {"default"}


def test_the_guard_is_not_installed_by_importing_archivist(home: Path) -> None:
    """No side effects at import: only the `archivist` command (main) installs the guard."""
    done = _child(home, """
        import archivist.cli, archivist.app.workspace
        from archivist.security import egress
        print(egress.active())
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# -- re-key killed at every step ------------------------------------------------------------------------------

PREPARE = """
    from pathlib import Path
    from archivist.paths import Paths
    from archivist.app.workspace import open_workspace as open_services
    from archivist.settings import Settings

    paths = Paths.resolve()
    services = open_services(paths, Settings.load(paths.config_file))
    services.store.add_folder(Path({folder!r}))
    services.audit("search", "Heron ingest cluster")
    services.state.add_history("default", "How many nodes?", "{{}}")
    services.close()
"""

KILLED_REKEY = """
    import os
    from archivist.security import privacy
    from archivist.storage import private
    from archivist.paths import Paths

    calls = {{"n": 0}}

    def dies_at(n, real):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == n:
                os._exit(9)  # killed: no cleanup, no finally
            return real(*args, **kwargs)
        return wrapper

    {patch}
    privacy.rekey(Paths.resolve(), {old!r}, {new!r})
    print("re-key finished: the crash was never staged")
"""

# rekey: copy+rekey each file then privacy._fsync it (calls 1, 2), write the marker with write_private (its temp
# file's fsync is storage.private's first call, its os.replace call 1), then finish: os.replace each copy over
# its original (os.replace calls 2, 3).
CRASHES = {
    "after-first-copy": ("privacy._fsync = dies_at(2, privacy._fsync)", PASSPHRASE),
    "before-marker": ("private.fsync_file = dies_at(1, private.fsync_file)", PASSPHRASE),
    "after-marker": ("privacy._finish_rekey = lambda paths: os._exit(9)", NEW),
    "mid-finish": ("os.replace = dies_at(3, os.replace)", NEW),
}


def _content(passphrase: str) -> tuple:
    """What a user sees when opening the index with ``passphrase`` (raises WrongPassphrase). The ``home``
    fixture restores ARCHIVIST_PASSPHRASE afterwards."""
    os.environ["ARCHIVIST_PASSPHRASE"] = passphrase
    paths = Paths.resolve()
    services = open_services(paths, Settings.load(paths.config_file))
    try:
        return ([str(f.path) for f in services.store.folders()],
                [(e.action, e.query) for e in services.state.audit_entries() if e.action != "egress-refused"],
                [h.question for h in services.state.history("default")], services.state.verify_audit())
    finally:
        services.close()


@pytest.mark.parametrize("crash", list(CRASHES))
def test_a_rekey_killed_at_any_step_leaves_one_key_opening_everything(home: Path, tmp_path: Path,
                                                                        crash: str) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    prepared = _child(home, PREPARE.format(folder=str(folder)))
    assert prepared.returncode == 0, prepared.stderr
    before = _content(PASSPHRASE)
    assert before[0] == [str(folder)] and before[3] == []
    patch, works = CRASHES[crash]
    killed = _child(home, KILLED_REKEY.format(patch=patch, old=PASSPHRASE, new=NEW))
    assert killed.returncode == 9, (killed.returncode, killed.stdout, killed.stderr)
    fails = NEW if works == PASSPHRASE else PASSPHRASE
    assert _content(works) == before  # the next start discards or finishes the re-key
    with pytest.raises(WrongPassphrase):
        _content(fails)
    assert _content(works) == before
    data = Paths.resolve().data_dir
    assert not list(data.rglob("*.rekey")) and not (data / "rekey.commit").exists()


def test_no_rekey_leftovers_after_a_crash_before_the_marker(home: Path, tmp_path: Path) -> None:
    """The marker's temporary file (``.rekey.commit.*.tmp``) written just before the crash is cleaned up too."""
    prepared = _child(home, PREPARE.format(folder=str(tmp_path)))
    assert prepared.returncode == 0, prepared.stderr
    killed = _child(home, KILLED_REKEY.format(patch="private.fsync_file = dies_at(1, private.fsync_file)",
                                              old=PASSPHRASE, new=NEW))
    assert killed.returncode == 9
    _content(PASSPHRASE)
    data = Paths.resolve().data_dir
    assert sorted(p.name for p in data.iterdir() if "rekey" in p.name) == []
