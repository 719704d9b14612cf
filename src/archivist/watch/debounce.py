"""Per-path debounce: a path is handed out only after it has been quiet for ``delay`` seconds."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from pathlib import Path


class Debouncer:
    """Collects touched paths (and whole-folder rescans) and releases them once quiet. Thread-safe.

    Args:
        delay: seconds a path must stay quiet before it is released.
        group: the group a path is counted in (``counts``), e.g. its folder; by default one group.
    """

    def __init__(self, delay: float = 1.0, group: Callable[[Path], Hashable] | None = None) -> None:
        self.delay = delay
        self._paths: dict[Path, float] = {}
        self._rescans: dict[Path, float] = {}
        self._group = group or (lambda path: None)
        self._counts: Counter[Hashable] = Counter()
        self._cond = threading.Condition()

    def touch(self, path: Path, now: float | None = None) -> None:
        """``path`` changed: release it once it has been quiet for ``delay``."""
        self._queue(self._paths, path, now)

    def rescan(self, folder: Path, now: float | None = None) -> None:
        """A directory-level change (a folder moved or deleted): rescan ``folder`` once things settle."""
        self._queue(self._rescans, folder, now)

    def _queue(self, queue: dict[Path, float], path: Path, now: float | None) -> None:
        with self._cond:
            if path not in queue:
                self._counts[self._group(path)] += 1
            queue[path] = time.monotonic() if now is None else now
            self._cond.notify()

    def __len__(self) -> int:
        with self._cond:
            return len(self._paths) + len(self._rescans)

    def counts(self) -> dict[Hashable, int]:
        """How many paths and rescans wait, per group (kept as they come and go: no walk over the queue)."""
        with self._cond:
            return dict(self._counts)

    def take_due(self, now: float | None = None) -> tuple[list[Path], list[Path]]:
        """Paths and rescans quiet for ``delay``; they leave the queue. Existing paths come first, so a
        move's new path is seen (and recognised by its hash) before its old path is dropped."""
        now = time.monotonic() if now is None else now
        with self._cond:
            paths = [p for p, t in self._paths.items() if now - t >= self.delay]
            rescans = [f for f, t in self._rescans.items() if now - t >= self.delay]
            for p in paths:
                del self._paths[p]
            for f in rescans:
                del self._rescans[f]
            self._counts.subtract(self._group(p) for p in [*paths, *rescans])
            self._counts = +self._counts  # drop the groups with nothing left
        # os.path.exists, not Path.exists: the latter raises PermissionError (a folder without +x), which
        # would end the watcher's worker thread.
        paths.sort(key=lambda p: (not os.path.exists(p), str(p)))
        return paths, rescans

    def wait(self, timeout: float) -> None:
        """Sleep until something is touched or ``timeout`` passes."""
        with self._cond:
            self._cond.wait(timeout)

    def next_due_in(self, now: float | None = None) -> float | None:
        now = time.monotonic() if now is None else now
        with self._cond:
            times = list(self._paths.values()) + list(self._rescans.values())
        if not times:
            return None
        return max(0.0, min(times) + self.delay - now)
