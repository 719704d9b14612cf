"""What built an index generation: extractor versions, chunker settings, embedder and weights, schema.

A fingerprint is a small JSON object stored in each generation's ``meta`` table (key ``fingerprint``); its
digest goes into the generations manifest. When the fingerprint of the current settings differs from the
current generation's, a new generation is built (``archivist.index.rebuild``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from archivist.embed.base import Embedder
from archivist.index.migrations import LATEST
from archivist.settings import ChunkSettings, Settings

META_KEY = "fingerprint"
"""``meta`` key holding the fingerprint JSON of the generation."""


def extractor_versions() -> dict[str, str]:
    """``kind -> version`` of every registered extractor (a new version re-reads that format)."""
    from archivist.ingest.base import extractor_for, supported_suffixes

    out: dict[str, str] = {}
    for suffix in sorted(supported_suffixes()):
        ex = extractor_for(Path("x" + suffix))
        if ex is not None:
            out[ex.kind] = ex.version
    return out


def compute(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    """The fingerprint an index built now, with these settings and this embedder, would have."""
    return {
        "schema": LATEST,
        "chunk": {"max_tokens": settings.chunk.max_tokens, "overlap_tokens": settings.chunk.overlap_tokens,
                  "sentence_ends": settings.chunk.sentence_ends},
        "embedder": {"id": embedder.id, "weights": getattr(embedder, "weights_hash", None)},
        "extractors": extractor_versions(),
    }


def digest(fingerprint: dict[str, Any]) -> str:
    """A short stable id of a fingerprint (12 hex digits)."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:12]


def describe(fingerprint: dict[str, Any]) -> str:
    """What built it, in a few words: ``chunk 200/32, all-MiniLM-L6-v2/onnx-int8@53aa51, schema 3``."""
    chunk = fingerprint.get("chunk", {})
    name, _, weights = str(fingerprint.get("embedder", {}).get("id", "?")).partition("@")
    embedder = f"{name}@{weights[:6]}" if weights else name
    return (f"chunk {chunk.get('max_tokens', '?')}/{chunk.get('overlap_tokens', '?')}, "
            f"{embedder}, schema {fingerprint.get('schema', '?')}")


def differences(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Human-readable changes from ``old`` to ``new`` (``chunk.max_tokens 200 -> 120``)."""
    if old is None:
        return ["not recorded"]

    def flat(d: dict, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in d.items():
            if isinstance(v, dict):
                out.update(flat(v, f"{prefix}{k}."))
            else:
                out[f"{prefix}{k}"] = v
        return out

    a, b = flat(old), flat(new)
    changes = []
    for key in sorted(a.keys() | b.keys()):
        if a.get(key) != b.get(key):
            before, after = a.get(key, "-"), b.get(key, "-")
            if key.endswith("weights") and isinstance(before, str) and isinstance(after, str):
                before, after = before[:12], after[:12]
            changes.append(f"{key} {before} -> {after}")
    return changes


def read(store) -> dict[str, Any] | None:  # noqa: ANN001 - a Store (imported lazily by callers)
    """The fingerprint recorded in a generation's database, or None."""
    raw = store.get_meta(META_KEY)
    return json.loads(raw) if raw else None


def write(store, fingerprint: dict[str, Any]) -> None:  # noqa: ANN001
    store.set_meta(META_KEY, json.dumps(fingerprint, sort_keys=True))


def settings_for(settings: Settings, fingerprint: dict[str, Any] | None) -> Settings:
    """``settings`` with the chunker a generation was built with, so keeping an older generation fresh
    cuts new and changed files the way the rest of it was cut."""
    chunk = (fingerprint or {}).get("chunk")
    if not chunk:
        return settings
    chunk = {"sentence_ends": False, **chunk}  # generations built before chunks ended at sentence ends
    if chunk == settings.chunk.model_dump():
        return settings
    return settings.model_copy(update={"chunk": ChunkSettings(**chunk)})
