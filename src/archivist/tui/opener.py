"""Opening a cited file outside the UI: ``$EDITOR +LINE file`` or ``$PAGER`` at the page. No Textual here.

Text formats whose line numbers are the file's own (plain text, code, Markdown, reST, HTML) open in
``$VISUAL``/``$EDITOR`` at the passage's first line, or in the pager when no editor is set. PDF and DOCX
cannot be read in a terminal editor: their extracted text is piped to ``$PAGER`` (default ``less``),
positioned at the page and line; it is never written to disk, where it would sit outside the encrypted index.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from archivist.errors import ArchivistError
from archivist.ingest import extract, extractor_for

EDITABLE_KINDS = frozenset({"text", "code", "markdown", "rst", "html"})
"""Formats whose stored line numbers are lines of the file itself."""
_PAGERS_WITH_LINE = frozenset({"less", "more", "most", "vi", "vim", "nvim", "view"})


@dataclass(frozen=True)
class OpenPlan:
    """A command to run with the terminal handed over, and the text to pipe into it (if any)."""

    argv: list[str]
    stdin_text: str | None = None


def _pager(env: Mapping[str, str], line: int | None) -> list[str]:
    argv = shlex.split(env.get("PAGER") or "less")
    if line and Path(argv[0]).name in _PAGERS_WITH_LINE:
        argv.append(f"+{line}")
    return argv


def document_text(path: Path, *, page: int | None, line: int | None, passage: str = "") -> tuple[str, int]:
    """The extracted text of ``path`` with page rules, and the line of it where the passage starts.

    Raises:
        ExtractionError, SkipFile: the file cannot be read any more.
    """
    doc = extract(path)
    out: list[str] = []
    target = 1
    current_page = None
    first = next((x.strip() for x in passage.splitlines() if x.strip()), "")
    for block in doc.blocks:
        if block.page is not None and block.page != current_page:
            current_page = block.page
            out.append(f"──── page {block.page} ────")
            if block.page == page:
                target = len(out) + (line or 1)
        elif out:
            out.append("")
        if page is None and first and target == 1:
            for k, text in enumerate(block.lines):
                if first[:60] in text or text.strip() and text.strip() in first:
                    target = len(out) + k + 1
                    break
        out.extend(block.lines)
    return "\n".join(out) + "\n", target


def plan_open(path: Path, *, line: int | None, page: int | None, passage: str = "",
              env: Mapping[str, str] | None = None) -> OpenPlan:
    """How to show ``path`` at the cited place.

    Raises:
        ArchivistError: the file is gone, or no editor/pager can be found.
    """
    env = os.environ if env is None else env
    if not path.is_file():
        raise ArchivistError(f"{path} no longer exists.", hint="Re-index to drop it from the index.")
    extractor = extractor_for(path)
    editor = env.get("VISUAL") or env.get("EDITOR")
    if extractor is not None and extractor.kind in EDITABLE_KINDS:
        if editor:
            plan = OpenPlan([*shlex.split(editor), *([f"+{line}"] if line else []), str(path)])
        else:
            plan = OpenPlan([*_pager(env, line), str(path)])
    else:
        text, at = document_text(path, page=page, line=line, passage=passage)
        plan = OpenPlan(_pager(env, at), stdin_text=text)
    if not plan.argv or shutil.which(plan.argv[0], path=env.get("PATH")) is None:
        raise ArchivistError(f"Cannot open {path.name}: {plan.argv[0] if plan.argv else 'no program'!r} "
                             f"was not found.", hint="Set $EDITOR (text files) or $PAGER (PDF, DOCX).")
    return plan
