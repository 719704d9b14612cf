"""Make file names and document text safe to show on a terminal.

File names and document text come from whoever can put a file in an added folder. Printed raw, an ESC
sequence can clear the screen, retitle the window or move the cursor and overwrite an answer with a fake one;
a C1 control (U+009B is a one-byte CSI on some terminals) does the same; a newline in a file name starts a
line that looks like Archivist's own; a bidi override makes ``txt.exe`` read as ``exe.txt``. Rich's markup
``escape()`` only protects markup, and Rich strips only BEL, BS, VT, FF and CR: ESC goes through.

So every string on its way to a terminal passes one of the two functions here: :func:`safe_text` for prose
that may span lines (passages, answers, whole messages), :func:`safe_line` for one field inside a line
(file names, reasons, titles, questions). They show each unsafe character as its escape, in one form:
a backslash, ``u`` and four hex digits, as JSON writes it (ESC is shown as the six characters
``\\u001b``). One form for every character is easy to recognise, and it is also a valid JSON string escape
for the same character, so JSON text that passes through stays valid and means the same.

A third function, :func:`without_controls`, is for text already laid out in terminal cells (the TUI's last
line of defence), where a six-character escape would no longer fit.

Core module: no Rich, click or Textual here, so the CLI, the TUI and logs can all use it.
"""

from __future__ import annotations

import re

_BIDI = "\u202a-\u202e\u2066-\u2069"
"""Embeddings, overrides and isolates: they reorder the text shown after them."""
_SURROGATES = "\ud800-\udfff"
"""Lone surrogates stand for the undecodable bytes of a file name (``os.fsdecode``); a terminal encoder would
raise on them."""

_UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")
"""Every C0 control but tab and newline, DEL, every C1 control, bidi controls and lone surrogates."""
_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")
"""The same, with tab and newline too: one field can never start a line of its own."""


def _shown(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe_text(text: str) -> str:
    """``text`` as it may be written to a terminal: newlines and tabs kept, every other control character
    (C0, DEL, C1, CR), bidi embedding/override/isolate and lone surrogate shown as its ``\\uXXXX`` escape.

    Args:
        text: Prose that may span lines: a passage, an answer, a whole composed message.

    Returns:
        The same text when it holds nothing unsafe (the common case costs one regex scan).
    """
    return _UNSAFE_TEXT.sub(_shown, text)


def safe_line(text: str) -> str:
    """Like :func:`safe_text`, but newline and tab are shown escaped too.

    For one field inside a composed line (a file name, a reason, a title, a question): a newline in a file
    name would otherwise begin a line that looks like Archivist's own output.

    Args:
        text: The field.

    Returns:
        One line of text with nothing unsafe in it.
    """
    return _UNSAFE_LINE.sub(_shown, text)


def without_controls(text: str) -> str:
    """``text`` without the characters :func:`safe_line` would escape, and with U+FFFD for a lone surrogate.

    Every character dropped takes no cell on a terminal and a lone surrogate takes one, as U+FFFD does, so a
    line laid out to fit the screen still fits: for output that is already measured and cut (the TUI's line
    filter), where :func:`safe_text` would make it wider.

    Args:
        text: Text of one line, already laid out.

    Returns:
        The text with nothing a terminal would act on.
    """
    return _UNSAFE_LINE.sub(_dropped, text)


def _dropped(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group() <= "\udfff" else ""


def is_safe(text: str) -> bool:
    """True when :func:`safe_text` would leave ``text`` as it is."""
    return _UNSAFE_TEXT.search(text) is None
