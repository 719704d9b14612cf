"""One-time export of the bundled MiniLM to ONNX and int8 quantisation (``archivist models prepare``).

Needs the ``export`` extra (torch, onnx). Run time needs only onnxruntime + tokenizers.
int8 keeps fidelity only with per-channel weights (min cosine to torch 0.983 vs 0.883 per-tensor).

The graph comes from torch's TorchScript exporter with eager attention (``dynamo=False``), not the dynamo
exporter, whose graph ONNX Runtime ran slower. Measured on 400 dev-filing passages (two one-thread runs side by
side, batch 1, taking turns block by block): the TorchScript export embeds 1.42x as fast as the dynamo one (74.5
vs 52.3 passages/s), as close to float32 (cosine mean 0.9927, min 0.985). Fusing it further with ONNX Runtime's
BERT optimiser was slower, not faster: 64.4 with attention fused (int8 ``QAttention``), 63.5 with only
LayerNorm/GELU fused (benchmarks/RESULTS.md section 12).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from archivist.embed.minilm import EXPORT_RECIPE, ONNX_FILE, bundled_model_dir, weights_sha256
from archivist.errors import ModelError


def onnx_is_current(models_dir: Path) -> bool:
    """True when the int8 export exists, was made from the installed weights and by this recipe."""
    return export_state(models_dir) == "current"


def export_state(models_dir: Path) -> str:
    """``current``; ``older`` (made from the installed weights by an earlier recipe: it works, with its own
    embedder id, and ``archivist models prepare`` replaces it); or ``missing`` (absent, unreadable, or made
    from other weights)."""
    meta = models_dir / Path(ONNX_FILE).with_suffix(".json").name
    if not meta.is_file() or not (models_dir / ONNX_FILE).is_file():
        return "missing"
    try:
        recorded = json.loads(meta.read_text())
    except ValueError:
        return "missing"
    if recorded.get("weights_sha256") != weights_sha256(bundled_model_dir()):
        return "missing"
    return "current" if recorded.get("recipe") == EXPORT_RECIPE else "older"


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
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = tokenizer(["an example sentence to trace the graph", "short"], padding=True, return_tensors="pt")
    with tempfile.TemporaryDirectory(dir=models_dir) as tmp:
        keep_torch_caches_in(Path(tmp) / "torch")
        fp32 = Path(tmp) / "fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                _HiddenStates(model),
                tuple(sample[k] for k in names),
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={k: {0: "batch", 1: "seq"} for k in [*names, "last_hidden_state"]},
                opset_version=17,
                do_constant_folding=True,
                dynamo=False,
            )
        int8 = Path(tmp) / "int8.onnx"
        quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
        if not int8.is_file():
            raise ModelError("ONNX quantisation produced no file.", hint="Re-run `archivist models prepare`.")
        meta = {"source": str(model_dir), "weights_sha256": weights_sha256(model_dir),
                "quantisation": "int8 per-channel", "recipe": EXPORT_RECIPE}
        meta_tmp = Path(tmp) / "meta.json"
        meta_tmp.write_text(json.dumps(meta, indent=2))
        target = models_dir / ONNX_FILE
        os.replace(int8, target)
        os.replace(meta_tmp, target.with_suffix(".json"))
    return target


def _HiddenStates(model):  # noqa: ANN001, ANN202, N802 - a torch module factory (torch is imported lazily)
    """``model`` called with keyword inputs, returning the last hidden state only (the TorchScript exporter
    passes inputs by position, and transformers' positional order is not the ONNX one)."""
    import torch

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    return HiddenStates()
