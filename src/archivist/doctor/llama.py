"""llama.cpp as this machine can run it: imported in a child process (a native build for another CPU dies with
SIGILL there, not in the doctor), and the instruction-set features it was built with held against this CPU's."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class LlamaProbe:
    """What a child process saw when it imported llama_cpp."""

    ok: bool
    version: str = ""
    system_info: str = ""
    error: str = ""
    illegal_instruction: bool = False


_PROBE = ("import json, llama_cpp; print(json.dumps({'version': llama_cpp.__version__, "
          "'system_info': llama_cpp.llama_print_system_info().decode('utf-8', 'replace')}))")


@cache
def llama_probe() -> LlamaProbe:
    """Import llama_cpp in a child process (a native build for another CPU dies with SIGILL there, not here)."""
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return LlamaProbe(False, error=str(exc))
    if proc.returncode == -signal.SIGILL:
        return LlamaProbe(False, error="killed by SIGILL (illegal instruction)", illegal_instruction=True)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return LlamaProbe(False, error=lines[-1] if lines else f"exit code {proc.returncode}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return LlamaProbe(True, version=data["version"], system_info=data["system_info"])


# llama.cpp's feature names (llama_print_system_info) -> the x86 flag in /proc/cpuinfo that each needs.
X86_FLAGS = {
    "SSE3": "pni", "SSSE3": "ssse3", "SSE42": "sse4_2", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
    "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8",
}


def build_features(system_info: str) -> set[str]:
    """The instruction-set features llama.cpp was compiled with (``AVX2 = 1`` in its system info)."""
    return {name for name, on in re.findall(r"\b([A-Z][A-Z0-9_]*) = (\d)", system_info) if on != "0"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """This CPU's feature flags (x86 Linux), or None where /proc/cpuinfo has none."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    match = re.search(r"^flags\s*:\s*(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else None


def missing_cpu_features(system_info: str, flags: set[str]) -> list[str]:
    """Features the llama.cpp build uses that this CPU lacks (empty: it can run here)."""
    return sorted(f for f in build_features(system_info) if f in X86_FLAGS and X86_FLAGS[f] not in flags)



REBUILD_HINT = ("Build llama-cpp-python on this machine (pip install --force-reinstall --no-cache-dir "
                "--no-binary llama-cpp-python llama-cpp-python), or install a bundle made with "
                "`packaging/build-bundle --portable`.")
