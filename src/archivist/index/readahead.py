"""Reading the next file while the current one is embedded.

Extraction runs in the sandbox's child process, so a read started on a helper thread takes no time from the
embedder's runs beyond the CPU the child itself uses: the thread only waits on a pipe. The indexer asks for the
next file's document when it gets there; whether that file needs reading at all (unchanged, moved) is decided
again there, exactly as without a read-ahead, and a document read for content that has changed since is not used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from archivist.ingest import Document


class ReadAhead:
    """At most one file read in the background.

    Args:
        read: reads a file in the sandbox (raises SkipFile / ExtractionError as it does).
        abort: stops the sandbox's read in progress (from any thread).
    """

    def __init__(self, read: Callable[[Path], Document], abort: Callable[[], None]) -> None:
        self._read = read
        self._abort = abort
        self._path: Path | None = None
        self._thread: threading.Thread | None = None
        self._sha: str | None = None
        self._doc: Document | None = None
        self._error: BaseException | None = None
        self._cancelled = threading.Event()

    def start(self, path: Path, needs_read: Callable[[], str | None]) -> None:
        """Begin on ``path``: ``needs_read`` (run on the helper thread: a stat and a hash) returns the content's
        SHA-256 when the file will have to be read, None when not (unchanged, moved, gone)."""
        self.close()
        self._cancelled.clear()
        self._path, self._sha, self._doc, self._error = path, None, None, None

        def work() -> None:
            try:
                sha = needs_read()
                if sha is None or self._cancelled.is_set():
                    return
                self._sha = sha
                self._doc = self._read(path)
            except BaseException as exc:  # noqa: BLE001 - handed to the indexer, which records or raises it
                self._error = exc

        self._thread = threading.Thread(target=work, name="archivist-read-ahead", daemon=True)
        self._thread.start()

    def take(self, path: Path, sha: str) -> Document | None:
        """The document read ahead for ``path`` with content ``sha``; None when there is none (then read it).

        Raises:
            SkipFile, ExtractionError: the read ahead failed with it (recorded as if read now).
        """
        if self._path != path or self._thread is None:
            return None
        self._thread.join()
        self._thread, self._path = None, None
        if self._sha != sha:
            return None  # not read, or read before the file changed again
        if self._error is not None:
            raise self._error
        return self._doc

    def close(self) -> None:
        """Drop a read-ahead no one will take, stopping its read (an error, Ctrl-C, the end of a folder)."""
        thread, self._thread, self._path = self._thread, None, None
        if thread is None:
            return
        self._cancelled.set()
        while thread.is_alive():
            self._abort()
            thread.join(0.05)
