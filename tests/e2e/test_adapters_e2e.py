"""Team adapters through the installed command: the example adapters are there after set-up, `ask --adapter`
answers with them, a misnamed adapter is one clear line, `use` is remembered."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from e2e_support import ARCHIVIST, Sandbox, make_corpus

QUESTION = "What port does the Zephyr backup service listen on?"


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    if not ARCHIVIST.exists():
        pytest.fail(f"{ARCHIVIST} is not installed: run packaging/bootstrap.sh first")
    return Sandbox(tmp_path)


def test_example_adapters_are_listed_and_answer(sandbox: Sandbox) -> None:
    listed = sandbox.run("adapters", "list")
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.strip()]
    assert lines[0].startswith("NAME")
    rows = {line.split()[0]: line for line in lines[1:]}
    assert {"brief", "memo"} <= set(rows) and all(" yes " in rows[n] for n in ("brief", "memo"))
    make_corpus(sandbox.docs)
    assert sandbox.run("add", str(sandbox.docs)).returncode == 0
    assert sandbox.run("index").returncode == 0
    schema = json.loads(resources.files("archivist").joinpath("schemas/ask.json").read_text())
    answers = {}
    for adapter in ("none", "brief", "memo"):
        ask = sandbox.run("ask", "--adapter", adapter, "--json", QUESTION)
        assert ask.returncode == 0, ask.stderr
        data = json.loads(ask.stdout)
        jsonschema.validate(data, schema)
        assert not data["abstained"] and any(c["path"].endswith("zephyr-runbook.md") for c in data["citations"])
        if data["mode"] == "generated":  # says which style it answered in
            assert data["adapter"] == (None if adapter == "none" else adapter), data
        answers[adapter] = data["answer"]
    assert len(set(answers.values())) > 1, f"the adapters changed nothing: {answers}"


def test_a_wrong_adapter_name_is_one_line_and_use_is_remembered(sandbox: Sandbox) -> None:
    wrong = sandbox.run("ask", "--adapter", "legalese", QUESTION)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1 and "brief" in wrong.stderr and "memo" in wrong.stderr
    assert sandbox.run("adapters", "use", "memo").returncode == 0
    data = json.loads(sandbox.run("adapters", "list", "--json").stdout)
    assert data["active"] == "memo"
    shown = sandbox.run("adapters", "show", "memo")
    assert "sha256" in shown.stdout and "style" in shown.stdout and "fits" in shown.stdout
