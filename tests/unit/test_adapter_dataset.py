"""Feedback -> training data: `archivist feedback`, `archivist dataset export` (encrypted and plain), the
example-file formats, the encrypted-file helpers. Fake models only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PASSPHRASE, FakeEmbedder, FakeGenerator

from archivist.adapters.dataset import chat_example, data_sha256, load_examples, parse_examples, split_held_out
from archivist.answer.prompt import SYSTEM
from archivist.cli import cli
from archivist.errors import ConfigError, WrongPassphrase
from archivist.security import crypto

QUESTION = "What port does the Zephyr service listen on?"


@pytest.fixture
def run(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator",
                        lambda settings, model=None: FakeGenerator("The Zephyr service listens on port 7431 [1]."))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "zephyr.md").write_text("# Zephyr\n\nThe Zephyr service listens on port 7431.\n")
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert invoke("add", str(docs)).exit_code == 0
    assert invoke("index").exit_code == 0
    return invoke


def test_feedback_rates_the_last_answer_and_export_keeps_the_passages_in_the_prompt(run, tmp_path: Path) -> None:
    assert run("ask", "--json", QUESTION).exit_code == 0
    result = run("feedback", "good")
    assert result.exit_code == 0 and "Stored feedback" in result.stdout and QUESTION[:40] in result.stdout
    out = tmp_path / "team.jsonl"
    result = run("dataset", "export", str(out))
    assert result.exit_code == 0 and "1 examples" in result.stdout and "encrypted" in result.stdout
    raw = out.read_bytes()
    assert crypto.is_encrypted(raw) and b"Zephyr" not in raw and b"7431" not in raw
    assert out.stat().st_mode & 0o777 == 0o600
    [example] = load_examples(out, lambda: PASSPHRASE)
    system, user, assistant = example["messages"]
    assert system == {"role": "system", "content": SYSTEM}
    assert "[1] (zephyr.md, lines" in user["content"] and "listens on port 7431" in user["content"]
    assert user["content"].endswith(QUESTION)
    assert assistant == {"role": "assistant", "content": "The Zephyr service listens on port 7431 [1]."}


def test_a_correction_becomes_the_target_and_bad_answers_without_one_are_skipped(run, tmp_path: Path) -> None:
    run("ask", "--json", QUESTION)
    run("feedback", "bad")
    run("ask", "--json", QUESTION)
    assert run("feedback", "bad", "--correction", "- Port 7431 [1].").exit_code == 0
    out = tmp_path / "plain.jsonl"
    result = run("dataset", "export", "--plaintext", str(out))
    assert "1 examples" in result.stdout and "1 rating(s) skipped" in result.stdout
    text = out.read_text()
    assert not crypto.is_encrypted(out.read_bytes())
    [example] = parse_examples(text)
    assert example["messages"][-1]["content"] == "- Port 7431 [1]."
    assert load_examples(out) == [example]  # a plain export needs no passphrase


def test_feedback_names_the_answers_it_can_rate(run) -> None:
    result = run("feedback", "good")
    assert result.exit_code == 2 and "No answer to rate" in result.stderr
    run("ask", "--json", QUESTION)
    listed = run("feedback", "--list").stdout
    answer_id = listed.split()[0]
    assert QUESTION[:40] in listed
    assert run("feedback", "good", "--answer", answer_id).exit_code == 0
    assert run("feedback", "good", "--answer", "9999").exit_code == 2


def test_an_encrypted_export_opens_only_with_its_passphrase(tmp_path: Path) -> None:
    blob = crypto.encrypt(b'{"messages": []}\n', PASSPHRASE)
    assert crypto.decrypt(blob, PASSPHRASE) == b'{"messages": []}\n'
    with pytest.raises(WrongPassphrase, match="does not decrypt"):
        crypto.decrypt(blob, "not-the-passphrase")
    tampered = bytearray(blob)
    tampered[-20] ^= 1
    with pytest.raises(WrongPassphrase):
        crypto.decrypt(bytes(tampered), PASSPHRASE)
    header_changed = bytearray(blob)
    header_changed[20] ^= 1  # inside the salt: authenticated too
    with pytest.raises(WrongPassphrase):
        crypto.decrypt(bytes(header_changed), PASSPHRASE)
    with pytest.raises(crypto.CryptoError, match="not an Archivist encrypted file"):
        crypto.decrypt(b"plain text that is long enough to have a header" * 2, PASSPHRASE)
    assert crypto.encrypt(b"same", PASSPHRASE) != crypto.encrypt(b"same", PASSPHRASE)  # fresh salt and nonce


def test_training_reads_an_encrypted_export_with_the_passphrase(tmp_path: Path) -> None:
    from archivist.adapters.dataset import write_examples

    examples = [chat_example("Q?", [{"path": "a.md", "text": "Fact.", "lines": [1, 2]}], "- Fact [1].")]
    path = tmp_path / "export.jsonl"
    write_examples(path, examples, PASSPHRASE)
    assert load_examples(path, lambda: PASSPHRASE) == examples
    with pytest.raises(WrongPassphrase):
        load_examples(path, lambda: "wrong")
    with pytest.raises(ConfigError, match="encrypted"):
        load_examples(path)


def test_example_files_accept_the_compact_form_and_name_bad_lines(tmp_path: Path) -> None:
    compact = {"question": "Who approves travel?", "passages": [{"path": "travel.md", "text": "Heads approve.",
                                                                 "lines": [3, 4]}], "answer": "- Heads [1]."}
    [example] = parse_examples(json.dumps(compact) + "\n\n// a comment\n")
    assert "[1] (travel.md, lines 3-4)\nHeads approve." in example["messages"][1]["content"]
    with pytest.raises(ConfigError, match="line 2"):
        parse_examples(json.dumps(compact) + "\n{not json}\n")
    with pytest.raises(ConfigError, match="needs `messages`"):
        parse_examples('{"prompt": "x"}\n')


def test_the_held_out_split_is_stable_and_the_hash_follows_the_content() -> None:
    examples = [chat_example(f"Q{i}?", [], f"A{i}.") for i in range(10)]
    train, held = split_held_out(examples, 0.2)
    assert len(held) == 2 and len(train) == 8 and not {id(e) for e in held} & {id(e) for e in train}
    assert split_held_out(list(reversed(examples)), 0.2)[1] == held
    assert data_sha256(examples) == data_sha256([dict(e) for e in examples])
    assert data_sha256(examples) != data_sha256(examples[:-1])
