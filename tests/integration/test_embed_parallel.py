"""The bundled ONNX embedder's side-by-side runs: the vectors and the index they build are those of one run at a
time, a passage's vector does not depend on the passages embedded with it, and a failing run is an error."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_DOCS, indexed_workspace

TEXTS = [
    "Revenue grew 12% to $4.2 billion, driven by subscription renewals in Europe.",
    "The company repurchased 3.1 million shares during the quarter.",
    "Net cash provided by operating activities was $1,234 million.",
    "Goodwill is tested for impairment annually in the fourth quarter, or sooner when events indicate it.",
    "short",
    " ".join(["The board declared a quarterly dividend of $0.25 per share payable in March."] * 30),  # truncated
]


def _onnx(threads: int):  # noqa: ANN202
    from archivist.embed.minilm import OnnxMiniLM
    from archivist.paths import Paths

    return OnnxMiniLM(Paths.resolve().models_dir, threads=threads)


def _embed_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("archivist-embed") and t.is_alive()]


def test_side_by_side_runs_give_the_vectors_of_one_run_at_a_time() -> None:
    serial, parallel = _onnx(1).embed_batch(TEXTS), _onnx(2).embed_batch(TEXTS)
    assert parallel.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(parallel, serial, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(parallel, axis=1), 1.0, atol=1e-5)
    alone = _onnx(2).embed_batch([TEXTS[2]])[0]
    np.testing.assert_allclose(alone, parallel[2], atol=1e-6)  # its batch-mates do not move it
    assert not _embed_threads()


def test_indexing_with_the_parallel_embedder_finds_what_the_serial_one_finds(tmp_path: Path) -> None:
    runs = {}
    for threads in (1, 2):
        services, report = indexed_workspace(tmp_path / f"t{threads}", SAMPLE_DOCS, _onnx(threads))
        rows = sorted(services.store._conn.execute(
            "SELECT f.path, c.line_start, c.text FROM chunks c JOIN files f ON f.id = c.file_id").fetchall())
        hits = [[(h.chunk.path, h.chunk.line_start) for h in services.retriever().search(q, 5).hits]
                for q in ("vacation days carry over", "backup retention period", "quarterly revenue")]
        runs[threads] = (report.added, report.failed, rows, hits)
        services.store.close()
    assert runs[1] == runs[2]


def test_a_failing_run_is_an_error_and_leaves_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = _onnx(2)
    real = embedder._run
    calls = []

    def fail_on_third(rows):  # noqa: ANN001, ANN202
        calls.append(rows)
        if len(calls) == 3:
            raise RuntimeError("onnxruntime: run failed")
        return real(rows)

    monkeypatch.setattr(embedder, "_run", fail_on_third)
    with pytest.raises(RuntimeError, match="run failed"):
        embedder.embed_batch(TEXTS * 4)
    assert not _embed_threads()
