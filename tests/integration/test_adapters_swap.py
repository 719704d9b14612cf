"""Hot swap on the real bundled model: A -> B -> none -> A gives exactly what fresh loads give, the model is
never reloaded, a misfit adapter is refused by name. Adapters here are random LoRA weights written by the
project's converter (no training needed: the swap does not care what the weights mean)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archivist.adapters.convert import write_gguf_adapter
from archivist.adapters.registry import AdapterInfo, Registry
from archivist.answer.generator import LlamaGenerator, bundled_model_path
from archivist.errors import AdapterError

N_LAYER, N_EMBD, N_KV = 30, 576, 192  # SmolLM2-135M
MESSAGES = [{"role": "system", "content": "You answer questions using only the numbered passages."},
            {"role": "user", "content": "[1] (runbook.md, lines 3-5)\nThe Zephyr backup service listens on port "
                                        "7431.\n\nWhat port does the Zephyr backup service listen on?"}]


def random_adapter(path: Path, seed: int, *, width: int = N_EMBD, kv: int = N_KV, rank: int = 4) -> Path:
    rng = np.random.default_rng(seed)
    tensors = {}
    for layer in range(N_LAYER):
        for name, out in (("attn_q", width), ("attn_k", kv), ("attn_v", kv), ("attn_output", width)):
            tensors[f"blk.{layer}.{name}.weight.lora_a"] = rng.normal(0, 0.05, (rank, width)).astype(np.float32)
            tensors[f"blk.{layer}.{name}.weight.lora_b"] = rng.normal(0, 0.05, (out, rank)).astype(np.float32)
    write_gguf_adapter(path, tensors, architecture="llama", alpha=float(rank), name=path.stem)
    return path


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("adapters")
    return {"A": random_adapter(folder / "A.gguf", 1), "B": random_adapter(folder / "B.gguf", 2)}


def fresh(adapter: Path | None) -> tuple[np.ndarray, str]:
    generator = LlamaGenerator(bundled_model_path(), n_ctx=1024, threads=2)
    try:
        if adapter is not None:
            generator.set_adapter(adapter)
        return np.array(generator.next_logits(MESSAGES)), "".join(generator.stream(MESSAGES, 24, 0.0))
    finally:
        generator.close()


def test_swapping_gives_the_same_logits_and_text_as_fresh_loads(adapters: dict[str, Path]) -> None:
    expected = {name: fresh(path) for name, path in (("A", adapters["A"]), ("B", adapters["B"]), ("none", None))}
    assert not np.allclose(expected["A"][0], expected["none"][0], atol=0.1), "the adapter changes nothing"
    assert not np.allclose(expected["A"][0], expected["B"][0], atol=0.1)
    generator = LlamaGenerator(bundled_model_path(), n_ctx=1024, threads=2)
    model = generator.llama.model
    try:
        for name in ("A", "B", "none", "A"):
            generator.set_adapter(adapters.get(name))
            logits = np.array(generator.next_logits(MESSAGES))
            # the text goes through the prompt cache: a swap without a reset would reuse the old adapter's
            text = "".join(generator.stream(MESSAGES, 24, 0.0))
            np.testing.assert_allclose(logits, expected[name][0], atol=1e-3, err_msg=f"logits after swap to {name}")
            assert text == expected[name][1], f"text after swap to {name}"
            assert generator.adapter == (None if name == "none" else name)
        assert generator.llama.model == model, "the model was reloaded"
        assert len(generator._adapters) == 2, "each adapter is loaded once"  # noqa: SLF001
    finally:
        generator.close()  # clears the active set, then frees the adapters and the model


def test_a_misfit_adapter_is_refused_listing_those_that_fit(tmp_path: Path, adapters: dict[str, Path]) -> None:
    registry = Registry(tmp_path / "registry")
    registry.register(adapters["A"], AdapterInfo("fits", adapters["A"]))
    wide = random_adapter(tmp_path / "wide.gguf", 3, width=640, kv=640)
    registry.register(wide, AdapterInfo("for-a-bigger-model", wide))
    assert registry.compatible(bundled_model_path()) == ["fits"]
    with pytest.raises(AdapterError) as caught:
        registry.check("for-a-bigger-model", bundled_model_path())
    assert "does not fit" in str(caught.value) and "576x576" in str(caught.value) and "fits" in caught.value.hint
