"""Offline by construction: the telemetry, update-check and hub switches of every dependency, set before any of
them is imported.

``enforce_offline`` runs first thing in every entry point (the ``archivist`` command, hence the TUI, the watch
daemon it starts and the systemd unit; the benchmarks; the tests' own processes); every process Archivist starts
inherits the switches through its environment. The libraries read them once, when they load: set later, they
change nothing. The README's privacy section has the audit of every dependency behind this list.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

SWITCHES: dict[str, str] = {
    # ONNX Runtime >= 1.29 (Linux wheels): telemetry is on by default; importing the library writes a device id and
    # an event database under $XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime, queued for upload, and a
    # session file $TMPDIR/.ses. Read when the library loads; ORT_TELEMETRY_DISABLED changes nothing (both
    # measured on 1.32.0).
    "ORT_DISABLE_TELEMETRY": "1",
    # Hugging Face hub, transformers, sentence-transformers, peft: never look for or download a model, never
    # send a usage ping, never send a stored token, never check for updates.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",
    # The cross-tool opt-outs (https://donottrack.sh; chromadb-style ANONYMIZED_TELEMETRY), for any library that
    # honours them rather than a switch of its own.
    "DO_NOT_TRACK": "1",
    "ANONYMIZED_TELEMETRY": "False",
    # Not privacy: tokenizers' warning (and deadlock risk) when a process that used it forks a child.
    "TOKENIZERS_PARALLELISM": "false",
}
"""Every switch, with the value Archivist forces (whatever the environment said)."""

SWITCH_PURPOSE: dict[str, str] = {
    "ORT_DISABLE_TELEMETRY": "ONNX Runtime telemetry off (no device id, no event queue)",
    "HF_HUB_OFFLINE": "Hugging Face hub offline: no model lookups or downloads",
    "TRANSFORMERS_OFFLINE": "transformers offline",
    "HF_DATASETS_OFFLINE": "datasets offline",
    "HF_HUB_DISABLE_TELEMETRY": "Hugging Face usage pings off",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "a stored Hugging Face token is never sent",
    "HF_HUB_DISABLE_UPDATE_CHECK": "Hugging Face update checks off",
    "DO_NOT_TRACK": "the cross-tool telemetry opt-out",
    "ANONYMIZED_TELEMETRY": "the chromadb-style telemetry opt-out",
    "TOKENIZERS_PARALLELISM": "tokenizers' fork warning off (not privacy)",
}
"""What each switch is for, as ``archivist doctor --privacy`` prints it."""


def enforce_offline() -> None:
    """Set every switch (overriding the environment: Archivist never downloads or reports at run time)."""
    os.environ.update(SWITCHES)


def keep_torch_caches_in(folder: Path) -> None:
    """Point torch's compiler caches into ``folder`` (inside one of Archivist's own folders), unless the user chose
    a place. Importing peft or sentence-transformers loads ``torch._dynamo``, which creates
    ``$TMPDIR/torchinductor_$USER`` at import even when nothing is compiled (measured on torch 2.13): call this
    before they load."""
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(folder / "inductor"))
    os.environ.setdefault("TRITON_CACHE_DIR", str(folder / "triton"))


def missing_switches() -> list[str]:
    """The switches not set to Archivist's value in this process (empty: all in force)."""
    return [name for name, value in SWITCHES.items() if os.environ.get(name) != value]


def load_onnxruntime() -> ModuleType:
    """Import ONNX Runtime with its telemetry off: the switches first (a no-op when the entry point already set
    them), then the library's own switch for the events of this process.

    The switch must come first: the import itself writes the device id and event database. Call this instead of
    ``import onnxruntime`` everywhere Archivist loads it.
    """
    enforce_offline()
    import onnxruntime

    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:  # present on every platform since 1.x; a no-op where telemetry was never built in
        disable()
    return onnxruntime
