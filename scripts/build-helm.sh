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

# Bump the suffix when the build recipe changes, so cached binaries are rebuilt.
WANT_STAMP="${HELM_VERSION}+k8s-capabilities"
if [[ -x "$OUT" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT_STAMP" ]]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-helm: Go is required to build helm v${HELM_VERSION}" >&2; exit 1; }

echo "build-helm: building helm v${HELM_VERSION} (first run only; takes a few minutes)" >&2
mkdir -p "$BIN_DIR"
partial="$(mktemp -d "${TMPDIR:-/tmp}/certkeeper-helm-build.XXXXXX")"
trap 'rm -rf "$partial"' EXIT
# Helm's Makefile stamps the version and the Kubernetes version that `helm template` and `helm lint`
# assume (.Capabilities.KubeVersion): client-go v0.N.x is Kubernetes 1.N. Without these a plain
# `go install` reports v1.20.0 and refuses charts that need a newer cluster.
gomod="$(go mod download -json "helm.sh/helm/v3@v${HELM_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
k8s_minor="$(sed -n 's#^[[:space:]]*k8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$gomod" | head -1)"
[[ -n "$k8s_minor" ]] || { echo "build-helm: cannot find client-go's version in $gomod" >&2; exit 1; }
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION}"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags="$ldflags -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=${k8s_minor}"
done
CGO_ENABLED=0 GOBIN="$partial" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}" >&2
mv "$partial/helm" "$OUT"
echo "$WANT_STAMP" >"$STAMP"
echo "build-helm: cached in $OUT" >&2
echo "$OUT"
