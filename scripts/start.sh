#!/usr/bin/env bash
# npm start: install what is missing, then run the local deployment (scripts/start.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh start
# One process with tsx as a loader: tsx's CLI wrapper SIGKILLs its child when that child is slow
# (> 30 ms) to acknowledge a signal sent to the wrapper alone, and Ctrl-C must always stop cleanly.
exec node --import tsx scripts/start.ts
