"""Setting up and checking an installation: where things are, the first run's profile, ``archivist doctor``.

None of these needs the passphrase or an open index; ``archivist.doctor`` does the checking.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from archivist.doctor.checks import FAIL, OK, SKIP, WARN
from archivist.paths import Paths

__all__ = ["FAIL", "OK", "SKIP", "WARN", "diagnose", "index_database", "locations", "privacy_report", "set_profile",
           "write_top_level_key"]

PROFILE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def index_database(paths: Paths) -> Path:
    """The index file that answers now (``index.db`` until another generation is promoted)."""
    from archivist.index.generations import current_database

    return current_database(paths)


def locations(paths: Paths) -> list[tuple[str, Path]]:
    """Where Archivist keeps its config, data, index, cache, models and watch log (``archivist locate``)."""
    return [("config", paths.config_file), ("data", paths.data_dir), ("index", index_database(paths)),
            ("cache", paths.cache_dir), ("models", paths.models_dir), ("log", paths.watch_log)]


def diagnose(paths: Paths) -> list[Any]:
    """Check that this installation works offline (``doctor.checks``): each check's ``name``, ``status`` (one
    of ``OK``, ``WARN``, ``FAIL``, ``SKIP``), ``detail`` and ``fix``."""
    from archivist.doctor.checks import diagnose as run_checks

    return run_checks(paths)


def privacy_report(paths: Paths) -> Any:  # noqa: ANN401 - doctor.privacy.PrivacyReport
    """The egress guard, the offline switches, where data lives and its permissions (``doctor --privacy``)."""
    from archivist.doctor.privacy import privacy_report as report

    return report(paths)


def set_profile(paths: Paths, profile: str) -> None:
    """Write ``profile = "..."`` at the top of config.toml.

    Raises:
        ConfigError: the name is not allowed.
    """
    from archivist.errors import ConfigError

    if not PROFILE_RE.match(profile):
        raise ConfigError(f"Profile name {profile!r} is not allowed.",
                          hint="Use 1-40 letters, digits, '.', '_' or '-'.")
    write_top_level_key(paths, "profile", profile)


def write_top_level_key(paths: Paths, key: str, value: str) -> None:
    """Set ``key = "value"`` at the top level of config.toml (replacing an existing top-level ``key``), keeping
    every other line; written atomically at 0600 in a 0700 folder."""
    import json

    from archivist.storage.private import write_private

    line = f"{key} = {json.dumps(value)}"  # a JSON string is a valid TOML basic string
    config = paths.config_file
    lines = config.read_text().splitlines() if config.is_file() else []
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    first_table = next((i for i, text in enumerate(lines) if text.lstrip().startswith("[")), len(lines))
    found = next((i for i in range(first_table) if pattern.match(lines[i])), None)
    if found is not None:
        lines[found] = line
    else:
        lines.insert(0, line)  # top-level keys must come before the first [table]
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.config_dir, 0o700)
    write_private(config, "\n".join(lines) + "\n")
