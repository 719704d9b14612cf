"""A faster-to-read copy of the bundled model's weights: Q4_1 re-encoded as Q8_0, once, in the cache folder.

llama.cpp evaluates a prompt in large matrix products. For Q4_1 weights this build has no repacked or
tinyBLAS kernel, so SmolLM2-135M Q4_1 reads a ~1,300-token prompt at ~130 tokens/s on two cores; the same
weights as Q8_0 at ~250-280 (benchmarks/bench_ttft.py, RESULTS.md "Time to the model's first token"). Q8_0 holds
every Q4_1 weight to within 1/254 of its block's largest magnitude, eight times finer than Q4_1's own step, so
the model predicts what the bundled one does (same next token, logits correlated above 0.995:
tests/integration/test_fast_prompt.py; on the dev questions its answers were as good). The copy is 136 MB, takes
about a second to write, is the same bytes every time, and is rebuilt whenever the source file changes.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from archivist.errors import ModelError

Q4_1 = 3
"""GGUF ``general.file_type`` of a mostly-Q4_1 model (llama.cpp's ``LLAMA_FTYPE_MOSTLY_Q4_1``)."""


def file_type(path: Path) -> int | None:
    """The GGUF's ``general.file_type`` (None when it does not say)."""
    from archivist.adapters.gguf_header import read_header

    value = read_header(path).metadata.get("general.file_type")
    return int(value) if isinstance(value, int) else None


def prompt_fast_copy(source: Path, folder: Path) -> Path:
    """``source`` itself unless it is a Q4_1 model; else its Q8_0 copy in ``folder`` (written on first use).

    The copy's name carries the source's size and modification time, so a replaced source gets a new copy
    (older copies of the same model are removed). Written to a temporary name and renamed: an interrupted
    conversion leaves no half file behind.

    Raises:
        ModelError: llama.cpp could not convert it (the caller may fall back to ``source``).
    """
    st = source.stat()
    target = folder / f"{source.stem}.q8_0-{st.st_size}-{int(st.st_mtime)}.gguf"
    if target.is_file():
        return target  # only a Q4_1 source has one: its header need not be read again
    if file_type(source) != Q4_1:
        return source
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{source.stem}.q8_0-*.gguf"):
        old.unlink(missing_ok=True)
    import logging

    import llama_cpp

    log = logging.getLogger("llama-cpp-python")  # llama.cpp's per-tensor lines go through it
    level = log.level
    log.setLevel(logging.ERROR)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
    params.allow_requantize = True
    params.nthread = max(1, min(2, os.cpu_count() or 1))
    partial = target.with_name(target.name + ".partial")
    try:
        rc = llama_cpp.llama_model_quantize(os.fsencode(source), os.fsencode(partial), ctypes.byref(params))
    finally:
        log.setLevel(level)
    if rc != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise ModelError(f"llama.cpp could not write a Q8_0 copy of {source.name} (code {rc}).",
                         hint="Set answer.fast_prompt = false to answer with the file as it is.")
    os.replace(partial, target)
    return target
