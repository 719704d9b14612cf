"""The question-file format (JSON Lines), one object per line:

```json
{"id": "backup-1", "question": "How long are daily restore points kept?",
 "sources": [{"path": "runbooks/backup-restore.md", "lines": [15, 21]}],
 "answer": "35 days"}
{"id": "absent-1", "question": "What is the airspeed of the lunar ferry?", "answerable": false}
```

- ``sources``: where the evidence is. ``path`` is matched against the end of indexed paths (so a path
  relative to the added folder works), ``page`` is 1-based (PDF), ``lines`` an inclusive range that a
  passage must overlap. Omit page/lines to accept any passage of the file.
- ``answer``: optional short expected answer; numbers are compared after normalisation (``1,184`` =
  ``1184``, ``35%`` = ``35 percent``, ``$2.1 billion`` = ``2.1 billion``).
- ``answerable``: false when the documents do not hold the answer (Archivist should abstain).
- ``format``: optional regular expression the answer must match (the team's declared format).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from archivist.errors import ConfigError


@dataclass(frozen=True)
class Source:
    path: str
    page: int | None = None
    lines: tuple[int, int] | None = None

    def matches(self, path: Path, page: int | None, line_start: int | None, line_end: int | None) -> bool:
        wanted = Path(self.path)
        if not (path == wanted or str(path).endswith("/" + self.path.lstrip("/")) or path.name == self.path):
            return False
        if self.page is not None and page != self.page:
            return False
        if self.lines is not None:
            if line_start is None:
                return False
            end = line_end if line_end is not None else line_start
            return line_start <= self.lines[1] and end >= self.lines[0]
        return True


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    sources: tuple[Source, ...] = ()
    answer: str | None = None
    answerable: bool = True
    tags: tuple[str, ...] = field(default=())
    format: str | None = None
    """A regular expression the answer must match (the team's declared format, e.g. ``^- `` for bullets)."""


def load_questions(path: Path) -> list[Question]:
    """Read a question file.

    Raises:
        ConfigError: missing file, invalid JSON, or a line without ``question`` (the line is named).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"Question file {path} does not exist.", hint="Pass a .jsonl file.") from None
    out: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            raw = json.loads(line)
            sources = tuple(
                Source(s["path"], s.get("page"), tuple(s["lines"]) if s.get("lines") else None)  # type: ignore[arg-type]
                for s in raw.get("sources", []))
            out.append(Question(str(raw.get("id", number)), raw["question"], sources, raw.get("answer"),
                                bool(raw.get("answerable", True)), tuple(raw.get("tags", ())), raw.get("format")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a valid question ({exc}).",
                              hint="Each line is a JSON object with at least \"question\"; see README.") from None
    if not out:
        raise ConfigError(f"{path} holds no questions.", hint="Add one JSON object per line.")
    return out
