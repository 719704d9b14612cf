"""Outlook .msg: headers, body and attachments (read by their own extractors, attached messages too, three levels
deep) are found and cited as an .eml's are; a corrupt, hostile or encrypted .msg is recorded with its reason."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from msg_files import MAGIC, message, ole_file, write_msg
from test_extract import make_pdf
from test_mail import where

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest import extract


def text_of(path: Path) -> str:
    return "\n".join(b.text for b in extract(path).blocks)


def test_headers_are_metadata_and_the_plain_body_is_preferred(tmp_path: Path) -> None:
    path = write_msg(tmp_path / "renewal.msg", "Osprey renewal", "The price is EUR 91,400 per year.\r\nRegards",
                     html=b"<p>HTML twin: price EUR 91,400</p>", cc=(("Finance", "finance@halvard.example"),))
    doc = extract(path)
    text = "\n".join(b.text for b in doc.blocks)
    assert doc.title == "Osprey renewal" and doc.kind == "outlook-msg"
    assert "From: Lena Brandt <lena@halvard.example>" in text
    assert "To: Procurement <procurement@halvard.example>" in text
    assert "Cc: Finance <finance@halvard.example>" in text
    assert "Date: Tue, 03 Nov 2026 08:12:00 +0000" in text and "Subject: Osprey renewal" in text
    assert "EUR 91,400 per year.\nRegards" in text and "HTML twin" not in text
    assert where(path, doc, "91,400") == 'Message "Osprey renewal"'


def test_8_bit_text_is_read_in_the_messages_code_page(tmp_path: Path) -> None:
    path = write_msg(tmp_path / "order.msg", "Заказ кранов", "Четыре крана заказаны.", codepage=1251)
    text = text_of(path)
    assert "Subject: Заказ кранов" in text and "Четыре крана заказаны." in text


def test_an_html_only_body_is_read_as_text(tmp_path: Path) -> None:
    path = write_msg(tmp_path / "plan.msg", "Berth plan", html=b"<html><body><h1>Berths</h1><p>Pelican opens in "
                     b"<b>March</b>.</p><script>noise()</script></body></html>")
    text = text_of(path)
    assert "Pelican opens in March" in text and "noise" not in text and "<p>" not in text


SPEC_EXAMPLE = bytes.fromhex("2d0000002b0000004c5a4675f1c5c7a703000a007263706731323542320af32068656c090020627705b06c"
                             "647d0a800fa0")
r"""The compressed RTF example of [MS-OXRTFCP] (3.1.1): '{\rtf1\ansi\ansicpg1252\pard hello world}' and a CRLF."""


def stored(rtf: bytes) -> bytes:
    """RTF in a PR_RTF_COMPRESSED stream stored uncompressed ("MELA"), as [MS-OXRTFCP] allows."""
    return struct.pack("<IIII", len(rtf) + 12, len(rtf), 0x414C454D, 0) + rtf


def test_a_body_kept_only_as_compressed_rtf_is_read_as_text(tmp_path: Path) -> None:
    text = text_of(write_msg(tmp_path / "spec.msg", "Greeting", rtf=SPEC_EXAMPLE))
    assert "hello world" in text and "rtf1" not in text
    plain = (rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}{\colortbl;\red255\green0\blue0;}"
             rb"{\*\generator Riched20;}\pard\f0 Caf\'e9 order: \u8364? 91,400\par Second \{line\}\tab end\par}")
    doc = extract(write_msg(tmp_path / "plain.msg", "Quarter close", rtf=stored(plain)))
    assert doc.blocks[1].lines == ("Café order: € 91,400", "Second {line}\tend")
    assert "Arial" not in "\n".join(b.text for b in doc.blocks)


def test_html_that_outlook_wrapped_in_rtf_is_read_as_html(tmp_path: Path) -> None:
    wrapped = (rb"{\rtf1\ansi\ansicpg1252\fromhtml1 \fbidis \deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}}" b"\r\n"
               rb"{\*\htmltag19 <html>}{\*\htmltag34 <head>}{\*\htmltag41 <style>p\{color:red\}</style>}"
               rb"{\*\htmltag41 </head>}"
               rb"\htmlrtf {\htmlrtf0 {\*\htmltag50 <body>}" b"\r\n"
               rb"\htmlrtf {\htmlrtf0 {\*\htmltag64 <p>}Pelican opens in \htmlrtf {\b\htmlrtf0{\*\htmltag84 <b>}March"
               rb"{\*\htmltag92 </b>}\htmlrtf }\htmlrtf0 .{\*\htmltag72 </p>}\htmlrtf\par}\htmlrtf0" b"\r\n"
               rb"{\*\htmltag58 </body>}}}")
    text = text_of(write_msg(tmp_path / "berths.msg", "Berth plan", rtf=stored(wrapped)))
    assert "Pelican opens in March" in text
    assert "color" not in text and "htmltag" not in text and "<p>" not in text


def test_an_unreadable_rtf_body_is_named_not_indexed(tmp_path: Path) -> None:
    text = text_of(write_msg(tmp_path / "rtf.msg", "Quarter close", rtf=b"\x2d\x00\x00\x00LZFu{\\rtf1 close}"))
    assert "Subject: Quarter close" in text and "rich text (RTF) that could not be read" in text
    assert "rtf1" not in text and "LZFu" not in text


def test_attachments_and_attached_messages_are_read_with_their_place(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "terms.pdf", [["Terms"], ["Penalty: EUR 400 per missed hour."]]).read_bytes()
    forwarded = message("Berth schedule", "Forwarded as asked.", embedded=True,
                        attachments=(("berths.txt", b"Berths\n\nPelican opens in March.\n"),))
    path = write_msg(tmp_path / "renewal.msg", "Osprey renewal", "See the attached schedule and figures.",
                     attachments=(("service-schedule.txt", b"Service schedule\n\nSupport hours are 07:00 to 19:00.\n"),
                                  ("terms.pdf", pdf), ("photos.zip", b"PK\x05\x06" + b"\x00" * 18),
                                  ("fwd", forwarded)))
    doc = extract(path)
    assert where(path, doc, "Support hours") == 'Message "Osprey renewal" > service-schedule.txt > line 3'
    assert where(path, doc, "Penalty") == 'Message "Osprey renewal" > terms.pdf > page 2'
    assert where(path, doc, "Pelican") == \
        'Message "Osprey renewal" > Berth schedule.msg > Message "Berth schedule" > berths.txt > line 3'
    assert where(path, doc, "Forwarded as asked") == 'Message "Osprey renewal" > Berth schedule.msg > ' \
        'Message "Berth schedule"'
    header = doc.blocks[0].text
    assert "Attachment terms.pdf" in header and "Attachment Berth schedule.msg" in header
    assert "Attachment photos.zip: not read: an archive (the files inside are not opened)." in header


def test_an_attached_msg_file_is_read_and_attachments_stop_three_levels_deep(tmp_path: Path) -> None:
    level4 = message("Level 4", "fourth body", embedded=True,
                     attachments=(("deep.txt", b"too deep: narwhalquartz\n"),))
    level3 = message("Level 3", "third body", embedded=True,
                     attachments=(("l3.txt", b"third attachment: ibexmoss\n"), ("fwd", level4)))
    level2 = ole_file(message("Level 2", "second body", attachments=(("fwd", level3),)))
    path = write_msg(tmp_path / "fwd.msg", "Forwarded figures", "FYI", attachments=(("level2.msg", level2),))
    doc = extract(path)
    text = "\n".join(b.text for b in doc.blocks)
    assert where(path, doc, "ibexmoss") == ('Message "Forwarded figures" > level2.msg > Message "Level 2" > '
                                            'Level 3.msg > Message "Level 3" > l3.txt > line 1')
    assert "fourth body" in text and "narwhalquartz" not in text
    assert "deep.txt: not read (attachments are read 3 levels deep)" in text


@pytest.mark.parametrize(("content", "reason"), [
    (b"From: lena@halvard.example\r\nSubject: not OLE\r\n\r\nbody", "not an Outlook message"),
    (MAGIC + b"\x00" * 512, "not a readable Outlook message"),
    (MAGIC + b"\xff" * 4000, "not a readable Outlook message"),
])
def test_a_corrupt_msg_is_recorded_with_its_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "broken.msg"
    path.write_bytes(content)
    with pytest.raises(ExtractionError, match=reason) as caught:
        extract(path)
    assert "save it again" in (caught.value.hint or "")


def test_damaged_copies_of_a_message_are_each_read_or_refused_with_a_reason(tmp_path: Path) -> None:
    """Bytes flipped anywhere (header, sector tables, directory, streams): never another exception, which would
    fail the file without a reason a user can act on. (Of the first 2,000 such copies one made olefile raise
    OverflowError, now counted as corruption; 9,000 more ran clean, none taking over 2 s.)"""
    rng = random.Random(16)
    attached = message("Berth schedule", "Forwarded.", embedded=True, attachments=(("b.txt", b"Pelican" * 900),))
    base = ole_file(message("Osprey renewal", "EUR 91,400 per year. " * 300, attachments=(("a.txt", b"hi" * 3000),
                                                                                        ("fwd", attached))))
    path = tmp_path / "damaged.msg"
    outcomes = {"read": 0, "refused": 0}
    for _ in range(150):
        data = bytearray(base)
        for _ in range(rng.choice((1, 4, 32))):
            data[rng.randrange(len(data))] = rng.choice((0, 0xFF, 0xFE, rng.randrange(256)))
        path.write_bytes(bytes(data[:rng.randrange(len(data))] if rng.random() < 0.1 else data))
        try:
            extract(path)
            outcomes["read"] += 1
        except (ExtractionError, SkipFile):
            outcomes["refused"] += 1
    assert outcomes["read"] and outcomes["refused"]


def test_a_stream_declaring_more_than_the_file_holds_is_refused(tmp_path: Path) -> None:
    data = bytearray(ole_file(message("Osprey renewal", "x" * 5000)))  # the body is a regular (not mini) stream
    body_entry = data.find("__substg1.0_1000001F".encode("utf-16-le"))
    struct.pack_into("<Q", data, body_entry + 120, 50_000_000)  # the entry's stream size
    path = tmp_path / "hostile.msg"
    path.write_bytes(bytes(data))
    with pytest.raises(ExtractionError, match="declares 50,000,000 bytes, more than the file holds"):
        extract(path)


def test_a_corrupt_attachment_is_named_and_the_message_still_read(tmp_path: Path) -> None:
    inner = bytearray(ole_file(message("Inner", "inner body")))
    inner[600:2000] = b"\xff" * 1400  # its directory and more
    path = write_msg(tmp_path / "outer.msg", "Outer", "outer body: kestrelmint",
                     attachments=(("inner.msg", bytes(inner)),))
    text = text_of(path)
    assert "kestrelmint" in text and "Attachment inner.msg: not read (not a readable Outlook message" in text


def test_recipients_past_the_limit_are_counted_not_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("archivist.ingest.outlook.MAX_RECIPIENTS", 3)
    to = tuple((f"Desk {n}", f"desk{n}@halvard.example") for n in range(5))
    text = text_of(write_msg(tmp_path / "all.msg", "Everyone", "Harbour closed Friday.", to=to))
    assert "To: Desk 0 <desk0@halvard.example>, Desk 1 <desk1@halvard.example>, Desk 2 <desk2@halvard.example>, " \
        "(and 2 more recipients)" in text


def test_an_encrypted_message_is_recorded_as_encrypted(tmp_path: Path) -> None:
    path = write_msg(tmp_path / "secret.msg", "Board pack", message_class="IPM.Note.SMIME",
                     attachments=(("smime.p7m", b"\x30\x82\x01\x00" + b"\x00" * 64),))
    with pytest.raises(ExtractionError, match="encrypted") as caught:
        extract(path)
    assert "decrypted copy" in (caught.value.hint or "")


def test_a_message_reads_in_the_extraction_sandbox_and_its_office_attachments_keep_the_zip_limits(
        tmp_path: Path) -> None:
    from test_hostile_files import _docx, _para

    from archivist.ingest.archive import MB, ZipLimits
    from archivist.ingest.isolate import ExtractionSandbox, ReadBudget

    bomb = _docx(tmp_path / "bomb.docx", _para("bomb") * 500_000)  # ~19 MB of XML in well under 1 MB
    path = write_msg(tmp_path / "cranes.msg", "Cranes", "The harbour has nine cranes.",
                     attachments=(("bomb.docx", bomb.read_bytes()),))
    box = ExtractionSandbox(ReadBudget(memory_mb=512, timeout_s=60, zip_limits=ZipLimits(max_unpacked_bytes=10 * MB)))
    try:
        doc = box.extract(path)
    finally:
        box.close()
    text = "\n".join(b.text for b in doc.blocks)
    assert doc.kind == "outlook-msg" and "nine cranes" in text
    assert "Attachment bomb.docx: not read (would unpack to 19 MB" in text
