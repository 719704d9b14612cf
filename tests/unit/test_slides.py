"""Slides: a deck's title, text, tables and speaker notes are found, each passage on its slide's page."""

from __future__ import annotations

from pathlib import Path

import pytest

from archivist.errors import ExtractionError
from archivist.ingest import extract
from archivist.ingest.location import location


def make_deck(path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.title = "Port strategy review"
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Port strategy review"
    first.placeholders[1].text = "Board meeting, January 2027"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Harbor expansion"
    second.placeholders[1].text_frame.text = "The Pelican berth opens in March 2027."
    second.notes_slide.notes_text_frame.text = "Confirm the lynxmarble dredging permit first."
    third = deck.slides.add_slide(deck.slide_layouts[5])
    third.shapes.title.text = "Throughput"
    table = third.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, row in enumerate([["Terminal", "FY2025", "FY2026"], ["Heron", "410", "455"], ["Kestrel", "120", "160"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    deck.save(str(path))
    return path


def test_the_slide_number_is_the_page_and_the_title_heads_its_passages(tmp_path: Path) -> None:
    doc = extract(make_deck(tmp_path / "deck.pptx"))
    assert doc.pages == 3 and doc.title == "Port strategy review"
    pelican = next(b for b in doc.blocks if "Pelican berth" in b.text)
    assert pelican.page == 2 and pelican.heading == ("Slide 2: Harbor expansion",)
    assert pelican.text.splitlines()[0] == "Harbor expansion"  # the title is searchable text, once


def test_speaker_notes_are_indexed_on_their_slide(tmp_path: Path) -> None:
    path = make_deck(tmp_path / "deck.pptx")
    notes = next(b for b in extract(path).blocks if "lynxmarble" in b.text)
    assert notes.page == 2 and notes.heading[-1] == "Speaker notes"
    assert location(path, " > ".join(notes.heading), notes.page, None, None) == "slide 2, speaker notes"


def test_slide_tables_keep_their_columns(tmp_path: Path) -> None:
    doc = extract(make_deck(tmp_path / "deck.pptx"))
    table = next(b for b in doc.blocks if "Kestrel" in b.text)
    assert table.page == 3 and "Kestrel | 120 | 160" in table.lines
    assert table.heading == ("Slide 3: Throughput", "Slide 3: Throughput | FY2025 | FY2026")


def test_a_broken_deck_fails_with_a_reason(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "broken.pptx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ExtractionError, match="not a readable PowerPoint file"):
        extract(path)
