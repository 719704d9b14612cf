"""The re-rank stage: local signals by default, a cross-encoder from ``models/rerank/`` when one is there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from archivist.errors import ModelError
from archivist.index.store import ChunkRow
from archivist.retrieve.hybrid import Hit, Retriever
from archivist.retrieve.rerank import (
    SIGNALS,
    CrossEncoderReranker,
    OnnxCrossEncoder,
    SignalReranker,
    has_cross_encoder,
    signals,
)
from archivist.settings import RetrievalSettings, Settings


def hit(text: str, file_id: int = 1, score: float = 0.03, similarity: float = 0.5, coverage: float = 0.5,
        prefix: str = "") -> Hit:
    row = ChunkRow(id=hash(text) % 10_000, file_id=file_id, path=Path(f"/docs/file{file_id}.pdf"), folder_id=1,
                   text=text, prefix=prefix, page=1, line_start=None, line_end=None, heading="", kind="pdf")
    return Hit(row, score, similarity, coverage)


# -- the signals --------------------------------------------------------------------------------------------------

def test_numbers_the_question_states_lift_the_passage_that_states_them() -> None:
    question = "What was the FY2019 capital expenditure?"
    hits = [hit("Capital expenditure was 1,200 in 2018."), hit("Capital expenditure was 1,400 in 2019."),
            hit("The board met twice.", coverage=0.0, similarity=0.1)]
    scores = SignalReranker().rerank(question, hits)
    assert scores[1] > scores[0]  # same words and cosine, fused second: the year it states lifts it


def test_figures_count_only_when_the_question_states_a_number() -> None:
    table = hit("Revenue 2019 2018 1,200 1,100 Cost 700 650")
    prose = hit("Revenue grew because customers bought more.")
    with_number = signals("revenue in 2019", [table, prose])
    without = signals("why did revenue grow", [table, prose])
    figures = SIGNALS.index("figures")
    assert with_number[0, figures] > 0 and with_number[1, figures] == 0
    assert without[:, figures].tolist() == [0.0, 0.0]


def test_a_document_with_several_good_passages_lifts_its_best_one() -> None:
    # Passage 0 leads the fused list alone in its file; file 2 holds the next three. Equal otherwise.
    hits = [hit("alpha", file_id=1, score=0.033), hit("beta", file_id=2, score=0.032),
            hit("gamma", file_id=2, score=0.031), hit("delta", file_id=2, score=0.030)]
    scores = SignalReranker(["fusion", "document"]).rerank("question", hits)
    assert int(np.argmax(scores)) == 1


def test_the_first_fused_passage_does_not_win_by_its_place_alone() -> None:
    # Fifty candidates; the second fused one is clearly closer to the question than the first (two standard
    # deviations of similarity against none). Unlimited, the first place's rank signal (~6 standard deviations
    # above the mean, the second's ~3) outweighed that; limited, the closer passage leads.
    hits = [hit(f"passage {i}", similarity=0.2 + 0.2 * i / 49) for i in range(50)]
    hits[0].similarity, hits[1].similarity = 0.30, 0.42
    scores = SignalReranker(["fusion", "similarity"]).rerank("question", hits)
    assert int(np.argmax(scores)) == 1


def test_signals_can_be_left_out_and_unknown_ones_are_refused() -> None:
    hits = [hit("a b", similarity=0.9), hit("c d", similarity=0.1)]
    only_similarity = SignalReranker(["similarity"]).rerank("x", hits)
    assert only_similarity[0] > only_similarity[1]
    with pytest.raises(ValueError, match="unknown signals"):
        SignalReranker(["similarity", "vibes"])


def test_too_few_hits_keep_their_order() -> None:
    assert SignalReranker().rerank("q", [hit("only one")]).tolist() == [0.0]
    assert SignalReranker().rerank("q", []).tolist() == []


# -- in the retriever ---------------------------------------------------------------------------------------------

@pytest.fixture
def indexed(services_factory, tmp_path: Path):  # noqa: ANN201
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acme-2018.md").write_text("# Capital expenditure\n\nCapital expenditure was 1,200 in 2018.\n")
    (docs / "acme-2019.md").write_text("# Capital expenditure\n\nCapital expenditure was 1,400 in 2019.\n")
    (docs / "notes.md").write_text("# Notes\n\nThe board met twice about expenditure policy.\n")
    services = services_factory()
    services.store.add_folder(docs)
    services.indexer().index_all()
    return services


def test_search_reranks_by_default_and_reports_its_time(indexed) -> None:
    result = indexed.retriever().search("capital expenditure in 2019", 3)
    assert result.hits[0].chunk.path.name == "acme-2019.md"
    assert all(h.rerank_score is not None for h in result.hits)
    assert "rerank_ms" in result.timings_ms


def test_rerank_none_keeps_the_fused_order(indexed, services_factory) -> None:
    settings = Settings.load(None)
    settings.retrieval.rerank = "none"
    retriever = Retriever.from_settings(indexed.store, indexed.embedder, settings.retrieval, indexed.paths.models_dir)
    hits = retriever.search("capital expenditure in 2019", 3).hits
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.rerank_score is None for h in hits)


def test_single_modes_are_not_reranked(indexed) -> None:
    hits = indexed.retriever().search("capital expenditure", 3, mode="bm25").hits
    assert hits and all(h.rerank_score is None for h in hits)


def test_constructor_defaults_match_the_settings_defaults() -> None:
    import inspect

    params = inspect.signature(Retriever.__init__).parameters
    defaults = RetrievalSettings()
    for name in ("candidates", "rrf_k", "doc_name_weight", "rerank_candidates", "cross_encoder_candidates"):
        assert params[name].default == getattr(defaults, name), name


class FakeCrossScorer:
    """Scores a passage by how often it says "2019" (deterministic, no model)."""

    id = "fake-cross"

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        self.seen.append(list(passages))
        return np.array([p.count("2019") for p in passages], dtype=float)


def test_a_cross_encoder_reorders_only_its_candidates(indexed) -> None:
    scorer = FakeCrossScorer()
    retriever = Retriever(indexed.store, indexed.embedder, reranker=None,
                          cross_encoder=lambda: CrossEncoderReranker(scorer), cross_encoder_candidates=2)
    hits = retriever.search("board expenditure", 3).hits
    assert len(scorer.seen) == 1 and len(scorer.seen[0]) == 2
    assert hits[0].rerank_score is not None and hits[2].rerank_score is None
    assert "cross_encoder_ms" in retriever.search("board expenditure", 3).timings_ms


def test_auto_uses_signals_without_a_model_and_cross_encoder_mode_needs_one(indexed, tmp_path: Path) -> None:
    settings = RetrievalSettings(cross_encoder_path=tmp_path / "nothing-here")
    auto = Retriever.from_settings(indexed.store, indexed.embedder, settings, indexed.paths.models_dir)
    assert isinstance(auto.reranker, SignalReranker) and auto.cross_encoder is None
    settings.rerank = "cross-encoder"
    with pytest.raises(ModelError, match="model.onnx"):
        Retriever.from_settings(indexed.store, indexed.embedder, settings, indexed.paths.models_dir)


# -- the ONNX loader, on a tiny model made here -------------------------------------------------------------------

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "capex", "2019", "2018", "was", "what"]


def tiny_cross_encoder(folder: Path) -> Path:
    """A real ``model.onnx`` + ``tokenizer.json`` whose score is the number of "2019" tokens in the pair's
    second segment: enough to test tokenising pairs, padding, batching and reading logits."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tok.save(str(folder / "tokenizer.json"))
    target = VOCAB.index("2019")
    nodes = [
        helper.make_node("Equal", ["input_ids", "target"], ["is_target"]),
        helper.make_node("Cast", ["is_target"], ["is_target_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["token_type_ids"], ["second_f"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["is_target_f", "second_f"], ["a"]),
        helper.make_node("Mul", ["a", "mask_f"], ["b"]),
        helper.make_node("ReduceSum", ["b", "axes"], ["logits"], keepdims=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny-cross-encoder",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
         for n in ("input_ids", "attention_mask", "token_type_ids")],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 1])],
        [helper.make_tensor("target", TensorProto.INT64, [], [target]),
         helper.make_tensor("axes", TensorProto.INT64, [1], [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "model.onnx"))
    return folder


def test_onnx_cross_encoder_scores_pairs_in_batches(tmp_path: Path) -> None:
    folder = tiny_cross_encoder(tmp_path / "rerank")
    assert has_cross_encoder(folder)
    model = OnnxCrossEncoder(folder, batch_size=2)
    passages = ["capex was 2018", "2019 2019 capex", "what", "2019"]  # different lengths: padding matters
    scores = model.score("what capex 2019", passages)
    assert scores.tolist() == [0.0, 2.0, 0.0, 1.0]  # the question's own "2019" (segment A) never counts
    assert model.score("q", []).tolist() == []


def test_auto_picks_up_a_dropped_in_cross_encoder(indexed, tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    tiny_cross_encoder(models_dir / "rerank")
    retriever = Retriever.from_settings(indexed.store, indexed.embedder, RetrievalSettings(), models_dir)
    hits = retriever.search("capital expenditure", 3).hits
    assert retriever.cross_encoder is not None and retriever.cross_encoder.id == "cross-encoder:rerank"
    assert hits[0].chunk.path.name == "acme-2019.md"  # the only passage the tiny model scores above 0


def test_a_broken_cross_encoder_is_a_clear_model_error(tmp_path: Path) -> None:
    folder = tmp_path / "rerank"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"not a model")
    (folder / "tokenizer.json").write_text(json.dumps({"not": "a tokenizer"}))
    with pytest.raises(ModelError, match="cannot be loaded"):
        OnnxCrossEncoder(folder)
