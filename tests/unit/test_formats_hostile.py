"""Bad input in the new formats: workbooks, decks and mail are refused or failed with their reason, never
inflated past the zip limits, never expanding XML entities, and the rest of the folder is indexed."""

from __future__ import annotations

import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from test_slides import make_deck
from test_spreadsheets import make_workbook

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest import extract
from archivist.ingest.archive import ZipLimits

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def rewrite(src: Path, dst: Path, part: str, change) -> Path:  # noqa: ANN001
    """A copy of the Office file ``src`` with one part's bytes changed."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:
        for item in a.infolist():
            data = a.read(item)
            b.writestr(item.filename, change(data) if item.filename == part else data)
    return dst


def test_a_workbook_that_would_inflate_past_the_limit_is_refused_unread(tmp_path: Path) -> None:
    src = make_workbook(tmp_path / "sales.xlsx")
    bomb = rewrite(src, tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml",
                   lambda d: d.replace(b"</sheetData>", b"<!--" + b"x" * 30_000_000 + b"--></sheetData>"))
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(SkipFile, match="index.max_unpacked_mb"):
        extract(bomb, limits=ZipLimits(max_unpacked_bytes=20_000_000))


def test_a_deck_declaring_entities_is_refused(tmp_path: Path) -> None:
    src = make_deck(tmp_path / "deck.pptx")
    evil = rewrite(src, tmp_path / "evil.pptx", "ppt/slides/slide1.xml",
                   lambda d: d.replace(b"?>", b'?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>', 1))
    with pytest.raises(SkipFile, match="entities"):
        extract(evil)


def test_an_ods_declaring_entities_is_refused(tmp_path: Path) -> None:
    ods = tmp_path / "evil.ods"
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>')
    with pytest.raises(SkipFile, match="entities"):
        extract(ods)


@pytest.mark.parametrize("name", ["locked.xlsx", "locked.pptx", "locked.ods"])
def test_encrypted_office_files_say_so(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(OLE + b"\x00" * 1024)
    with pytest.raises(ExtractionError, match="encrypted") as caught:
        extract(path)
    assert "unprotected copy" in (caught.value.hint or "")


def test_an_attachment_bomb_is_named_in_its_message_and_the_message_is_still_read(tmp_path: Path) -> None:
    bomb = rewrite(make_workbook(tmp_path / "sales.xlsx"), tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml",
                   lambda d: d.replace(b"</sheetData>", b"<!--" + b"x" * 30_000_000 + b"--></sheetData>"))
    msg = EmailMessage()
    msg["Subject"] = "Figures"
    msg.set_content("The figures are attached. canarypelican")
    msg.add_attachment(bomb.read_bytes(), maintype="application", subtype="octet-stream", filename="bomb.xlsx")
    path = tmp_path / "figures.eml"
    path.write_bytes(msg.as_bytes())
    text = "\n".join(b.text for b in extract(path, limits=ZipLimits(max_unpacked_bytes=20_000_000)).blocks)
    assert "canarypelican" in text and "Attachment bomb.xlsx: not read (would unpack to" in text


def test_indexing_goes_on_after_bad_workbooks_decks_and_mail(services_factory, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a-locked.xlsx").write_bytes(OLE + b"\x00" * 1024)
    (docs / "b-broken.pptx").write_bytes(b"PK\x03\x04garbage")
    (docs / "c-empty.eml").write_bytes(b"\n")
    make_deck(docs / "d-deck.pptx")
    services = services_factory()
    services.store.add_folder(docs)
    report = services.indexer().index_all()
    problems = {p.name: reason for p, _, reason in services.store.problems()}
    assert "encrypted" in problems["a-locked.xlsx"] and "not a readable" in problems["b-broken.pptx"]
    assert "c-empty.eml" in problems
    indexed = {f.path.name for f in services.store.files() if f.status == "indexed"}
    assert report.added == 1 and indexed == {"d-deck.pptx"}
