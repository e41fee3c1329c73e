/**
 * Helpers every suite against the real API server needs: the cert-manager CRDs applied and
 * servable, namespaces, polling, and the admission resource types.
 */
import { allCrds } from "@certkeeper/api";
import {
  CoreResources,
  isAlreadyExists,
  KubeClient,
  type KubeObject,
  type ResourceType,
} from "@certkeeper/kube";
import type { KubeConfig } from "@kubernetes/client-node";

export const CRD_RESOURCE: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  namespaced: false,
  kind: "CustomResourceDefinition",
};

export const ADMISSION = {
  validating: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    namespaced: false,
    kind: "ValidatingWebhookConfiguration",
  },
  mutating: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "mutatingwebhookconfigurations",
    namespaced: false,
    kind: "MutatingWebhookConfiguration",
  },
} as const satisfies Record<string, ResourceType>;

interface CrdObject extends KubeObject {
  spec: { group: string; scope: string; names: { plural: string }; versions: Array<{ name: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** Polls `check` until it returns a truthy value or the time runs out. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  what = "condition",
  intervalMs = 100,
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
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Applies the six cert-manager CRDs and waits until each is Established and servable: until the
 * API server's storage for a new resource is initialised, requests get 429 "storage is
 * (re)initializing", so "Established" alone is not enough.
 */
export async function applyCrds(target: KubeConfig | KubeClient, timeoutMs = 30_000): Promise<void> {
  const client = target instanceof KubeClient ? target : new KubeClient(target);
  try {
    const crds = allCrds() as unknown as CrdObject[];
    for (const crd of crds)
      await client.apply(CRD_RESOURCE, crd, { fieldManager: "certkeeper-installer", force: true });
    for (const crd of crds) {
      await eventually(
        async () =>
          (await client.get<CrdObject>(CRD_RESOURCE, undefined, crd.metadata.name!)).status?.conditions?.some(
            (c) => c.type === "Established" && c.status === "True",
          ),
        timeoutMs,
        `CRD ${crd.metadata.name} Established`,
      );
      const rt = {
        group: crd.spec.group,
        version: crd.spec.versions[0]!.name,
        plural: crd.spec.names.plural,
        namespaced: crd.spec.scope === "Namespaced",
      };
      await eventually(
        () => client.list(rt, { limit: 1 }).then(() => true),
        timeoutMs,
        `${rt.plural} servable`,
      );
    }
  } finally {
    if (!(target instanceof KubeClient)) await client.close();
  }
}

export async function ensureNamespace(
  client: KubeClient,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  try {
    await client.create(CoreResources.namespaces, { metadata: { name, labels } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}
