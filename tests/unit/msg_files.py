"""Outlook .msg files for the tests, written from scratch: a minimal writer of OLE compound files (version 3,
512-byte sectors, [MS-CFB]) and of the MAPI property streams of a message in one ([MS-OXMSG]). olefile only
reads (it can overwrite a stream of an existing file in place, never create one), and sample .msg files carry
someone's mail; these carry only what a test puts in them. An independent reader, extract-msg 0.57 (in a scratch
environment), reads them alike: subject, sender, To, Cc, date, body, attachments and attached messages.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

Tree = dict[str, "bytes | Tree"]
"""A storage: each name maps to a stream's bytes or to a storage."""

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR, _MINI, _CUTOFF = 512, 64, 4096


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data
        self.left = self.right = self.child = _NONE
        self.start, self.size = _END, 0

    def pack(self) -> bytes:
        name = (self.name.encode("utf-16-le") + b"\x00\x00") if self.name else b""
        return struct.pack("<64sHBBIII16sIQQIQ", name, len(name), self.kind, 1, self.left, self.right, self.child,
                           b"\x00" * 16, 0, 0, 0, self.start, self.size)


def ole_file(tree: Tree) -> bytes:
    """The bytes of a compound file holding ``tree`` (streams under 4096 bytes in the mini stream, as Office does)."""
    entries = [_Entry("Root Entry", 5)]

    def add(storage: Tree, parent: int) -> None:
        ids = []
        for name, value in storage.items():
            ids.append(len(entries))
            entries.append(_Entry(name, 1) if isinstance(value, dict) else _Entry(name, 2, value))
            if isinstance(value, dict):
                add(value, ids[-1])
        ids.sort(key=lambda i: (len(entries[i].name), entries[i].name.upper()))  # the order [MS-CFB] defines
        entries[parent].child = balanced(ids)

    def balanced(ids: list[int]) -> int:
        if not ids:
            return _NONE
        mid = len(ids) // 2
        entries[ids[mid]].left, entries[ids[mid]].right = balanced(ids[:mid]), balanced(ids[mid + 1:])
        return ids[mid]

    add(tree, 0)
    mini, minifat, big = bytearray(), [], []
    for entry in entries:
        if entry.kind != 2 or not entry.data:
            continue
        entry.size = len(entry.data)
        if entry.size < _CUTOFF:
            entry.start = len(mini) // _MINI
            count = -(-entry.size // _MINI)
            minifat += [entry.start + k + 1 for k in range(count - 1)] + [_END]
            mini += entry.data.ljust(count * _MINI, b"\x00")
        else:
            big.append(entry)
    directory = b"".join(e.pack() for e in entries)
    directory += _Entry("", 0).pack() * (-len(entries) % 4)
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    chains = [directory, minifat_bytes, bytes(mini)] + [e.data for e in big]
    counts = [-(-len(c) // _SECTOR) for c in chains]
    n_fat = 1
    while n_fat * (_SECTOR // 4) < n_fat + sum(counts):
        n_fat += 1
    fat = [_FAT] * n_fat
    starts = []
    for count in counts:
        starts.append(len(fat) if count else _END)
        fat += [len(fat) + k + 1 for k in range(count - 1)] + ([_END] if count else [])
    fat += [_FREE] * (n_fat * _SECTOR // 4 - len(fat))
    entries[0].start, entries[0].size = starts[2], len(mini)
    for entry, start in zip(big, starts[3:], strict=True):
        entry.start = start
    directory = b"".join(e.pack() for e in entries) + _Entry("", 0).pack() * (-len(entries) % 4)
    difat = list(range(n_fat)) + [_FREE] * (109 - n_fat)
    header = (MAGIC + b"\x00" * 16 + struct.pack("<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"", 0, n_fat,
                                                  starts[0], 0, _CUTOFF, starts[1], counts[1], _END, 0)
              + struct.pack("<109I", *difat))
    body = struct.pack(f"<{len(fat)}I", *fat)
    body += b"".join(c.ljust(n * _SECTOR, b"\x00") for c, n in zip([directory, *chains[1:]], counts, strict=True))
    return header + body


def _text(prop: int, value: str) -> tuple[str, bytes]:
    return f"__substg1.0_{prop:04X}001F", value.encode("utf-16-le")


def _properties(header: int, fixed: dict[int, tuple[int, bytes]], counts: tuple[int, int] = (0, 0)) -> bytes:
    """A properties stream: its header (``header`` bytes; the message's holds the recipient and attachment
    counts), then one 16-byte entry per fixed-size property: (id, type) and an 8-byte value."""
    head = b"\x00" * header
    if header >= 24:
        head = b"\x00" * 8 + struct.pack("<IIII", *counts, *counts) + b"\x00" * (header - 24)
    return head + b"".join(struct.pack("<II8s", (prop << 16) | kind, 6, value) for prop, (kind, value) in fixed.items())


def filetime(when: datetime) -> bytes:
    return struct.pack("<Q", int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000))


def message(subject: str, body: str | None = None, *, html: bytes | None = None, rtf: bytes | None = None,
            sender: tuple[str, str] = ("Lena Brandt", "lena@halvard.example"),
            to: tuple[tuple[str, str], ...] = (("Procurement", "procurement@halvard.example"),),
            cc: tuple[tuple[str, str], ...] = (),
            date: datetime | None = datetime(2026, 11, 3, 8, 12, tzinfo=UTC),
            attachments: tuple[tuple[str, bytes | Tree], ...] = (), message_class: str = "IPM.Note",
            embedded: bool = False, codepage: int | None = None) -> Tree:
    """The storage of a message: as a file (``ole_file``) or, with ``embedded``, attached to another message.
    An attachment is (file name, its bytes) or (name, the ``message(..., embedded=True)`` it is). With
    ``codepage``, the subject and body are 8-bit strings (``001E``) in that code page, as older Outlooks wrote."""
    tree: Tree = dict([_text(0x0037, subject), _text(0x001A, message_class), _text(0x0C1A, sender[0]),
                       _text(0x5D01, sender[1]), _text(0x0E04, "; ".join(n for n, _ in to))])
    if body is not None:
        tree.update([_text(0x1000, body)])
    if html is not None:
        tree["__substg1.0_10130102"] = html
    if rtf is not None:
        tree["__substg1.0_10090102"] = rtf
    fixed = {0x0039: (0x0040, filetime(date))} if date else {}
    if codepage is not None:
        fixed[0x3FFD] = (0x0003, struct.pack("<Q", codepage))
        for prop in (0x0037, 0x1000):
            text = tree.pop(f"__substg1.0_{prop:04X}001F", None)
            if isinstance(text, bytes):
                tree[f"__substg1.0_{prop:04X}001E"] = text.decode("utf-16-le").encode(f"cp{codepage}")
    for n, ((name, address), kind) in enumerate([(r, 1) for r in to] + [(r, 2) for r in cc]):
        tree[f"__recip_version1.0_#{n:08X}"] = dict([_text(0x3001, name), _text(0x39FE, address),
                                                     ("__properties_version1.0",
                                                      _properties(8, {0x0C15: (0x0003, struct.pack("<Q", kind))}))])
    for n, (name, content) in enumerate(attachments):
        if isinstance(content, dict):
            attachment: Tree = {"__substg1.0_3701000D": content,
                                "__properties_version1.0": _properties(8, {0x3705: (0x0003, struct.pack("<Q", 5))})}
        else:
            attachment = dict([_text(0x3707, name), ("__substg1.0_37010102", content),
                               ("__properties_version1.0", _properties(8, {0x3705: (0x0003, struct.pack("<Q", 1))}))])
        tree[f"__attach_version1.0_#{n:08X}"] = attachment
    tree["__properties_version1.0"] = _properties(24 if embedded else 32, fixed, (len(to) + len(cc),
                                                                                  len(attachments)))
    if not embedded:  # the named-property map every message file has (empty: these messages name none)
        tree["__nameid_version1.0"] = {f"__substg1.0_000{n}0102": b"" for n in (2, 3, 4)}
    return tree


def write_msg(path: Path, subject: str, body: str | None = None, **kwargs: object) -> Path:
    """Write the message (``message``'s arguments) to ``path`` as an Outlook .msg file."""
    path.write_bytes(ole_file(message(subject, body, **kwargs)))  # type: ignore[arg-type]
    return path
