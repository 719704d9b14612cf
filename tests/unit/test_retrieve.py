"""Hybrid retrieval: odd queries never raise, folders filter in SQL, both signals count."""

from __future__ import annotations

from pathlib import Path

import pytest

from archivist.retrieve.text import fts_query


@pytest.fixture
def indexed(services_factory, tmp_path: Path):  # noqa: ANN201
    a, b = tmp_path / "alpha", tmp_path / "beta"
    a.mkdir()
    b.mkdir()
    (a / "ports.md").write_text("# Ports\n\nThe Zephyr backup service listens on port 7431.\n")
    (b / "ports.md").write_text("# Ports\n\nThe Heron ingest service listens on port 9100.\n")
    (b / "incident.txt").write_text("Incident INC-2291: the warehouse scanners lost Wi-Fi for 47 minutes.\n")
    services = services_factory()
    services.store.add_folder(a)
    services.store.add_folder(b)
    services.indexer().index_all()
    return services, a, b


@pytest.mark.parametrize("query", ['', ' ', '"', '""', "*", "NEAR", "AND", "OR NOT", "NEAR(a b)", "(((", ")",
                                   '"unterminated', "-", "col:val", "^", "a*b", "'", "\\", "😀", "AND OR NOT *"])
def test_odd_queries_never_raise(indexed, query: str) -> None:
    services, _, _ = indexed
    result = services.retriever().search(query, 5)
    assert isinstance(result.hits, list)


def test_operator_words_are_searched_as_words() -> None:
    assert fts_query("NEAR AND port") == '"near" OR "port"'
    assert fts_query("*** \"\" ()") is None


def test_folder_filter_only_returns_that_folder(indexed) -> None:
    services, a, b = indexed
    folder_b = next(f for f in services.store.folders() if f.path == b)
    hits = services.retriever().search("service listens on port", 5, folder_id=folder_b.id).hits
    assert hits and all(h.chunk.path.parent == b for h in hits)


def test_exact_identifier_found_by_keywords(indexed) -> None:
    services, _, _ = indexed
    hits = services.retriever().search("INC-2291", 3, mode="bm25").hits
    assert hits[0].chunk.path.name == "incident.txt"
    hybrid = services.retriever().search("what happened in INC-2291", 3).hits
    assert hybrid[0].chunk.path.name == "incident.txt"


def test_unrelated_question_has_low_evidence(indexed) -> None:
    services, _, _ = indexed
    related = services.retriever().search("Which port does the Zephyr backup service use?", 3)
    unrelated = services.retriever().search("airspeed of the lunar ferry between Oslo and Titan", 3)
    assert related.evidence > 0.5
    assert unrelated.evidence < 0.2


def test_scope_filters_from_the_query(indexed) -> None:
    services, a, b = indexed
    hits = services.retriever().search("service listens on port in:beta", 5).hits
    assert hits and all(h.chunk.path.parent == b for h in hits)
    only = services.retriever().search("port file:ports.md in:alpha", 5).hits
    assert [h.chunk.path for h in only] == [a / "ports.md"]
    incident = services.retriever().search("warehouse file:incident*", 5).hits
    assert incident and all(h.chunk.path.name == "incident.txt" for h in incident)
    assert services.retriever().search("port file:nothing-matches-*.pdf", 5).hits == []


def test_unknown_scope_folder_is_a_clear_error(indexed) -> None:
    from archivist.errors import FolderNotFound

    services, _, _ = indexed
    with pytest.raises(FolderNotFound, match="gamma") as info:
        services.retriever().search("port in:gamma", 5)
    assert "alpha" in str(info.value) and "beta" in str(info.value)


def test_parse_scope() -> None:
    from archivist.retrieve.scope import parse_scope

    text, scope = parse_scope('capex 2019 in:"Board packs" file:*10K*.pdf')
    assert text == "capex 2019" and scope.folder == "Board packs" and scope.file_glob == "*10K*.pdf"
    assert parse_scope("no scope here")[1].folder is None


def test_fold_lowercases_and_strips_diacritics_like_fts5() -> None:
    from archivist.retrieve.text import fold

    assert fold("ASCII Only 2019") == "ascii only 2019"
    assert fold("Café Müller, ÅNGSTRÖM naïve façade") == "cafe muller, angstrom naive facade"
    assert fold("Łódź — “quoted” ½") == "łodz — “quoted” 1⁄2"  # Ł has no combining mark; NFKD splits ½


def test_the_first_places_cover_different_pages() -> None:
    from types import SimpleNamespace

    from archivist.retrieve.hybrid import spread_pages

    def hit(file_id: int, page: int | None, n: int):  # noqa: ANN202
        return SimpleNamespace(chunk=SimpleNamespace(file_id=file_id, page=page), n=n)

    hits = [hit(1, 58, 0), hit(1, 58, 1), hit(1, 58, 2), hit(1, 60, 3), hit(2, 58, 4), hit(3, None, 5),
            hit(3, None, 6)]
    assert [h.n for h in spread_pages(hits)] == [0, 3, 4, 5, 6, 1, 2]
