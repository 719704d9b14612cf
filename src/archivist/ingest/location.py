"""Where a passage sits inside a file that has more than pages and lines: a sheet's cells, a slide, an e-mail's
attachment. Carried in the passage's heading trail (stored, shown and searched with it), written here and read
back here, so the two can never disagree.

The trail starts with these parts, each a fixed phrase a reader recognises:

- ``Message "Osprey renewal"`` (``Message 3 "..."`` in a mailbox), then ``Attachment schedule.pdf`` per level
  of attachment;
- ``Sheet FY2025, columns A-E`` (``Sheet Old (hidden), columns A-C``), then the table's heading;
- ``Slide 2: Harbor expansion`` and, for speaker notes, ``Speaker notes``.

``location`` turns a stored trail back into ``Message "Osprey renewal" > schedule.pdf > page 1``,
``FY2025!A3:E8`` or ``slide 2``. Parts are only read at the front of the trail of a file whose suffix says it
can hold them, so a Markdown heading that happens to begin with "Sheet" is never mistaken for one.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from archivist.ingest.ocr import OCR_PART
from archivist.ingest.sheets import DELIMITED_SUFFIXES, WORKBOOK_SUFFIXES, cell_range

TRAIL_SEP = " > "
"""How the heading trail is joined when stored (``Indexer``)."""
MAIL_SUFFIXES = (".eml", ".mbox", ".msg")
SLIDE_SUFFIXES = (".pptx",)

_SHEET = re.compile(r"^Sheet (?P<name>.+?)(?P<hidden> \(hidden\))?, columns (?P<c1>[A-Z]{1,3})-(?P<c2>[A-Z]{1,3})$")
_MESSAGE = re.compile(r'^Message(?: (?P<n>\d+))? "(?P<subject>.*)"$')
_ATTACHMENT = re.compile(r"^Attachment (?P<name>.+)$")
NOTES = "Speaker notes"


def _clean(name: str) -> str:
    """A name as a trail part: on one line, and never containing the trail's own separator."""
    return " ".join(name.split()).replace(">", "›")


def sheet_part(name: str, hidden: bool, first_col: str, last_col: str) -> str:
    return f"Sheet {_clean(name)}{' (hidden)' if hidden else ''}, columns {first_col}-{last_col}"


def message_part(subject: str, number: int | None = None) -> str:
    return f'Message{f" {number}" if number else ""} "{_clean(subject).replace(chr(34), chr(39))}"'


def attachment_part(name: str) -> str:
    return f"Attachment {_clean(name) or '(unnamed)'}"


def slide_part(number: int, title: str) -> str:
    return f"Slide {number}: {_clean(title)}" if title.strip() else f"Slide {number}"


def location(path: str | PurePath, heading: str, page: int | None, line_start: int | None,
             line_end: int | None) -> str | None:
    """Where a passage is, beyond its path: ``FY2025!A3:E8``, ``slide 2``, ``Message "..." > a.pdf > page 1``;
    None for formats whose page and lines say it all."""
    parts = heading.split(TRAIL_SEP) if heading else []
    return _inside(PurePath(str(path)).suffix.lower(), parts, page, line_start, line_end, nested=False)


def _inside(suffix: str, parts: list[str], page: int | None, line_start: int | None, line_end: int | None,
            *, nested: bool) -> str | None:
    if suffix in MAIL_SUFFIXES and parts and (m := _MESSAGE.match(parts[0])):
        where = [f'Message{" " + m.group("n") if m.group("n") else ""} "{m.group("subject")}"']
        rest = parts[1:]
        inner = suffix
        while rest and (a := _ATTACHMENT.match(rest[0])):
            where.append(a.group("name"))
            inner = PurePath(a.group("name")).suffix.lower()
            rest = rest[1:]
        if len(where) > 1:
            detail = _inside(inner, rest, page, line_start, line_end, nested=True)
            if detail:
                where.append(detail)
        return " > ".join(where)
    if suffix in WORKBOOK_SUFFIXES + DELIMITED_SUFFIXES and parts and (s := _SHEET.match(parts[0])):
        if line_start is None:
            return s.group("name")
        where = cell_range(s.group("name"), line_start, line_end or line_start, _col(s.group("c1")),
                           _col(s.group("c2")))
        return where + (" (hidden sheet)" if s.group("hidden") else "")
    if suffix in SLIDE_SUFFIXES and page is not None:
        return f"slide {page}" + (", speaker notes" if NOTES in parts else "")
    ocr = next((m for part in parts if (m := OCR_PART.match(part))), None)
    if ocr is not None and page is not None:
        return f"page {page}, OCR (confidence {ocr.group('confidence')}%)"
    if nested and page is not None:
        return f"page {page}"
    if nested and line_start is not None:
        return f"line {line_start}" if line_end in (None, line_start) else f"lines {line_start}-{line_end}"
    return None


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n
