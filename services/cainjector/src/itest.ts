/**
 * Helpers of the cainjector integration tests (test/integration/src/cainjector*.test.ts); not
 * exported from index.ts. The generic ones (CRDs, namespaces, polling) come from libs/testing.
 */
import type { KubeClient, KubeObject, ResourceType } from "@certkeeper/kube";
import { CLUSTER_RULES, leaseRules } from "./rbac.ts";

export {
  ADMISSION,
  CRD_RESOURCE as CRDS,
  applyCrds as applyCertManagerCrds,
  ensureNamespace,
  eventually,
  sleep,
} from "@certkeeper/testing";

const rbac = (plural: string, namespaced: boolean, kind: string): ResourceType => ({
  group: "rbac.authorization.k8s.io",
  version: "v1",
  plural,
  namespaced,
  kind,
});
export const RBAC = {
  clusterRoles: rbac("clusterroles", false, "ClusterRole"),
  clusterRoleBindings: rbac("clusterrolebindings", false, "ClusterRoleBinding"),
  roles: rbac("roles", true, "Role"),
  roleBindings: rbac("rolebindings", true, "RoleBinding"),
};

/** Grants `user` the cainjector's ClusterRole and its Lease Role in `leaseNamespace`. */
export async function grantCAInjectorRBAC(
  client: KubeClient,
  user: string,
  leaseNamespace: string,
): Promise<void> {
  const subjects = [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: user }];
  const name = "certkeeper-cainjector";
  const roleRef = (kind: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name });
  await client.apply(RBAC.clusterRoles, { metadata: { name }, rules: CLUSTER_RULES } as KubeObject, {
    fieldManager: "t",
  });
  await client.apply(
    RBAC.clusterRoleBindings,
    { metadata: { name }, roleRef: roleRef("ClusterRole"), subjects } as KubeObject,
    {
      fieldManager: "t",
    },
  );
  const ns = { name, namespace: leaseNamespace };
  await client.apply(RBAC.roles, { metadata: ns, rules: leaseRules() } as KubeObject, { fieldManager: "t" });
  await client.apply(RBAC.roleBindings, { metadata: ns, roleRef: roleRef("Role"), subjects } as KubeObject, {
    fieldManager: "t",
  });
}

// ---- targets and sources ---------------------------------------------------------------------

export const API_SERVICES: ResourceType = {
  group: "apiregistration.k8s.io",
  version: "v1",
  plural: "apiservices",
  namespaced: false,
  kind: "APIService",
};

export type Webhooks = KubeObject & {
  webhooks: Array<{ name: string; clientConfig: { caBundle?: string } }>;
};

/** A webhook configuration with `count` webhooks pointing at a closed loopback port. */
export function aWebhookConfiguration(
  name: string,
  annotations: Record<string, string>,
  count = 2,
): Webhooks {
  return {
    metadata: { name, annotations },
    webhooks: Array.from({ length: count }, (_, i) => ({
      name: `w${i}.${name}.certkeeper.io`,
      clientConfig: { url: `https://127.0.0.1:1/${name}/${i}` },
      rules: [
        { operations: ["CREATE"], apiGroups: ["certkeeper.io"], apiVersions: ["v1"], resources: ["nothing"] },
      ],
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
      failurePolicy: "Ignore",
    })),
  } as Webhooks;
}

/** PEM bundles of every webhook of a configuration ("" when unset). */
export function webhookBundles(obj: Webhooks): string[] {
  return obj.webhooks.map((w) =>
    w.clientConfig.caBundle ? Buffer.from(w.clientConfig.caBundle, "base64").toString() : "",
  );
}

export function aCASecret(
  namespace: string,
  name: string,
  opts: { ca?: string; annotations?: Record<string, string> },
): KubeObject & { data: Record<string, string> } {
  const data: Record<string, string> = {};
  if (opts.ca !== undefined) data["ca.crt"] = Buffer.from(opts.ca).toString("base64");
  return { metadata: { namespace, name, annotations: opts.annotations ?? {} }, data };
}

/** A CRD in crd.certkeeper.io (`<name>s`) with Webhook conversion to a closed port, or None. */
export function aConversionCRD(
  name: string,
  annotations: Record<string, string>,
  strategy: "Webhook" | "None",
): KubeObject {
  const webhook = { clientConfig: { url: "https://127.0.0.1:1/convert" }, conversionReviewVersions: ["v1"] };
  const kind = name[0]!.toUpperCase() + name.slice(1);
  return {
    metadata: { name: `${name}s.crd.certkeeper.io`, annotations },
    spec: {
      group: "crd.certkeeper.io",
      names: { plural: `${name}s`, singular: name, kind, listKind: `${kind}List` },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
      conversion: strategy === "Webhook" ? { strategy, webhook } : { strategy },
    },
  } as KubeObject;
}

/** PEM of a CRD's conversion webhook caBundle ("" when unset). */
export function conversionBundle(crd: KubeObject): string {
  const spec = (
    crd as KubeObject & { spec?: { conversion?: { webhook?: { clientConfig?: { caBundle?: string } } } } }
  ).spec;
  const b = spec?.conversion?.webhook?.clientConfig?.caBundle;
  return b ? Buffer.from(b, "base64").toString() : "";
}
