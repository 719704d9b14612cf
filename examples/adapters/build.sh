#!/usr/bin/env bash
# Rebuild the two example adapters (models/adapters/brief.gguf, memo.gguf + sidecars) with Archivist's own
# pipeline: write the example sets, train, convert, evaluate, and register only if the evaluation allows.
#   examples/adapters/build.sh            (from the checkout, after packaging/bootstrap.sh; ~5-10 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCH=.venv/bin/archivist
export ARCHIVIST_PASSPHRASE=${ARCHIVIST_PASSPHRASE:-example-adapters-build}  # the throw-away eval index only
.venv/bin/python examples/adapters/make_examples.py
"$ARCH" adapters train --data examples/adapters/brief/examples.jsonl --name brief \
  --description "At most three cited bullets, no preamble." --epochs 6 --lr 2e-3 --promote --replace "$@"
"$ARCH" adapters train --data examples/adapters/memo/examples.jsonl --name memo \
  --description "A Summary line, then a Findings line; every claim cited." --epochs 6 --lr 2e-3 --promote --replace "$@"
"$ARCH" adapters list
