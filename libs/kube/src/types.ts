/**
 * The few Kubernetes shapes this package needs, as plain structural types. @certkeeper/api's CRD
 * types are assignable to `KubeObject`, so the typed layer stays generic (`<T extends KubeObject>`).
 */

import type { ObjectMeta } from "@certkeeper/api";

/** Object metadata and owner references are the API package's (one definition for both). */
export type { ObjectMeta, OwnerReference } from "@certkeeper/api";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** What a metadata-only list/watch returns (meta.k8s.io/v1 PartialObjectMetadata). */
export interface PartialObjectMetadata extends KubeObject {
  metadata: ObjectMeta;
}

/** core/v1 Secret, the one core kind this package handles specially (SecretCache). */
export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

/**
 * Where a resource lives in the API: enough to build its URLs. `kind` and `apiVersion` of a
 * single object are taken from the object itself; `kind` here is only used for messages.
 */
export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  kind?: string;
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group === "" ? rt.version : `${rt.group}/${rt.version}`;
}

/** The core and coordination kinds this package itself uses; CRD kinds come from @certkeeper/api. */
export const CoreResources = {
  secrets: { group: "", version: "v1", plural: "secrets", namespaced: true, kind: "Secret" },
  configMaps: { group: "", version: "v1", plural: "configmaps", namespaced: true, kind: "ConfigMap" },
  events: { group: "", version: "v1", plural: "events", namespaced: true, kind: "Event" },
  namespaces: { group: "", version: "v1", plural: "namespaces", namespaced: false, kind: "Namespace" },
  leases: { group: "coordination.k8s.io", version: "v1", plural: "leases", namespaced: true, kind: "Lease" },
} as const satisfies Record<string, ResourceType>;

/** client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? "";
  return ns ? `${ns}/${name}` : name;
}

/** The inverse of objectKey. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
