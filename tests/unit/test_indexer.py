"""Indexing a folder: new, unchanged, changed, renamed, deleted and bad files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archivist.errors import FolderNotFound

RUNBOOK = """# Zephyr backup runbook

The Zephyr backup service listens on port 7431 and writes snapshots every six hours.

## Failures

If a snapshot fails twice in a row, page the storage on-call engineer.
"""
RETENTION = """Record retention policy.
Client contracts are retained for eleven years after termination.
Draft memos are deleted after ninety days.
"""


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    (d / "ops").mkdir(parents=True)
    (d / "ops" / "zephyr.md").write_text(RUNBOOK)
    (d / "retention.txt").write_text(RETENTION)
    return d


def _paths(services, query: str) -> list[str]:
    return [h.chunk.path.name for h in services.retriever().search(query, 5).hits]


def test_index_then_search_finds_the_right_file_with_lines(services_factory, docs: Path) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    report = services.indexer().index_all()
    assert report.added == 2 and report.failed == 0
    hit = services.retriever().search("Zephyr port", 3).hits[0]
    assert hit.chunk.path == docs / "ops" / "zephyr.md"
    lines = (docs / "ops" / "zephyr.md").read_text().splitlines()
    assert "7431" in "\n".join(lines[hit.chunk.line_start - 1:hit.chunk.line_end])


def test_unchanged_files_are_not_read_again(services_factory, docs: Path, fake_embedder) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    embedded = fake_embedder.texts_embedded
    report = services.indexer().index_all()
    assert report.unchanged == 2 and report.added == report.updated == 0
    assert fake_embedder.texts_embedded == embedded


def test_touched_but_identical_file_is_not_reembedded(services_factory, docs: Path, fake_embedder) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    embedded = fake_embedder.texts_embedded
    os.utime(docs / "retention.txt", (1e9, 1e9))
    report = services.indexer().index_all()
    assert report.unchanged == 2
    assert fake_embedder.texts_embedded == embedded


def test_changed_file_replaces_its_old_passages(services_factory, docs: Path) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    (docs / "retention.txt").write_text("Record retention policy.\nInvoices are kept for seven years.\n")
    report = services.indexer().index_all()
    assert report.updated == 1
    texts = [h.chunk.text for h in services.retriever().search("contracts eleven years invoices", 10).hits]
    assert any("Invoices" in t for t in texts)
    assert not any("eleven years" in t for t in texts)
    assert services.store.counts()["indexed"] == 2


def test_deleted_file_leaves_the_index(services_factory, docs: Path) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    (docs / "retention.txt").unlink()
    report = services.indexer().index_all()
    assert report.removed == 1
    assert "retention.txt" not in _paths(services, "contracts retained eleven years")


def test_renamed_file_is_moved_not_reembedded(services_factory, docs: Path, fake_embedder) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    embedded = fake_embedder.texts_embedded
    (docs / "ops" / "zephyr.md").rename(docs / "zephyr-renamed.md")
    report = services.indexer().index_all()
    assert report.moved == 1 and report.removed == 0 and report.added == 0
    assert fake_embedder.texts_embedded == embedded
    assert _paths(services, "Zephyr port 7431")[0] == "zephyr-renamed.md"
    assert services.store.counts()["indexed"] == 2


def test_editing_one_section_embeds_only_that_section(services_factory, docs: Path, fake_embedder) -> None:
    sections = "".join(f"## Section {i}\n\nParagraph {i} about topic{i} with some words.\n\n" for i in range(6))
    (docs / "handbook.md").write_text("# Handbook\n\n" + sections)
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    (docs / "handbook.md").write_text("# Handbook\n\n" + sections.replace("topic3", "revised topic"))
    report = services.indexer().index_all()
    assert report.updated == 1
    assert report.chunks_embedded == 1 and report.chunks_reused >= 5
    assert services.retriever().search("revised topic", 1).hits[0].chunk.path.name == "handbook.md"


def test_bad_files_are_reported_and_good_files_still_indexed(services_factory, docs: Path) -> None:
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 80)
    (docs / "latin1.txt").write_bytes("Café crème brûlée costs nine euros.\n".encode("latin-1"))
    (docs / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 100)
    services = services_factory()
    services.store.add_folder(docs)
    report = services.indexer().index_all()
    problems = {p.name: reason for p, _, reason in services.store.problems()}
    assert set(problems) == {"broken.pdf", "empty.txt", "binary.txt"}
    assert "not a readable PDF" in problems["broken.pdf"]
    assert "empty" in problems["empty.txt"]
    assert "binary" in problems["binary.txt"]
    assert report.unsupported == 1  # the video is counted, not an error
    assert _paths(services, "crème brûlée")[0] == "latin1.txt"
    assert "zephyr.md" in _paths(services, "Zephyr port")


def test_file_too_large_is_skipped_with_the_limit_named(services_factory, docs: Path) -> None:
    from archivist.settings import Settings

    settings = Settings.load(None)
    settings.index.max_file_mb = 0.001
    (docs / "big.log").write_text("line of log text\n" * 200)
    services = services_factory(settings=settings)
    services.store.add_folder(docs)
    services.indexer().index_all()
    problems = {p.name: reason for p, _, reason in services.store.problems()}
    assert "big.log" in problems and "limit" in problems["big.log"] and "max_file_mb" in problems["big.log"]


def test_a_failure_mid_file_keeps_the_previous_version(services_factory, docs: Path, fake_embedder,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    (docs / "retention.txt").write_text("Record retention policy.\nInvoices are kept for seven years.\n")

    def crash(texts):  # the process dies while embedding the new version
        raise KeyboardInterrupt

    monkeypatch.setattr(fake_embedder, "embed_batch", crash)
    with pytest.raises(KeyboardInterrupt):
        services.indexer().index_all()
    monkeypatch.undo()
    hits = services.retriever().search("contracts retained eleven years", 3).hits
    assert hits[0].chunk.path.name == "retention.txt" and "eleven years" in hits[0].chunk.text
    report = services.indexer().index_all()  # the next run picks the change up
    assert report.updated == 1


def test_missing_folder_is_an_error_and_keeps_its_index(services_factory, docs: Path) -> None:
    services = services_factory()
    folder, _ = services.store.add_folder(docs)
    services.indexer().index_all()
    docs.rename(docs.with_name("elsewhere"))
    with pytest.raises(FolderNotFound, match="does not exist"):
        services.indexer().index_folder(folder)
    assert services.store.counts()["indexed"] == 2


def test_file_deleted_between_listing_and_reading(services_factory, docs: Path, monkeypatch) -> None:
    from archivist.index import indexer as indexer_mod

    services = services_factory()
    services.store.add_folder(docs)
    real_walk = indexer_mod.Indexer.walk

    def walk_then_delete(self, root, problems=None, left_out=None):
        paths = list(real_walk(self, root, problems, left_out))
        (docs / "retention.txt").unlink()
        return iter(paths)

    monkeypatch.setattr(indexer_mod.Indexer, "walk", walk_then_delete)
    report = services.indexer().index_all()
    assert report.added == 1 and report.failed == 0
    assert [f.path.name for f in services.store.files()] == ["zephyr.md"]


def test_unreadable_file_is_reported(services_factory, docs: Path, monkeypatch) -> None:
    from archivist.index import indexer as indexer_mod

    real = indexer_mod.sha256_file

    def deny(path: Path) -> str:
        if path.name == "retention.txt":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(indexer_mod, "sha256_file", deny)
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    problems = {p.name: reason for p, _, reason in services.store.problems()}
    assert "Permission denied" in problems["retention.txt"]
    assert services.store.counts()["indexed"] == 1
