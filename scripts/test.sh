#!/usr/bin/env bash
# Runs every check and test: generated files current, typecheck, lint, unit + integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm gen:check
pnpm typecheck
pnpm lint
pnpm format:check
# Unit tests first (no servers), then the suites that start real kube-apiservers, nats-servers
# and Pebble one file at a time: on 2 cores, running both at once only makes each slower.
pnpm test:unit
pnpm test:integration
