/**
 * Starts the local control plane (and NATS) for manual use and waits for Ctrl-C:
 *   pnpm control-plane            # prints the kubeconfig path
 *   kubectl --kubeconfig <path> get certificates -A
 * With --crds the cert-manager CRDs are applied first.
 */
import { startControlPlane, startNats } from "@certkeeper/testing";
import { applyCrds } from "./lib/crds.ts";

const withCrds = process.argv.includes("--crds");
const cp = await startControlPlane();
const nats = await startNats();
if (withCrds) await applyCrds(cp.kubeConfig());
console.log(`kube-apiserver: ${cp.server}`);
console.log(`kubeconfig:     ${cp.kubeconfigPath}`);
console.log(`nats:           ${nats.url}`);
console.log(`logs:           ${cp.workDir}`);
console.log(`\n  kubectl --kubeconfig ${cp.kubeconfigPath} get certificates -A\n\nCtrl-C stops everything.`);
const stop = async () => {
  await nats.stop();
  await cp.stop();
  process.exit(0);
};
process.removeAllListeners("SIGINT");
process.removeAllListeners("SIGTERM");
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
await new Promise(() => {});
