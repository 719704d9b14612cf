"""Outlook .msg messages, read as .eml messages are: From, To, Cc, Date and Subject, the body, and the attachments
by their own extractors (to ``mail.MAX_DEPTH`` levels; an attached message is a message again).

A .msg is an OLE compound file (read with olefile: pure Python, no network code; README "Dependencies") whose
streams are MAPI properties ([MS-OXMSG]): ``__substg1.0_IIIITTTT`` holds property ``IIII`` of type ``TTTT``
(``001F`` UTF-16 text, ``001E`` 8-bit text in the message's code page, ``0102`` bytes), ``__properties_version1.0``
the fixed-size ones (the dates), and ``__recip_version1.0_#N`` / ``__attach_version1.0_#N`` storages each
recipient and attachment; an attached Outlook item is the storage ``__substg1.0_3701000D`` of its attachment.

The body is the plain-text one when there is one, else the HTML one (read as HTML files are), else the
compressed RTF one, decompressed and read as text (or as the HTML it wraps) by ``ingest.rtf``; an RTF body that
cannot be read is named in the header block, never indexed as markup.
Passages sit under ``Message "Subject" > Attachment name`` like an .eml's, so a hit reads
``Message "Osprey renewal" > schedule.pdf > page 2`` (``ingest.location``).

Bad input: the file must be an OLE compound file; a stream may not be larger than the file that holds it (a
sector chain that loops would otherwise repeat the same bytes) nor than ``MAX_STREAM_BYTES``; a corrupt file or
an encrypted message (S/MIME, rights-protected) fails with its reason, and the run goes on.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest import rtf
from archivist.ingest.archive import MB, OLE_MAGIC, ZipLimits
from archivist.ingest.base import Block, Document, read_bytes
from archivist.ingest.location import message_part
from archivist.ingest.mail import Reader, attachment_blocks, html_blocks, read_attached

MAX_STREAM_BYTES = 64 * MB
"""One property stream (a body, an attachment's bytes) at most; larger is refused as not a real message."""
MAX_RECIPIENTS = 1000
"""Recipients named per message at most; the rest are counted (a file can hold tens of thousands, each read
from its own storage). Attachments are limited as an .eml's are (``mail.MAX_ATTACHMENTS``)."""

# MAPI property ids ([MS-OXPROPS]).
_SUBJECT, _MESSAGE_CLASS, _BODY, _HTML, _RTF = 0x0037, 0x001A, 0x1000, 0x1013, 0x1009
_SENDER_NAME, _SENDER_ADDRESS, _SENDER_SMTP, _SENT_FOR_ADDRESS = 0x0C1A, 0x0C1F, 0x5D01, 0x0065
_DISPLAY_TO, _DISPLAY_CC, _HEADERS = 0x0E04, 0x0E03, 0x007D
_SUBMIT_TIME, _DELIVERY_TIME = 0x0039, 0x0E06
_CODEPAGE, _INTERNET_CPID = 0x3FFD, 0x3FDE
_RECIPIENT_TYPE, _DISPLAY_NAME, _EMAIL_ADDRESS, _SMTP_ADDRESS = 0x0C15, 0x3001, 0x3003, 0x39FE
_ATTACH_DATA, _LONG_FILENAME, _FILENAME, _ATTACH_METHOD = 0x3701, 0x3707, 0x3704, 0x3705
_EMBEDDED_OLE = 6
_PROPERTIES = "__properties_version1.0"
_TOP_HEADER, _EMBEDDED_HEADER, _OTHER_HEADER = 32, 24, 8
"""Bytes before the first entry of a properties stream: the message's, an attached message's, the others'."""
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_RESAVE = "Open it in Outlook and save it again (or as .eml) to index it."
_CORRUPT = (OSError, struct.error, ValueError, IndexError, KeyError, OverflowError, RecursionError)
"""What olefile raises for a broken header, sector chain or directory (its OleFileError is an OSError)."""


class MsgExtractor:
    """Outlook .msg messages (``ingest.outlook``)."""

    kind = "outlook-msg"
    suffixes = (".msg",)
    version = "2"
    zipped = True
    """Attachments that are Office files are read under the ``ZipLimits`` ``extract`` passes."""

    def extract(self, path: Path, limits: ZipLimits | None = None) -> Document:
        import olefile  # only when a .msg is read

        data = read_bytes(path)
        if not data.startswith(OLE_MAGIC):
            raise ExtractionError(f"{path.name}: not an Outlook message (not an OLE compound file).", hint=_RESAVE)
        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                message = _Item(_Storage(ole, len(data)), (), _TOP_HEADER, None)
                subject = message.text(_SUBJECT)
                blocks = message_blocks(message, (message_part(subject or "(no subject)"),), limits)
                if not blocks and ole.parsing_issues:  # olefile read past the damage and found nothing
                    raise _Unreadable(f"not a readable Outlook message ({ole.parsing_issues[0][1]})", hint=_RESAVE)
        except _CORRUPT as exc:
            raise ExtractionError(f"{path.name}: not a readable Outlook message ({exc}).", hint=_RESAVE) from None
        except _Unreadable as exc:
            raise ExtractionError(f"{path.name}: {exc.message}.", hint=exc.hint) from None
        return Document(path, self.kind, blocks, title=subject or path.stem)


class _Unreadable(ExtractionError):
    """A message (or part) that cannot be read, said without a file name: the file's, or the attachment's
    note (``mail.attachment_blocks``), names it."""


class _Storage:
    """The compound file's storages and streams, by path, with every stream read under the size limits."""

    def __init__(self, ole: Any, file_size: int) -> None:
        self.ole = ole
        self.limit = min(file_size, MAX_STREAM_BYTES)
        self.children: dict[tuple[str, ...], list[str]] = {}
        for entry in ole.listdir(streams=True, storages=True):
            self.children.setdefault(tuple(e.lower() for e in entry[:-1]), []).append(entry[-1])

    def names(self, where: tuple[str, ...]) -> list[str]:
        return sorted(self.children.get(tuple(e.lower() for e in where), []), key=str.lower)

    def is_storage(self, where: tuple[str, ...]) -> bool:
        return bool(self.ole.exists(list(where)) and self.ole.get_type(list(where)) == 1)  # 1: storage

    def read(self, where: tuple[str, ...]) -> bytes | None:
        """The stream at ``where``, None when there is none.

        Raises:
            _Unreadable: the stream is larger than the file holds or than ``MAX_STREAM_BYTES``, or corrupt.
        """
        try:
            if not self.ole.exists(list(where)) or self.ole.get_type(list(where)) != 2:  # 2: stream
                return None
            size = self.ole.get_size(list(where))
            if size > self.limit:
                raise _Unreadable(f"its part {where[-1]} declares {size:,} bytes, more than the file holds or above "
                                  f"the {MAX_STREAM_BYTES // MB} MB limit (a corrupt or hostile file)", hint=_RESAVE)
            with self.ole.openstream(list(where)) as stream:
                return bytes(stream.read(size))
        except _CORRUPT as exc:
            raise _Unreadable(f"its part {where[-1]} is corrupt ({exc})", hint=_RESAVE) from None


@dataclass
class _Item:
    """One property object: the message, a recipient, an attachment, or an attached message (``where``)."""

    storage: _Storage
    where: tuple[str, ...]
    header: int
    codepage: str | None

    def __post_init__(self) -> None:
        self.fixed = _fixed(self.storage.read((*self.where, _PROPERTIES)) or b"", self.header)
        if self.codepage is None:
            number = next((n for key in (_CODEPAGE, _INTERNET_CPID) if (n := self.number(key))), 1252)
            self.codepage = f"cp{number}" if number != 65001 else "utf-8"

    def raw(self, prop: int, kind: str) -> bytes | None:
        return self.storage.read((*self.where, f"__substg1.0_{prop:04X}{kind}"))

    def text(self, prop: int) -> str:
        """A text property (UTF-16, or 8-bit in the message's code page), '' when absent."""
        data = self.raw(prop, "001F")
        if data is not None:
            return data.decode("utf-16-le", errors="replace").rstrip("\x00")
        data = self.raw(prop, "001E")
        if data is None:
            return ""
        try:
            return data.decode(self.codepage or "cp1252", errors="replace").rstrip("\x00")
        except LookupError:  # a code page Python does not know
            return data.decode("cp1252", errors="replace").rstrip("\x00")

    def number(self, prop: int) -> int | None:
        value = self.fixed.get(prop)
        return None if value is None else int.from_bytes(value[:4], "little")

    def date(self, prop: int) -> str:
        value = self.fixed.get(prop)
        if value is None:
            return ""
        try:
            when = _FILETIME_EPOCH + timedelta(microseconds=int.from_bytes(value, "little") // 10)
        except OverflowError:
            return ""
        return format_datetime(when)

    def children(self, prefix: str) -> list[tuple[str, ...]]:
        return [(*self.where, name) for name in self.storage.names(self.where) if name.lower().startswith(prefix)]


def _fixed(data: bytes, header: int) -> dict[int, bytes]:
    """The fixed-size properties of a properties stream: id -> its 8-byte value."""
    out: dict[int, bytes] = {}
    for offset in range(header, len(data) - 15, 16):
        tag = int.from_bytes(data[offset:offset + 4], "little")
        out[tag >> 16] = data[offset + 8:offset + 16]
    return out


def message_blocks(item: _Item, trail: tuple[str, ...], limits: ZipLimits | None) -> list[Block]:
    """The headers, the body and the attachments of one message (``item``), under ``trail``."""
    kind = item.text(_MESSAGE_CLASS)
    if kind.upper().startswith(("IPM.NOTE.SMIME", "IPM.NOTE.RPMSG")) and "MULTIPARTSIGNED" not in kind.upper():
        raise _Unreadable("the message is encrypted (S/MIME or rights-protected)",
                          hint="Open it in Outlook and save a decrypted copy as .eml to index it.")
    head = [f"{name}: {value}" for name, value in _headers(item) if value]
    body = _body(item, trail)
    if body is None:
        head.append("Body: kept only as compressed rich text (RTF) that could not be read; save the message as "
                    ".eml to index it.")
    return attachment_blocks(head, body or [], _attachments(item, limits), trail)


def _headers(item: _Item) -> list[tuple[str, str]]:
    to: list[str] = []
    cc: list[str] = []
    recipients = item.children("__recip_version1.0_#")
    for where in recipients[:MAX_RECIPIENTS]:
        recipient = _Item(item.storage, where, _OTHER_HEADER, item.codepage)
        kind = recipient.number(_RECIPIENT_TYPE)
        address = _address(recipient.text(_DISPLAY_NAME),
                           recipient.text(_SMTP_ADDRESS) or recipient.text(_EMAIL_ADDRESS))
        (cc if kind == 2 else to if kind in (1, None) else []).append(address)
    sender = _address(item.text(_SENDER_NAME), item.text(_SENDER_SMTP) or item.text(_SENDER_ADDRESS)
                      or item.text(_SENT_FOR_ADDRESS))
    date = item.date(_SUBMIT_TIME) or item.date(_DELIVERY_TIME)
    if len(recipients) > MAX_RECIPIENTS:
        to.append(f"(and {len(recipients) - MAX_RECIPIENTS:,} more recipients)")
    return [("From", sender), ("To", ", ".join(a for a in to if a) or item.text(_DISPLAY_TO)),
            ("Cc", ", ".join(a for a in cc if a) or item.text(_DISPLAY_CC)), ("Date", date),
            ("Subject", item.text(_SUBJECT))]


def _address(name: str, address: str) -> str:
    name, address = " ".join(name.split()), address.strip()
    if "@" not in address:  # an Exchange (X.500) address means nothing to a reader
        return name or address
    return f"{name} <{address}>" if name and name != address else address


def _body(item: _Item, trail: tuple[str, ...]) -> list[Block] | None:
    """The body's blocks: plain text, else HTML, else RTF; None when the only body is RTF that cannot be read."""
    text = item.text(_BODY)
    html = None if text.strip() else item.raw(_HTML, "0102")
    if not text.strip() and html is None and (as_text := item.text(_HTML)):
        html = as_text.encode("utf-8")
    if not text.strip() and html is None and (compressed := item.raw(_RTF, "0102")) is not None:
        try:
            text, wrapped = rtf.read(rtf.decompress(compressed, MAX_STREAM_BYTES))
        except ValueError:
            return None
        html = text.encode("utf-8") if wrapped else None
    if html:
        return html_blocks(html, trail)
    lines = [ln.rstrip() for ln in text.splitlines()]
    return [Block(tuple(lines), heading=trail)] if any(lines) else []


def _attachments(item: _Item, limits: ZipLimits | None) -> Iterator[tuple[str, Reader]]:
    for n, where in enumerate(item.children("__attach_version1.0_#"), start=1):
        attachment = _Item(item.storage, where, _OTHER_HEADER, item.codepage)
        method = attachment.number(_ATTACH_METHOD)
        inner = (*where, f"__substg1.0_{_ATTACH_DATA:04X}000D")
        if method != _EMBEDDED_OLE and item.storage.is_storage(inner):  # an attached Outlook item
            message = _Item(item.storage, inner, _EMBEDDED_HEADER, None)
            subject = message.text(_SUBJECT)
            yield _name(subject.replace("/", "-") or f"message {n}", n) + ".msg", partial(_embedded, message, limits)
            continue
        name = _name(attachment.text(_LONG_FILENAME) or attachment.text(_FILENAME)
                     or attachment.text(_DISPLAY_NAME), n)
        yield name, partial(_read, attachment, name, method, limits)


def _embedded(message: _Item, limits: ZipLimits | None, trail: tuple[str, ...]) -> list[Block]:
    return message_blocks(message, (*trail, message_part(message.text(_SUBJECT) or "(no subject)")), limits)


def _read(attachment: _Item, name: str, method: int | None, limits: ZipLimits | None,
          trail: tuple[str, ...]) -> list[Block]:
    if method == _EMBEDDED_OLE:
        raise SkipFile(f"{name}: not read (an embedded OLE object, not a file).")
    data = attachment.raw(_ATTACH_DATA, "0102")
    if data is None:
        raise SkipFile(f"{name}: not read (a link to a file, not the file itself).")
    return read_attached(name, data, trail, limits)


def _name(name: str, n: int) -> str:
    return PurePosixPath(name.replace("\\", "/").replace("\x00", "")).name.strip() or f"attachment {n}"
