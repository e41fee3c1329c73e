#!/usr/bin/env bash
# Installs what certkeeper's main job and tests need on a Debian machine with Node.js 20 and Go.
# Safe to run any number of times: each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "setup: $*" >&2; }
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"

# --- Debian packages ---------------------------------------------------------------------
need_pkgs=()
command -v nats-server >/dev/null || [[ -x /usr/sbin/nats-server ]] || need_pkgs+=(nats-server)
command -v pebble >/dev/null || need_pkgs+=(pebble)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v docker-compose >/dev/null || need_pkgs+=(docker-compose)
command -v keytool >/dev/null || need_pkgs+=(default-jre-headless)
if ((${#need_pkgs[@]})); then
  log "installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# --- Node.js toolchain ---------------------------------------------------------------------
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [[ "$node_major" -lt 20 ]]; then
  log "Node.js 20 or newer is required (found: $(node -v 2>/dev/null || echo none))"
  exit 1
fi
PNPM_VERSION=10.34.9
if ! command -v pnpm >/dev/null || [[ "$(pnpm -v)" != "$PNPM_VERSION" ]]; then
  log "installing pnpm $PNPM_VERSION"
  $SUDO npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent

# --- Kubernetes control plane binaries (cached outside the repo, built once) ------------------
if [[ -z "${KUBEBUILDER_ASSETS:-}" ]] && ! { command -v kube-apiserver >/dev/null && command -v etcd >/dev/null; }; then
  bash scripts/build-control-plane.sh >/dev/null
fi
# --- helm (not in Debian): built once from its Go module, cached outside the repo -------------
command -v helm >/dev/null || bash scripts/build-helm.sh >/dev/null
log "ready"
