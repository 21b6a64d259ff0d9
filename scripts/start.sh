#!/usr/bin/env bash
# npm start: install what is missing, then run the local deployment (scripts/start.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh start
exec node_modules/.bin/tsx scripts/start.ts
