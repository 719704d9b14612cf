"""The rows the index hands out (folders, files, passages, feedback) and the passages it is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Folder:
    id: int
    path: Path
    profiles: tuple[str, ...] = ("default",)
    """Profiles that may read this folder (``*``: every profile)."""
    exclude: tuple[str, ...] = ()
    """Globs relative to the folder, or absolute paths (forgotten files), never indexed."""

    def readable_by(self, profile: str | None) -> bool:
        return profile is None or profile in self.profiles or "*" in self.profiles


@dataclass(frozen=True)
class FileRow:
    id: int
    folder_id: int
    path: Path
    size: int
    mtime: float
    sha256: str | None
    status: str
    error: str | None
    kind: str | None = None
    extractor: str | None = None


@dataclass(frozen=True)
class PassageText:
    """A passage's text and where it stands in its file: what a passage to write (``NewChunk``) and a stored one
    (``ChunkRow``) share."""

    text: str
    prefix: str
    page: int | None
    line_start: int | None
    line_end: int | None
    heading: str


@dataclass(frozen=True, kw_only=True)
class ChunkRow(PassageText):
    """A stored passage with its provenance (the fields of ``PassageText``, then whose it is)."""

    id: int
    file_id: int
    path: Path
    folder_id: int
    kind: str | None


@dataclass(frozen=True)
class FolderStats:
    """Per-folder counts for the sources view."""

    files: int = 0
    """Files indexed (status ``indexed``)."""
    chunks: int = 0
    skipped: int = 0
    failed: int = 0
    last_indexed_at: str | None = None
    """UTC ISO time of the most recent change written for this folder (None: nothing indexed yet)."""


@dataclass(frozen=True)
class NewChunk(PassageText):
    """A passage ready to be written (see ``Store.replace_file``): the fields of ``PassageText``, then its content
    hash and length."""

    content_hash: str
    n_tokens: int
