"""Every path Archivist reads or writes is resolved here (``archivist locate`` prints them)."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "archivist"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def checkout_models_dir() -> Path | None:
    """The ``models/`` folder of a source checkout when Archivist runs from one (editable install)."""
    candidate = Path(__file__).resolve().parents[2] / "models"
    return candidate if (candidate / "README.md").is_file() else None


@dataclass(frozen=True)
class Paths:
    """Resolved locations. ``ARCHIVIST_HOME`` puts everything under one folder (demo, tests)."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    runtime_dir: Path
    models_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        return self.data_dir / "index.db"

    @property
    def generations_dir(self) -> Path:
        """Index generations after the first (``index.db`` is generation 1): ``generations/<id>.db``."""
        return self.data_dir / "generations"

    @property
    def generations_manifest(self) -> Path:
        """Which generation answers, and what built each one (ids, states, fingerprints; no document data)."""
        return self.data_dir / "generations.json"

    @property
    def state_database(self) -> Path:
        """Feedback, history, audit trail and forgotten paths: outlives index generations."""
        return self.data_dir / "state.db"

    @property
    def writer_lock(self) -> Path:
        """One writer per index: the lock (and the pid of its holder) lives in the runtime folder."""
        return self.runtime_dir / "index.lock"

    @property
    def service_socket(self) -> Path:
        """The watch daemon's socket: ``search``, ``ask`` and ``status`` are answered through it while it runs
        (``archivist.watch.service``); 0600, in the 0700 runtime folder."""
        return self.runtime_dir / "daemon.sock"

    @property
    def watch_log(self) -> Path:
        """The watch daemon's log: counts and file ids only, never document text or names."""
        return self.data_dir / "watch.log"

    @property
    def adapters_dir(self) -> Path:
        """Team LoRA adapters (``NAME.gguf`` + ``NAME.json`` sidecar), beside the models they fit."""
        return self.models_dir / "adapters"

    @property
    def active_adapter_file(self) -> Path:
        """The adapter chosen with ``archivist adapters use`` (a name and a scale; no secrets)."""
        return self.config_dir / "adapter.json"

    @property
    def temp_dir(self) -> Path:
        return self.cache_dir / "tmp"

    @classmethod
    def resolve(cls) -> Paths:
        home = _env_path("ARCHIVIST_HOME")
        if home is not None:
            config, data, cache, runtime = home / "config", home / "data", home / "cache", home / "run"
        else:
            config = Path(platformdirs.user_config_dir(APP))
            data = Path(platformdirs.user_data_dir(APP))
            cache = Path(platformdirs.user_cache_dir(APP))
            with warnings.catch_warnings():  # no XDG_RUNTIME_DIR (ssh, cron): platformdirs falls back, fine
                warnings.simplefilter("ignore")
                runtime = Path(platformdirs.user_runtime_dir(APP))
        models = _env_path("ARCHIVIST_MODELS_DIR") or checkout_models_dir() or (data / "models")
        return cls(config, data, cache, runtime, models)

    def ensure_private(self, path: Path) -> Path:
        """Create ``path`` as a 0700 directory (data, cache and runtime never readable by others)."""
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        return path
