/**
 * certificates-revision-manager: once a Certificate is Ready, keeps only the newest
 * `revisionHistoryLimit` (default 1) of its CertificateRequests, by revision number.
 */
import { Resources, type Certificate, type CertificateRequest } from "@certkeeper/api";
import { isNotFound, type Reconcile, type Result } from "@certkeeper/kube";
import type { Deps } from "../context.ts";
import { isTrue } from "../status.ts";
import { getCertificate, ownedRequests, revisionOf } from "./common.ts";

export const REVISION_MANAGER_CONTROLLER = "certificates-revision-manager";

/** Pure: the requests to delete. Requests without a valid revision are left to the request manager. */
export function requestsToPrune(cert: Certificate, owned: CertificateRequest[]): CertificateRequest[] {
  if (!isTrue(cert.status?.conditions, "Ready")) return [];
  const limit = Math.max(1, cert.spec.revisionHistoryLimit ?? 1);
  const withRevision = owned
    .map((cr) => ({ cr, rev: revisionOf(cr) }))
    .filter((x): x is { cr: CertificateRequest; rev: number } => x.rev !== undefined)
    .sort((a, b) => b.rev - a.rev);
  return withRevision.slice(limit).map((x) => x.cr);
}

export function revisionManagerReconciler(deps: Deps): Reconcile {
  return async (key): Promise<Result> => {
    const cert = getCertificate(deps, key);
    if (!cert) return;
    for (const cr of requestsToPrune(cert, ownedRequests(deps, cert))) {
      try {
        await deps.client.delete(Resources.CertificateRequest, cr.metadata.namespace, cr.metadata.name!, {
          preconditions: { uid: cr.metadata.uid },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      deps.caches.certificateRequests.forget(cr);
    }
    return;
  };
}
