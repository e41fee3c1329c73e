#!/usr/bin/env bash
# The main job: a certificate issued end to end on a local default setup.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm --silent main "$@"
