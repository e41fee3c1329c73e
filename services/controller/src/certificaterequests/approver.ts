/**
 * certificaterequests-approver: cert-manager's internal approver. In the absence of a policy
 * engine it approves every request for the built-in issuers:
 *
 *   Approved or Denied already set ─▶ nothing (both are immutable once set)
 *   Ready reason Issued or Failed ──▶ nothing (too late to matter)
 *   issuerRef.group not cert-manager.io ─▶ nothing, unless `approveExternalIssuers`
 *   otherwise ─▶ Approved=True reason "cert-manager.io" + Event + NATS "approved"
 *
 * When the request's issuer is one this process signs for synchronously (SelfSigned, CA) and
 * the generic request pipeline would sign it right away, the approver signs it too and writes
 * Approved and the signer's outcome (Ready Issued / Pending / Failed) in one status update, with
 * both Events and both NATS events, in that order. Observers see the same conditions as from
 * two writes; the API server sees one write and one watch event fewer per issuance.
 *
 * cert-manager's own approver tries every group and lets the webhook's SubjectAccessReview
 * decide (chart value approveSignerNames). Here external groups are skipped by default, which
 * avoids a retry loop of forbidden writes; `approveExternalIssuers` restores cert-manager's way.
 * Disabled altogether with disableAutoApproval (approver-policy and friends).
 */
import {
  CertificateRequestReason,
  ConditionMessage,
  isCertManagerIssuer,
  type CertificateRequest,
  type CertificateRequestStatus,
} from "@certkeeper/api";
import { objectKey, splitKey, type Reconcile, type ReconcileContext, type Result } from "@certkeeper/kube";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";
import { issuerTypeOf, type IssuerType } from "../issuers/types.ts";
import {
  decideRequest,
  lookupIssuer,
  outcomeChange,
  writeRequestStatus,
  type RequestChange,
  type Signer,
} from "./issuer-controller.ts";

export const APPROVER_CONTROLLER = "certificaterequests-approver";

export interface ApproverOptions {
  /** Also approve requests for issuers outside cert-manager.io (cert-manager's behaviour). */
  approveExternalIssuers?: boolean;
  /**
   * Signers of the request controllers running in this process, by issuer type: a request for
   * one of them is approved and signed in one status write.
   */
  signers?: Partial<Record<IssuerType, Signer>>;
}

/** Pure: the status with Approved=True, or null when this request is not to be approved. */
export function approvalStatus(
  cr: CertificateRequest,
  now: Date,
  opts: ApproverOptions = {},
): CertificateRequestStatus | null {
  if (cr.metadata.deletionTimestamp) return null;
  if (!opts.approveExternalIssuers && !isCertManagerIssuer(cr.spec.issuerRef)) return null;
  const conds = cr.status?.conditions;
  if (getCondition(conds, "Approved")?.status === "True" || getCondition(conds, "Denied")?.status === "True")
    return null;
  const ready = getCondition(conds, "Ready")?.reason;
  if (ready === CertificateRequestReason.Issued || ready === CertificateRequestReason.Failed) return null;
  return {
    ...(cr.status ?? {}),
    conditions: withCondition(
      conds,
      {
        type: "Approved",
        status: "True",
        reason: CertificateRequestReason.ApprovedByCertManager,
        message: ConditionMessage.ApprovedByCertManager,
      },
      now,
    ),
  };
}

/**
 * The signer's outcome for an approved request, when this process signs for its issuer and the
 * request pipeline would sign it now; undefined leaves signing to the request controller.
 */
async function signNow(
  deps: Deps,
  approved: CertificateRequest,
  signers: Partial<Record<IssuerType, Signer>>,
  ctx: ReconcileContext,
): Promise<RequestChange | undefined> {
  let issuer;
  try {
    issuer = lookupIssuer(deps, approved);
  } catch {
    return undefined; // an issuer kind no signer knows: the request controllers report it
  }
  const type = issuer && issuerTypeOf(issuer.issuer.spec);
  const signer = type && signers[type];
  if (!issuer || !signer || decideRequest({ cr: approved, issuer }, type).kind !== "sign") return undefined;
  const outcome = await signer.sign(approved, issuer, {
    now: deps.clock.now(),
    clusterResourceNamespace: deps.settings.clusterResourceNamespace,
    getSecret: (ns, n) => deps.caches.secrets.getSecret(ns, n, ctx.signal),
  });
  // A signer asking to be retried later is left to the request controller's backoff.
  if (outcome.kind === "pending" && outcome.retry) return undefined;
  return outcomeChange(approved, outcome, deps.clock.now());
}

export function approverReconciler(deps: Deps, opts: ApproverOptions = {}): Reconcile {
  return async (key, ctx): Promise<Result> => {
    const { namespace, name } = splitKey(key);
    const cr = deps.caches.certificateRequests.get(namespace, name);
    if (!cr) return;
    const status = approvalStatus(cr, deps.clock.now(), opts);
    if (!status) return;
    let signNowResult: RequestChange | undefined;
    try {
      signNowResult = opts.signers ? await signNow(deps, { ...cr, status }, opts.signers, ctx) : undefined;
    } catch (err) {
      // Signing is a shortcut here: approval must not depend on it. The request controller signs
      // (and reports the failure) once the request is Approved.
      ctx.log.warn({ err }, "signing with the approval failed; approving alone");
    }
    let written: CertificateRequest;
    let signed: RequestChange | undefined;
    if (signNowResult) {
      ({ written, change: signed } = await writeRequestStatus(deps, cr, signNowResult));
    } else {
      written = await writeStatus(
        deps.client,
        deps.caches.certificateRequests,
        "CertificateRequest",
        cr,
        status,
      );
    }
    if (written === cr) return;
    deps.recorder.event(
      written,
      "Normal",
      CertificateRequestReason.ApprovedByCertManager,
      ConditionMessage.ApprovedByCertManager,
    );
    deps.lifecycle.publish("certificaterequest", "approved", written, {
      reason: CertificateRequestReason.ApprovedByCertManager,
      message: ConditionMessage.ApprovedByCertManager,
    });
    if (!signed) return;
    for (const e of signed.events) deps.recorder.event(written, e.type, e.reason, e.message);
    if (signed.publish)
      deps.lifecycle.publish("certificaterequest", signed.publish.event, written, signed.publish.data);
    return;
  };
}

export function approverController(deps: Deps, opts: ApproverOptions = {}): ControllerRegistration {
  return {
    name: APPROVER_CONTROLLER,
    reconcile: approverReconciler(deps, opts),
    watches: (enqueue) => {
      deps.caches.certificateRequests.onAdd((cr) => enqueue(objectKey(cr)));
      deps.caches.certificateRequests.onUpdate((_o, cr) => enqueue(objectKey(cr)));
    },
  };
}
