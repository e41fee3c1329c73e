#!/usr/bin/env bash
# Runs every check and test: generated files current, typecheck, lint, unit + integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm gen:check
pnpm typecheck
pnpm lint
pnpm test
