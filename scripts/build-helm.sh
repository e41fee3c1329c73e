#!/usr/bin/env bash
# Builds the `helm` binary once per version from its published Go module into a cache outside the
# repository and prints its path. Later runs print the cached path at once.
# Helm is not packaged in Debian; the chart tests need a real one for lint, template and install.
set -euo pipefail

HELM_VERSION="${CERTKEEPER_HELM_VERSION:-3.21.4}"
CACHE_ROOT="${CERTKEEPER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certkeeper}"
BIN_DIR="$CACHE_ROOT/bin"
OUT="$BIN_DIR/helm"
STAMP="$BIN_DIR/.helm-version"

if [[ -x "$OUT" && -f "$STAMP" && "$(cat "$STAMP")" == "$HELM_VERSION" ]]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-helm: Go is required to build helm v${HELM_VERSION}" >&2; exit 1; }

echo "build-helm: building helm v${HELM_VERSION} (first run only; takes a few minutes)" >&2
mkdir -p "$BIN_DIR"
partial="$(mktemp -d "${TMPDIR:-/tmp}/certkeeper-helm-build.XXXXXX")"
trap 'rm -rf "$partial"' EXIT
# `helm version` reads this variable; the Makefile sets it the same way for release builds.
CGO_ENABLED=0 GOBIN="$partial" go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION}" \
  "helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}" >&2
mv "$partial/helm" "$OUT"
echo "$HELM_VERSION" >"$STAMP"
echo "build-helm: cached in $OUT" >&2
echo "$OUT"
