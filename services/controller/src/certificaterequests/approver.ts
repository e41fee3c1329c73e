/**
 * certificaterequests-approver: cert-manager's internal approver. In the absence of a policy
 * engine it approves every request for the built-in issuers:
 *
 *   Approved or Denied already set ─▶ nothing (both are immutable once set)
 *   Ready reason Issued or Failed ──▶ nothing (too late to matter)
 *   issuerRef.group not cert-manager.io ─▶ nothing, unless `approveExternalIssuers`
 *   otherwise ─▶ Approved=True reason "cert-manager.io" + Event + NATS "approved"
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
import { objectKey, splitKey, type Reconcile, type Result } from "@certkeeper/kube";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";

export const APPROVER_CONTROLLER = "certificaterequests-approver";

export interface ApproverOptions {
  /** Also approve requests for issuers outside cert-manager.io (cert-manager's behaviour). */
  approveExternalIssuers?: boolean;
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

export function approverReconciler(deps: Deps, opts: ApproverOptions = {}): Reconcile {
  return async (key): Promise<Result> => {
    const { namespace, name } = splitKey(key);
    const cr = deps.caches.certificateRequests.get(namespace, name);
    if (!cr) return;
    const status = approvalStatus(cr, deps.clock.now(), opts);
    if (!status) return;
    const written = await writeStatus(
      deps.client,
      deps.caches.certificateRequests,
      "CertificateRequest",
      cr,
      status,
    );
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
