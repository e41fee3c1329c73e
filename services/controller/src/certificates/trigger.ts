/**
 * certificates-trigger: decides whether a Certificate needs (re-)issuance and, if so, sets
 * Issuing=True with the reason of the first trigger policy that fires.
 *
 *   Issuing=True already ─▶ nothing
 *   not the Secret's owner ─▶ recheck in 3 min
 *   failed recently and spec unchanged ─▶ wait out the backoff (1h·2^(n-1), capped)
 *   a trigger fires ─▶ Issuing=True (reason, message) + Event "Issuing"
 *   nothing fires ─▶ wake up at the renewal time
 */
import { CertificateReason, type Certificate, type CertificateRequest } from "@certkeeper/api";
import type { Reconcile, Result } from "@certkeeper/kube";
import type { ParsedCSR } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";
import {
  DUPLICATE_SECRET_RECHECK_MS,
  gatherPolicyInput,
  getCertificate,
  isIssuing,
  nextRevision,
  ownsSecret,
  requestForRevision,
} from "./common.ts";
import { requestMatchesSpec } from "./match.ts";
import { parseRequestCSR } from "./parsed.ts";
import { evaluate, readinessChain, triggerChain, type PolicyInput } from "./policies.ts";
import { renewalTime } from "./renewal.ts";
import { readinessStatus } from "./readiness.ts";

export const TRIGGER_CONTROLLER = "certificates-trigger";

export type TriggerDecision =
  { kind: "issue"; reason: string; message: string } | { kind: "wait"; requeueAfterMs?: number };

export interface BackoffSettings {
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** How long issuance must still wait after a failure, or 0. Lifted when the spec changed since. */
export function backoffRemaining(
  cert: Certificate,
  nextRequest: { cr: CertificateRequest; csr: ParsedCSR | Error } | undefined,
  now: Date,
  s: BackoffSettings,
): number {
  const last = cert.status?.lastFailureTime;
  if (!last) return 0;
  if (nextRequest && !(nextRequest.csr instanceof Error)) {
    if (requestMatchesSpec(nextRequest.cr.spec, nextRequest.csr, cert.spec).length > 0) return 0;
  }
  const attempts = cert.status?.failedIssuanceAttempts ?? 1;
  const delay = Math.min(s.minBackoffMs * 2 ** Math.max(0, attempts - 1), s.maxBackoffMs);
  const since = now.getTime() - Date.parse(last);
  return since >= delay ? 0 : delay - since;
}

export function decideTrigger(
  input: PolicyInput,
  nextRequest: { cr: CertificateRequest; csr: ParsedCSR | Error } | undefined,
  s: BackoffSettings,
): TriggerDecision {
  const wait = backoffRemaining(input.certificate, nextRequest, input.now, s);
  if (wait > 0) return { kind: "wait", requeueAfterMs: wait };
  const hit = evaluate(triggerChain, input);
  if (hit) return { kind: "issue", ...hit };
  const cert = input.parsed?.cert;
  const at = cert ? renewalTime(cert.notBefore, cert.notAfter, input.certificate.spec) : undefined;
  return at
    ? { kind: "wait", requeueAfterMs: Math.max(0, at.getTime() - input.now.getTime()) }
    : { kind: "wait" };
}

/**
 * Issuing=True set by someone else (`certkeeper renew`, cmctl, a user's status patch) is announced
 * on NATS like one of ours, once: at the first stage, before the key manager has recorded a key.
 * Our own Issuing writes are announced at the same resourceVersion, so the stream's Nats-Msg-Id
 * de-duplication drops the repeat.
 */
function announceExternalTrigger(deps: Deps, cert: Certificate): void {
  if (cert.status?.nextPrivateKeySecretName) return;
  const cond = getCondition(cert.status?.conditions, "Issuing");
  deps.lifecycle.publish("certificate", "issuing", cert, {
    reason: cond?.reason,
    message: cond?.message,
    revision: nextRevision(cert),
  });
}

export function triggerReconciler(deps: Deps): Reconcile {
  return async (key): Promise<Result> => {
    const cert = getCertificate(deps, key);
    if (!cert) return;
    if (isIssuing(cert)) {
      announceExternalTrigger(deps, cert);
      return;
    }
    if (!(await ownsSecret(deps, cert))) return { requeueAfter: DUPLICATE_SECRET_RECHECK_MS };

    const input = await gatherPolicyInput(deps, cert);
    const next = requestForRevision(deps, cert, nextRevision(cert));
    const decision = decideTrigger(input, next && { cr: next, csr: parseRequestCSR(next) }, deps.settings);
    if (decision.kind === "wait") {
      return decision.requeueAfterMs !== undefined
        ? { requeueAfter: decision.requeueAfterMs + 1000 }
        : undefined;
    }

    // Readiness is written in the same status update (it is a function of the same input), which
    // saves the readiness controller a write of its own for every new Certificate.
    const now = input.now;
    const ready = readinessStatus(cert, evaluate(readinessChain, input), input.parsed?.cert, now);
    const status = {
      ...ready,
      conditions: withCondition(
        ready.conditions,
        {
          type: "Issuing",
          status: "True",
          reason: decision.reason,
          message: decision.message,
          observedGeneration: cert.metadata.generation,
        },
        now,
      ),
    };
    const written = await writeStatus(deps.client, deps.caches.certificates, "Certificate", cert, status);
    deps.recorder.event(written, "Normal", "Issuing", decision.message);
    deps.lifecycle.publish("certificate", "issuing", written, {
      reason: decision.reason,
      message: decision.message,
      revision: nextRevision(written),
    });
    return;
  };
}

/** The reasons a manual `renew` uses (cmctl). */
export const MANUAL_TRIGGER = { reason: CertificateReason.ManuallyTriggered };
