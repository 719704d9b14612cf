"""The text of an Outlook message body kept only as compressed RTF (``PR_RTF_COMPRESSED``).

``decompress`` undoes Outlook's LZ77 variant ([MS-OXRTFCP]); ``read`` turns the RTF into what a reader sees:
plain text (paragraphs as lines, ``\\'hh`` in the document's code page, ``\\uN`` as Unicode; font tables,
pictures, field instructions and other destinations dropped) or, for a message Outlook wrapped from HTML
(``\\fromhtml1``, [MS-OXRTFEX]), the HTML it wraps, which the caller reads as HTML. It is a reader for message
bodies, not for RTF documents: tables and layout are not kept, only their text.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

_PREFILL = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
            b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
            b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")
"""The dictionary's initial contents, fixed by [MS-OXRTFCP] (207 bytes)."""
_COMPRESSED, _STORED = 0x75465A4C, 0x414C454D  # "LZFu", "MELA"
_SKIP = frozenset((b"fonttbl", b"colortbl", b"stylesheet", b"info", b"pict", b"object", b"fldinst", b"header",
                   b"footer", b"headerl", b"headerr", b"footerl", b"footerr", b"listtable", b"listoverridetable",
                   b"rsidtbl", b"xmlnstbl", b"themedata", b"colorschememapping", b"latentstyles", b"datastore",
                   b"generator", b"filetbl", b"revtbl", b"pgdsctbl", b"mmathPr"))
"""Destinations whose content is not text a reader sees."""
_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}\r\n]+)|[\r\n]+",
                    re.DOTALL)
_BREAKS = {b"par": "\n", b"line": "\n", b"sect": "\n", b"page": "\n", b"row": "\n", b"tab": "\t", b"cell": "\t",
           b"emdash": "\u2014", b"endash": "\u2013", b"lquote": "\u2018", b"rquote": "\u2019", b"ldblquote": "\u201c",
           b"rdblquote": "\u201d", b"bullet": "\u2022"}
_SYMBOLS = {b"~": "\u00a0", b"-": "", b"_": "-", b":": "", b"|": "", b"\n": "\n", b"\r": "\n"}
"""Control symbols: a non-breaking space, an optional and a non-breaking hyphen, ...; backslash-newline is \\par."""


def decompress(data: bytes, limit: int) -> bytes:
    """The RTF in a ``PR_RTF_COMPRESSED`` stream.

    Args:
        data: the stream.
        limit: the most bytes it may declare to hold.

    Raises:
        ValueError: not compressed RTF, or it declares more than ``limit``.
    """
    if len(data) < 16:
        raise ValueError("compressed RTF shorter than its header")
    size, raw_size, kind, _crc = struct.unpack_from("<IIII", data)
    if raw_size > limit:
        raise ValueError(f"compressed RTF declares {raw_size:,} bytes")
    if kind == _STORED:
        return data[16:16 + raw_size]
    if kind != _COMPRESSED:
        raise ValueError("not compressed RTF")
    window = bytearray(4096)
    window[:len(_PREFILL)] = _PREFILL
    at = len(_PREFILL)
    out = bytearray()
    src, end = 16, min(len(data), size + 4)
    while src < end and len(out) < raw_size:
        flags = data[src]
        src += 1
        for bit in range(8):
            if src >= end or len(out) >= raw_size:
                break
            if not flags >> bit & 1:
                out.append(data[src])
                window[at] = data[src]
                at, src = (at + 1) % 4096, src + 1
                continue
            if src + 1 >= end:
                return bytes(out)
            word = data[src] << 8 | data[src + 1]
            src += 2
            offset, length = word >> 4, (word & 0xF) + 2
            if offset == at:  # the end marker
                return bytes(out)
            for i in range(length):
                byte = window[(offset + i) % 4096]
                out.append(byte)
                window[at] = byte
                at = (at + 1) % 4096
    return bytes(out)


@dataclass
class _Group:
    skip: bool = False
    html_only: bool = False  # inside \htmlrtf: RTF's rendering of the wrapped HTML, not the HTML itself
    tag: bool = False  # inside {\*\htmltag ...}: wrapped HTML
    uc: int = 1
    first: bool = True


def read(rtf: bytes) -> tuple[str, bool]:
    """The text of an RTF message body, and whether it is the HTML Outlook wrapped (``\\fromhtml1``)."""
    html = b"\\fromhtml" in rtf[:1024]
    codepage = re.search(rb"\\ansicpg(\d{3,5})", rtf[:4096])
    encoding = f"cp{int(codepage.group(1))}" if codepage else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    stack = [_Group()]
    out: list[str] = []
    pending = bytearray()  # \'hh bytes, decoded together (a multi-byte code page's character spans two)
    skip_chars = 0
    for m in _TOKEN.finditer(rtf):
        word, arg, hexbyte, symbol, brace, text = m.groups()
        if not (word or hexbyte or symbol or brace or text):  # a line break in the source: not text
            continue
        group = stack[-1]
        if hexbyte is None and pending:
            out.append(pending.decode(encoding, errors="replace"))
            pending.clear()
        if brace == b"{":
            stack.append(_Group(group.skip, group.html_only, group.tag, group.uc))
            continue
        if brace == b"}":
            if len(stack) > 1:
                stack.pop()
            continue
        first = group.first
        if symbol == b"*" and first:  # an optional destination: skipped unless it is wrapped HTML (below)
            group.skip = True
            continue
        group.first = False
        if word is not None:
            if first and word in _SKIP:
                group.skip = True
            elif html and word == b"htmltag" and first:
                group.skip, group.tag = False, True
            elif word == b"htmlrtf":
                group.html_only = arg != b"0"
            elif word == b"uc" and arg is not None:
                group.uc = min(max(int(arg), 0), 8)
            elif not _hidden(group, html):
                if word == b"u" and arg is not None:
                    code = int(arg) % 65536  # negative for code points above 32767
                    out.append("\ufffd" if 0xD800 <= code < 0xE000 else chr(code))  # never a lone surrogate
                    skip_chars = group.uc
                elif word in _BREAKS:
                    out.append(_BREAKS[word])
            continue
        if _hidden(group, html):
            continue
        if hexbyte is not None:
            if skip_chars:
                skip_chars -= 1
            else:
                pending.append(int(hexbyte, 16))
        elif symbol is not None:
            out.append(_SYMBOLS.get(symbol, symbol.decode("latin-1")))
        elif text is not None:
            chars = text.decode(encoding, errors="replace")
            out.append(chars[skip_chars:])
            skip_chars = max(0, skip_chars - len(chars))
    if pending:
        out.append(pending.decode(encoding, errors="replace"))
    return "".join(out), html


def _hidden(group: _Group, html: bool) -> bool:
    return group.skip or (html and group.html_only and not group.tag)
