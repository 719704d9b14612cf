"""Offline LoRA training on CPU from the GGUF's own weights (optional ``train`` extra: torch, transformers,
peft, gguf).

transformers reads the base model straight from the GGUF (dequantised to float32: the same model llama.cpp
runs, without a second download); examples go through the model's own chat template with the loss on the
assistant's turn only; LoRA adapts q/k/v/o. Measured here (2 cores): ~1.5 s per step of 8 examples, peak
~2.6 GB. Nothing is written until training finishes: Ctrl-C leaves no file behind.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from archivist.adapters.convert import TARGET_MODULES, gguf_tensors, write_gguf_adapter
from archivist.adapters.dataset import Example
from archivist.errors import ArchivistError, ConfigError


class TrainingUnavailable(ArchivistError):
    title = "Training not installed"


@dataclass
class TrainConfig:
    """Hyper-parameters (the CLI's options)."""

    epochs: int = 3
    rank: int = 8
    alpha: float = 16.0
    learning_rate: float = 1e-3
    """High for LoRA, on purpose: team sets are small (tens of examples, a dozen steps)."""
    batch_size: int = 8
    max_steps: int | None = None
    """Stop after this many steps (None: ``epochs`` full passes)."""
    max_tokens: int = 2048
    """Longer examples are skipped (reported), never cut: a cut prompt would teach answering without it."""
    seed: int = 0
    threads: int | None = None


@dataclass
class TrainResult:
    """What a run did (recorded in the sidecar)."""

    steps: int
    examples: int
    skipped: int
    seconds: float
    losses: list[float] = field(default_factory=list)

    @property
    def final_loss(self) -> float | None:
        return self.losses[-1] if self.losses else None


Progress = Callable[[int, int, float], None]
"""``progress(step, total_steps, loss)`` after every optimiser step."""


def _require() -> None:
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise TrainingUnavailable(f"Training needs the optional packages torch, transformers and peft ({exc.name} "
                                  "is missing).", hint="Install them: pip install -e '.[train]'.") from None


def load_base(model: Path, threads: int | None = None, cache_dir: Path | None = None):  # noqa: ANN201
    """The base model and tokenizer from the GGUF itself (dequantised), in float32 for CPU training: (torch model,
    tokenizer). ``cache_dir``: where torch may keep its compiler cache (Archivist's cache folder; else torch's
    default, a folder in $TMPDIR)."""
    from archivist.security.offline import enforce_offline, keep_torch_caches_in

    enforce_offline()  # before the libraries load: they read the switches once; the loader must never look for a hub
    if cache_dir is not None:
        keep_torch_caches_in(cache_dir)
    _require()
    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF loader draws its own bar otherwise
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(threads or max(1, os.cpu_count() or 1))
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    tokenizer = AutoTokenizer.from_pretrained(str(model.parent), gguf_file=model.name)
    if not tokenizer.chat_template:
        raise ConfigError(f"{model.name} has no chat template.", hint="Train on a chat-tuned GGUF.")
    base = AutoModelForCausalLM.from_pretrained(str(model.parent), gguf_file=model.name, dtype=torch.float32)
    return base, tokenizer


def encode(tokenizer, example: Example) -> tuple[list[int], list[int]]:  # noqa: ANN001
    """Token ids of the whole chat and labels that train only the assistant's answer (and its end token)."""
    messages = example["messages"]
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):  # a template that rewrites earlier turns: fall back to appending
        full = prompt + messages[-1]["content"] + (tokenizer.eos_token or "")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    labels = [-100] * len(prompt_ids) + ids[len(prompt_ids):]
    return ids, labels


def add_lora(base, config: TrainConfig):  # noqa: ANN001, ANN201
    """``base`` wrapped with fresh LoRA weights on q/k/v/o (PEFT)."""
    from peft import LoraConfig, get_peft_model

    return get_peft_model(base, LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=0.0,
                                           target_modules=TARGET_MODULES, bias="none", task_type="CAUSAL_LM"))


def train_lora(model, tokenizer, examples: list[Example], config: TrainConfig,  # noqa: ANN001
               progress: Progress | None = None) -> TrainResult:
    """Train the LoRA weights of ``model`` (a PEFT model) in place.

    Raises:
        ConfigError: no example fits ``max_tokens``.
        KeyboardInterrupt: passed through (the caller writes nothing then).
    """
    import torch

    torch.manual_seed(config.seed)
    encoded = [encode(tokenizer, e) for e in examples]
    kept = [(ids, labels) for ids, labels in encoded if len(ids) <= config.max_tokens]
    if not kept:
        raise ConfigError(f"No example is shorter than {config.max_tokens} tokens.", hint="Raise --max-tokens.")
    per_epoch = math.ceil(len(kept) / config.batch_size)
    total = per_epoch * config.epochs if config.max_steps is None else config.max_steps
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate,
                                  weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / 2) * max(0.1, 1 - s / total))
    rng = random.Random(config.seed)
    model.train()
    started = time.perf_counter()
    losses: list[float] = []
    step = 0
    while step < total:
        order = list(range(len(kept)))
        rng.shuffle(order)
        for start in range(0, len(order), config.batch_size):
            if step >= total:
                break
            batch = [kept[i] for i in order[start:start + config.batch_size]]
            width = max(len(ids) for ids, _ in batch)
            input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch])
            labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
            mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch])
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad(set_to_none=True)
            step += 1
            losses.append(round(float(loss.detach()), 4))
            if progress is not None:
                progress(step, total, losses[-1])
    model.eval()
    return TrainResult(step, len(kept), len(encoded) - len(kept), time.perf_counter() - started, losses)


def export_adapter(model, base_config, path: Path, *, name: str, alpha: float,  # noqa: ANN001
                   dtype: str = "f16") -> None:
    """Write the PEFT model's LoRA weights to ``path`` as a llama.cpp GGUF adapter."""
    from peft import get_peft_model_state_dict

    weights = get_peft_model_state_dict(model, save_embedding_layers=False)
    state = {k: v.detach().float().cpu().numpy() for k, v in weights.items()}
    n_head = base_config.num_attention_heads
    tensors = gguf_tensors(state, architecture=_architecture(base_config), n_head=n_head,
                           n_head_kv=getattr(base_config, "num_key_value_heads", None) or n_head)
    write_gguf_adapter(path, tensors, architecture=_architecture(base_config), alpha=alpha, name=name, dtype=dtype)


def _architecture(config) -> str:  # noqa: ANN001
    """llama.cpp's architecture name for a transformers config (they agree for the supported families)."""
    return {"mistral": "llama"}.get(config.model_type, config.model_type)
