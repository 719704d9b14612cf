"""Document context: what each file is (entity, period, type), the user's corrections, and the question's focus."""

from __future__ import annotations

from pathlib import Path

from conftest import PASSPHRASE, FakeEmbedder

from archivist.index.indexer import Indexer
from archivist.index.store import Store
from archivist.ingest.metadata import DocMeta, describe
from archivist.retrieve.focus import infer
from archivist.retrieve.hybrid import Retriever
from archivist.settings import Settings

COVER_10K = """UNITED STATES SECURITIES AND EXCHANGE COMMISSION
FORM 10-K
ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the fiscal year ended January 31, 2024
Commission file number 001-1234. ______ GANNET LOGISTICS HOLDINGS INC.
(Exact name of registrant as specified in its charter)
Common Stock GNTL New York Stock Exchange
"""


def test_a_filing_cover_gives_entity_period_type_and_ticker() -> None:
    meta = describe(Path("/docs/annual.pdf"), [COVER_10K])
    assert meta.entity == "Gannet Logistics Holdings Inc."
    assert meta.period == "FY2024"  # fiscal years are named for the year they end in
    assert meta.doc_type == "10-K"
    assert "GNTL" in meta.aliases
    assert meta.header() == "Gannet Logistics Holdings Inc. 10-K FY2024"


def test_small_capitals_split_over_lines_are_joined() -> None:
    cover = "FORM 10-K\nKESTREL\nM\nARINE H\nOLDINGS\n(Exact name of registrant as specified in its charter)\n"
    assert describe(Path("k.pdf"), [cover]).entity == "Kestrel Marine Holdings"


def test_cover_names_as_pdfs_print_them() -> None:
    # Captions set in non-breaking spaces.
    nbsp = COVER_10K.replace("Exact name of registrant", "Exact\u00a0name\u00a0of\u00a0registrant")
    assert describe(Path("a.pdf"), [nbsp]).entity == "Gannet Logistics Holdings Inc."
    # Small capitals on one line: each word's large first capital apart from the rest.
    one_line = ("FORM 10-K\nCommission File No. 001-1234\nKESTREL M ARINE H OLDINGS\n"
                "(Exact name of Registrant as specified)")
    assert describe(Path("k.pdf"), [one_line]).entity == "Kestrel Marine Holdings"
    # A name broken before its corporate word.
    broken = "FORM 10-K\nCommission File Number 001-37622\nOSPREY,\nINC.\n(Exact name of registrant as specified)"
    assert describe(Path("o.pdf"), [broken]).entity == "Osprey, Inc."
    # Initials are not small capitals.
    initials = "FORM 10-K\nJ C PENNEY CORPORATION\n(Exact name of registrant as specified in its charter)"
    assert describe(Path("j.pdf"), [initials]).entity == "J C Penney Corporation"


def test_the_file_name_says_what_the_cover_does_not() -> None:
    meta = describe(Path("OSPREY_2023Q2_10Q.pdf"), ["Some text without a cover"])
    assert (meta.entity, meta.period, meta.doc_type) == ("OSPREY", "FY2023 Q2", "10-Q")
    dated = describe(Path("OSPREY_2022_8K_dated-2022-07-01.pdf"), [""])
    assert (dated.period, dated.doc_type) == ("2022-07-01", "8-K")
    release = describe(Path("q3.pdf"), ["Osprey Freight Reports Third Quarter 2023 Results\nrevenue rose"])
    assert (release.entity, release.doc_type) == ("Osprey Freight", "earnings release")


def test_plain_notes_get_no_invented_metadata() -> None:
    meta = describe(Path("meeting-notes.md"), ["We talked about the roadmap."])
    assert (meta.entity, meta.period, meta.doc_type) == ("", "", "")


def _docs() -> dict[int, tuple[Path, DocMeta]]:
    return {
        1: (Path("/d/GANNET_2023_10K.pdf"), DocMeta("", "Gannet Logistics Inc.", "FY2023", "10-K", ("GANNET", "GNTL"))),
        2: (Path("/d/GANNET_2024_10K.pdf"), DocMeta("", "Gannet Logistics Inc.", "FY2024", "10-K", ("GANNET",))),
        3: (Path("/d/OSPREY_2024_10K.pdf"), DocMeta("", "The Osprey Freight Company", "FY2024", "10-K", ())),
        4: (Path("/d/OSPREY_2024Q2_10Q.pdf"), DocMeta("", "The Osprey Freight Company", "FY2024 Q2", "10-Q", ())),
    }


def test_the_question_favours_the_entity_and_year_it_names() -> None:
    focus = infer("What was Gannet Logistics' capital expenditure in FY2024?", _docs())
    assert focus.entities == ("Gannet Logistics Inc.",)
    assert focus.favoured == (Path("/d/GANNET_2024_10K.pdf"),)
    assert focus.weights[2] > focus.weights[1] > 0
    assert 3 not in focus.weights and 4 not in focus.weights  # another company's filing is never favoured
    assert "Gannet Logistics Inc." in focus.describe() and "GANNET_2024_10K.pdf" in focus.describe()


def test_names_without_corporate_words_tickers_and_quarters_match() -> None:
    focus = infer("Osprey Freight second quarter 2024 revenue", _docs())
    assert focus.favoured == (Path("/d/OSPREY_2024Q2_10Q.pdf"),)
    assert infer("GNTL debt in 2023", _docs()).favoured == (Path("/d/GANNET_2023_10K.pdf"),)
    # A quarter written as one word ("Q22024", "Q2'24") names its year and quarter too.
    assert infer("Osprey's biggest drop in Q22024 revenues", _docs()).favoured == (Path("/d/OSPREY_2024Q2_10Q.pdf"),)
    assert infer("As of Q2'24, is Osprey selling a segment?", _docs()).favoured == (Path("/d/OSPREY_2024Q2_10Q.pdf"),)
    # A ticker is a word of its own, written as such: "gntl" inside other text does not name it.
    assert not infer("what is the gntlx ratio", _docs()).entities


def test_a_common_word_in_lower_case_is_not_a_name_in_a_capitalised_question() -> None:
    docs = {1: (Path("/d/BLOCK_2020_10K.pdf"), DocMeta("", "Block", "FY2020", "10-K", ()))}
    assert not infer("What share of revenue came from the block of Bitcoin sales, per Osprey?", docs).entities
    assert infer("What was Block's revenue in 2020?", docs).entities == ("Block",)


def test_a_question_naming_nothing_has_no_focus() -> None:
    assert not infer("what is our travel policy?", _docs())


def _index(tmp_path: Path, files: dict[str, str]) -> tuple[Store, Settings]:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    store = Store.open(tmp_path / "index.db", PASSPHRASE)
    store.add_folder(folder)
    settings = Settings()
    Indexer(store, FakeEmbedder, settings).index_all()
    return store, settings


def test_metadata_is_stored_at_ingest_and_written_into_each_passage_header(tmp_path: Path) -> None:
    store, _ = _index(tmp_path, {"KESTREL_2024_annual-report.md": "# Results\nRevenue grew to 1,200.\n"})
    (path, meta), = store.documents().values()
    assert (meta.entity, meta.period, meta.doc_type) == ("KESTREL", "FY2024", "annual report")
    chunk = next(iter(store.chunks(store.chunk_ids_of_files([store.files()[0].id])).values()))
    assert "KESTREL annual report FY2024" in chunk.prefix


def test_a_correction_survives_re_reading_and_changes_ranking_at_once(tmp_path: Path) -> None:
    store, settings = _index(tmp_path, {
        "a.md": "Capital expenditure was 1,577 in FY2024.\n",
        "b.md": "Capital expenditure was 2,020 in FY2024.\n",
    })
    b = next(p for p, _ in store.documents().values() if p.name == "b.md")
    retriever = Retriever(store, FakeEmbedder, focus_weight=0.02)
    assert not retriever.search("Heron Shipping capital expenditure FY2024", 2).focus.entities
    store.correct_metadata(b, {"entity": "Heron Shipping plc"})
    result = retriever.search("Heron Shipping capital expenditure FY2024", 2)
    assert result.focus.entities == ("Heron Shipping plc",)
    assert result.hits[0].chunk.path == b
    # Read again (the correction marks the file), the header follows and the correction stays.
    Indexer(store, FakeEmbedder, settings).index_all()
    assert store.document(b).entity == "Heron Shipping plc"
    prefix = next(iter(store.chunks(store.chunk_ids_of_files(
        [f.id for f in store.files() if f.path == b])).values())).prefix
    assert "Heron Shipping plc" in prefix
    store.correct_metadata(b, {"entity": None})
    assert store.document(b).entity == ""
