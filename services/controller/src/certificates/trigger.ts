/**
 * certificates-trigger: decides whether a Certificate needs (re-)issuance and, if so, sets
 * Issuing=True with the reason of the first trigger policy that fires.
 *
 *   Issuing=True already ─▶ nothing
 *   not the Secret's owner ─▶ recheck in 3 min
 *   failed recently and spec unchanged ─▶ wait out the backoff (1h·2^(n-1), capped)
 *   a trigger fires ─▶ Issuing=True (reason, message) + Event "Issuing"
 *   nothing fires ─▶ wake up at the renewal time
 *
 * Renewal windows that cannot be applied (renewal.ts) are reported as a Warning Event
 * "WindowError", once per Certificate, issued certificate and problem; renewal then goes ahead at
 * the time computed without them.
 */
import { CertificateReason, type Certificate, type CertificateRequest } from "@certkeeper/api";
import type { EventRecorder, Reconcile, Result } from "@certkeeper/kube";
import type { ParsedCSR } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";
import {
  newNextKeySecretName,
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
import { formatTime, renewalSchedule } from "./renewal.ts";
import { readinessStatus } from "./readiness.ts";

export const TRIGGER_CONTROLLER = "certificates-trigger";

/** `windowError`: the message of a WindowError Event to record (see windowErrorReporter). */
export type TriggerDecision = (
  { kind: "issue"; reason: string; message: string } | { kind: "wait"; requeueAfterMs?: number }
) & { windowError?: string };

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
  const cert = input.parsed?.cert;
  const renewal = cert ? renewalSchedule(cert.notBefore, cert.notAfter, input.certificate.spec) : undefined;
  const windowError = renewal?.windowError
    ? {
        windowError: `Renewal windows not applied, renewing at ${formatTime(renewal.at)}: ${renewal.windowError}`,
      }
    : {};
  const wait = backoffRemaining(input.certificate, nextRequest, input.now, s);
  if (wait > 0) return { kind: "wait", requeueAfterMs: wait, ...windowError };
  const hit = evaluate(triggerChain, input);
  if (hit) return { kind: "issue", ...hit, ...windowError };
  return renewal
    ? {
        kind: "wait",
        requeueAfterMs: Math.max(0, renewal.at.getTime() - input.now.getTime()),
        ...windowError,
      }
    : { kind: "wait" };
}

/** Called on every reconcile; `message` undefined (or no Certificate) means no problem now. */
export type WindowErrorReport = (key: string, cert?: Certificate, notAfter?: Date, message?: string) => void;

/**
 * Records WindowError Events once per Certificate (UID), issued certificate (notAfter) and
 * message. The trigger reconciles a Certificate on every change to it, its Secret and its
 * requests; an Event each time would bury the others (the recorder's aggregation still PATCHes
 * the Event's count on every repeat). Remembered in memory per work-queue key, so a restart or a
 * move to another replica records it once more; a fixed spec clears the entry, so breaking it
 * again is reported again.
 */
export function windowErrorReporter(recorder: EventRecorder): WindowErrorReport {
  const reported = new Map<string, string>();
  return (key, cert, notAfter, message) => {
    if (!cert || !message) {
      reported.delete(key);
      return;
    }
    const seen = `${cert.metadata.uid}|${notAfter?.getTime()}|${message}`;
    if (reported.get(key) === seen) return;
    reported.set(key, seen);
    recorder.event(cert, "Warning", CertificateReason.WindowError, message);
  };
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
  const reportWindowError = windowErrorReporter(deps.recorder);
  return async (key): Promise<Result> => {
    const cert = getCertificate(deps, key);
    if (!cert) {
      reportWindowError(key);
      return;
    }
    if (isIssuing(cert)) {
      announceExternalTrigger(deps, cert);
      return;
    }
    if (!(await ownsSecret(deps, cert))) return { requeueAfter: DUPLICATE_SECRET_RECHECK_MS };

    const input = await gatherPolicyInput(deps, cert);
    const next = requestForRevision(deps, cert, nextRevision(cert));
    const decision = decideTrigger(input, next && { cr: next, csr: parseRequestCSR(next) }, deps.settings);
    reportWindowError(key, cert, input.parsed?.cert?.notAfter, decision.windowError);
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
      // The key manager creates the next-key Secret under this name (one status write fewer).
      nextPrivateKeySecretName: cert.status?.nextPrivateKeySecretName ?? newNextKeySecretName(cert),
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
