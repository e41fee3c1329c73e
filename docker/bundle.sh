#!/usr/bin/env sh
# Bundles one service into a single ES module with esbuild, for the runtime image:
#   docker/bundle.sh <service> <out-dir>     e.g. docker/bundle.sh controller /out
# Workspace libraries are TypeScript sources (their package exports point at src/), so the image
# does not run them from node_modules: the bundle holds exactly the code main.ts reaches, and
# with it only the production dependencies it imports.
set -eu
service="$1"
out="$2"
entry="services/${service}/src/main.ts"
[ -f "$entry" ] || { echo "bundle: $entry does not exist" >&2; exit 1; }
ESBUILD="${ESBUILD:-esbuild}"
mkdir -p "$out"
"$ESBUILD" "$entry" \
  --bundle \
  --platform=node \
  --target=node20 \
  --format=esm \
  --sourcemap \
  --legal-comments=external \
  --outfile="$out/main.mjs" \
  --banner:js="import { createRequire as __ckCreateRequire } from 'node:module'; const require = __ckCreateRequire(import.meta.url);" \
  --log-level=warning
# Node reads "type" from the nearest package.json; the .mjs extension already says ESM, this keeps
# tools that look for a package.json happy.
printf '{ "name": "@certkeeper/%s-image", "private": true, "type": "module" }\n' "$service" >"$out/package.json"
