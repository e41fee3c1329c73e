/** Applies the six cert-manager CRDs (from @certkeeper/api) and waits until they are Established. */
import { allCrds } from "@certkeeper/api";
import { KubeClient, type KubeObject } from "@certkeeper/kube";
import type { KubeConfig } from "@kubernetes/client-node";

const CRD_RESOURCE = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  namespaced: false,
  kind: "CustomResourceDefinition",
} as const;

interface CrdStatus extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export async function applyCrds(kc: KubeConfig, timeoutMs = 30_000): Promise<void> {
  const client = new KubeClient(kc);
  try {
    const crds = allCrds() as unknown as KubeObject[];
    for (const crd of crds) {
      await client.apply(CRD_RESOURCE, crd, { fieldManager: "certkeeper-installer", force: true });
    }
    const deadline = Date.now() + timeoutMs;
    for (const crd of crds) {
      for (;;) {
        const got = await client.get<CrdStatus>(CRD_RESOURCE, undefined, crd.metadata.name!);
        if (got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
        if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not Established after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await client.close();
  }
}
