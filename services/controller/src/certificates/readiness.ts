/**
 * certificates-readiness: keeps the Ready condition and notBefore / notAfter / renewalTime in
 * step with the Secret. Ready=True only when no readiness policy fires.
 */
import {
  CertificateReason,
  ConditionMessage,
  type Certificate,
  type CertificateStatus,
} from "@certkeeper/api";
import type { Reconcile, Result } from "@certkeeper/kube";
import type { ParsedCertificate } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";
import {
  gatherPolicyInput,
  getCertificate,
  isIssuing,
  nextRevision,
  recordedNextKeySecret,
  requestForRevision,
} from "./common.ts";
import { parseRequestCSR, parseSecret } from "./parsed.ts";
import { decideTrigger } from "./trigger.ts";
import { evaluate, readinessChain, type PolicyInput, type Violation } from "./policies.ts";
import { formatTime, renewalTime } from "./renewal.ts";

export const READINESS_CONTROLLER = "certificates-readiness";

/** The status readiness wants, given the first readiness violation (or none). Pure. */
export function readinessStatus(
  cert: Certificate,
  violation: Violation | null,
  parsedCert: ParsedCertificate | undefined,
  now: Date,
): CertificateStatus {
  const status: CertificateStatus = { ...(cert.status ?? {}) };
  const cond = violation
    ? { type: "Ready", status: "False" as const, reason: violation.reason, message: violation.message }
    : {
        type: "Ready",
        status: "True" as const,
        reason: CertificateReason.Ready,
        message: ConditionMessage.CertificateUpToDate,
      };
  status.conditions = withCondition(
    status.conditions,
    { ...cond, observedGeneration: cert.metadata.generation },
    now,
  );
  delete status.notBefore;
  delete status.notAfter;
  delete status.renewalTime;
  if (parsedCert) {
    status.notBefore = formatTime(parsedCert.notBefore);
    status.notAfter = formatTime(parsedCert.notAfter);
    const at = renewalTime(parsedCert.notBefore, parsedCert.notAfter, cert.spec);
    if (at) status.renewalTime = formatTime(at);
  }
  return status;
}

/**
 * The issuing controller writes the Secret, then the Certificate status (revision, Ready,
 * validity) in one update. Between the two, the Secret already holds the new key; readiness
 * leaves that window to the issuing controller instead of racing it with a write of its own.
 */
function secretHoldsIssuanceInProgress(
  deps: Deps,
  cert: Certificate,
  secretKey: Buffer | undefined,
): boolean {
  if (!isIssuing(cert) || !secretKey) return false;
  const next = recordedNextKeySecret(deps, cert);
  const nextKey = next ? parseSecret(next).keySPKI : undefined;
  return !!nextKey && nextKey.equals(secretKey);
}

/** The trigger controller writes Ready in the same update that starts an issuance. */
function triggerWillFire(deps: Deps, cert: Certificate, input: PolicyInput): boolean {
  const next = requestForRevision(deps, cert, nextRevision(cert));
  return (
    decideTrigger(input, next && { cr: next, csr: parseRequestCSR(next) }, deps.settings).kind === "issue"
  );
}

export function readinessReconciler(deps: Deps): Reconcile {
  return async (key): Promise<Result> => {
    const cert = getCertificate(deps, key);
    if (!cert) return;
    const input = await gatherPolicyInput(deps, cert);
    if (secretHoldsIssuanceInProgress(deps, cert, input.parsed?.keySPKI)) return; // issuing writes it
    if (!isIssuing(cert) && triggerWillFire(deps, cert, input)) return; // the trigger writes Ready too
    const violation = evaluate(readinessChain, input);
    const status = readinessStatus(cert, violation, input.parsed?.cert, input.now);
    const before = getCondition(cert.status?.conditions, "Ready");
    const written = await writeStatus(deps.client, deps.caches.certificates, "Certificate", cert, status);
    if (written !== cert) {
      const after = getCondition(written.status?.conditions, "Ready");
      if (after && after.status !== before?.status) {
        deps.lifecycle.publish("certificate", after.status === "True" ? "ready" : "not-ready", written, {
          reason: after.reason,
          message: after.message,
        });
      }
      if (written.status?.renewalTime && written.status.renewalTime !== cert.status?.renewalTime) {
        deps.lifecycle.publish("certificate", "renewal-scheduled", written, {
          renewalTime: written.status.renewalTime,
          notAfter: written.status.notAfter,
        });
      }
    }
    // Wake up at expiry so Ready turns False with reason Expired on time.
    const notAfter = input.parsed?.cert?.notAfter;
    if (notAfter && notAfter.getTime() > input.now.getTime()) {
      return { requeueAfter: notAfter.getTime() - input.now.getTime() + 1000 };
    }
    return;
  };
}
