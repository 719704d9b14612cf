"""The converter, checked by what the model computes: the next-token effect of a LoRA in transformers+PEFT
must match the effect of the converted GGUF adapter in llama-cpp-python.

What is compared, to make it fair: the *delta* (logits with the adapter minus logits without), in both
runtimes, over the vocabulary at the last position of three chat prompts. The base model is the bundled
GGUF *dequantised to float32* (the same weights transformers trains on), because llama.cpp on the Q4_1 file
also quantises activations, which adds noise to the delta of a small adapter (measured: 0.75-0.97
correlation there depending on the adapter's size, against 0.9998 on the dequantised base). Without the q/k
row reorder the correlation drops to ~0.8, so the check catches a missing reorder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("peft")
gguf = pytest.importorskip("gguf")

PROMPTS = [
    "[1] (runbook.md, lines 3-5)\nThe Zephyr backup service listens on port 7431.\n\nWhat port does it listen on?",
    "[1] (policy.md, lines 10-12)\nClient contracts are kept for eleven years.\n\nHow long are contracts kept?",
    "[1] (status.html)\nThe Heron cluster has 14 nodes in Frankfurt.\n\nHow many nodes does Heron have?",
]
SYSTEM = {"role": "system", "content": "You answer questions using only the numbered passages."}


def dequantised_copy(source: Path, target: Path) -> Path:
    """``source`` with every tensor dequantised to float32 (metadata copied), for llama.cpp."""
    from gguf import GGUFReader, GGUFValueType, GGUFWriter
    from gguf.quants import dequantize

    reader = GGUFReader(str(source))
    writer = GGUFWriter(str(target), reader.fields["general.architecture"].contents())
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        kind = field.types[0]
        writer.add_key_value(key, field.contents(), kind, sub_type=field.types[-1] if kind == GGUFValueType.ARRAY
                             else None)
    writer.add_file_type(0)
    for tensor in reader.tensors:
        values = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        writer.add_tensor(tensor.name, values.reshape(tuple(reversed([int(d) for d in tensor.shape]))))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target


@pytest.fixture(scope="module")
def torch_deltas_and_adapters(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """transformers+PEFT deltas of a LoRA with visible effect, and that LoRA converted twice: properly and
    without the q/k reorder."""
    import torch

    from archivist.adapters import convert
    from archivist.adapters.train import TrainConfig, add_lora, export_adapter, load_base
    from archivist.answer.generator import bundled_model_path

    folder = tmp_path_factory.mktemp("convert")
    base, tokenizer = load_base(bundled_model_path(), threads=2)
    model = add_lora(base, TrainConfig(rank=8, alpha=16))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():  # PEFT starts B at zero (no effect): give it a trained-sized value
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02)
    deltas = []
    for prompt in PROMPTS:
        text = tokenizer.apply_chat_template([SYSTEM, {"role": "user", "content": prompt}], tokenize=False,
                                             add_generation_prompt=True)
        ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            tuned = model(input_ids=ids).logits[0, -1].numpy()
            with model.disable_adapter():
                plain = model(input_ids=ids).logits[0, -1].numpy()
        deltas.append(tuned - plain)
    export_adapter(model, base.config, folder / "proper.gguf", name="proper", alpha=16)
    saved, convert.PERMUTED_QK = convert.PERMUTED_QK, set()
    try:
        export_adapter(model, base.config, folder / "unpermuted.gguf", name="unpermuted", alpha=16)
    finally:
        convert.PERMUTED_QK = saved
    return np.concatenate(deltas), folder


def llama_deltas(base: Path, adapter: Path) -> np.ndarray:
    from archivist.answer.generator import LlamaGenerator

    generator = LlamaGenerator(base, n_ctx=1024, threads=2)
    try:
        out = []
        for prompt in PROMPTS:
            messages = [SYSTEM, {"role": "user", "content": prompt}]
            generator.set_adapter(None)
            plain = np.array(generator.next_logits(messages))
            generator.set_adapter(adapter)
            out.append(np.array(generator.next_logits(messages)) - plain)
        return np.concatenate(out)
    finally:
        generator.close()


def test_converted_adapter_has_the_same_effect_as_in_pytorch(torch_deltas_and_adapters) -> None:
    from archivist.answer.generator import bundled_model_path

    expected, folder = torch_deltas_and_adapters
    base = dequantised_copy(bundled_model_path(), folder / "base-f32.gguf")
    try:
        proper = np.corrcoef(llama_deltas(base, folder / "proper.gguf"), expected)[0, 1]
        unpermuted = np.corrcoef(llama_deltas(base, folder / "unpermuted.gguf"), expected)[0, 1]
    finally:
        base.unlink()
    assert proper >= 0.99, f"delta correlation {proper:.4f}"
    assert unpermuted < 0.95, f"without the q/k reorder it still correlates {unpermuted:.4f}: the check is blind"
