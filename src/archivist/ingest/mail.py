"""E-mail: .eml messages and .mbox mailboxes (standard library ``email``), attachments read by the same extractors.

Each message gives a block of its headers (From, To, Cc, Date, Subject: searchable, so "the mail Lena sent
in November" finds it), its body (the plain-text part when there is one, else the HTML part read as HTML
files are), and the text of each attachment, read by the extractor of its type, to ``MAX_DEPTH`` levels of
attachments within attachments (a forwarded message carrying a PDF). Attachments are read from memory
(``ingest.base.in_memory``), never written to disk. Their passages sit under ``Message "Subject" > Attachment
name`` in the heading trail, so a hit reads ``Message "Osprey renewal" > schedule.pdf > page 2``
(``ingest.location``). An attachment that cannot be read is named in the message's header block with the reason.

Outlook's .msg files are read by ``ingest.outlook`` with the same pieces: ``attachment_blocks`` (the depth and count
limits, a note per attachment), ``read_attached`` and ``html_blocks``.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from email.message import EmailMessage
from functools import partial
from pathlib import Path, PurePosixPath

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest.archive import ZipLimits
from archivist.ingest.base import Block, Document, extract, in_memory, read_bytes
from archivist.ingest.location import attachment_part, message_part

MAX_DEPTH = 3
"""Levels of attachments read (a message's attachment is level 1, an attachment of an attached message 2, ...)."""
MAX_ATTACHMENTS = 200
"""Attachments read per message at most; the rest are named as not read."""
_DEPTH: ContextVar[int] = ContextVar("archivist_mail_depth", default=0)
_HEADERS = ("From", "To", "Cc", "Date", "Subject")
_MBOX_FROM = re.compile(rb"^From \S")


class EmailExtractor:
    kind = "email"
    suffixes = (".eml", ".mbox")
    version = "1"
    zipped = True
    """Attachments that are Office files are read under the ``ZipLimits`` ``extract`` passes."""

    def extract(self, path: Path, limits: ZipLimits | None = None) -> Document:
        data = read_bytes(path)
        raw = split_mbox(data) if path.suffix.lower() == ".mbox" else [data]
        blocks: list[Block] = []
        title = ""
        for number, chunk in enumerate(raw, start=1):
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            subject = _header(message, "Subject")
            title = title or subject
            part = message_part(subject or "(no subject)", number if len(raw) > 1 else None)
            blocks += message_blocks(message, (part,), limits)
        if not raw:
            raise SkipFile(f"{path.name}: no messages in the mailbox.")
        return Document(path, self.kind, blocks, title=title or path.stem)


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox file: each starts at a ``From `` line; ``>From `` lines inside are unescaped."""
    messages: list[list[bytes]] = []
    previous_blank = True
    for line in data.splitlines(keepends=True):
        if previous_blank and _MBOX_FROM.match(line):
            messages.append([])
        elif messages:
            messages[-1].append(line[1:] if re.match(rb"^>+From ", line) else line)
        previous_blank = not line.strip()
    return [b"".join(m) for m in messages if any(x.strip() for x in m)]


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header: the rest of the message still counts
        value = message.get_all(name, failobj=[""])[0] if message.keys() else ""
    return " ".join(str(value or "").split())


def message_blocks(message: EmailMessage, trail: tuple[str, ...], limits: ZipLimits | None) -> list[Block]:
    """The headers, the body and the attachments of one message, under ``trail``."""
    head = [f"{name}: {value}" for name in _HEADERS if (value := _header(message, name))]
    readers = ((name, partial(_attachment, name, part, limits=limits)) for name, part in _attachments(message))
    return attachment_blocks(head, _body(message, trail), readers, trail)


Reader = Callable[[tuple[str, ...]], list[Block]]
"""Reads one attachment, given the heading trail its passages sit under."""


def attachment_blocks(head: list[str], body: list[Block], attachments: Iterable[tuple[str, Reader]],
                      trail: tuple[str, ...]) -> list[Block]:
    """A message's blocks under ``trail``: its header lines followed by one line per attachment (read, or why not),
    the body, then each attachment's passages; attachments are read ``MAX_DEPTH`` levels deep, ``MAX_ATTACHMENTS``
    per message.

    Args:
        head: the header lines (``From: ...``).
        body: the body's blocks.
        attachments: each attachment's name and its reader.
        trail: the message's heading trail.
    """
    attached: list[Block] = []
    notes: list[str] = []
    depth = _DEPTH.get()
    for n, (name, read) in enumerate(attachments):
        if n >= MAX_ATTACHMENTS:
            notes.append(f"Attachment {name}: not read (more than {MAX_ATTACHMENTS} attachments).")
            continue
        if depth >= MAX_DEPTH:
            notes.append(f"Attachment {name}: not read (attachments are read {MAX_DEPTH} levels deep).")
            continue
        token = _DEPTH.set(depth + 1)
        try:
            attached += read((*trail, attachment_part(name)))
            notes.append(f"Attachment {name}")
        except (SkipFile, ExtractionError) as exc:
            reason = exc.message.removeprefix(name + ": ").rstrip(".")
            notes.append(f"Attachment {name}: {reason}." if reason.startswith("not read")
                         else f"Attachment {name}: not read ({reason}).")
        finally:
            _DEPTH.reset(token)
    blocks = [Block(tuple(head + notes), heading=trail)] if head or notes else []
    return blocks + body + attached


def html_blocks(html: bytes, trail: tuple[str, ...]) -> list[Block]:
    """An HTML body read as HTML files are (scripts and styles dropped), under ``trail``."""
    with in_memory(Path("/in-memory/body.html"), html) as path:
        try:
            return [Block(b.lines, None, None, (*trail, *b.heading)) for b in extract(path).blocks]
        except SkipFile:
            return []


def read_attached(name: str, data: bytes, trail: tuple[str, ...], limits: ZipLimits | None) -> list[Block]:
    """The blocks of the attached file ``name`` holding ``data``, read from memory by the extractor of its type,
    under ``trail``.

    Raises:
        SkipFile: empty, or not indexable (the reason, as for a file).
        ExtractionError: not readable.
    """
    if not data:
        raise SkipFile(f"{name}: empty attachment.")
    # The name is the attachment's own (its suffix picks the extractor); the folder makes it unique in memory.
    with in_memory(Path(f"/in-memory/attachment-{_DEPTH.get()}") / name, data) as path:
        doc = extract(path, limits=limits)
    return [Block(b.lines, b.page, b.line_start, (*trail, *b.heading)) for b in doc.blocks]


def _body(message: EmailMessage, trail: tuple[str, ...]) -> list[Block]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return []
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload or "")
    if part.get_content_subtype() == "html":
        return html_blocks(str(text).encode("utf-8"), trail)
    lines = [ln.rstrip() for ln in str(text).splitlines()]
    return [Block(tuple(lines), heading=trail)] if any(lines) else []


def _attachments(message: EmailMessage) -> Iterator[tuple[str, EmailMessage]]:
    for n, part in enumerate(message.iter_attachments(), start=1):
        name = part.get_filename() or ""
        if not name and part.get_content_type() == "message/rfc822":
            inner = part.get_content()
            name = (_header(inner, "Subject") or f"message {n}") + ".eml"
        name = PurePosixPath(name.replace("\\", "/")).name or f"attachment {n}"
        yield name, part


def _attachment(name: str, part: EmailMessage, trail: tuple[str, ...], limits: ZipLimits | None) -> list[Block]:
    """The blocks of one attachment, read by the extractor of its type, under ``trail``."""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_content()
        subject = _header(inner, "Subject")
        return message_blocks(inner, (*trail, message_part(subject or "(no subject)")), limits)
    data = part.get_payload(decode=True)
    return read_attached(name, data if isinstance(data, bytes) else b"", trail, limits)
