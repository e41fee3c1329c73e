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

interface CrdObject extends KubeObject {
  spec: { group: string; scope: string; names: { plural: string }; versions: Array<{ name: string }> };
}

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
        if (Date.now() > deadline)
          throw new Error(`CRD ${crd.metadata.name} not Established after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // Established is not yet servable: until the API server's storage for the new resource is
    // initialised, requests get 429 "storage is (re)initializing". Wait until each one lists.
    for (const crd of crds as unknown as CrdObject[]) {
      const rt = {
        group: crd.spec.group,
        version: crd.spec.versions[0]!.name,
        plural: crd.spec.names.plural,
        namespaced: crd.spec.scope === "Namespaced",
      };
      for (;;) {
        const ok = await client.list(rt, { limit: 1 }).then(
          () => true,
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline)
          throw new Error(`CRD ${crd.metadata.name} not servable after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await client.close();
  }
}
