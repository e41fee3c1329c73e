/**
 * The four kinds the cainjector writes CA bundles into, and where each keeps its `caBundle`:
 *
 *   MutatingWebhookConfiguration    webhooks[*].clientConfig.caBundle   (every entry)
 *   ValidatingWebhookConfiguration  webhooks[*].clientConfig.caBundle   (every entry)
 *   APIService                      spec.caBundle
 *   CustomResourceDefinition        spec.conversion.webhook.clientConfig.caBundle (strategy Webhook only)
 *
 * The write is a JSON patch of exactly the changed caBundle fields plus `metadata.resourceVersion`
 * set to the version read. Why not server-side apply: an applied webhook list entry is co-owned by
 * its key (`name`), so when a user later removes that webhook from their manifest the API server
 * keeps a stub entry holding only our caBundle, which then fails validation. A JSON patch owns
 * nothing but the caBundle fields (managedFields still show `cert-manager-cainjector`), and the
 * resourceVersion makes a stale read a 409 Conflict (a quiet retry) instead of a patch that lands
 * on a reordered list.
 */
import type { KubeObject, ResourceType } from "@certkeeper/kube";
import { mergeBundle, replaceBundle, type MergeResult } from "./merge.ts";

export type InjectableKind =
  | "MutatingWebhookConfiguration"
  | "ValidatingWebhookConfiguration"
  | "APIService"
  | "CustomResourceDefinition";

export interface BundleField {
  /** JSON pointer of the caBundle field. */
  path: string;
  /** Its PEM (base64-decoded), "" when unset. */
  current: string;
  /** When the parent object is missing: the pointer to create it at, holding only caBundle. */
  createParent?: string;
}

export interface Injectable {
  kind: InjectableKind;
  apiVersion: string;
  resource: ResourceType;
  /** Controller name: the metrics label and log key (cert-manager's resource names). */
  controller: string;
  /** The caBundle fields of a full object; [] when the object has nowhere to inject. */
  fields(obj: KubeObject): BundleField[];
}

interface ClientConfig {
  caBundle?: string;
}
type WebhookConfiguration = KubeObject & { webhooks?: Array<{ name: string; clientConfig?: ClientConfig }> };
type APIService = KubeObject & { spec?: { caBundle?: string } };
type CRD = KubeObject & {
  spec?: { conversion?: { strategy?: string; webhook?: { clientConfig?: ClientConfig } } };
};

const decode = (b64: string | undefined): string => (b64 ? Buffer.from(b64, "base64").toString("utf8") : "");

function webhookFields(obj: KubeObject): BundleField[] {
  return ((obj as WebhookConfiguration).webhooks ?? []).map((w, i) =>
    w.clientConfig
      ? { path: `/webhooks/${i}/clientConfig/caBundle`, current: decode(w.clientConfig.caBundle) }
      : {
          path: `/webhooks/${i}/clientConfig/caBundle`,
          current: "",
          createParent: `/webhooks/${i}/clientConfig`,
        },
  );
}

const admission = (kind: InjectableKind, plural: string, controller: string): Injectable => ({
  kind,
  apiVersion: "admissionregistration.k8s.io/v1",
  resource: { group: "admissionregistration.k8s.io", version: "v1", plural, namespaced: false, kind },
  controller,
  fields: webhookFields,
});

export const INJECTABLES = {
  mutatingWebhookConfiguration: admission(
    "MutatingWebhookConfiguration",
    "mutatingwebhookconfigurations",
    "mutatingwebhookconfiguration",
  ),
  validatingWebhookConfiguration: admission(
    "ValidatingWebhookConfiguration",
    "validatingwebhookconfigurations",
    "validatingwebhookconfiguration",
  ),
  apiService: {
    kind: "APIService",
    apiVersion: "apiregistration.k8s.io/v1",
    resource: {
      group: "apiregistration.k8s.io",
      version: "v1",
      plural: "apiservices",
      namespaced: false,
      kind: "APIService",
    },
    controller: "apiservice",
    fields: (obj) => {
      const spec = (obj as APIService).spec;
      return [
        {
          path: "/spec/caBundle",
          current: decode(spec?.caBundle),
          ...(spec ? {} : { createParent: "/spec" }),
        },
      ];
    },
  },
  customResourceDefinition: {
    kind: "CustomResourceDefinition",
    apiVersion: "apiextensions.k8s.io/v1",
    resource: {
      group: "apiextensions.k8s.io",
      version: "v1",
      plural: "customresourcedefinitions",
      namespaced: false,
      kind: "CustomResourceDefinition",
    },
    controller: "customresourcedefinition",
    fields: (obj) => {
      const conversion = (obj as CRD).spec?.conversion;
      // The API server requires `webhook` with strategy Webhook; without it there is nothing to fill.
      if (conversion?.strategy !== "Webhook" || !conversion.webhook) return [];
      const path = "/spec/conversion/webhook/clientConfig";
      const cc = conversion.webhook.clientConfig;
      return [
        cc
          ? { path: `${path}/caBundle`, current: decode(cc.caBundle) }
          : { path: `${path}/caBundle`, current: "", createParent: path },
      ];
    },
  },
} as const satisfies Record<string, Injectable>;

export type JsonPatchOp = { op: "add" | "replace"; path: string; value: unknown };

export interface InjectionPlan {
  patch: JsonPatchOp[];
  /** caBundle fields the patch writes. */
  fields: number;
  /** Certificates in the largest bundle written. */
  certificates: number;
}

/**
 * Pure: the patch that brings every caBundle of `obj` to hold `ca` (merged or replaced), or
 * undefined when every field already matches. A field whose merge leaves nothing valid (every
 * certificate expired) is left alone rather than emptied.
 */
export function planInjection(
  injectable: Injectable,
  obj: KubeObject,
  ca: string,
  opts: { merging: boolean; now: Date },
): InjectionPlan | undefined {
  const ops: JsonPatchOp[] = [];
  let certificates = 0;
  for (const f of injectable.fields(obj)) {
    const r: MergeResult = opts.merging ? mergeBundle(f.current, ca, opts.now) : replaceBundle(f.current, ca);
    if (!r.changed || r.bundle === "") continue;
    const b64 = Buffer.from(r.bundle, "utf8").toString("base64");
    ops.push(
      f.createParent
        ? { op: "add", path: f.createParent, value: { caBundle: b64 } }
        : { op: "add", path: f.path, value: b64 },
    );
    certificates = Math.max(certificates, r.certificates);
  }
  if (ops.length === 0) return undefined;
  const rv = obj.metadata.resourceVersion;
  const guard: JsonPatchOp[] = rv ? [{ op: "replace", path: "/metadata/resourceVersion", value: rv }] : [];
  return { patch: [...guard, ...ops], fields: ops.length, certificates };
}
