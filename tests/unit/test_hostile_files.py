"""Hostile files in an indexed folder: links are never followed, and no file can stop a run or exhaust memory.

Each test reproduces a defect found by trying to break Archivist as a hostile colleague or a hostile file would
(issue "Hardening"): a symlink in a watched folder brought another team's plan or ~/.ssh keys into the index, a
zip-bomb DOCX drove indexing past 6 GB, 100,000 nested divs never finished.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest.archive import ZipLimits
from archivist.ingest.isolate import ExtractionSandbox, ReadBudget

CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
      'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
      '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
      'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx(path: Path, body: str, prolog: str = "") -> Path:
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}<w:document xmlns:w="{W}"><w:body>'
           f"{body}</w:body></w:document>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("word/document.xml", doc)
    return path


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "A"
    d.mkdir()
    (d / "note.md").write_text("An ordinary note about harbour cranes.\n")
    return d


def _texts(services, query: str) -> list[str]:
    return [h.chunk.text for h in services.retriever().search(query, 10).hits]


# -- symbolic links ----------------------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    o = tmp_path / "outside"
    (o / ".ssh").mkdir(parents=True)
    (o / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY----- sshcanary\n")
    (o / ".env").write_text("AWS_SECRET_ACCESS_KEY=denycanary\n")
    (o / "secret.txt").write_text("Outside every folder: outsidecanary.\n")
    return o


def test_the_watchers_single_file_path_never_follows_a_symlink(services_factory, docs: Path, outside: Path,
                                                               tmp_path: Path) -> None:
    team_b = tmp_path / "B"
    team_b.mkdir()
    (team_b / "plan.md").write_text("Team B plan, codeword platypuscanary.\n")
    services = services_factory()
    folder_a, _ = services.store.add_folder(docs)
    services.store.add_folder(team_b, ["team-b"])
    indexer = services.indexer()
    indexer.index_all()
    links = {"sneaky-b.md": team_b / "plan.md", "settings-notes.txt": outside / ".env",
             "linked.txt": outside / "secret.txt", "keys.txt": outside / ".ssh" / "id_rsa"}
    for name, target in links.items():
        (docs / name).symlink_to(target)
    (docs / "linked-dir").symlink_to(outside, target_is_directory=True)

    for name in [*links, "linked-dir/secret.txt", "linked-dir/.ssh/id_rsa"]:
        indexer.index_file(docs / name)  # what the watch daemon does on each event

    assert [f.path.name for f in services.store.files(folder_a.id)] == ["note.md"]
    for canary in ("platypuscanary", "denycanary", "outsidecanary", "sshcanary"):
        assert not any(canary in t for t in _texts(services, canary)), canary


def test_a_full_index_skips_symlinks_too(services_factory, docs: Path, outside: Path) -> None:
    (docs / "linked.txt").symlink_to(outside / "secret.txt")
    (docs / "linked-dir").symlink_to(outside, target_is_directory=True)
    services = services_factory()
    services.store.add_folder(docs)

    report = services.indexer().index_all()

    assert report.added == 1
    assert not any("outsidecanary" in t for t in _texts(services, "outsidecanary"))


def test_an_indexed_file_replaced_by_a_symlink_leaves_the_index(services_factory, docs: Path,
                                                               outside: Path) -> None:
    services = services_factory()
    services.store.add_folder(docs)
    indexer = services.indexer()
    indexer.index_all()
    (docs / "note.md").unlink()
    (docs / "note.md").symlink_to(outside / "secret.txt")

    report = indexer.index_file(docs / "note.md")

    assert report.removed == 1
    assert services.store.files() == []


def test_a_link_in_the_last_step_is_refused_by_the_reader_itself(docs: Path, outside: Path) -> None:
    # The check-then-read race: a link swapped in after the indexer looked is not read through either.
    from archivist.ingest.base import read_bytes

    (docs / "swap.txt").symlink_to(outside / "secret.txt")

    with pytest.raises(SkipFile, match="symbolic link"):
        read_bytes(docs / "swap.txt")


# -- extraction under limits -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox():  # noqa: ANN201
    box = ExtractionSandbox(ReadBudget(memory_mb=512, timeout_s=30))
    yield box
    box.close()


def test_a_zip_bomb_docx_is_refused_before_anything_inflates(sandbox: ExtractionSandbox, tmp_path: Path) -> None:
    bomb = _docx(tmp_path / "bomb.docx", _para("bomb") * 8_000_000)  # ~300 MB of XML in under 1 MB
    assert bomb.stat().st_size < 2_000_000

    with pytest.raises(SkipFile) as info:
        sandbox.extract(bomb)

    message = str(info.value)
    assert "bomb.docx" in message and "unpack" in message and "index.max_unpacked_mb" in message


def test_a_part_that_inflates_hundreds_of_times_is_refused_below_the_total_limit(tmp_path: Path) -> None:
    from archivist.ingest.base import extract

    bomb = _docx(tmp_path / "ratio.docx", _para("bomb") * 400_000)  # 15 MB of XML, ~400x

    with pytest.raises(SkipFile, match="inflates"):
        extract(bomb, limits=ZipLimits())


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    from archivist.ingest.base import extract

    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(50):
            z.writestr(f"part{i}.bin", b"")

    with pytest.raises(SkipFile, match="entries"):
        extract(path, limits=ZipLimits(max_entries=20))


def test_an_xml_entity_declaration_is_refused(tmp_path: Path) -> None:
    from archivist.ingest.base import extract

    laughs = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
    path = _docx(tmp_path / "laughs.docx", _para("&lol3;"), prolog=laughs)

    with pytest.raises(SkipFile, match="entities"):
        extract(path)


def test_a_genuine_docx_still_reads_in_the_sandbox(sandbox: ExtractionSandbox, tmp_path: Path) -> None:
    path = _docx(tmp_path / "memo.docx", _para("The harbour has nine cranes.") + _para("Second paragraph."))

    doc = sandbox.extract(path)

    assert doc.path == path and doc.kind == "docx"
    assert [b.lines for b in doc.blocks] == [("The harbour has nine cranes.",), ("Second paragraph.",)]


def test_a_file_that_needs_more_memory_than_the_limit_fails_alone(tmp_path: Path) -> None:
    # Limits that admit this 90 MB part: the child's address-space limit is what stops it.
    big = _docx(tmp_path / "big.docx", _para("word") * 2_500_000)
    good = tmp_path / "good.md"
    good.write_text("# Cranes\n\nThe Heron crane fleet has nine cranes.\n")
    box = ExtractionSandbox(ReadBudget(memory_mb=400, timeout_s=120,
                                       zip_limits=ZipLimits(max_ratio=1e9, max_unpacked_bytes=10**10)))
    try:
        with pytest.raises(ExtractionError) as info:
            box.extract(big)
        assert "big.docx" in str(info.value)
        assert "Heron" in box.extract(good).blocks[-1].text  # the next file is read as usual
    finally:
        box.close()


def test_a_file_over_the_time_budget_is_stopped_and_the_next_one_is_read(tmp_path: Path) -> None:
    # 250,000 paragraphs: python-docx needs about half a minute for them here, far over a 2 s budget.
    slow = _docx(tmp_path / "slow.docx", _para("word") * 250_000)
    good = tmp_path / "good.txt"
    good.write_text("Nine cranes in the harbour.\n")
    box = ExtractionSandbox(ReadBudget(memory_mb=1024, timeout_s=2, zip_limits=ZipLimits(max_ratio=1e9)))
    try:
        with pytest.raises(ExtractionError) as info:
            box.extract(slow)
        assert "longer than 2 s" in str(info.value) and "index.extract_timeout_s" in str(info.value)
        assert box.restarts == 1
        assert box.extract(good).blocks[0].lines == ("Nine cranes in the harbour.",)
    finally:
        box.close()


def test_a_pipe_is_not_read(tmp_path: Path) -> None:
    # Opening a FIFO blocks until a writer comes: a named pipe in a folder must not hang the run.
    import os

    from archivist.ingest.base import extract

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)

    with pytest.raises(SkipFile, match="not a regular file"):
        extract(fifo)


def test_a_crashing_reader_fails_the_file_not_the_run(tmp_path: Path) -> None:
    import os
    import signal
    import threading
    import time

    slow = _docx(tmp_path / "slow.docx", _para("word") * 250_000)  # about half a minute to read here
    good = tmp_path / "good.txt"
    good.write_text("Nine cranes in the harbour.\n")
    box = ExtractionSandbox(ReadBudget(memory_mb=1024, timeout_s=300, zip_limits=ZipLimits(max_ratio=1e9)))

    def crash_mid_read() -> None:  # as a native parser crashing on a hostile file would
        while box._proc is None:
            time.sleep(0.05)
        time.sleep(1.0)
        os.kill(box._proc.pid, signal.SIGSEGV)

    killer = threading.Thread(target=crash_mid_read)
    killer.start()
    try:
        with pytest.raises(ExtractionError) as info:
            box.extract(slow)
        assert "slow.docx" in str(info.value) and "crashed" in str(info.value) and "SIGSEGV" in str(info.value)
        assert box.extract(good).blocks[0].lines == ("Nine cranes in the harbour.",)
    finally:
        killer.join()
        box.close()


def test_deeply_nested_html_reads_in_linear_time(tmp_path: Path) -> None:
    from archivist.ingest.base import extract

    path = tmp_path / "nested.html"
    depth = 100_000  # the tree walk this replaces had not finished after 500 s
    path.write_text("<html><body>" + "<div>" * depth + "deep" + "</div>" * depth + "<p>after</p></body></html>")

    doc = extract(path)

    assert [b.lines for b in doc.blocks] == [("deep",), ("after",)]


def test_indexing_goes_on_after_hostile_files(services_factory, docs: Path) -> None:
    _docx(docs / "a-bomb.docx", _para("bomb") * 8_000_000)
    (docs / "b-nested.html").write_text("<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000
                                        + "</body></html>")
    (docs / "z-good.md").write_text("The Heron crane fleet has nine cranes. goodcanary\n")
    services = services_factory()
    services.store.add_folder(docs)

    report = services.indexer().index_all()

    assert report.skipped == 1
    problems = {p.name: reason for p, _, reason in services.store.problems()}
    assert "unpack" in problems["a-bomb.docx"]
    assert any("goodcanary" in t for t in _texts(services, "goodcanary"))
    assert {f.path.name for f in services.store.files() if f.status == "indexed"} >= {"b-nested.html", "z-good.md"}


def test_an_interrupted_read_never_hands_its_answer_to_the_next_file(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from archivist.ingest import isolate

    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("The first file talks about herons.\n")
    second.write_text("The second file talks about cranes.\n")
    box = ExtractionSandbox(ReadBudget(memory_mb=512, timeout_s=30))
    real_read = isolate._read_frame
    calls = []

    def interrupted(fd: int, deadline: float | None) -> dict | None:
        calls.append(fd)
        if len(calls) == 1:
            raise KeyboardInterrupt  # Ctrl-C while the child reads the first file
        return real_read(fd, deadline)

    monkeypatch.setattr(isolate, "_read_frame", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            box.extract(first)
        assert "cranes" in box.extract(second).blocks[0].text
    finally:
        box.close()


def test_a_read_right_after_an_abort_gets_a_new_reader(sandbox: ExtractionSandbox, tmp_path: Path) -> None:
    # A read-ahead no one will take is aborted (its reader killed) just before the indexer reads the next file
    # itself: that read must go to a new reader, never to the one still dying ("killed while reading it").
    note = tmp_path / "note.txt"
    note.write_text("The vault keeps restore points for 35 days.\n")
    for _ in range(15):
        sandbox.extract(note)
        sandbox.abort()
        assert "35 days" in sandbox.extract(note).blocks[0].text
