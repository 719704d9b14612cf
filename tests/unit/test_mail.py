"""E-mail: headers, body and attachments (read by their own extractors, to three levels) are found, and a
passage from an attachment says which message and attachment it is in."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from test_extract import make_pdf
from test_spreadsheets import make_workbook

from archivist.ingest import Document, extract
from archivist.ingest.location import location


def message(subject: str, body: str, html: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Lena Brandt <lena@halvard.example>"
    msg["To"] = "Procurement <procurement@halvard.example>"
    msg["Date"] = "Tue, 03 Nov 2026 09:12:00 +0100"
    msg["Subject"] = subject
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def where(path: Path, doc: Document, needle: str) -> str | None:
    block = next(b for b in doc.blocks if needle in b.text)
    numbers = [block.line_start + i for i, ln in enumerate(block.lines) if needle in ln] if block.line_start else [None]
    return location(path, " > ".join(block.heading), block.page, numbers[0], numbers[0])


def test_headers_and_the_plain_body_are_read_plain_preferred(tmp_path: Path) -> None:
    path = tmp_path / "renewal.eml"
    path.write_bytes(message("Osprey renewal", "The price is EUR 91,400 per year.",
                             "<p>HTML twin: price EUR 91,400</p>").as_bytes())
    doc = extract(path)
    text = "\n".join(b.text for b in doc.blocks)
    assert doc.title == "Osprey renewal"
    assert "From: Lena Brandt <lena@halvard.example>" in text and "Date: Tue, 03 Nov 2026" in text
    assert "EUR 91,400 per year" in text and "HTML twin" not in text
    assert where(path, doc, "91,400") == 'Message "Osprey renewal"'


def test_an_html_only_body_is_read_as_text(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["Subject"] = "Berth plan"
    msg.set_content("<html><body><h1>Berths</h1><p>Pelican opens in <b>March</b>.</p>"
                    "<script>noise()</script></body></html>", subtype="html")
    path = tmp_path / "plan.eml"
    path.write_bytes(msg.as_bytes())
    text = "\n".join(b.text for b in extract(path).blocks)
    assert "Pelican opens in March" in text and "noise" not in text and "<p>" not in text


def test_attachments_are_read_by_their_own_extractors_with_their_place(tmp_path: Path) -> None:
    msg = message("Osprey renewal", "See the attached schedule and figures.")
    msg.add_attachment(b"Service schedule\n\nSupport hours are 07:00 to 19:00 CET.\n", maintype="text",
                       subtype="plain", filename="service-schedule.txt")
    pdf = make_pdf(tmp_path / "terms.pdf", [["Terms"], ["Penalty: EUR 400 per missed hour."]])
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="terms.pdf")
    msg.add_attachment(b"PK\x05\x06" + b"\x00" * 18, maintype="application", subtype="zip", filename="photos.zip")
    path = tmp_path / "renewal.eml"
    path.write_bytes(msg.as_bytes())
    doc = extract(path)
    assert where(path, doc, "Support hours") == 'Message "Osprey renewal" > service-schedule.txt > line 3'
    assert where(path, doc, "Penalty") == 'Message "Osprey renewal" > terms.pdf > page 2'
    header = doc.blocks[0].text
    assert "Attachment terms.pdf" in header
    assert "Attachment photos.zip: not read: an archive (the files inside are not opened)." in header  # named


def test_attachments_inside_a_forwarded_message_are_read_three_levels_deep(tmp_path: Path) -> None:
    level4 = message("Level 4", "fourth body")
    level4.add_attachment(b"too deep: narwhalquartz\n", maintype="text", subtype="plain", filename="deep.txt")
    innermost = message("Level 3", "third body")
    innermost.add_attachment(b"third attachment: ibexmoss\n", maintype="text", subtype="plain", filename="l3.txt")
    innermost.add_attachment(level4)
    level2 = message("Level 2", "second body")
    level2.add_attachment(make_workbook(tmp_path / "sales.xlsx").read_bytes(), maintype="application",
                          subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="sales.xlsx")
    level2.add_attachment(innermost)
    top = message("Forwarded figures", "FYI")
    top.add_attachment(level2)
    path = tmp_path / "fwd.eml"
    path.write_bytes(top.as_bytes())
    doc = extract(path)
    assert where(path, doc, "Tamarind Quay | 44980") == \
        'Message "Forwarded figures" > Level 2.eml > Message "Level 2" > sales.xlsx > FY2025!A5:F5'
    text = "\n".join(b.text for b in doc.blocks)
    assert "ibexmoss" in text and "fourth body" in text  # three levels of attachments are read ...
    assert "narwhalquartz" not in text and "deep.txt: not read (attachments are read 3 levels deep)" in text


def test_an_mbox_holds_many_messages_each_cited_by_number(tmp_path: Path) -> None:
    path = tmp_path / "archive.mbox"
    first = message("Crane order", "Four cranes ordered.\nFrom now on, weekly updates.").as_bytes()
    second = message("Dredging", "The lynxmarble permit arrived.").as_bytes()
    escaped = first.replace(b"\nFrom now", b"\n>From now")  # how mbox writers keep a body line from splitting
    path.write_bytes(b"From lena@halvard.example Tue Nov  3 09:12:00 2026\n" + escaped
                     + b"\nFrom ops@halvard.example Wed Nov  4 10:00:00 2026\n" + second + b"\n")
    doc = extract(path)
    assert where(path, doc, "lynxmarble") == 'Message 2 "Dredging"'
    assert "From now on, weekly updates." in "\n".join(b.text for b in doc.blocks)  # unescaped

