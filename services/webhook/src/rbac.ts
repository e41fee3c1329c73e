/**
 * The Kubernetes RBAC the webhook's own identity needs, as data (the Helm chart renders the same;
 * the integration test grants exactly this). See ../rbac.md.
 *
 *   ClusterRole  create subjectaccessreviews.authorization.k8s.io  (approval guard)
 *   Role (CA Secret namespace)
 *     secrets, resourceNames [<ca secret>]: get, list, watch, update   (read/renew its CA; the
 *                                            list/watch use fieldSelector metadata.name=<ca secret>)
 *     secrets: create                        (first start; create cannot be limited by name)
 * Discovery (/apis/<group>) for external issuer kinds is covered by the default system:discovery role.
 */
import type { KubeObject, ResourceType } from "@certkeeper/kube";

const RBAC = "rbac.authorization.k8s.io";
export const RbacResources = {
  clusterRoles: {
    group: RBAC,
    version: "v1",
    plural: "clusterroles",
    namespaced: false,
    kind: "ClusterRole",
  },
  clusterRoleBindings: {
    group: RBAC,
    version: "v1",
    plural: "clusterrolebindings",
    namespaced: false,
    kind: "ClusterRoleBinding",
  },
  roles: { group: RBAC, version: "v1", plural: "roles", namespaced: true, kind: "Role" },
  roleBindings: { group: RBAC, version: "v1", plural: "rolebindings", namespaced: true, kind: "RoleBinding" },
} as const satisfies Record<string, ResourceType>;

export interface RbacSubject {
  kind: "User" | "ServiceAccount" | "Group";
  name: string;
  namespace?: string;
}

export interface WebhookRbacOptions {
  /** Prefix of the object names, e.g. the Helm release's "cert-manager-webhook". */
  readonly name: string;
  /** Namespace of the CA Secret (the Role lives there). */
  readonly namespace: string;
  readonly caSecretName: string;
  readonly subject: RbacSubject;
}

export interface RbacObject {
  readonly resource: ResourceType;
  readonly object: KubeObject & Record<string, unknown>;
}

const subjectOf = (s: RbacSubject) =>
  s.kind === "User" || s.kind === "Group" ? { ...s, apiGroup: RBAC } : { ...s };

export function webhookRbac(o: WebhookRbacOptions): RbacObject[] {
  const sarName = `${o.name}:subjectaccessreviews`;
  const roleName = `${o.name}:dynamic-serving`;
  return [
    {
      resource: RbacResources.clusterRoles,
      object: {
        metadata: { name: sarName },
        rules: [
          { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
        ],
      },
    },
    {
      resource: RbacResources.clusterRoleBindings,
      object: {
        metadata: { name: sarName },
        roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: sarName },
        subjects: [subjectOf(o.subject)],
      },
    },
    {
      resource: RbacResources.roles,
      object: {
        metadata: { name: roleName, namespace: o.namespace },
        rules: [
          {
            apiGroups: [""],
            resources: ["secrets"],
            resourceNames: [o.caSecretName],
            verbs: ["get", "list", "watch", "update"],
          },
          { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
        ],
      },
    },
    {
      resource: RbacResources.roleBindings,
      object: {
        metadata: { name: roleName, namespace: o.namespace },
        roleRef: { apiGroup: RBAC, kind: "Role", name: roleName },
        subjects: [subjectOf(o.subject)],
      },
    },
  ];
}
