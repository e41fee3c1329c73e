/** Small lookups shared by the ACME controllers. */
import { CLUSTER_ISSUER_KIND, issuerRefKind, type IssuerReference, type State } from "@certkeeper/api";
import { formatTime, type KubeObject } from "@certkeeper/kube";
import type { Deps } from "../context.ts";
import type { ResolvedIssuer } from "../issuers/types.ts";
import { isFailureState } from "./states.ts";

/** The Issuer / ClusterIssuer an Order or Challenge references, from the cache. */
export function resolveIssuerRef(
  deps: Deps,
  ref: IssuerReference,
  namespace: string | undefined,
): ResolvedIssuer | undefined {
  const kind = issuerRefKind(ref);
  if (kind === CLUSTER_ISSUER_KIND) {
    const issuer = deps.caches.clusterIssuers.get(undefined, ref.name);
    return issuer && { kind: CLUSTER_ISSUER_KIND, issuer };
  }
  const issuer = deps.caches.issuers.get(namespace, ref.name);
  return issuer && { kind: "Issuer", issuer };
}

/** An Order or Challenge names an Issuer/ClusterIssuer that is not in the cache; retried with backoff. */
export class IssuerNotFoundError extends Error {
  readonly code = "CK_ACME_ISSUER_NOT_FOUND";
  override name = "IssuerNotFoundError";
}

export function requireIssuer(
  deps: Deps,
  ref: IssuerReference,
  namespace: string | undefined,
): ResolvedIssuer {
  const r = resolveIssuerRef(deps, ref, namespace);
  if (!r) throw new IssuerNotFoundError(`error reading (cluster)issuer "${ref.name}": not found`);
  return r;
}

/** The key of the object's controlling owner of `kind`, if any. */
export function controllerKey(o: KubeObject, kind: string): string | undefined {
  const ref = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === kind);
  return ref && o.metadata.namespace ? `${o.metadata.namespace}/${ref.name}` : undefined;
}

export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  return !!o.metadata.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid);
}

/** Sets `state` and, for a failure state, `failureTime` (cert-manager's setOrderState). */
export function withState<S extends { state?: State; failureTime?: string }>(
  status: S,
  state: State | undefined,
  now: Date,
): S {
  const next = { ...status };
  if (state === undefined) delete next.state;
  else next.state = state;
  if (isFailureState(state)) next.failureTime = formatTime(now);
  return next;
}

/**
 * Calls `wake(matches)` when an Issuer or ClusterIssuer is added or changes (e.g. becomes Ready),
 * with a predicate telling whether an object's issuerRef names it.
 */
export function onIssuerChange(
  deps: Deps,
  wake: (refersToIt: (ref: IssuerReference, namespace: string | undefined) => boolean) => void,
): void {
  const issuer = (i: KubeObject) =>
    wake(
      (ref, ns) =>
        issuerRefKind(ref) !== CLUSTER_ISSUER_KIND &&
        ref.name === i.metadata.name &&
        ns === i.metadata.namespace,
    );
  const cluster = (i: KubeObject) =>
    wake((ref) => issuerRefKind(ref) === CLUSTER_ISSUER_KIND && ref.name === i.metadata.name);
  deps.caches.issuers.onAdd(issuer);
  deps.caches.issuers.onUpdate((_o, i) => issuer(i));
  deps.caches.clusterIssuers.onAdd(cluster);
  deps.caches.clusterIssuers.onUpdate((_o, i) => cluster(i));
}
