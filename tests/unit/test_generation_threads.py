"""Generation threads follow what *other* processes use, not this process's own previous answer."""

from __future__ import annotations

import pytest

from archivist.answer import generator as gen


def _generator(samples: list[tuple[float, float, float]], monkeypatch: pytest.MonkeyPatch) -> gen.LlamaGenerator:
    g = object.__new__(gen.LlamaGenerator)  # no model needed for the thread choice
    g.fixed_threads = None
    g._last_sample = None
    it = iter(samples)
    monkeypatch.setattr(gen, "_cpu_sample", lambda: next(it))
    monkeypatch.setattr(gen.time, "sleep", lambda s: None)
    monkeypatch.setattr(gen.os, "cpu_count", lambda: 2)
    return g


def test_own_busy_time_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 s elapsed, the machine was busy 1 CPU-second, all of it this process's own previous answer.
    g = _generator([(0.0, 0.0, 0.0), (1.0, 1.0, 1.0)], monkeypatch)
    assert g.threads_now() == 2


def test_another_busy_process_leaves_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 s elapsed, 1 CPU-second busy, none of it ours: another process holds a core.
    g = _generator([(0.0, 0.0, 0.0), (1.0, 1.0, 0.0)], monkeypatch)
    assert g.threads_now() == 1


def test_fixed_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    g = _generator([], monkeypatch)
    g.fixed_threads = 2
    assert g.threads_now() == 2
