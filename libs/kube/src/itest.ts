/**
 * Shared helpers of this package's *.integration.test.ts files (not exported from index.ts).
 */
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeClient, type KubeClientOptions } from "./client.ts";
import { CoreResources } from "./types.ts";
import type { KubeConfig } from "@kubernetes/client-node";

/**
 * True when kube-apiserver and etcd can be found without building them (a build takes ~20 min,
 * far too long to start from a test). Set CERTKEEPER_REQUIRE_CONTROL_PLANE=1 to fail instead.
 */
export function controlPlaneBinariesPresent(): boolean {
  if (process.env.CERTKEEPER_REQUIRE_CONTROL_PLANE === "1") return true;
  if (process.env.KUBEBUILDER_ASSETS) return true;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "kube-apiserver")) && existsSync(join(dir, "etcd"))) return true;
  }
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "certkeeper", "control-plane");
  if (!existsSync(cache)) return false;
  return readdirSync(cache).some(
    (d) => existsSync(join(cache, d, "kube-apiserver")) && existsSync(join(cache, d, "etcd")),
  );
}

export function clientFor(kc: KubeConfig, opts: KubeClientOptions = {}): KubeClient {
  return new KubeClient(kc, { userAgent: "certkeeper-kube-test", ...opts });
}

export async function createNamespace(client: KubeClient, name: string): Promise<string> {
  await client.create(CoreResources.namespaces, { metadata: { name } });
  return name;
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((r) => setTimeout(r, 50));
  }
}
