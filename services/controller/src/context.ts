/**
 * What every reconciler of the controller service receives: one narrow `deps` object
 * (STYLE.md rule 8). Built once in app.ts; tests build it against a real API server.
 */
import type { Certificate, CertificateRequest, ClusterIssuer, Issuer } from "@certkeeper/api";
import type { EventName, SubjectKind } from "@certkeeper/contracts";
import type { Clock, EventRecorder, Informer, KubeClient, KubeObject, SecretCache } from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";

export interface Caches {
  certificates: Informer<Certificate>;
  certificateRequests: Informer<CertificateRequest>;
  issuers: Informer<Issuer>;
  clusterIssuers: Informer<ClusterIssuer>;
  secrets: SecretCache;
}

/** Index names registered on the caches (see caches.ts). */
export const Index = {
  /** Any object by its own UID (owner lookups). */
  uid: "uid",
  /** CertificateRequests and next-key Secrets by the UID of their owning Certificate. */
  ownerUID: "ownerUID",
  /** Certificates by "<namespace>/<spec.secretName>". */
  secretName: "secretName",
  /** Certificates by "<kind>/<namespace>/<issuer name>" of their issuerRef (for issuer changes). */
  issuer: "issuer",
  /** Secrets by "<namespace>/<certificate-name annotation>". */
  certificateName: "certificateName",
} as const;

/**
 * Lifecycle events on NATS. Published only after the Kubernetes write they report succeeded;
 * never carries key material (the contracts package refuses it).
 */
export interface Lifecycle {
  publish<K extends SubjectKind>(
    kind: K,
    event: EventName<K>,
    obj: KubeObject,
    data?: Record<string, unknown>,
  ): void;
}

export const noLifecycle: Lifecycle = { publish: () => {} };

export interface ControllerSettings {
  /** Where ClusterIssuer Secrets are read from. */
  clusterResourceNamespace: string;
  /** Failure backoff bounds for re-issuance (cert-manager: 1h → 32h). */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Field manager for server-side apply of Secrets. */
  fieldManager: string;
  /** Set a controller ownerReference from Certificate to its Secret. */
  enableCertificateOwnerRef: boolean;
  /** Run the internal approver. */
  autoApprove: boolean;
}

export interface Deps {
  client: KubeClient;
  caches: Caches;
  clock: Clock;
  recorder: EventRecorder;
  lifecycle: Lifecycle;
  log: Logger;
  settings: ControllerSettings;
}

/** Writes observed in the cache at once so the next reconcile does not act on a stale read. */
export function observe<T extends KubeObject>(informer: Informer<T>, obj: T): void {
  informer.observe(obj);
}
