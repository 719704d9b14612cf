"""One-time export of the bundled MiniLM to ONNX and int8 quantisation (``archivist models prepare``).

Needs the ``export`` extra (torch, onnx). Run time needs only onnxruntime + tokenizers.
int8 keeps fidelity only with per-channel weights (min cosine to torch 0.983 vs 0.883 per-tensor).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from archivist.embed.minilm import MAX_TOKENS, ONNX_FILE, bundled_model_dir, weights_sha256
from archivist.errors import ModelError


def onnx_is_current(models_dir: Path) -> bool:
    """True when the int8 export exists and was made from the installed weights."""
    meta = models_dir / Path(ONNX_FILE).with_suffix(".json").name
    if not meta.is_file() or not (models_dir / ONNX_FILE).is_file():
        return False
    try:
        recorded = json.loads(meta.read_text()).get("weights_sha256")
    except ValueError:
        return False
    return recorded == weights_sha256(bundled_model_dir())


def export_onnx(models_dir: Path, threads: int = 2) -> Path:
    """Export and quantise MiniLM into ``models_dir``; atomic (temp files, then rename).

    Raises:
        ModelError: torch/onnx are not installed.
    """
    from archivist.security.offline import keep_torch_caches_in, load_onnxruntime

    try:
        load_onnxruntime()  # telemetry off before onnxruntime.quantization loads the library
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ModelError(
            f"Exporting the embedder needs the `export` extra ({exc.name} is missing).",
            hint="Run the README set-up command, or pip install 'archivist[export]'.",
        ) from None
    torch.set_num_threads(threads)
    model_dir = bundled_model_dir()
    models_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    sample = tokenizer(["an example sentence to trace the graph", "short"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=models_dir) as tmp:
        keep_torch_caches_in(Path(tmp) / "torch")  # the exporter loads torch._dynamo: its cache goes with tmp
        fp32 = Path(tmp) / "fp32.onnx"
        batch = torch.export.Dim("batch", max=4096)
        seq = torch.export.Dim("seq", max=MAX_TOKENS + 2)
        shapes = {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq},
                  "token_type_ids": {0: batch, 1: seq}}
        with torch.no_grad():
            torch.onnx.export(
                model,
                (),
                str(fp32),
                kwargs={k: sample[k] for k in ("input_ids", "attention_mask", "token_type_ids")},
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_shapes=shapes,
                dynamo=True,
                external_data=False,
            )
        int8 = Path(tmp) / "int8.onnx"
        quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
        if not int8.is_file():
            raise ModelError("ONNX quantisation produced no file.", hint="Re-run `archivist models prepare`.")
        meta = {"source": str(model_dir), "weights_sha256": weights_sha256(model_dir),
                "quantisation": "int8 per-channel"}
        meta_tmp = Path(tmp) / "meta.json"
        meta_tmp.write_text(json.dumps(meta, indent=2))
        target = models_dir / ONNX_FILE
        os.replace(int8, target)
        os.replace(meta_tmp, target.with_suffix(".json"))
    return target
