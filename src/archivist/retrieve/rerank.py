"""Second-stage ranking of the fused candidates: local signals, and a cross-encoder when one is installed.

**Signals** (``SignalReranker``, the default). The top ``retrieval.rerank_candidates`` fused passages are
re-scored from nine signals, each standardised across the candidates (z-score) and summed with equal
weights, so no weight is fitted to a benchmark:

- *fusion*: the passage's place in the fused BM25 + vector list (``1 / log2(rank + 2)``);
- *similarity*: cosine between question and passage;
- *coverage*: share of the question's content words in the passage (heading trail included);
- *numbers*: share of the question's numbers (fiscal years, amounts, report numbers) that the passage or its
  header states (a report's "INC-2291" is in the title, so its second passage is not behind its first for
  that; FinanceBench dev with spread pages: R@1 .244 -> .231, R@5 .538 -> .564, R@10 .705 either way);
- *figures*: share of the passage's words that are figures, only when the question states a number itself
  (a question about FY2022 asks about figures: statements and tables hold them);
- *document*: the summed fusion score of the passage's document among the candidates, relative to the best
  document's (a filing with several good passages lifts its best ones: the wrong filing is FinanceBench's
  main failure);
- *row*: when the question asks for one figure of a period, how well the passage's best table row names that
  figure and its table has the period's column (``retrieve.figures``): the statement line asked for;
- *focus*: how well the passage's document matches the entity, period and document type the question names
  (``retrieve.focus``, from each file's metadata); constant (so without effect) when the question names none;
- *statement*: whether the passage is the primary statement the question needs (``retrieve.statements``: the
  one it names, or the one that prints its metric's line items); constant when it needs none.

Measured on FinanceBench dev (benchmarks/RESULTS.md, retrieval; same run, against the fused order):
page-level R@10 .628 -> .731, R@1 .205 -> .244, MRR@20 .338 -> .410; on the half of the questions that
did not pick the signals R@10 .615 -> .718. Leaving out *fusion*, *similarity*, *numbers*, *figures* or
*document* lowers R@10 (to .68-.71); leaving out *coverage* does not (.744), but it is kept as a general
signal rather than dropped on this one data set. Word-pair (phrase) matches and heading matches were
tried and added nothing. Cost: ~3 ms for the signals, plus fetching 50 instead of 6-20 passages.

**Cross-encoder** (``OnnxCrossEncoder``). A model that reads question and passage together usually ranks
better than separate embeddings on public benchmarks, but none ships with Archivist and none could be
measured here (no package on the registries this project can reach ships cross-encoder weights). Drop an
ONNX export of one (for example ``cross-encoder/ms-marco-MiniLM-L-6-v2``) with its ``tokenizer.json`` into
``models/rerank/`` and it re-orders the top ``retrieval.cross_encoder_candidates`` passages of the signal
ranking. It costs one transformer pass per passage: about 25 ms each on two cores for a MiniLM-L6 (estimated
from the bundled MiniLM embedder's 40 passages/s), so 10 passages put a question past the 100 ms goal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from archivist.errors import ModelError
from archivist.retrieve.statements import statement_of, wanted, weight
from archivist.retrieve.text import terms

if TYPE_CHECKING:
    from archivist.retrieve.hybrid import Hit

CROSS_ENCODER_FILES = ("model.onnx", "tokenizer.json")
"""What ``models/rerank/`` must hold for the cross-encoder to be used."""

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
SIGNALS = ("fusion", "similarity", "coverage", "numbers", "figures", "document", "row", "focus", "statement")


class Reranker(Protocol):
    """Scores passages for a question (higher is better); the retriever sorts by the scores."""

    id: str

    def rerank(self, query: str, hits: Sequence[Hit]) -> np.ndarray: ...


def signals(query: str, hits: Sequence[Hit]) -> np.ndarray:
    """The raw signals of ``hits`` (in fused order) for ``query``: one row per hit, columns as ``SIGNALS``.

    *coverage* is the hit's own ``Hit.coverage``; the rest costs about 3 ms for 50 passages (regexes in C).
    *figures* is runs of digits per word (``1,184`` is two of each).
    """
    from archivist.retrieve.figures import asks_for_figure, figure_in

    qnumbers = set(_DIGITS.findall(" ".join(terms(query))))
    figure_question = asks_for_figure(query)
    statements = wanted(query)
    per_doc: dict[int, float] = {}
    for h in hits:
        per_doc[h.chunk.file_id] = per_doc.get(h.chunk.file_id, 0.0) + h.score
    best_doc = max(per_doc.values(), default=0.0) or 1.0
    out = np.zeros((len(hits), len(SIGNALS)), dtype=np.float64)
    for i, h in enumerate(hits):
        out[i, 0] = 1.0 / np.log2(i + 2)
        out[i, 1] = h.similarity
        out[i, 2] = h.coverage
        if qnumbers:
            text = h.chunk.text
            figures = _DIGITS.findall(text)
            # A number its header states (the report "INC-2291", the filing's FY2018) the passage states too.
            stated = set(figures) | set(_DIGITS.findall(h.chunk.prefix))
            out[i, 3] = len(qnumbers & stated) / len(qnumbers)
            out[i, 4] = len(figures) / max(1, len(_WORD.findall(text)))
        out[i, 5] = per_doc[h.chunk.file_id] / best_doc
        if figure_question:
            found = figure_in(query, h)
            out[i, 6] = found.match if found is not None else 0.0
        out[i, 7] = h.focus
        if statements:
            kind = h.statement or statement_of(h.chunk.heading)
            out[i, 8] = 1.0 if kind in statements and not h.other_issuer else 0.0
    return out


Z_LIMIT = 4.0
"""A standardised signal counts at most this many standard deviations either way. Without a limit the fused
list's first passage stood out by ~6 (the rank signal 1/log2(rank + 2) is 1.0 there, 0.63 next, ~0.26 on
average over 50) and the second by ~3, whatever the other signals said; the larger the candidate list, the
larger that lead. Measured on FinanceBench dev (benchmarks/RESULTS.md, section 9): page-level R@1 .436 -> .487
at the same R@5/R@10 (four questions move from second to first, none back); limits of 3 and 4 on the rank
signal alone gave the same R@1 (3 lost one question of R@5)."""


class SignalReranker:
    """Equal-weight sum of the standardised ``signals`` (see the module docstring; each limited to ``Z_LIMIT``),
    except *statement*: it counts three times when the question names the statement, twice when its metric
    implies it (``retrieve.statements.weight``).

    Args:
        use: the signals summed (all of ``SIGNALS`` by default; the benchmark leaves one out at a time).
    """

    def __init__(self, use: Sequence[str] = SIGNALS) -> None:
        unknown = set(use) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signals {sorted(unknown)}; known: {', '.join(SIGNALS)}")
        self.columns = [SIGNALS.index(name) for name in use]
        self.id = "signals" if len(self.columns) == len(SIGNALS) else "signals:" + "+".join(use)
        statement = SIGNALS.index("statement")
        self._statement = self.columns.index(statement) if statement in self.columns else None

    def rerank(self, query: str, hits: Sequence[Hit]) -> np.ndarray:
        if len(hits) < 2:
            return np.zeros(len(hits))
        raw = signals(query, hits)[:, self.columns]
        spread = raw.std(axis=0)
        z = np.where(spread > 1e-12, (raw - raw.mean(axis=0)) / np.where(spread > 1e-12, spread, 1.0), 0.0)
        z = np.clip(z, -Z_LIMIT, Z_LIMIT)
        if self._statement is not None:
            z[:, self._statement] *= weight(query)
        return z.sum(axis=1)


class CrossScorer(Protocol):
    """A model that scores (question, passage) pairs together; higher is more relevant."""

    id: str

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray: ...


class CrossEncoderReranker:
    """Orders passages by a cross-encoder's score alone (the model is built on first use)."""

    def __init__(self, scorer: CrossScorer) -> None:
        self.scorer = scorer
        self.id = f"cross-encoder:{scorer.id}"

    def rerank(self, query: str, hits: Sequence[Hit]) -> np.ndarray:
        return np.asarray(self.scorer.score(query, [h.chunk.prefix + "\n" + h.chunk.text for h in hits]),
                          dtype=np.float64)


def cross_encoder_dir(models_dir: Path) -> Path:
    """Where a dropped-in cross-encoder lives by default (``retrieval.cross_encoder_path`` overrides it)."""
    return models_dir / "rerank"


def has_cross_encoder(folder: Path) -> bool:
    """Whether ``folder`` holds a cross-encoder export (``model.onnx`` and ``tokenizer.json``)."""
    return all((folder / name).is_file() for name in CROSS_ENCODER_FILES)


class OnnxCrossEncoder:
    """A BERT-style cross-encoder exported to ONNX, run with ONNX Runtime, tokenised with its own
    ``tokenizer.json``: inputs ``input_ids``, ``attention_mask`` (and ``token_type_ids`` if the graph has
    it); output logits of shape (batch, 1) (a relevance score) or (batch, 2) (not relevant / relevant).

    Raises:
        ModelError: the folder lacks ``model.onnx`` or ``tokenizer.json``, or they cannot be loaded.
    """

    def __init__(self, folder: Path, *, threads: int = 2, max_tokens: int = 512, batch_size: int = 16) -> None:
        if not has_cross_encoder(folder):
            raise ModelError(
                f"No cross-encoder in {folder}: it needs {' and '.join(CROSS_ENCODER_FILES)}.",
                hint="Export one to ONNX (README, Retrieval) or set retrieval.rerank = \"signals\".")
        from tokenizers import Tokenizer

        from archivist.security.offline import load_onnxruntime

        ort = load_onnxruntime()  # telemetry off before the library loads

        try:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = ort.InferenceSession(str(folder / "model.onnx"), options,
                                                 providers=["CPUExecutionProvider"])
            self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # noqa: BLE001 - ONNX Runtime and tokenizers raise their own bare types
            raise ModelError(f"The cross-encoder in {folder} cannot be loaded: {exc}",
                             hint="Re-export it, or remove the folder to rank with the built-in signals.") from exc
        self._tok.enable_truncation(max_tokens, strategy="longest_first")  # never fails on a long question
        self._tok.no_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.batch_size = batch_size
        self.id = folder.name

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(passages), dtype=np.float64)
        if not passages:
            return out
        encodings = self._tok.encode_batch([(query, p) for p in passages])
        for start in range(0, len(passages), self.batch_size):
            part = encodings[start:start + self.batch_size]
            width = max(len(e.ids) for e in part)
            ids = np.zeros((len(part), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, e in enumerate(part):
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = 1
                types[row, :len(e.ids)] = e.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = types
            logits = np.asarray(self._session.run(None, feeds)[0], dtype=np.float64).reshape(len(part), -1)
            # One column: a relevance score. Two: (not relevant, relevant) logits -> their log-odds.
            out[start:start + len(part)] = logits[:, 0] if logits.shape[1] == 1 else logits[:, -1] - logits[:, 0]
        return out
