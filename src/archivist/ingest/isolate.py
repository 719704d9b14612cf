"""Extraction in a child process under a memory limit and a time budget, so that no file can stop a run.

Parsers are where hostile files bite: a zip bomb that inflates to gigabytes, markup nested a hundred thousand
deep, a PDF that sends a native library into a loop or a crash. In the indexing process each of these stopped
the whole run (or the machine). Here one long-lived child reads file after file: its address space is capped
(``RLIMIT_AS``), it has no core dumps (a core would hold document text in clear), and the parent waits for each
answer only as long as the budget allows. A child that runs out of memory, crashes or overruns is killed and
replaced; the file is recorded with the reason, and the run goes on with the next one.

Protocol: length-prefixed JSON frames over two pipes that are not stdin/stdout (a library that prints cannot
corrupt it). JSON rather than pickle: the parent never unpickles what a process reading hostile files wrote.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from archivist.errors import ExtractionError, SkipFile
from archivist.ingest.archive import ZipLimits
from archivist.ingest.base import Block, Document

_HEADER = struct.Struct("!Q")
MAX_REPLY_BYTES = 2_000_000_000
"""A reply longer than this is refused (a broken or hostile child cannot make the parent allocate more)."""


class ReadBudget:
    """The limits one child works under: memory for the whole child, time per file, zip limits."""

    def __init__(self, *, memory_mb: int = 1024, timeout_s: float = 120.0, zip_limits: ZipLimits | None = None):
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.zip_limits = zip_limits or ZipLimits()


def budget_from(index_settings) -> ReadBudget:  # noqa: ANN001 - settings.IndexSettings
    """The sandbox's limits from ``[index]`` settings (extract_memory_mb, extract_timeout_s, zip limits)."""
    from archivist.ingest.archive import MB

    s = index_settings
    return ReadBudget(memory_mb=s.extract_memory_mb, timeout_s=s.extract_timeout_s,
                      zip_limits=ZipLimits(max_unpacked_bytes=int(s.max_unpacked_mb * MB),
                                           max_entries=s.max_zip_entries, max_ratio=s.max_unpacked_ratio))


def _write_frame(fd: int, payload: dict) -> None:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes | None:
    """``n`` bytes from ``fd``; None at end of file; TimeoutError past ``deadline``."""
    chunks: list[bytes] = []
    left = n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int, deadline: float | None) -> dict | None:
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > MAX_REPLY_BYTES:
        raise ValueError(f"reply of {size} bytes")
    body = _read_exact(fd, size, deadline)
    return None if body is None else json.loads(body)


# -- the parent ------------------------------------------------------------------------------------------------


class ExtractionSandbox:
    """Reads files in a child process; thread-safe (one file at a time), restarted after any failure.

    Args:
        budget: the child's memory limit, the time budget per file and the zip limits.
    """

    def __init__(self, budget: ReadBudget) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._to_child = -1
        self._from_child = -1
        self._owner = os.getpid()
        self.restarts = 0
        """Children replaced after a crash, a timeout or an exhausted memory limit (tests read it)."""
        self.on_progress: Callable[[Path, int, int], None] | None = None
        """Hears how far every long read has come (path, pages done, pages in all) when ``extract`` is given no
        ``progress`` of its own: the command line's progress bar shows the page of a scan being OCRed."""

    def extract(self, path: Path, *, max_bytes: int | None = None,
                progress: Callable[[int, int], None] | None = None) -> Document:
        """Like ``archivist.ingest.extract``, in the child. ``progress(done, total)`` hears how far a long read
        (the pages of a scan) has come; each such report starts the time budget afresh.

        Raises:
            SkipFile, ExtractionError: as ``extract`` does, and ExtractionError when the file takes longer than
                the budget, needs more memory than the limit, or crashes the reader.
        """
        request = {"path": str(path), "max_bytes": max_bytes, "limits": asdict(self.budget.zip_limits)}
        with self._lock:
            self._ensure()
            try:
                _write_frame(self._to_child, request)
                reply = _read_frame(self._from_child, time.monotonic() + self.budget.timeout_s)
                while reply is not None and "progress" in reply:  # a sign of life: a new budget from now
                    done, total = (int(n) for n in reply["progress"])
                    if progress is not None:
                        progress(done, total)
                    elif self.on_progress is not None:
                        self.on_progress(path, done, total)
                    reply = _read_frame(self._from_child, time.monotonic() + self.budget.timeout_s)
            except TimeoutError:
                self._kill()
                raise ExtractionError(
                    f"{path.name}: reading took longer than {self.budget.timeout_s:g} s and was stopped.",
                    hint="Raise index.extract_timeout_s if the file is genuine, or exclude it.") from None
            except (BrokenPipeError, ValueError, OSError):
                reply = None
            except BaseException:
                # Interrupted mid-exchange (Ctrl-C): the child's answer to this request would be read as the
                # answer to the next one. Start afresh.
                self._kill()
                raise
            if reply is None:
                reason = self._died()
                raise ExtractionError(f"{path.name}: {reason}",
                                      hint="The file was left out; the rest of the folder goes on.")
        return _answer(path, reply)

    def close(self) -> None:
        """Stop the child (it would also end by itself when this process exits: its request pipe closes)."""
        with self._lock:
            self._kill()

    def abort(self) -> None:
        """Stop the read in progress now, from any thread: the child is killed and the thread waiting in
        ``extract`` gets ExtractionError (a read-ahead no one will use must not hold a run for its time budget).
        The next ``extract`` starts a new child."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                # Reaped before returning: a child killed but not yet gone still polls as running, and the next
                # ``extract`` would send its request to it and record the file as "killed while reading it".
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    # -- the child's life ----------------------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._owner != os.getpid():  # a fork inherited the handle: the child belongs to the parent
            self._proc, self._owner = None, os.getpid()
        if self._proc is not None and self._proc.poll() is None:
            return
        self._close_pipes()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "archivist.ingest.isolate", str(self.budget.memory_mb), str(req_r),
                 str(rep_w)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(req_r, rep_w), close_fds=True, env=_child_env())
        finally:
            os.close(req_r)
            os.close(rep_w)
        self._to_child, self._from_child = req_w, rep_r
        for fd in (req_w, rep_r):
            os.set_inheritable(fd, False)

    def _died(self) -> str:
        """Why the child gave no answer (it is gone by now), as the file's reason."""
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._kill()
        self._kill()
        if code == -signal.SIGKILL:
            return "the reader was killed while reading it (out of memory?)."
        if code is not None and code < 0:
            return f"the reader crashed on it ({signal.Signals(-code).name})."
        if code == MEMORY_EXIT:
            return f"reading it needs more than the {self.budget.memory_mb} MB memory limit."
        return f"the reader stopped unexpectedly on it (exit code {code})."

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
            self.restarts += 1
        self._close_pipes()

    def _close_pipes(self) -> None:
        for fd in (self._to_child, self._from_child):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to_child = self._from_child = -1


def _child_env() -> dict[str, str]:
    from archivist.security.offline import SWITCHES

    env = dict(os.environ)
    env.update(SWITCHES)  # the child loads no model library, but nothing it loads may phone home either
    return env


def _answer(path: Path, reply: dict) -> Document:
    if "document" in reply:
        d = reply["document"]
        blocks = [Block(tuple(b["lines"]), b["page"], b["line_start"], tuple(b["heading"])) for b in d["blocks"]]
        return Document(path, d["kind"], blocks, title=d["title"], pages=d["pages"])
    cls = SkipFile if reply.get("skip") else ExtractionError
    raise cls(reply["message"], hint=reply.get("hint"))


_SHARED: dict[tuple, ExtractionSandbox] = {}
_SHARED_LOCK = threading.Lock()


def shared_sandbox(budget: ReadBudget) -> ExtractionSandbox:
    """The process's sandbox for these limits (one child serves every indexer of the process)."""
    key = (budget.memory_mb, budget.timeout_s, astuple_limits(budget.zip_limits))
    with _SHARED_LOCK:
        box = _SHARED.get(key)
        if box is None:
            if not _SHARED:
                atexit.register(_close_all)
            box = _SHARED[key] = ExtractionSandbox(budget)
        return box


def astuple_limits(limits: ZipLimits) -> tuple:
    return tuple(asdict(limits).values())


def _close_all() -> None:
    for box in list(_SHARED.values()):
        box.close()


# -- the child -------------------------------------------------------------------------------------------------

MEMORY_EXIT = 75
"""The child's exit code after a MemoryError (its heap is not trusted after that; the parent starts another)."""


def _limit_self(memory_mb: int) -> None:
    import resource

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the child
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core dump would hold document text in clear
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(requests: int, replies: int) -> int:
    from archivist.ingest.base import extract, progress_to
    from archivist.security import egress

    egress.install()
    # Import the readers before the first file, so their import does not count against its time budget.
    for module in ("pypdfium2", "docx", "lxml.etree", "charset_normalizer", "python_calamine", "pptx", "PIL.Image",
                   "olefile"):
        try:
            __import__(module)
        except ImportError:
            pass
    while True:
        try:
            request = _read_frame(requests, None)
        except (OSError, ValueError):
            return 1
        if request is None:
            return 0  # the parent closed the pipe or exited
        path = Path(request["path"])
        try:
            with progress_to(lambda done, total: _write_frame(replies, {"progress": [done, total]})):
                doc = extract(path, max_bytes=request["max_bytes"], limits=ZipLimits(**request["limits"]))
            reply: dict = {"document": {"kind": doc.kind, "title": doc.title, "pages": doc.pages,
                                        "blocks": [{"lines": list(b.lines), "page": b.page,
                                                    "line_start": b.line_start, "heading": list(b.heading)}
                                                   for b in doc.blocks]}}
        except SkipFile as exc:
            reply = {"skip": True, "message": exc.message, "hint": exc.hint}
        except ExtractionError as exc:
            reply = {"message": exc.message, "hint": exc.hint}
        except MemoryError:
            return MEMORY_EXIT
        except RecursionError:
            reply = {"message": f"{path.name}: nested too deeply to read.", "hint": None}
        except Exception as exc:  # a reader's own bug on a strange file: that file fails, not the run
            reply = {"message": f"{path.name}: could not be read ({type(exc).__name__}: {exc}).",
                     "hint": "Re-save or repair the file; the rest of the folder was indexed."}
        try:
            _write_frame(replies, reply)
        except MemoryError:
            return MEMORY_EXIT
        except OSError:
            return 1
        del reply


def main(argv: list[str]) -> int:
    memory_mb, requests, replies = int(argv[0]), int(argv[1]), int(argv[2])
    _limit_self(memory_mb)
    try:
        return _serve(requests, replies)
    except MemoryError:
        return MEMORY_EXIT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
