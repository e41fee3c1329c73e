#!/bin/sh
# One-shot job of docker-compose.yml: waits for k3s, writes a kubeconfig the services can use
# (server https://k3s:6443 instead of 127.0.0.1), then installs the CRDs and the webhook
# configurations. Safe to run again (kubectl apply).
set -eu
src=/k3s-output/kubeconfig.yaml
out=/kube/config
echo "setup: waiting for k3s to write its kubeconfig"
i=0
until [ -s "$src" ]; do
  i=$((i + 1)); [ "$i" -le 180 ] || { echo "setup: k3s wrote no kubeconfig in 3 minutes" >&2; exit 1; }
  sleep 1
done
sed 's#https://127.0.0.1:6443#https://k3s:6443#' "$src" >"$out.tmp"
chmod 0644 "$out.tmp"
mv "$out.tmp" "$out"
export KUBECONFIG="$out"
echo "setup: waiting for the API server"
i=0
until kubectl get --raw /readyz >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -le 180 ] || { echo "setup: the API server is not ready after 3 minutes" >&2; exit 1; }
  sleep 1
done
kubectl apply --server-side -f /manifests/crds.yaml
kubectl wait --for condition=established --timeout=60s \
  crd/certificates.cert-manager.io crd/certificaterequests.cert-manager.io \
  crd/issuers.cert-manager.io crd/clusterissuers.cert-manager.io \
  crd/orders.acme.cert-manager.io crd/challenges.acme.cert-manager.io
kubectl apply -f /manifests/webhook.yaml
echo "setup: done. Issuers to try: kubectl apply -f docker/k8s/issuers.yaml"
