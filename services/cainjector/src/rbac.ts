/**
 * The Kubernetes permissions the cainjector needs, as data: the Helm chart renders the same rules,
 * and the integration tests run the cainjector under exactly these (nothing more).
 */
import { DEFAULT_LEASE_NAME } from "./config.ts";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** ClusterRole: read sources (all namespaces, or bind per namespace with --namespace), patch targets. */
export const CLUSTER_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["cert-manager.io"], resources: ["certificates"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  {
    apiGroups: ["admissionregistration.k8s.io"],
    resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"],
    verbs: ["get", "list", "watch", "patch"],
  },
  {
    apiGroups: ["apiregistration.k8s.io"],
    resources: ["apiservices"],
    verbs: ["get", "list", "watch", "patch"],
  },
  {
    apiGroups: ["apiextensions.k8s.io"],
    resources: ["customresourcedefinitions"],
    verbs: ["get", "list", "watch", "patch"],
  },
];

/** Role in the leader election namespace (create cannot be limited by resourceNames). */
export function leaseRules(leaseName = DEFAULT_LEASE_NAME): PolicyRule[] {
  return [
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    {
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      resourceNames: [leaseName],
      verbs: ["get", "update"],
    },
  ];
}
