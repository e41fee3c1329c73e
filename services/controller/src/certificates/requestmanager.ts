/**
 * certificates-request-manager: makes sure exactly one CertificateRequest exists for the next
 * revision, matching the spec and signed by the next private key.
 *
 *   Issuing=True + next key ─▶ delete owned requests that have no/invalid revision annotation,
 *                               or are for the next revision but stale (spec or key changed),
 *                               or failed before this issuance began
 *                            ─▶ none left for the next revision: build a CSR, create
 *                               "<certificate>-<revision>" (deterministic: a retry meets
 *                               AlreadyExists, never a duplicate) + Event "Requested"
 */
import { createHash } from "node:crypto";
import { Annotations, Resources, type Certificate, type CertificateRequest } from "@certkeeper/api";
import {
  isAlreadyExists,
  isNotFound,
  isTooLarge,
  TerminalError,
  type Reconcile,
  type Result,
} from "@certkeeper/kube";
import { buildCSR, publicKeysEqual } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import { getCondition } from "../status.ts";
import {
  getCertificate,
  isIssuing,
  nextRevision,
  ownedRequests,
  recordedNextKeySecret,
  revisionOf,
} from "./common.ts";
import { requestMatchesSpec } from "./match.ts";
import { parseRequestCSR, parseSecret } from "./parsed.ts";

export const REQUEST_MANAGER_CONTROLLER = "certificates-request-manager";

/** Annotation prefixes not copied from a Certificate to its requests (cert-manager's default). */
const NOT_COPIED = ["kubectl.kubernetes.io/", "fluxcd.io/", "argocd.argoproj.io/"];

export function requestName(certName: string, revision: number): string {
  if (certName.length <= 233) return `${certName}-${revision}`;
  const hash = createHash("sha256").update(certName).digest("hex").slice(0, 40);
  return `${certName.slice(0, 192)}-${hash}-${revision}`;
}

/** Pure: which owned requests are stale for this issuance. */
export function staleRequests(
  cert: Certificate,
  owned: CertificateRequest[],
  nextKeySPKI: Buffer,
): CertificateRequest[] {
  const next = nextRevision(cert);
  const issuingSince = getCondition(cert.status?.conditions, "Issuing")?.lastTransitionTime;
  return owned.filter((cr) => {
    const rev = revisionOf(cr);
    if (rev === undefined) return true;
    if (rev !== next) return false;
    const csr = parseRequestCSR(cr);
    if (csr instanceof Error) return true;
    if (requestMatchesSpec(cr.spec, csr, cert.spec).length > 0) return true;
    if (!publicKeysEqual(csr.publicKey, nextKeySPKI)) return true;
    const ready = getCondition(cr.status?.conditions, "Ready");
    const failedAt = cr.status?.failureTime;
    return (
      ready?.reason === "Failed" &&
      !!failedAt &&
      !!issuingSince &&
      Date.parse(failedAt) < Date.parse(issuingSince)
    );
  });
}

export function buildRequest(
  cert: Certificate,
  revision: number,
  keySecretName: string,
  csrPEM: string,
): CertificateRequest {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(cert.metadata.annotations ?? {})) {
    if (!NOT_COPIED.some((p) => k.startsWith(p))) annotations[k] = v;
  }
  annotations[Annotations.CertificateRevision] = String(revision);
  annotations[Annotations.PrivateKeySecretName] = keySecretName;
  annotations[Annotations.CertificateName] = cert.metadata.name!;
  return {
    apiVersion: Resources.CertificateRequest.apiVersion as CertificateRequest["apiVersion"],
    kind: "CertificateRequest",
    metadata: {
      name: requestName(cert.metadata.name!, revision),
      namespace: cert.metadata.namespace,
      annotations,
      labels: { ...(cert.metadata.labels ?? {}) },
      ownerReferences: [
        {
          apiVersion: Resources.Certificate.apiVersion,
          kind: "Certificate",
          name: cert.metadata.name!,
          uid: cert.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      request: Buffer.from(csrPEM).toString("base64"),
      issuerRef: { ...cert.spec.issuerRef },
      ...(cert.spec.duration ? { duration: cert.spec.duration } : {}),
      ...(cert.spec.isCA ? { isCA: true } : {}),
      ...(cert.spec.usages ? { usages: [...cert.spec.usages] } : {}),
    },
  };
}

export function requestManagerReconciler(deps: Deps): Reconcile {
  return async (key): Promise<Result> => {
    const cert = getCertificate(deps, key);
    if (!cert || !isIssuing(cert)) return;
    const keySecret = recordedNextKeySecret(deps, cert);
    const keyName = keySecret?.metadata.name;
    if (!keyName) return;
    const parsedKey = keySecret ? parseSecret(keySecret) : undefined;
    if (!parsedKey?.key || !parsedKey.keySPKI) return; // the key manager repairs it

    const owned = ownedRequests(deps, cert);
    const stale = staleRequests(cert, owned, parsedKey.keySPKI);
    for (const cr of stale) {
      try {
        await deps.client.delete(Resources.CertificateRequest, cr.metadata.namespace, cr.metadata.name!, {
          preconditions: { uid: cr.metadata.uid },
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      deps.caches.certificateRequests.forget(cr);
    }
    const revision = nextRevision(cert);
    const current = owned.filter((cr) => !stale.includes(cr) && revisionOf(cr) === revision);
    if (current.length > 0) return;

    let csrPEM: string;
    try {
      // BasicConstraints stay out of the CSR, as with cert-manager's default gates; isCA travels in spec.isCA.
      csrPEM = buildCSR(cert.spec, parsedKey.key, { encodeBasicConstraints: false });
    } catch (err) {
      const message = `Failed to generate CertificateRequest: ${err instanceof Error ? err.message : String(err)}`;
      deps.recorder.event(cert, "Warning", "RequestFailed", message);
      throw err;
    }
    const request = buildRequest(cert, revision, keyName, csrPEM);
    try {
      const created = await deps.client.create<CertificateRequest>(Resources.CertificateRequest, request);
      deps.caches.certificateRequests.observe(created);
      deps.recorder.event(
        cert,
        "Normal",
        "Requested",
        `Created new CertificateRequest resource "${created.metadata.name}"`,
      );
      deps.lifecycle.publish("certificate", "request-created", cert, {
        certificateRequest: created.metadata.name,
        certificateRequestUID: created.metadata.uid,
        revision,
      });
    } catch (err) {
      // Created by an earlier attempt whose response we lost: the cache will show it shortly.
      if (isAlreadyExists(err)) return;
      // Refused by the API (e.g. the webhook denied it): say so where the user looks.
      const why = err instanceof Error ? err.message : String(err);
      deps.recorder.event(cert, "Warning", "RequestFailed", `Failed to create CertificateRequest: ${why}`);
      // Too large for the API server or etcd: the same request fails again until the spec changes.
      if (isTooLarge(err)) throw new TerminalError(why, { cause: err });
      throw err;
    }
    return;
  };
}
