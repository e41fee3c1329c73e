#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the published Go modules, once per version, into a cache
# outside the repository. Prints the directory holding both binaries (usable as KUBEBUILDER_ASSETS).
#
# k8s.io/kubernetes cannot be `go install`ed directly: its go.mod replaces the staging modules
# (k8s.io/api, k8s.io/apiserver, ...) with local paths. A throwaway wrapper module requires it and
# replaces every staging module with the published v0.<minor>.<patch> of the same release.
# etcd's server module has the same shape, so a three-line main calling etcdmain is built the same way.
set -euo pipefail

K8S_VERSION="${CERTKEEPER_K8S_VERSION:-1.33.13}"
ETCD_VERSION="${CERTKEEPER_ETCD_VERSION:-3.5.21}"
CACHE_ROOT="${CERTKEEPER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certkeeper}"
OUT="$CACHE_ROOT/control-plane/k8s-v${K8S_VERSION}-etcd-v${ETCD_VERSION}"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/etcd" ]]; then
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { echo "build-control-plane: Go is required to build kube-apiserver and etcd (or set KUBEBUILDER_ASSETS)" >&2; exit 1; }

minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
staging_version="v0.${K8S_VERSION#*.}"
work="$(mktemp -d "${TMPDIR:-/tmp}/certkeeper-cp-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT.partial"

log() { echo "build-control-plane: $*" >&2; }

# --- kube-apiserver -------------------------------------------------------------------------
log "building kube-apiserver v${K8S_VERSION} (first run only; takes several minutes)"
mkdir -p "$work/k8s"
(
  cd "$work/k8s"
  go mod init certkeeper.local/kube-apiserver-build >/dev/null 2>&1
  go mod edit -go=1.24.0 -require="k8s.io/kubernetes@v${K8S_VERSION}"
  go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" >"$work/k8s.json"
  gomod="$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "$work/k8s.json")"
  for mod in $(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$gomod"); do
    go mod edit -replace="${mod}=${mod}@${staging_version}"
  done
  cat >tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go mod tidy >&2
  pkg=k8s.io/component-base/version
  ldflags="-s -w -X ${pkg}.gitVersion=v${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean"
  pkg=k8s.io/client-go/pkg/version
  ldflags="$ldflags -X ${pkg}.gitVersion=v${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor}"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$OUT.partial/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
)

# --- etcd -----------------------------------------------------------------------------------
log "building etcd v${ETCD_VERSION}"
mkdir -p "$work/etcd"
(
  cd "$work/etcd"
  go mod init certkeeper.local/etcd-build >/dev/null 2>&1
  cat >main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go mod edit -require="go.etcd.io/etcd/server/v3@v${ETCD_VERSION}"
  for mod in api/v3 client/pkg/v3 client/v3 pkg/v3 raft/v3; do
    go mod edit -replace="go.etcd.io/etcd/${mod}=go.etcd.io/etcd/${mod}@v${ETCD_VERSION}"
  done
  go mod edit -replace="go.etcd.io/etcd/client/v2=go.etcd.io/etcd/client/v2@v2.305.${ETCD_VERSION##*.}"
  go mod tidy >&2
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT.partial/etcd" .
)

rm -rf "$OUT"
mv "$OUT.partial" "$OUT"
log "cached in $OUT"
echo "$OUT"
