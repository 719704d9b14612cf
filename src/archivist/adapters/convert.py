"""PEFT LoRA weights -> a llama.cpp GGUF LoRA adapter (the project's own converter).

What llama.cpp expects (``llama_adapter_lora_init``): ``general.architecture`` equal to the base model's,
``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha``; for every adapted weight
``blk.N.<name>.weight`` a pair ``blk.N.<name>.weight.lora_a`` (r x in) and ``.lora_b`` (out x r). llama.cpp
scales the product by alpha / r, as PEFT does, so W' = W + (alpha / r) * B @ A in both.

The rotary permutation: llama.cpp stores a llama model's q and k weights with the rows of each head
interleaved (pairs 0, d/2, 1, d/2+1, ...) where Hugging Face keeps the two halves apart, and
transformers undoes that on loading a GGUF. The LoRA delta lands on those same rows, so ``lora_b`` (whose
rows are the output rows) must be reordered the same way: per head, (2, d/2) -> (d/2, 2). Without it the
adapter still changes style but in the wrong rotary coordinates: its logit effect correlated only 0.966
with PyTorch's, against 0.997 with it (tests/integration/test_adapters_convert.py checks >= 0.99).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from archivist.errors import AdapterError

# Hugging Face projection name -> llama.cpp tensor name (the same for every architecture here).
TENSOR_NAMES = {"q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output"}
TARGET_MODULES = list(TENSOR_NAMES)
# Architectures whose q/k rows llama.cpp's own converter permutes (llama.cpp's LlamaModel family).
PERMUTED_QK = {"llama"}
_KEY = re.compile(r"layers\.(\d+)\.self_attn\.(q_proj|k_proj|v_proj|o_proj)\.lora_([AB])(?:\.default)?\.weight$")


def rotary_rows(weight: np.ndarray, n_head: int) -> np.ndarray:
    """Reorder the rows of ``weight`` (out x ...) from Hugging Face's per-head halves to llama.cpp's
    interleaved pairs: within each of ``n_head`` heads, row ``h*d + i*d/2 + j`` moves to ``h*d + 2j + i``."""
    rows = weight.shape[0]
    if rows % (2 * n_head):
        raise AdapterError(f"Cannot reorder {rows} rows into {n_head} heads.", hint="The model's head count is wrong.")
    return weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def gguf_tensors(state: dict[str, np.ndarray], *, architecture: str, n_head: int,
                 n_head_kv: int) -> dict[str, np.ndarray]:
    """The adapter's tensors under llama.cpp names, q/k ``lora_b`` reordered where llama.cpp permutes.

    Args:
        state: PEFT's state dict (``get_peft_model_state_dict``) as float arrays.

    Raises:
        AdapterError: a key outside q/k/v/o LoRA, or an ``A`` without its ``B``.
    """
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        m = _KEY.search(key)
        if m is None:
            raise AdapterError(f"Cannot convert the LoRA tensor {key}.",
                               hint=f"Only {', '.join(TARGET_MODULES)} adapters are supported.")
        layer, proj, which = int(m.group(1)), m.group(2), m.group(3)
        array = np.asarray(value, dtype=np.float32)
        if which == "B" and architecture in PERMUTED_QK and proj in ("q_proj", "k_proj"):
            array = rotary_rows(array, n_head if proj == "q_proj" else n_head_kv)
        out[f"blk.{layer}.{TENSOR_NAMES[proj]}.weight.lora_{which.lower()}"] = array
    for name in out:
        twin = name[:-1] + ("b" if name.endswith("a") else "a")
        if twin not in out:
            raise AdapterError(f"The LoRA tensor {name} has no {twin}.", hint="The trained weights are incomplete.")
    return dict(sorted(out.items(), key=lambda kv: _order(kv[0])))


def _order(name: str) -> tuple[int, str]:
    m = re.match(r"blk\.(\d+)\.(.*)", name)
    return (int(m.group(1)), m.group(2)) if m else (-1, name)


def write_gguf_adapter(path: Path, tensors: dict[str, np.ndarray], *, architecture: str, alpha: float,
                       name: str, dtype: str = "f16") -> None:
    """Write a llama.cpp LoRA adapter to ``path`` atomically (temporary file, fsync, rename).

    Args:
        dtype: ``f16`` (half the size; the logit check passes with it) or ``f32``.
    """
    import gguf

    np_dtype = np.float16 if dtype == "f16" else np.float32
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        writer = gguf.GGUFWriter(str(tmp), architecture)
        writer.add_type("adapter")
        writer.add_name(name)
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", float(alpha))
        for tensor_name, array in tensors.items():
            writer.add_tensor(tensor_name, np.ascontiguousarray(array.astype(np_dtype)))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
