"""The format checks a team declares for its adapter, and a style score (share of checks passed).

A ``style.json`` beside the examples, every key optional::

    {"regex": ["^- "], "forbid": ["^(Sure|Here)"], "sections": ["Summary", "Findings"],
     "min_bullets": 1, "max_bullets": 3, "max_chars": 400, "cite": true, "json_schema": {...}}

Checks run on the model's own text (before Archivist's grounding re-renders it), line by line where it
matters: a bullet is a line starting with ``-``, ``*`` or ``•``; a section is a line starting with its name
and a colon.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from archivist.errors import ConfigError

_BULLET = re.compile(r"^\s*[-*•]\s+\S")
_MARKER = re.compile(r"\[\d+\]")


@dataclass
class StyleChecks:
    """Declared checks; each one passes or fails on a text."""

    regex: list[str] = field(default_factory=list)
    """Patterns that must each match somewhere (multi-line mode: ``^`` is the start of a line)."""
    forbid: list[str] = field(default_factory=list)
    """Patterns that must not match."""
    sections: list[str] = field(default_factory=list)
    """Section names that must each start a line (``Summary:``), in this order."""
    min_bullets: int | None = None
    max_bullets: int | None = None
    max_chars: int | None = None
    cite: bool = False
    """Every bullet (or, without bullets, the text) carries a ``[n]`` citation marker."""
    json_schema: dict | None = None
    """The text must be JSON valid against this schema."""

    @classmethod
    def from_dict(cls, data: dict, source: str = "style checks") -> StyleChecks:
        """Raises: ConfigError: an unknown key or an invalid regular expression."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{source}: unknown check(s) {sorted(unknown)}.",
                              hint=f"Known: {', '.join(cls.__dataclass_fields__)}.")
        checks = cls(**data)
        for pattern in [*checks.regex, *checks.forbid]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{source}: {pattern!r} is not a valid regular expression: {exc}.",
                                  hint="Fix the pattern.") from None
        return checks

    @classmethod
    def load(cls, path: Path) -> StyleChecks:
        """Raises: ConfigError: unreadable, not JSON, or invalid checks."""
        try:
            return cls.from_dict(json.loads(path.read_text()), path.name)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"Cannot read the style checks {path}: {exc}.", hint="Write a JSON object.") from None

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], False)}

    def __bool__(self) -> bool:
        return bool(self.to_json())

    def results(self, text: str) -> dict[str, bool]:
        """Each declared check's outcome on ``text``."""
        text = text.strip()
        lines = [line for line in text.splitlines() if line.strip()]
        bullets = [line for line in lines if _BULLET.match(line)]
        out: dict[str, bool] = {}
        for pattern in self.regex:
            out[f"regex {pattern}"] = re.search(pattern, text, re.MULTILINE) is not None
        for pattern in self.forbid:
            out[f"forbid {pattern}"] = re.search(pattern, text, re.MULTILINE) is None
        if self.sections:
            found = [next((i for i, line in enumerate(lines) if re.match(rf"\s*\**{re.escape(name)}\**\s*:", line,
                                                                         re.IGNORECASE)), None)
                     for name in self.sections]
            out["sections"] = all(i is not None for i in found) and found == sorted(found)  # type: ignore[type-var]
        if self.min_bullets is not None:
            out[f"at least {self.min_bullets} bullets"] = len(bullets) >= self.min_bullets
        if self.max_bullets is not None:
            out[f"at most {self.max_bullets} bullets"] = len(bullets) <= self.max_bullets
        if self.max_chars is not None:
            out[f"at most {self.max_chars} characters"] = len(text) <= self.max_chars
        if self.cite:
            units = bullets or [text]
            out["cites"] = bool(text) and all(_MARKER.search(u) for u in units)
        if self.json_schema is not None:
            out["json schema"] = _json_valid(text, self.json_schema)
        return out

    def score(self, text: str) -> float:
        """Share of the checks ``text`` passes (1.0 with no checks)."""
        results = self.results(text)
        return sum(results.values()) / len(results) if results else 1.0


def mean_score(checks: StyleChecks, texts: Iterable[str]) -> float:
    """The average style score over ``texts`` (0.0 for none)."""
    scores = [checks.score(t) for t in texts]
    return round(statistics.fmean(scores), 4) if scores else 0.0


def _json_valid(text: str, schema: dict) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    try:
        import jsonschema
    except ImportError:  # the `dev` extra has it; without it, check the top-level type and required keys
        kinds = {"object": dict, "array": list, "string": str, "number": (int, float), "boolean": bool}
        kind = kinds.get(schema.get("type", ""), object)
        return isinstance(value, kind) and all(k in value for k in schema.get("required", []) if isinstance(value,
                                                                                                          dict))
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError:
        return False
    return True
