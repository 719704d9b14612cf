"""The real pipeline on the bundled sample folder: real extraction, MiniLM, SQLCipher and SmolLM2."""

from __future__ import annotations

import json
import socket
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import SAMPLE_DOCS, indexed_workspace


@pytest.fixture(scope="module")
def sample_services(tmp_path_factory: pytest.TempPathFactory, real_embedder, real_generator):  # noqa: ANN201
    services, report = indexed_workspace(tmp_path_factory.mktemp("sample-home"), SAMPLE_DOCS, real_embedder,
                                         real_generator)
    assert report.failed == 0 and report.added == 8, report
    yield services
    services.close()


QUESTIONS = [
    ("How long are daily restore points kept?", "backup-restore.md", "35 days"),
    ("What was the total outage duration of INC-2291?", "INC-2291-warehouse-outage.pdf", "6 hours and 47 minutes"),
    ("What is the hotel cost cap per night?", "travel-expense-policy.md", "165"),
    ("Which dock is the only reefer dock?", "dock-schedule.txt", "Dock 7"),
    ("How many employees received the phishing email?", "security-bulletin.html", "212"),
    ("What caused the warehouse outage?", "INC-2291-warehouse-outage.pdf", "CWP-2"),
]


@pytest.mark.parametrize(("question", "file", "fact"), QUESTIONS)
def test_search_puts_the_right_passage_first(sample_services, question: str, file: str, fact: str) -> None:
    hits = sample_services.retriever().search(question, 3).hits
    assert hits[0].chunk.path.name == file
    assert any(fact in " ".join(h.chunk.text.split()) for h in hits if h.chunk.path.name == file)


def test_pdf_passages_cite_their_page(sample_services) -> None:
    hit = sample_services.retriever().search("root cause of the outage: circulation pump bearing", 1).hits[0]
    assert hit.chunk.path.suffix == ".pdf" and hit.chunk.page == 2


def test_docx_table_is_searchable(sample_services) -> None:
    hits = sample_services.retriever().search("Q3 2026 budget by department", 3).hits
    assert hits[0].chunk.path.name == "2026-q3-budget-memo.docx"


def test_html_scripts_and_navigation_are_not_indexed(sample_services) -> None:
    html = (SAMPLE_DOCS / "intranet" / "security-bulletin.html").read_text()
    assert "<script" in html or "<nav" in html
    texts = [h.chunk.text for h in sample_services.retriever().search("security bulletin", 10).hits
             if h.chunk.path.suffix == ".html"]
    assert texts and not any("function(" in t or "gtag" in t for t in texts)


@pytest.mark.parametrize(("question", "file", "fact"), QUESTIONS[:3])
def test_real_model_answer_is_cited_to_the_right_file(sample_services, question: str, file: str, fact: str) -> None:
    answer = sample_services.answerer().ask(question)
    assert not answer.abstained
    assert answer.citations and all(c.n >= 1 for c in answer.citations)
    cited_files = {Path(c.path).name for c in answer.citations}
    assert file in cited_files, answer.to_json()
    schema = json.loads(resources.files("archivist").joinpath("schemas/ask.json").read_text())
    jsonschema.validate(answer.to_json(), schema)


@pytest.mark.parametrize("question", [
    "What is the airspeed of the lunar ferry between Oslo and Titan?",
    "Who won the 1998 football world cup final?",
    "What is the recipe for traditional Hungarian goulash?",
])
def test_absent_facts_abstain(sample_services, question: str) -> None:
    answer = sample_services.answerer().ask(question)
    assert answer.abstained and answer.answer == "Not found in your documents."


def test_extractive_answer_quotes_the_fact(sample_services) -> None:
    answer = sample_services.answerer().ask("How long are daily restore points kept?", extractive=True)
    assert any("35 days" in s.text for s in answer.sentences)


def test_whole_pipeline_runs_with_the_network_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 real_generator) -> None:
    """add -> index -> ask through the CLI with every non-loopback connection made to fail."""
    from click.testing import CliRunner

    from archivist.cli import cli

    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def loopback_only(address: object) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        return isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost") or "/" in host)

    def guarded_connect(self, address):  # noqa: ANN001, ANN202
        if not loopback_only(address):
            attempts.append(address)
            raise OSError("network disabled by test")
        return real_connect(self, address)

    def guarded_connect_ex(self, address):  # noqa: ANN001, ANN202
        if not loopback_only(address):
            attempts.append(address)
            return 111
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setenv("ARCHIVIST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ARCHIVIST_PASSPHRASE", "offline-pass")
    monkeypatch.setattr("archivist.app.models.default_generator", lambda settings, model=None: real_generator)
    runner = CliRunner()
    assert runner.invoke(cli, ["add", str(SAMPLE_DOCS)]).exit_code == 0
    assert runner.invoke(cli, ["index"]).exit_code == 0
    result = runner.invoke(cli, ["ask", "--json", "How long are daily restore points kept?"])
    assert result.exit_code == 0, result.output
    assert "backup-restore.md" in result.stdout
    assert attempts == [], f"network connections attempted: {attempts}"


def test_no_sample_sentence_is_readable_in_the_data_directory(sample_services) -> None:
    """Every sentence of every sample document is absent from the raw bytes of every stored file."""
    from archivist.answer.grounding import split_sentences, unwrap
    from archivist.ingest import extract

    sample_services.answerer().ask("How long are daily restore points kept?")
    stored = [p for p in sample_services.paths.data_dir.rglob("*") if p.is_file()]
    assert stored
    blobs = [p.read_bytes() for p in stored]
    checked = 0
    for path in sorted(SAMPLE_DOCS.rglob("*")):
        if not path.is_file():
            continue
        doc = extract(path)
        for block in doc.blocks:
            for sentence in split_sentences(unwrap(block.text)):
                if len(sentence) < 24:
                    continue
                needle = sentence.encode("utf-8")
                checked += 1
                assert not any(needle in blob for blob in blobs), f"{sentence!r} of {path.name} stored readable"
    assert checked > 100
