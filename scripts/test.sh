#!/usr/bin/env bash
# npm test: install what is missing, type-check, then run every test (unit, integration
# against a real ejabberd, browser tests in Debian's Chromium). Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh test
echo "Type-checking…"
node_modules/.bin/tsc --noEmit -p tsconfig.json
exec node_modules/.bin/vitest run "$@"
