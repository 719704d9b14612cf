"""One error tree. Every error says what was wrong and what to do next.

The CLI prints ``str(error)`` as one line on stderr and exits with code 2; the TUI shows it in a modal.
"""

from __future__ import annotations


class ArchivistError(Exception):
    """Base of every error a user can act on."""

    title = "Error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigError(ArchivistError):
    title = "Configuration error"


class WrongPassphrase(ArchivistError):
    title = "Wrong passphrase"


class PassphraseMissing(ArchivistError):
    title = "Passphrase needed"


class StoreError(ArchivistError):
    title = "Index error"


class IndexBusy(ArchivistError):
    """Another process is already writing to the index (one writer at a time)."""

    title = "Index busy"


class DiskFull(ArchivistError):
    title = "Disk full"


class FolderNotFound(ArchivistError):
    title = "Folder not found"


class AccessDenied(ArchivistError):
    """The current profile may not read or change this folder or file."""

    title = "Not allowed"


class ModelError(ArchivistError):
    title = "Model error"


class AdapterError(ArchivistError):
    """A LoRA adapter is unknown, unreadable, or does not fit the loaded base model."""

    title = "Adapter error"


class ExtractionError(ArchivistError):
    """A single file could not be read; indexing goes on and the file is recorded as failed."""

    title = "Could not read file"


class SkipFile(ExtractionError):
    """The file is not something to index (binary, empty, unsupported); recorded as skipped."""

    title = "File skipped"
