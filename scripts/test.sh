#!/usr/bin/env bash
# `npm test`: install what is missing, then typecheck (the build), lint (with the
# layer check), and run every test file with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== typecheck and build" >&2
rm -rf dist
npx tsc -p tsconfig.json
echo "== lint and layer check" >&2
npx eslint .
npx depcruise src --config .dependency-cruiser.cjs
echo "== tests" >&2
mapfile -t files < <(find dist -name '*.test.js' | sort)
# A hung test fails after 5 minutes instead of stalling CI.
node --test --test-timeout=300000 --test-reporter=spec "${files[@]}"
