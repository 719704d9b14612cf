"""The installed ``archivist`` command, as a new user runs it."""

from __future__ import annotations

import json
import shutil
import time
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from e2e_support import ARCHIVIST, Sandbox, Tmux, make_corpus


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    return Sandbox(tmp_path)


def _schema(name: str) -> dict:
    return json.loads(resources.files("archivist").joinpath(f"schemas/{name}.json").read_text())


def test_add_index_ask_cites_and_abstains(sandbox: Sandbox) -> None:
    make_corpus(sandbox.docs)
    assert sandbox.run("add", str(sandbox.docs)).returncode == 0
    index = sandbox.run("index")
    assert index.returncode == 0, index.stderr
    assert "3 added" in index.stdout
    ask = sandbox.run("ask", "--json", "What port does the Zephyr backup service listen on?")
    assert ask.returncode == 0, ask.stderr
    data = json.loads(ask.stdout)
    jsonschema.validate(data, _schema("ask"))
    assert not data["abstained"]
    assert any(c["path"].endswith("zephyr-runbook.md") for c in data["citations"])
    assert "7431" in data["answer"]
    absent = "What is the airspeed of the lunar ferry between Oslo and Titan?"
    neg = json.loads(sandbox.run("ask", "--json", absent).stdout)
    jsonschema.validate(neg, _schema("ask"))
    assert neg["abstained"] is True and neg["answer"] == "Not found in your documents."
    search = json.loads(sandbox.run("search", "--json", "Heron ingest nodes").stdout)
    jsonschema.validate(search, _schema("search"))
    assert search["results"][0]["path"].endswith("status.html")
    assert not any("scriptnoise" in r["text"] or "Menu" in r["text"] for r in search["results"])


def test_plain_ask_streams_an_answer_with_sources(sandbox: Sandbox) -> None:
    make_corpus(sandbox.docs)
    sandbox.run("add", str(sandbox.docs))
    sandbox.run("index")
    out = sandbox.run("ask", "How long are client contracts retained?")
    assert out.returncode == 0, out.stderr
    assert "Sources" in out.stdout and "retention.txt" in out.stdout and "eleven years" in out.stdout


def test_nothing_readable_at_rest(sandbox: Sandbox) -> None:
    make_corpus(sandbox.docs)
    sandbox.run("add", str(sandbox.docs))
    sandbox.run("index")
    sandbox.run("ask", "--json", "Which service uses port 7431?")
    stored = [p for d in sandbox.stored_dirs for p in d.rglob("*") if p.is_file()]
    assert any(p.name == "index.db" for p in stored)
    for path in stored:
        raw = path.read_bytes()
        for canary in (b"quokkafrost", b"marmotglaze", b"Heron ingest", b"zephyr-runbook"):
            assert canary not in raw, f"{canary!r} readable in {path}"


def test_bad_input_is_reported_and_the_run_goes_on(sandbox: Sandbox) -> None:
    make_corpus(sandbox.docs)
    d = sandbox.docs
    (d / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 100)
    (d / "latin1.txt").write_bytes("Café crème brûlée costs nine euros.\n".encode("latin-1"))
    (d / "big.log").write_bytes(b"x" * (26 * 1000 * 1000))  # above the 25 MB default
    sandbox.run("add", str(d))
    index = sandbox.run("index")
    assert index.returncode == 0 and "Traceback" not in index.stderr + index.stdout
    status = sandbox.run("status").stdout
    assert "broken.pdf" in status and "not a readable PDF" in status
    assert "empty.txt" in status and "binary.txt" in status and "big.log" in status and "limit" in status
    hits = json.loads(sandbox.run("search", "--json", "crème brûlée").stdout)["results"]
    assert hits[0]["path"].endswith("latin1.txt")


def test_user_errors_are_one_line_exit_2(sandbox: Sandbox, tmp_path: Path) -> None:
    make_corpus(sandbox.docs)
    sandbox.run("add", str(sandbox.docs))
    wrong = sandbox.run("status", env={"ARCHIVIST_PASSPHRASE": "not-it"})
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "Wrong passphrase" in wrong.stderr
    missing = sandbox.run("add", str(tmp_path / "no-such-folder"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    notmodel = tmp_path / "weights.gguf"
    notmodel.write_bytes(b"\0" * 4096)
    bad = sandbox.run("ask", "--model", str(notmodel), "anything about zephyr?")
    assert bad.returncode == 2 and "not a GGUF model" in bad.stderr and "Traceback" not in bad.stderr
    no_tty = sandbox.run("status", env={"ARCHIVIST_PASSPHRASE": ""})
    assert no_tty.returncode == 2 and "ARCHIVIST_PASSPHRASE" in no_tty.stderr


def test_locate_and_help(sandbox: Sandbox) -> None:
    out = sandbox.run("locate").stdout
    assert str(sandbox.root / "data") in out and "models" in out
    helped = sandbox.run("--help")
    assert helped.returncode == 0 and "ask" in helped.stdout and "index" in helped.stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_passphrase_prompt_in_a_terminal(sandbox: Sandbox) -> None:
    """No ARCHIVIST_PASSPHRASE: the first use asks twice (new index), later uses once; typing is hidden."""
    make_corpus(sandbox.docs)
    # A private tmux server: a tmux the user runs (its environment, its configuration) changes nothing here.
    tmux = Tmux({k: v for k, v in sandbox.env.items() if k != "ARCHIVIST_PASSPHRASE"}, "passphrase-e2e")
    session = "prompt"
    log = sandbox.root / "tmux.out"

    def wait_for(text: str) -> str:
        for _ in range(200):
            screen = tmux("capture-pane", "-p", "-t", session)
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"never saw {text!r}; screen:\n{screen}")

    command = f"{ARCHIVIST} add {sandbox.docs}; {ARCHIVIST} status > {log} 2>&1; echo DONE-$?; sleep 30"
    tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "50", command)
    try:
        wait_for("Choose a passphrase")
        tmux("send-keys", "-t", session, "typed-secret-42", "Enter")
        wait_for("Repeat for confirmation")
        tmux("send-keys", "-t", session, "typed-secret-42", "Enter")
        wait_for("Index passphrase")
        tmux("send-keys", "-t", session, "typed-secret-42", "Enter")
        screen = wait_for("DONE-")
        assert "typed-secret-42" not in screen, "the passphrase was echoed"
        assert "DONE-0" in screen
        assert "1 folder(s)" in log.read_text()
    finally:
        tmux.kill()


@pytest.mark.slow
def test_demo_indexes_the_samples_and_answers_with_citations(sandbox: Sandbox) -> None:
    demo = sandbox.run("demo", env={"ARCHIVIST_HOME": str(sandbox.root / "demo")})
    assert demo.returncode == 0, demo.stderr
    assert "8 added" in demo.stdout
    assert "Sources" in demo.stdout and "INC-2291-warehouse-outage.pdf, page" in demo.stdout
    assert "CWP-2" in demo.stdout or "pump" in demo.stdout
