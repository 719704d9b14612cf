"""Index generations as a user meets them: a settings change builds a new generation while the old one answers,
promotion is gated on the user's questions, rollback restores the old answers, retention frees disk, and
answers stay verifiable."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, FakeGenerator

from archivist.cli import cli
from archivist.index import generations
from archivist.index.generations import BUILDING, CURRENT, READY, RETIRED
from archivist.index.rebuild import build, plan
from archivist.paths import Paths
from archivist.settings import ChunkSettings, Settings

FILLER = ["amber basalt cedar delta", "ember fjord garnet harbor", "indigo jasper kelp lagoon",
          "marble nectar opal prairie", "quartz raven sierra tundra", "umber violet willow yarrow"]


def _notes(folder: Path) -> None:
    """The words of the question sit on line 1, its evidence on line 30: a passage of 200 word pieces holds
    both, passages of 32 do not, so retrieval quality depends on the chunk size in a known direction."""
    lines = ["Zephyr gateway port overview for the operations team."]
    lines += [f"{FILLER[i % len(FILLER)]} item{i}." for i in range(2, 30)]
    lines += ["The value is 7431 on weekdays."]
    lines += [f"{FILLER[i % len(FILLER)]} tail{i}." for i in range(31, 34)]
    (folder / "notes.txt").write_text("\n".join(lines) + "\n")
    (folder / "ops.md").write_text("# Operations\n\nBackups are kept for 35 days in the vault.\n")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    _notes(d)
    return d


@pytest.fixture
def questions(tmp_path: Path) -> Path:
    q = tmp_path / "questions.jsonl"
    q.write_text(json.dumps({"id": "port", "question": "Zephyr gateway port overview?",
                             "sources": [{"path": "notes.txt", "lines": [30, 30]}]}) + "\n")
    return q


@pytest.fixture
def run(home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator",
                        lambda settings, model=None: FakeGenerator("Backups are kept for 35 days [1]."))
    runner = CliRunner()

    def invoke(*args: str, chunk: int | None = None):  # noqa: ANN202
        env = {"ARCHIVIST_CHUNK__MAX_TOKENS": str(chunk), "ARCHIVIST_CHUNK__OVERLAP_TOKENS": "0"} if chunk else {}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def _search(run, query: str = "Zephyr gateway port overview") -> list:  # noqa: ANN001
    data = json.loads(run("search", "--json", query).stdout)
    return [{k: v for k, v in hit.items()} for hit in data["results"]]


def _small() -> Settings:
    return Settings(chunk=ChunkSettings(max_tokens=32, overlap_tokens=0))


# -- building -----------------------------------------------------------------------------------------------------

def test_changing_chunk_size_builds_a_second_generation_while_search_serves_the_first(services_factory, docs) -> None:
    first = services_factory()
    first.store.add_folder(docs)
    first.indexer().index_all()
    assert plan(first).candidate is None  # what built generation 1 is recorded; nothing to build
    before = [(h.chunk.path, h.chunk.line_start, h.chunk.text) for h in first.retriever().search("Zephyr port").hits]

    changed = services_factory(settings=_small())
    found = plan(changed)
    assert found.candidate is not None and found.candidate.id == 2 and found.candidate.status == BUILDING
    assert found.changes == ["chunk.max_tokens 200 -> 32", "chunk.overlap_tokens 32 -> 0"]
    served_during_build = []

    def progress(folder, done: int, total: int, path) -> None:  # noqa: ANN001
        if done == 1:  # the build is under way: a new session still opens and searches generation 1
            reader = services_factory()
            served_during_build.append([(h.chunk.path, h.chunk.line_start, h.chunk.text)
                                        for h in reader.retriever().search("Zephyr port").hits])

    result = build(changed, found.candidate, found.fingerprint, progress=progress)
    assert result.generation.status == READY
    assert served_during_build == [before]
    assert generations.current_database(Paths.resolve()) == Paths.resolve().database
    assert services_factory().store.counts()["chunks"] == first.store.counts()["chunks"] == 2
    second = changed.open_store(found.candidate.path(Paths.resolve()))
    try:
        assert second.counts()["indexed"] == 2 and second.counts()["chunks"] > 2  # cut smaller
    finally:
        second.close()


def test_a_new_extractor_builds_the_next_generation_and_leaves_the_current_one_as_it_was(
        services_factory, docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archivist.ingest.text import MarkdownExtractor

    first = services_factory()
    first.store.add_folder(docs)
    first.indexer().index_all()  # generation 1, read by the markdown extractor of today
    before = {c.id: c.text for c in first.store.chunks(first.store.chunk_ids_of_files(
        [f.id for f in first.store.files()])).values()}
    monkeypatch.setattr(MarkdownExtractor, "version", "2")  # an upgrade of one format's extractor
    upgraded = services_factory()
    report = upgraded.indexer().index_all()
    assert report.updated == 0 and report.unchanged == 2  # generation 1 is not re-read in place
    assert {c.id: c.text for c in upgraded.store.chunks(list(before)).values()} == before
    found = plan(upgraded)
    assert found.candidate is not None and found.changes == ["extractors.markdown 1 -> 2"]
    (docs / "ops.md").write_text("# Operations\n\nBackups are kept for 40 days in the vault.\n")
    assert upgraded.indexer().index_all().updated == 1  # an edited file is read again (by the code there is)

def test_a_generation_cut_before_sentence_ends_is_kept_fresh_the_way_it_was_cut_and_rebuilt_when_asked(
        services_factory, docs: Path) -> None:
    from archivist.index import fingerprint

    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    recorded = fingerprint.read(services.store)
    assert recorded is not None and recorded["chunk"]["sentence_ends"] is True
    older = {**recorded, "chunk": {k: v for k, v in recorded["chunk"].items() if k != "sentence_ends"}}
    fingerprint.write(services.store, older)  # as an index built before chunks ended at sentence ends

    # New and edited files join that generation cut as the rest of it was; the next generation cuts anew.
    assert fingerprint.settings_for(services.settings, older).chunk.sentence_ends is False
    assert fingerprint.settings_for(services.settings, recorded) is services.settings
    assert plan(services_factory()).changes == ["chunk.sentence_ends - -> True"]


def test_index_command_builds_the_candidate_and_keeps_json_unchanged(run, docs: Path) -> None:
    run("add", str(docs))
    first = run("index", "--json")
    assert set(json.loads(first.stdout)) >= {"added", "problems", "missing_folders"}
    again = run("index", "--json", chunk=32)
    assert json.loads(again.stdout)["unchanged"] == 2  # the report is the current generation's, as before
    listing = run("index", "generations")
    assert "ready" in listing.stdout and "chunk 32/0" in listing.stdout and "chunk 200/32" in listing.stdout
    text = run("index", chunk=32)
    assert "Catching up generation 2" in text.stdout and "archivist index promote 2" in text.stdout


def test_add_and_remove_apply_to_a_generation_being_built(run, docs: Path, tmp_path: Path) -> None:
    run("add", str(docs))
    run("index")
    run("index", chunk=32)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("Heron cluster has 14 nodes.\n")
    assert "Also applied to generation 2" in run("add", str(other)).stdout
    assert "Also applied to generation 2" in run("remove", str(docs)).stdout
    run("index", chunk=32)
    run("index", "promote", "2", "--force")
    hits = _search(run, "Heron cluster nodes")
    assert hits and all(h["path"].startswith(str(other)) for h in hits)


# -- promotion, rollback, retention -------------------------------------------------------------------------------

def test_promotion_allowed_on_an_improvement_and_blocked_on_a_regression(run, docs: Path, questions: Path) -> None:
    run("add", str(docs))
    run("index", chunk=32)  # generation 1: small passages, the evidence line is cut off from the question words
    run("index")  # generation 2: the default 200 word pieces
    better = run("index", "promote", "2", "--questions", str(questions))
    assert better.exit_code == 0, better.output
    assert "Generation 2 answers now" in better.stdout and "recall@1" in better.stdout
    assert generations.load(Paths.resolve()).current == 2

    run("index", chunk=32)  # back to small passages: generation 1 matches these settings, it is caught up
    assert generations.load(Paths.resolve()).get(1).status == READY
    worse = run("index", "promote", "1", "--questions", str(questions))
    assert worse.exit_code == 1
    assert "REGRESSED" in worse.stdout and "Not promoted" in worse.stderr and "recall@1" in worse.stderr
    assert generations.load(Paths.resolve()).current == 2  # nothing switched
    listing = run("index", "generations").stdout
    assert "R@5" in listing  # both eval summaries are kept
    forced = run("index", "promote", "1", "--questions", str(questions), "--force")
    assert forced.exit_code == 0 and generations.load(Paths.resolve()).current == 1


def test_promotion_without_questions_says_how_to_give_them(run, docs: Path) -> None:
    run("add", str(docs))
    run("index")
    run("index", chunk=32)
    result = run("index", "promote", "2")
    assert result.exit_code == 2 and "--questions" in result.stderr and "--force" in result.stderr


def test_rollback_restores_previous_results_exactly(run, docs: Path) -> None:
    run("add", str(docs))
    run("index")
    before = _search(run)
    run("index", chunk=32)
    assert run("index", "promote", "2", "--force").exit_code == 0
    assert _search(run) != before  # generation 2 cuts passages differently
    result = run("index", "rollback")
    assert result.exit_code == 0 and "Generation 1 answers again" in result.stdout
    assert _search(run) == before
    assert "generation 1" in run("status").stdout


def test_a_building_generation_cannot_be_promoted_unchecked(run, docs: Path, home: Path) -> None:
    run("add", str(docs))
    run("index")
    paths = Paths.resolve()
    g = generations.create(paths, "f" * 12, "chunk 32/0")
    result = run("index", "promote", str(g.id), "--questions", "whatever.jsonl")
    assert result.exit_code == 2 and "still being built" in result.stderr
    assert "no index generation 9" in run("index", "rollback", "9").stderr


def test_retention_keeps_the_newest_generations_and_deletes_files(run, docs: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ARCHIVIST_INDEX__KEEP_GENERATIONS", "2")
    run("add", str(docs))
    run("index")
    for n, size in ((2, 32), (3, 64)):
        run("index", chunk=size)
        assert run("index", "promote", str(n), "--force").exit_code == 0
    paths = Paths.resolve()
    assert [g.id for g in generations.list_generations(paths)] == [2, 3]
    assert not paths.database.exists() and not Path(str(paths.database) + "-wal").exists()
    assert generations.database_files(paths) == [paths.generations_dir / "3.db", paths.generations_dir / "2.db"]
    listing = run("index", "generations").stdout
    assert "Disk use" in listing and "keeping 2" in listing
    assert _search(run)  # the current generation (3) answers


def test_manifest_is_private_and_holds_no_document_names(run, docs: Path) -> None:
    run("add", str(docs))
    run("index")
    run("index", chunk=32)
    manifest = Paths.resolve().generations_manifest
    assert stat.S_IMODE(os.stat(manifest).st_mode) == 0o600
    text = manifest.read_text()
    assert str(docs) not in text and "notes" not in text and "Zephyr" not in text
    assert json.loads(text)["current"] == 1


def test_an_install_without_manifest_is_generation_one(home: Path) -> None:
    paths = Paths.resolve()
    assert generations.current_database(paths) == paths.database
    assert generations.database_files(paths) == []
    assert [(g.id, g.status) for g in generations.list_generations(paths)] == [(1, CURRENT)]
    with pytest.raises(generations.GenerationError, match="no earlier generation"):
        generations.rollback(paths)


def test_database_files_include_an_orphan_build(services_factory, docs: Path) -> None:
    s = services_factory()
    s.store.add_folder(docs)
    paths = Paths.resolve()
    paths.ensure_private(paths.generations_dir)
    orphan = paths.generations_dir / "7.db"
    s.open_store(orphan).close()
    assert generations.database_files(paths) == [paths.database, orphan]
    assert generations.create(paths, "x" * 12, "").id == 8  # an orphan's id is never reused


def test_settings_back_to_a_retired_generation_do_not_start_over(services_factory, docs: Path) -> None:
    s = services_factory()
    s.store.add_folder(docs)
    s.indexer().index_all()
    small = services_factory(settings=_small())
    found = plan(small)
    build(small, found.candidate, found.fingerprint)
    generations.promote(Paths.resolve(), 2)
    generations.rollback(Paths.resolve())
    assert generations.load(Paths.resolve()).get(2).status == RETIRED
    again = plan(services_factory(settings=_small()))
    assert again.candidate is not None and again.candidate.id == 2  # caught up, not rebuilt
    assert [g.id for g in generations.list_generations(Paths.resolve())] == [1, 2]


# -- verify ---------------------------------------------------------------------------------------------------------

def test_verify_detects_unchanged_moved_edited_and_deleted_sources(run, tmp_path: Path) -> None:
    docs = tmp_path / "kb"
    docs.mkdir()
    (docs / "backup.md").write_text("# Backups\n\nBackups are kept for 35 days in the vault.\n")
    (docs / "restore.md").write_text("# Restores\n\nRestored backups are kept in the vault for 35 days too.\n")
    (docs / "vault.txt").write_text("Backups live in the vault for 35 days, checked weekly.\n")
    run("add", str(docs))
    run("index")
    answer = tmp_path / "answer.json"
    answer.write_text(run("ask", "--json", "--extractive", "How long are backups kept in the vault?").stdout)
    cited = {Path(c["path"]).name for c in json.loads(answer.read_text())["citations"]}
    assert cited == {"backup.md", "restore.md", "vault.txt"}
    assert all(c["generation"] == 1 and len(c["content_hash"]) == 64
               for c in json.loads(answer.read_text())["citations"])
    ok = run("verify", str(answer))
    assert ok.exit_code == 0 and "3 of 3 citation(s) unchanged" in ok.stdout

    (docs / "backup.md").write_text("# Backups\n\nBackups are kept for 90 days in the vault.\n")  # edited
    (docs / "restore.md").unlink()  # deleted
    (docs / "vault.txt").rename(docs / "vault-notes.txt")  # renamed: same passage, another file
    run("index")
    checks = {Path(c["path"]).name: c for c in json.loads(run("verify", "--json", str(answer)).stdout)}
    assert checks["backup.md"]["status"] == "gone" and "edited" in checks["backup.md"]["reason"]
    assert checks["restore.md"]["status"] == "gone" and "deleted" in checks["restore.md"]["reason"]
    assert checks["vault.txt"]["status"] == "moved" and checks["vault.txt"]["now_path"].endswith("vault-notes.txt")
    result = run("verify", str(answer))
    assert result.exit_code == 1 and "0 of 3 citation(s) unchanged" in result.stdout


def test_verify_sees_lines_that_moved_within_a_file(run, tmp_path: Path) -> None:
    docs = tmp_path / "kb"
    docs.mkdir()
    (docs / "notes.txt").write_text("Backups are kept for 35 days in the vault.\n")
    run("add", str(docs))
    run("index")
    answer = tmp_path / "answer.json"
    answer.write_text(run("ask", "--json", "--extractive", "How long are backups kept in the vault?").stdout)
    # A blank line above: same text, one line lower (blank lines are not part of passages).
    (docs / "notes.txt").write_text("\n\nBackups are kept for 35 days in the vault.\n")
    check = json.loads(run("verify", "--json", str(answer)).stdout)[0]
    assert check["status"] == "moved" and check["now_line_start"] == 3 and check["now_path"].endswith("notes.txt")


def test_verify_rejects_a_file_that_is_not_an_answer(run, tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    result = run("verify", str(bad))
    assert result.exit_code == 2 and "archivist ask --json" in result.stderr
