"""The terminal UI's plain-Python parts: supporting spans, text for the clipboard, opening files, freshness."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PASSPHRASE, FakeEmbedder
from tui_support import RETENTION, RUNBOOK, index_folder, make_docs

from archivist.answer.grounding import Sentence
from archivist.answer.service import Answer, Citation
from archivist.answer.spans import passage_sentences, supporting_spans
from archivist.errors import ArchivistError
from archivist.index.freshness import pending_files
from archivist.index.store import Store
from archivist.paths import Paths
from archivist.settings import Settings
from archivist.tui.keys import key_table, keymap
from archivist.tui.opener import plan_open
from archivist.tui.render import answer_markdown, answer_plain_text, display_path, highlighted_passage


def _answer(text: str = "The Zephyr backup service listens on port 7431 [1].") -> Answer:
    citation = Citation(1, "/data/docs/zephyr-runbook.md", None, 3, 4, "Zephyr backup runbook", RUNBOOK, 0.8, 0.9)
    sentences = [Sentence("The Zephyr backup service listens on port 7431.", 1, 0.9, True),
                 Sentence("It was painted blue.", None, 0.1, False)]
    return Answer("Which port?", text, "generated", False, sentences, [citation], 0.8)


def test_the_span_highlighted_is_the_sentence_the_answer_rests_on() -> None:
    spans = supporting_spans(RUNBOOK, ["The Zephyr backup service listens on port 7431 [1]."])
    assert [RUNBOOK[a:b] for a, b in spans] == [
        "The Zephyr backup service listens on port 7431 and writes snapshots to the vault every six hours."]
    assert supporting_spans(RUNBOOK, ["Quarterly marketing budgets in Brazil."]) == []


def test_passage_sentences_cover_the_text_without_blank_edges() -> None:
    text = "First one. Second one!\n\n- a bullet\nThird?"
    assert [text[a:b] for a, b in passage_sentences(text)] == ["First one.", "Second one!", "- a bullet\nThird?"]


def test_the_viewer_highlights_question_words_when_nothing_rests_on_the_passage() -> None:
    citation = _answer().citations[0]
    text, n = highlighted_passage(citation, None, "How long are snapshots kept in the vault?")
    assert n == 1 and "vault" in text.plain[text.spans[0].start:text.spans[0].end]


def test_markdown_marks_citations_and_unsupported_sentences_in_words() -> None:
    md = answer_markdown(_answer())
    assert "**[1]**." in md and "blue. *(unsupported)*" in md


def test_plain_text_copy_has_the_answer_and_full_citation_paths() -> None:
    text = answer_plain_text(_answer())
    assert text.startswith("Q: Which port?\nA: The Zephyr")
    assert "[1] /data/docs/zephyr-runbook.md, lines 3-4" in text and "port 7431" in text.split("Sources:")[1]


def test_paths_are_shown_from_their_folder() -> None:
    assert display_path("/data/docs/ops/a.md", [Path("/data/docs"), Path("/data")]) == "docs/ops/a.md"
    assert display_path("/elsewhere/a.md", [Path("/data/docs")]) == "/elsewhere/a.md"


def test_text_files_open_in_the_editor_at_the_line(tmp_path: Path) -> None:
    f = tmp_path / "notes.md"
    f.write_text("# Notes\n\nline three\n")
    plan = plan_open(f, line=3, page=None, env={"EDITOR": "vi -n", "PATH": "/usr/bin:/bin"})
    assert plan.argv == ["vi", "-n", "+3", str(f)] and plan.stdin_text is None


def test_without_an_editor_text_opens_in_the_pager(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hello\n")
    plan = plan_open(f, line=7, page=None, env={"PAGER": "more", "PATH": "/usr/bin:/bin"})
    assert plan.argv == ["more", "+7", str(f)]


def test_a_pdf_page_is_piped_to_the_pager_never_written(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    for page in ("Alpha page text.", "Beta page text."):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=page)
    path = tmp_path / "two.pdf"
    pdf.output(str(path))
    before = set(tmp_path.iterdir())
    plan = plan_open(path, line=1, page=2, env={"PAGER": "less", "PATH": "/usr/bin:/bin"})
    assert plan.argv[0] == "less" and plan.stdin_text is not None
    line = int(plan.argv[1].lstrip("+"))
    assert plan.stdin_text.splitlines()[line - 1] == "Beta page text."
    assert set(tmp_path.iterdir()) == before


def test_opening_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ArchivistError, match="no longer exists"):
        plan_open(tmp_path / "gone.md", line=1, page=None, env={})
    f = tmp_path / "a.md"
    f.write_text("x\n")
    with pytest.raises(ArchivistError, match="not found"):
        plan_open(f, line=1, page=None, env={"EDITOR": "no-such-editor-xyz", "PATH": "/usr/bin"})


def test_pending_files_are_new_changed_and_deleted(home: Path, tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    docs = make_docs(tmp_path)
    index_folder(docs, fake_embedder)
    (docs / "new.md").write_text("A new note.\n")
    (docs / "retention.txt").write_text(RETENTION + "Amended.\n")
    (docs / "zephyr-runbook.md").unlink()
    store = Store.open(Paths.resolve().database, PASSPHRASE)
    try:
        pending = pending_files(store, Settings.load(None), store.folders()[0])
    finally:
        store.close()
    assert [p.name for p in pending.new] == ["new.md"]
    assert [p.name for p in pending.changed] == ["retention.txt"]
    assert [p.name for p in pending.gone] == ["zephyr-runbook.md"] and pending.count == 3


def test_key_bindings_have_ids_and_only_remaps_reach_the_keymap() -> None:
    keys = Settings.load(None).tui.keys
    table = {row[0]: row for row in key_table(keys)}
    assert table["cancel"][1] == "escape" and "Stop" in table["cancel"][2]
    assert keymap(keys) == {}
    assert keymap(keys.model_copy(update={"search_only": "f9"})) == {"search_only": "f9"}


def test_the_ui_bridge_modules_do_not_import_textual() -> None:
    code = ("import sys\nimport archivist.tui.session, archivist.tui.render, archivist.tui.opener\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
