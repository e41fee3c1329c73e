/**
 * The generic CertificateRequest controller, one instance per built-in signer type
 * (`certificaterequests-issuer-selfsigned`, `certificaterequests-issuer-ca`, later ACME / Vault).
 * Back-ends plug in through a one-method Signer.
 *
 *   issuerRef.group not cert-manager.io ──────────────▶ ignore (external issuer)
 *   issuer exists but is of another type ─────────────▶ ignore (another controller's)
 *   Denied=True ──────────────────────────────────────▶ Ready=False Denied, failureTime
 *   InvalidRequest=True ──────────────────────────────▶ stop
 *   not Approved ─────────────────────────────────────▶ Event WaitingForApproval, stop
 *   Ready reason Issued / Failed ─────────────────────▶ stop
 *   issuer missing / without type / not Ready ────────▶ Ready=False Pending (+ Event on entry)
 *   status.certificate already set ───────────────────▶ stop
 *   otherwise: sign ─▶ signed  ─▶ must decode ─▶ Ready=True Issued + Event CertificateIssued
 *                                            └─▶ Ready=False Failed DecodeError
 *                   ─▶ pending ─▶ Ready=False Pending (+ retry when the signer asks)
 *                   ─▶ failed  ─▶ Ready=False Failed, failureTime + Warning Event
 *
 * Each reconcile makes at most one status write, then records its Event and publishes the NATS
 * lifecycle event for it. Pending requests are woken when their issuer changes (Index.issuer).
 */
import {
  CERT_MANAGER_GROUP,
  CLUSTER_ISSUER_KIND,
  CertificateRequestReason,
  ConditionMessage,
  ISSUER_KIND,
  isCertManagerIssuer,
  issuerRefKind,
  type CertificateRequest,
  type CertificateRequestStatus,
  type ClusterIssuer,
  type Issuer,
} from "@certkeeper/api";
import {
  formatTime,
  isTooLarge,
  objectKey,
  splitKey,
  TerminalError,
  type EventType,
  type KubeObject,
  type Reconcile,
  type ReconcileContext,
  type Result,
  type Secret,
} from "@certkeeper/kube";
import { parseCertificate } from "@certkeeper/pki";
import { Index, type Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";
import {
  issuerDisplayName,
  issuerIsReady,
  issuerTypeOf,
  type IssuerType,
  type ResolvedIssuer,
} from "../issuers/types.ts";

/** Event reasons of the generic pipeline. */
export const RequestEventReason = {
  /** Normal: the request is not Approved yet, so it is not signed. */
  WaitingForApproval: "WaitingForApproval",
  /** Normal: a certificate was signed and stored in status.certificate. */
  CertificateIssued: "CertificateIssued",
  /** Warning: the signed certificate does not fit in the object (API server / etcd limits). */
  CertificateTooLarge: "CertificateTooLarge",
} as const;

const WAITING_FOR_APPROVAL_MESSAGE = "Not signing CertificateRequest until it is Approved";
const ISSUER_NOT_READY_MESSAGE = "Referenced issuer does not have a Ready status condition";

// ---- the signer plug-in ---------------------------------------------------------------------

/** What a signer may read: the clock, settings and Secrets (through the filtered cache). */
export interface SignerContext {
  now: Date;
  clusterResourceNamespace: string;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
}

export type SignOutcome =
  | {
      kind: "signed";
      /** PEM chain, leaf first. */
      certificatePEM: string;
      /** PEM of the CA, when the signer knows it. */
      caPEM?: string;
      /** Warning Events to record on the request (e.g. an empty issuer DN). */
      warnings?: Array<{ reason: string; message: string }>;
    }
  /** Not yet: Ready=False Pending. With `retry`, the reconcile throws it afterwards (backoff). */
  | { kind: "pending"; reason: string; message: string; retry?: Error }
  /** Terminal for this request: Ready=False Failed + failureTime. */
  | { kind: "failed"; reason: string; message: string };

export interface Signer {
  sign(cr: CertificateRequest, issuer: ResolvedIssuer, ctx: SignerContext): Promise<SignOutcome>;
}

// ---- pure decisions -------------------------------------------------------------------------

export interface RequestInput {
  cr: CertificateRequest;
  /** The referenced issuer as found in the cache (undefined: not found). */
  issuer: ResolvedIssuer | undefined;
}

export type RequestStep =
  | { kind: "ignore"; why: string }
  | { kind: "deny" }
  | { kind: "awaitApproval" }
  | { kind: "pending"; reason: string; message: string }
  | { kind: "sign"; issuer: ResolvedIssuer };

type Check = (input: RequestInput, mine: IssuerType) => RequestStep | null;

const conditionTrue = (cr: CertificateRequest, type: string) =>
  getCondition(cr.status?.conditions, type)?.status === "True";
export const readyReason = (cr: CertificateRequest) => getCondition(cr.status?.conditions, "Ready")?.reason;

/** How cert-manager words a missing issuer: `Referenced "Issuer" not found: issuer.cert-manager.io "x" not found`. */
export function issuerNotFoundMessage(cr: CertificateRequest): string {
  const kind = issuerRefKind(cr.spec.issuerRef);
  return `Referenced "${kind}" not found: ${kind.toLowerCase()}.${CERT_MANAGER_GROUP} "${cr.spec.issuerRef.name}" not found`;
}

/** The request pipeline as data: the first check that answers decides. */
export const requestChecks: ReadonlyArray<{ name: string; check: Check }> = [
  {
    name: "ExternalIssuer",
    check: ({ cr }) =>
      isCertManagerIssuer(cr.spec.issuerRef)
        ? null
        : { kind: "ignore", why: "issuerRef group is not cert-manager.io" },
  },
  {
    name: "OtherIssuerType",
    check: ({ issuer }, mine) => {
      const type = issuer && issuerTypeOf(issuer.issuer.spec);
      return type && type !== mine ? { kind: "ignore", why: `issuer type is ${type}` } : null;
    },
  },
  { name: "Denied", check: ({ cr }) => (conditionTrue(cr, "Denied") ? { kind: "deny" } : null) },
  {
    name: "InvalidRequest",
    check: ({ cr }) =>
      conditionTrue(cr, "InvalidRequest") ? { kind: "ignore", why: "request is invalid" } : null,
  },
  {
    name: "NotApproved",
    check: ({ cr }) => (conditionTrue(cr, "Approved") ? null : { kind: "awaitApproval" }),
  },
  {
    name: "Finished",
    check: ({ cr }) => {
      const r = readyReason(cr);
      return r === CertificateRequestReason.Issued || r === CertificateRequestReason.Failed
        ? { kind: "ignore", why: `request is ${r}` }
        : null;
    },
  },
  {
    name: "IssuerNotFound",
    check: ({ cr, issuer }) =>
      issuer
        ? null
        : {
            kind: "pending",
            reason: CertificateRequestReason.IssuerNotFound,
            message: issuerNotFoundMessage(cr),
          },
  },
  {
    name: "IssuerTypeMissing",
    check: ({ issuer }) =>
      issuer && !issuerTypeOf(issuer.issuer.spec)
        ? {
            kind: "pending",
            reason: CertificateRequestReason.IssuerTypeMissing,
            message: `Missing issuer type: no issuer specified for ${issuer.kind} '${issuerDisplayName(issuer)}'`,
          }
        : null,
  },
  {
    name: "IssuerNotReady",
    check: ({ issuer }) =>
      issuer && !issuerIsReady(issuer.issuer)
        ? {
            kind: "pending",
            reason: CertificateRequestReason.IssuerNotReady,
            message: ISSUER_NOT_READY_MESSAGE,
          }
        : null,
  },
  {
    name: "AlreadySigned",
    check: ({ cr }) =>
      cr.status?.certificate ? { kind: "ignore", why: "status.certificate is already set" } : null,
  },
];

/** Pure: what to do with a request, for the controller of signer type `mine`. */
export function decideRequest(input: RequestInput, mine: IssuerType): RequestStep {
  for (const { check } of requestChecks) {
    const step = check(input, mine);
    if (step) return step;
  }
  return { kind: "sign", issuer: input.issuer! };
}

/** A status to write, with the Event and the NATS event that report it. */
export interface RequestChange {
  status: CertificateRequestStatus;
  events: Array<{ type: EventType; reason: string; message: string }>;
  publish?: { event: "denied" | "pending" | "failed" | "signed"; data: Record<string, unknown> };
}

function setReady(
  cr: CertificateRequest,
  status: "True" | "False",
  reason: string,
  message: string,
  now: Date,
  extra: Partial<CertificateRequestStatus> = {},
): CertificateRequestStatus {
  return {
    ...(cr.status ?? {}),
    ...extra,
    conditions: withCondition(cr.status?.conditions, { type: "Ready", status, reason, message }, now),
  };
}

/** Pure: Ready=False Denied; failureTime set once. */
export function deniedChange(cr: CertificateRequest, now: Date): RequestChange {
  return {
    status: setReady(cr, "False", CertificateRequestReason.Denied, ConditionMessage.RequestDenied, now, {
      failureTime: cr.status?.failureTime ?? formatTime(now),
    }),
    events: [],
    publish: {
      event: "denied",
      data: { message: getCondition(cr.status?.conditions, "Denied")?.message ?? "" },
    },
  };
}

/** Pure: Ready=False Pending; the Event only on entering Pending (as cert-manager, to spare the API). */
export function pendingChange(
  cr: CertificateRequest,
  reason: string,
  message: string,
  now: Date,
): RequestChange {
  const entering = readyReason(cr) !== CertificateRequestReason.Pending;
  return {
    status: setReady(cr, "False", CertificateRequestReason.Pending, message, now),
    events: entering ? [{ type: "Normal", reason, message }] : [],
    publish: { event: "pending", data: { reason, message } },
  };
}

/** Pure: Ready=False Failed with a Warning Event named after the cause; failureTime set once. */
export function failedChange(
  cr: CertificateRequest,
  reason: string,
  message: string,
  now: Date,
  extra: Partial<CertificateRequestStatus> = {},
): RequestChange {
  return {
    status: setReady(cr, "False", CertificateRequestReason.Failed, message, now, {
      ...extra,
      failureTime: cr.status?.failureTime ?? formatTime(now),
    }),
    events: [{ type: "Warning", reason, message }],
    publish: { event: "failed", data: { reason, message } },
  };
}

/** Pure: what a signer's outcome does to the request. */
export function outcomeChange(cr: CertificateRequest, outcome: SignOutcome, now: Date): RequestChange {
  switch (outcome.kind) {
    case "pending":
      return pendingChange(cr, outcome.reason, outcome.message, now);
    case "failed":
      return failedChange(cr, outcome.reason, outcome.message, now);
    case "signed":
      return signedChange(cr, outcome, now);
  }
}

function signedChange(
  cr: CertificateRequest,
  out: Extract<SignOutcome, { kind: "signed" }>,
  now: Date,
): RequestChange {
  const fields: Partial<CertificateRequestStatus> = {
    certificate: Buffer.from(out.certificatePEM).toString("base64"),
    ...(out.caPEM ? { ca: Buffer.from(out.caPEM).toString("base64") } : {}),
  };
  const warnings = (out.warnings ?? []).map((w) => ({ type: "Warning" as const, ...w }));
  let leaf;
  try {
    leaf = parseCertificate(out.certificatePEM);
  } catch (err) {
    const message = `Failed to decode returned certificate: ${err instanceof Error ? err.message : String(err)}`;
    const change = failedChange(cr, CertificateRequestReason.DecodeError, message, now, fields);
    return { ...change, events: [...warnings, ...change.events] };
  }
  return {
    status: setReady(
      cr,
      "True",
      CertificateRequestReason.Issued,
      ConditionMessage.CertificateIssued,
      now,
      fields,
    ),
    events: [
      ...warnings,
      {
        type: "Normal",
        reason: RequestEventReason.CertificateIssued,
        message: ConditionMessage.CertificateIssued,
      },
    ],
    publish: {
      event: "signed",
      data: {
        issuer: { ...cr.spec.issuerRef },
        serialNumber: leaf.serialNumber,
        notBefore: leaf.notBefore.toISOString(),
        notAfter: leaf.notAfter.toISOString(),
      },
    },
  };
}

// ---- I/O shell ------------------------------------------------------------------------------

/** The issuer a request references, from the cache; kind defaulted as cert-manager does. */
export function lookupIssuer(deps: Deps, cr: CertificateRequest): ResolvedIssuer | undefined {
  const kind = issuerRefKind(cr.spec.issuerRef);
  const name = cr.spec.issuerRef.name;
  if (kind === CLUSTER_ISSUER_KIND) {
    const issuer: ClusterIssuer | undefined = deps.caches.clusterIssuers.get(undefined, name);
    return issuer && { kind, issuer };
  }
  if (kind === ISSUER_KIND) {
    const issuer: Issuer | undefined = deps.caches.issuers.get(cr.metadata.namespace, name);
    return issuer && { kind, issuer };
  }
  // The webhook refuses other kinds in cert-manager.io; retrying cannot help.
  throw new TerminalError(`invalid issuer kind "${kind}" for group ${CERT_MANAGER_GROUP}`);
}

/** A request that may still need work from a signer (not finished, denied or signed). */
export function isOpen(cr: CertificateRequest): boolean {
  const r = readyReason(cr);
  return (
    r !== CertificateRequestReason.Issued &&
    r !== CertificateRequestReason.Failed &&
    r !== CertificateRequestReason.Denied &&
    !cr.status?.certificate &&
    !cr.metadata.deletionTimestamp
  );
}

/**
 * Writes a request's new status. A signed certificate too large to store (the API server's or
 * etcd's request limit) would fail the same way on every retry: the request fails instead, saying
 * so, and the Certificate's failure backoff takes over.
 */
export async function writeRequestStatus(
  deps: Deps,
  cr: CertificateRequest,
  change: RequestChange,
): Promise<{ written: CertificateRequest; change: RequestChange }> {
  try {
    const written = await writeStatus(
      deps.client,
      deps.caches.certificateRequests,
      "CertificateRequest",
      cr,
      change.status,
    );
    return { written, change };
  } catch (err) {
    if (!isTooLarge(err) || !change.status.certificate) throw err;
    const bytes = Buffer.byteLength(change.status.certificate) + Buffer.byteLength(change.status.ca ?? "");
    const { certificate: _c, ca: _ca, ...rest } = change.status;
    const failed = failedChange(
      { ...cr, status: rest },
      RequestEventReason.CertificateTooLarge,
      `The signed certificate (${bytes} bytes base64) is too large to store in the CertificateRequest: ${(err as Error).message}`,
      deps.clock.now(),
    );
    const written = await writeStatus(
      deps.client,
      deps.caches.certificateRequests,
      "CertificateRequest",
      cr,
      failed.status,
    );
    return { written, change: failed };
  }
}

async function apply(deps: Deps, cr: CertificateRequest, requested: RequestChange): Promise<void> {
  const { written, change } = await writeRequestStatus(deps, cr, requested);
  if (written === cr) return;
  for (const e of change.events) deps.recorder.event(written, e.type, e.reason, e.message);
  if (change.publish)
    deps.lifecycle.publish("certificaterequest", change.publish.event, written, change.publish.data);
}

export interface RequestControllerSpec {
  /** Controller name, e.g. "certificaterequests-issuer-ca". */
  name: string;
  /** The issuer type this controller signs for. */
  issuerType: IssuerType;
  signer: Signer;
  /** Extra informer handlers (e.g. Secrets the signer reads), mapped to request keys. */
  extraWatches?: (deps: Deps, enqueue: (key: string) => void) => void;
}

export function requestReconciler(deps: Deps, spec: RequestControllerSpec): Reconcile {
  return async (key: string, ctx: ReconcileContext): Promise<Result> => {
    const { namespace, name } = splitKey(key);
    const cr = deps.caches.certificateRequests.get(namespace, name);
    if (!cr || cr.metadata.deletionTimestamp) return;
    if (!isCertManagerIssuer(cr.spec.issuerRef)) return;

    const step = decideRequest({ cr, issuer: lookupIssuer(deps, cr) }, spec.issuerType);
    const now = deps.clock.now();
    switch (step.kind) {
      case "ignore":
        ctx.log.debug({ why: step.why }, "nothing to do");
        return;
      case "awaitApproval":
        // With the internal approver on, the wait lasts milliseconds; an Event per request would
        // double the Event writes of every issuance for nothing a user could act on.
        if (deps.settings.autoApprove) return;
        deps.recorder.event(
          cr,
          "Normal",
          RequestEventReason.WaitingForApproval,
          WAITING_FOR_APPROVAL_MESSAGE,
        );
        return;
      case "deny":
        return apply(deps, cr, deniedChange(cr, now));
      case "pending":
        return apply(deps, cr, pendingChange(cr, step.reason, step.message, now));
      case "sign": {
        const outcome = await spec.signer.sign(cr, step.issuer, {
          now,
          clusterResourceNamespace: deps.settings.clusterResourceNamespace,
          getSecret: (ns, n) => deps.caches.secrets.getSecret(ns, n, ctx.signal),
        });
        await apply(deps, cr, outcomeChange(cr, outcome, deps.clock.now()));
        if (outcome.kind === "pending" && outcome.retry) throw outcome.retry;
        return;
      }
    }
  };
}

/**
 * Requests are keyed "namespace/name". Besides their own changes, an issuer's change wakes the
 * open requests that reference it (Index.issuer on the request cache).
 */
export function requestWatches(
  deps: Deps,
  spec: RequestControllerSpec,
): (enqueue: (key: string) => void) => void {
  return (enqueue) => {
    const { certificateRequests, issuers, clusterIssuers } = deps.caches;
    const ours = (cr: CertificateRequest) => isCertManagerIssuer(cr.spec.issuerRef);
    certificateRequests.onAdd((cr) => ours(cr) && enqueue(objectKey(cr)));
    certificateRequests.onUpdate((_o, cr) => ours(cr) && enqueue(objectKey(cr)));
    const wake = (indexKey: string) => {
      for (const cr of certificateRequests.byIndex(Index.issuer, indexKey)) {
        if (ours(cr) && isOpen(cr)) enqueue(objectKey(cr));
      }
    };
    const byIssuer = (i: KubeObject) => wake(`${ISSUER_KIND}/${i.metadata.namespace}/${i.metadata.name}`);
    const byClusterIssuer = (i: KubeObject) => wake(`${CLUSTER_ISSUER_KIND}//${i.metadata.name}`);
    issuers.onAdd(byIssuer);
    issuers.onUpdate((_o, i) => byIssuer(i));
    issuers.onDelete(byIssuer);
    clusterIssuers.onAdd(byClusterIssuer);
    clusterIssuers.onUpdate((_o, i) => byClusterIssuer(i));
    clusterIssuers.onDelete(byClusterIssuer);
    spec.extraWatches?.(deps, enqueue);
  };
}

/** Builds the registration the app wires. */
export function requestController(deps: Deps, spec: RequestControllerSpec): ControllerRegistration {
  return { name: spec.name, reconcile: requestReconciler(deps, spec), watches: requestWatches(deps, spec) };
}
