"""Indexing reads the next file while the current one is embedded, and embeds a passage a file repeats once.

What a user would notice: the same passages and answers as one file at a time; a file that breaks or hangs
its reader while read ahead is still recorded with its reason; an error or Ctrl-C mid-run keeps every file
finished, stops at once, leaves no thread behind, and the next run completes.
"""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import pytest

TOPICS = ["harbour cranes", "glacier survey", "orchard frost", "tram timetable", "copper tariffs", "beehive audit",
          "lighthouse lamps", "saltmarsh birds"]


def _slow_docx(path: Path) -> None:
    """A Word file of 250,000 paragraphs: python-docx needs about half a minute for it here."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="'
             '/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
             'document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    body = "<w:p><w:r><w:t>word</w:t></w:r></w:p>" * 250_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')


def _write_folder(root: Path) -> Path:
    folder = root / "docs"
    folder.mkdir()
    for i, topic in enumerate(TOPICS):
        body = "\n\n".join(f"Paragraph {j} of the {topic} report: figure {i * 100 + j} was recorded in week {j}."
                           for j in range(12))
        (folder / f"{i:02d}-{topic.replace(' ', '-')}.md").write_text(f"# {topic.title()}\n\n{body}\n")
    return folder


def _passages(store) -> list[tuple]:  # noqa: ANN001
    return sorted(store._conn.execute(
        "SELECT f.path, c.page, c.line_start, c.line_end, c.prefix, c.text FROM chunks c "
        "JOIN files f ON f.id = c.file_id").fetchall())


def _read_ahead_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "archivist-read-ahead" and t.is_alive()]


def _settings(**index):  # noqa: ANN003, ANN202
    """Default settings; the slow Word file is not taken for a zip bomb (it inflates 1,000 times)."""
    from archivist.settings import Settings

    settings = Settings.load(None)
    settings.index.max_unpacked_ratio = 1e9
    for name, value in index.items():
        setattr(settings.index, name, value)
    return settings


def _workspace(root: Path, embedder):  # noqa: ANN001, ANN202
    from archivist.app.workspace import Workspace
    from archivist.index.store import Store
    from archivist.paths import Paths
    from archivist.settings import Settings
    from archivist.storage.state import StateStore

    paths = Paths(root / "config", root / "data", root / "cache", root / "run", Paths.resolve().models_dir)
    store = Store.open(paths.database, "unit-pass")
    state = StateStore.open(paths.state_database, "unit-pass")
    return Workspace(paths, Settings.load(None), store, state, lambda: embedder, lambda: None)


def test_read_ahead_gives_the_passages_and_results_of_one_file_at_a_time(tmp_path: Path, home: Path,
                                                                          fake_embedder) -> None:
    folder = _write_folder(tmp_path)
    piped = _workspace(tmp_path / "piped", fake_embedder)
    piped.store.add_folder(folder)
    report = piped.indexer().index_all()
    one_by_one = _workspace(tmp_path / "serial", fake_embedder)
    one_by_one.store.add_folder(folder)
    indexer = one_by_one.indexer()
    for path in sorted(folder.iterdir()):
        indexer.index_file(path)  # the watcher's path: no read-ahead
    assert report.added == len(TOPICS) and report.failed == 0
    assert _passages(piped.store) == _passages(one_by_one.store)
    for topic in TOPICS:
        piped_hits = [(h.chunk.path, h.chunk.line_start) for h in piped.retriever().search(topic, 5).hits]
        serial_hits = [(h.chunk.path, h.chunk.line_start) for h in one_by_one.retriever().search(topic, 5).hits]
        assert piped_hits == serial_hits
    assert not _read_ahead_threads()


def test_a_passage_repeated_in_a_file_is_embedded_once(services_factory, tmp_path: Path, fake_embedder) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    # Sections long enough to be passages of their own, each followed by the same note.
    legend = " ".join(["All amounts are in thousands of dollars unless stated otherwise."] * 18)
    sections = "".join(f"## Part {i}\n\nRevenue of segment {i} was {i * 7} in the quarter. "
                       + " ".join([f"Sales rose in region {i}."] * 30) + f"\n\n## Note\n\n{legend}\n\n"
                       for i in range(3))
    (folder / "report.md").write_text("# Report\n\n" + sections)
    services = services_factory()
    services.store.add_folder(folder)
    report = services.indexer().index_all()
    passages = [row[4:] for row in _passages(services.store)]  # (prefix, text): what is embedded
    assert report.chunks_embedded + report.chunks_reused == len(passages)
    assert report.chunks_embedded == len(set(passages)) == len(passages) - 2  # the note: once, not three times
    assert services.retriever().search("thousands of dollars", 1).hits[0].chunk.path.name == "report.md"


def test_a_file_that_hangs_while_read_ahead_is_recorded_and_the_run_goes_on(services_factory, tmp_path: Path) -> None:
    folder = _write_folder(tmp_path)
    # Sorted between the others, so it is read ahead while the file before it is embedded.
    _slow_docx(folder / "03b-slow.docx")  # over a 2 s budget
    services = services_factory(settings=_settings(extract_timeout_s=2))
    services.store.add_folder(folder)
    report = services.indexer().index_all()
    problems = {p.name: reason for p, _, reason in services.store.problems()}
    assert report.failed == 1 and "longer than 2 s" in problems["03b-slow.docx"]
    assert report.added == len(TOPICS)
    assert services.retriever().search("tram timetable", 1).hits[0].chunk.path.name == "03-tram-timetable.md"


def test_an_embedding_error_keeps_finished_files_and_stops_the_read_ahead(services_factory, tmp_path: Path,
                                                                          fake_embedder,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _write_folder(tmp_path)
    _slow_docx(folder / "02b-slow.docx")  # being read ahead when the error comes
    real = fake_embedder.embed_batch
    calls = []

    def fail_on_third(texts):  # noqa: ANN001, ANN202
        calls.append(len(texts))
        if len(calls) == 3:
            raise RuntimeError("the embedder failed")
        return real(texts)

    monkeypatch.setattr(fake_embedder, "embed_batch", fail_on_third)
    services = services_factory(settings=_settings())
    services.store.add_folder(folder)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the embedder failed"):
        services.indexer().index_all()
    assert time.monotonic() - started < 20  # not after the slow file's half-minute read: it was stopped
    assert not _read_ahead_threads()
    assert services.store.counts()["indexed"] == 2  # the two files finished before it are kept
    monkeypatch.setattr(fake_embedder, "embed_batch", real)
    (folder / "02b-slow.docx").unlink()
    report = services.indexer().index_all()  # the next run reads the rest with a fresh reader
    assert report.unchanged == 2 and report.added == len(TOPICS) - 2 and report.failed == 0


def test_stopping_mid_run_keeps_finished_files_and_leaves_no_reader_running(services_factory,
                                                                            tmp_path: Path) -> None:
    folder = _write_folder(tmp_path)
    _slow_docx(folder / "01b-slow.docx")
    services = services_factory(settings=_settings())
    services.store.add_folder(folder)
    stop = threading.Event()
    seen: list[str] = []

    def progress(folder_, done, total, path) -> None:  # noqa: ANN001
        if path is not None:
            seen.append(path.name)
        if path is not None and path.name == "01-glacier-survey.md":
            stop.set()  # Ctrl-C in the terminal UI: seen before the next file, which is being read ahead by then

    started = time.monotonic()
    run = services.indexer().index_folders(progress, stop)
    assert run.stopped and time.monotonic() - started < 20
    assert not _read_ahead_threads()
    assert {f.path.name for f in services.store.files()} == {"00-harbour-cranes.md", "01-glacier-survey.md"}
    (folder / "01b-slow.docx").unlink()
    report = services.indexer().index_all()
    assert report.unchanged == 2 and report.added == len(TOPICS) - 2
