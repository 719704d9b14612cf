"""The bundled model read from its Q8_0 copy (``answer.fast_prompt``) and a primed system prompt: the analyst gets
the same answers sooner. Real bundled model, real llama.cpp conversion."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from archivist.answer.generator import LlamaGenerator, bundled_model_path
from archivist.answer.prompt import SYSTEM
from archivist.answer.weights import Q4_1, file_type, prompt_fast_copy

pytestmark = pytest.mark.integration

Q8_0 = 7
MESSAGES = [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": "[1] (runbook.md, lines 3-5)\nThe Zephyr backup service listens on port "
                                        "7431 and keeps 14 days of snapshots.\n\nWhat port does the Zephyr backup "
                                        "service listen on?"}]


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prompt_fast_copy(bundled_model_path(), tmp_path_factory.mktemp("cache"))


def test_the_copy_is_q8_0_and_written_once(copy: Path) -> None:
    assert file_type(bundled_model_path()) == Q4_1
    assert file_type(copy) == Q8_0
    stamp = copy.stat().st_mtime_ns
    assert prompt_fast_copy(bundled_model_path(), copy.parent) == copy
    assert copy.stat().st_mtime_ns == stamp, "an existing copy was written again"
    assert not list(copy.parent.glob("*.partial")), "a temporary file was left behind"


def test_the_copy_predicts_what_the_bundled_model_predicts(copy: Path) -> None:
    bundled = LlamaGenerator(bundled_model_path(), n_ctx=1024, threads=2)
    fast = LlamaGenerator(copy, n_ctx=1024, threads=2, name=bundled_model_path().name)
    try:
        a, b = np.array(bundled.next_logits(MESSAGES)), np.array(fast.next_logits(MESSAGES))
        assert int(a.argmax()) == int(b.argmax())
        assert np.corrcoef(a, b)[0, 1] > 0.995
        assert "7431" in "".join(fast.stream(MESSAGES, 24, 0.0))
        assert fast.id == bundled.id, "answers would name a cache file instead of the bundled model"
    finally:
        bundled.close()
        fast.close()


def test_a_replaced_model_gets_a_new_copy_and_the_old_one_goes(tmp_path: Path) -> None:
    source = tmp_path / "model.gguf"
    shutil.copyfile(bundled_model_path(), source)
    first = prompt_fast_copy(source, tmp_path / "cache")
    os.utime(source, (1_700_000_000, 1_700_000_000))  # "replaced": another modification time
    second = prompt_fast_copy(source, tmp_path / "cache")
    assert second != first and second.is_file()
    assert not first.exists()


def test_a_model_that_is_not_q4_1_is_read_as_it_is(copy: Path) -> None:
    assert prompt_fast_copy(copy, copy.parent / "again") == copy
    assert not (copy.parent / "again").exists()


def test_a_primed_system_prompt_gives_the_same_answer(copy: Path) -> None:
    plain = LlamaGenerator(copy, n_ctx=1024, threads=2)
    primed = LlamaGenerator(copy, n_ctx=1024, threads=2)
    try:
        assert primed.prime(SYSTEM) > 20  # the system prompt's tokens, evaluated ahead
        expected = "".join(plain.stream(MESSAGES, 32, 0.0))
        assert "".join(primed.stream(MESSAGES, 32, 0.0)) == expected
        # and a second question after the first (the cache then holds the first's tokens)
        other = [MESSAGES[0], {"role": "user", "content": MESSAGES[1]["content"].replace("port", "TCP port")}]
        plain.llama.reset()
        assert "".join(primed.stream(other, 32, 0.0)) == "".join(plain.stream(other, 32, 0.0))
    finally:
        plain.close()
        primed.close()


def test_the_answering_model_is_the_copy_and_a_damaged_copy_is_written_again(home: Path) -> None:
    from archivist.app.models import default_generator
    from archivist.paths import Paths
    from archivist.settings import Settings

    settings = Settings.load(None)
    first = default_generator(settings)
    try:
        assert file_type(first.path) == Q8_0 and first.id == bundled_model_path().name
        good = first.path.read_bytes()
    finally:
        first.close()
    with open(first.path, "r+b") as fh:  # damaged in place: same size, other bytes, a new modification time
        fh.seek(len(good) // 2)
        fh.write(b"\0" * 4096)
    again = default_generator(settings)
    try:
        assert again.path == first.path and again.path.read_bytes() == good
        assert "7431" in "".join(again.stream(MESSAGES, 24, 0.0))
    finally:
        again.close()
    settings.answer.fast_prompt = False
    plain = default_generator(settings)
    try:
        assert plain.path == bundled_model_path()
    finally:
        plain.close()
    assert Paths.resolve().cache_dir in first.path.parents
