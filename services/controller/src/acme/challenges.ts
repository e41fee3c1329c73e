/**
 * The `challenges` controller: solves one ACME challenge, only while the scheduler has set
 * `status.processing=true`.
 *
 *   deleted ─▶ clean up (if presented/processing) ─▶ drop our finalizer
 *   not processing ─▶ nothing          add finalizer acme.cert-manager.io/finalizer (legacy one migrated)
 *   final state ─▶ clean up ─▶ presented=false, processing=false
 *   state unknown ─▶ read it from the server
 *   present (acme-solver over NATS + Ingress path) ─▶ presented, presentedAt, Event Presented
 *   self-check (or waitInsteadOfSelfCheck) fails ─▶ reason "Waiting for HTTP-01 challenge
 *        propagation: …", look again after the check retry period; never accepted meanwhile
 *   accept ─▶ wait for the authorization (≤ 2 min) ─▶ valid: Event DomainVerified
 *                                                   └▶ invalid: Event Failed
 *   a 4xx from the server ─▶ errored (malformed ─▶ expired)
 *
 * The status is written once per reconcile (also when a step throws, so `presented` is never
 * lost), then Events and NATS events (`challenge.presented|valid|invalid|errored|cleaned-up`).
 */
import {
  ACME_CHALLENGE_FINALIZER,
  LEGACY_ACME_CHALLENGE_FINALIZER,
  parseGoDuration,
  Resources,
  type Challenge,
  type ChallengeStatus,
} from "@certkeeper/api";
import {
  formatTime,
  objectKey,
  splitKey,
  type EventType,
  type Reconcile,
  type ReconcileContext,
  type Result,
} from "@certkeeper/kube";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { writeStatus } from "../status.ts";
import type { AcmeAuthorizationObject, AcmeClient } from "./client.ts";
import { onIssuerChange, requireIssuer } from "./common.ts";
import type { AcmeDeps } from "./deps.ts";
import { AuthorizationError, errorText, formatProblem, isClientError, ProblemType } from "./errors.ts";
import { cleanupIngress, ensureIngress } from "./http01.ts";
import { http01SelfCheck } from "./selfcheck.ts";
import { isFinalState, toState } from "./states.ts";

export const CHALLENGES_CONTROLLER = "challenges";

type Ev = { type: EventType; reason: string; message: string };
type Pub = {
  event: "presented" | "valid" | "invalid" | "errored" | "cleaned-up";
  data: Record<string, unknown>;
};

interface Outcome {
  status: ChallengeStatus;
  events: Ev[];
  publish: Pub[];
  result?: Result;
  error?: unknown;
}

async function present(deps: Deps, acme: AcmeDeps, ch: Challenge): Promise<void> {
  await acme.solver.present(ch);
  if (acme.settings.http01Ingress && ch.spec.type === "HTTP-01") {
    await ensureIngress(deps.client, ch, {
      name: acme.settings.http01SolverServiceName,
      port: acme.settings.http01SolverServicePort,
    });
  }
}

async function cleanup(deps: Deps, acme: AcmeDeps, ch: Challenge): Promise<void> {
  await acme.solver.cleanup(ch);
  if (acme.settings.http01Ingress && ch.spec.type === "HTTP-01") await cleanupIngress(deps.client, ch);
}

async function selfCheck(acme: AcmeDeps, ch: Challenge, signal: AbortSignal): Promise<void> {
  if (acme.selfCheck) return acme.selfCheck(ch, signal);
  if (ch.spec.type !== "HTTP-01") throw new Error(`no self check for ${ch.spec.type} challenges yet`);
  const s = acme.settings;
  await http01SelfCheck(
    ch.spec,
    {
      passes: s.http01SelfCheckPasses,
      intervalMs: s.http01SelfCheckIntervalMs,
      timeoutMs: s.http01SelfCheckTimeoutMs,
      ...(s.http01SelfCheckAddress ? { address: s.http01SelfCheckAddress } : {}),
      ...(s.userAgent ? { userAgent: s.userAgent } : {}),
    },
    signal,
  );
}

/** golang's AuthorizationError over the failed challenges of an authorization. */
export function authorizationError(a: AcmeAuthorizationObject): AuthorizationError {
  const errors = a.challenges.filter((c) => c.error).map((c) => formatProblem(c.error!.status ?? 0, c.error));
  return new AuthorizationError(a.identifier.value, a.status, errors);
}

/** present → check → accept → wait: the work of one processing reconcile. */
async function solve(
  deps: Deps,
  acme: AcmeDeps,
  client: AcmeClient,
  ch: Challenge,
  ctx: ReconcileContext,
): Promise<Outcome> {
  const out: Outcome = { status: { ...(ch.status ?? {}) }, events: [], publish: [] };
  const st = out.status;
  const type = ch.spec.type;
  try {
    try {
      await present(deps, acme, ch);
    } catch (err) {
      out.events.push({
        type: "Warning",
        reason: "PresentError",
        message: `Error presenting challenge: ${errorText(err)}`,
      });
      throw err;
    }
    if (!st.presented) {
      st.presented = true;
      st.presentedAt = formatTime(deps.clock.now());
      out.events.push({
        type: "Normal",
        reason: "Presented",
        message: `Presented challenge using ${type} challenge mechanism`,
      });
      out.publish.push({ event: "presented", data: { dnsName: ch.spec.dnsName, type } });
    }

    const wait = ch.spec.solver.waitInsteadOfSelfCheck;
    if (wait) {
      const due = Date.parse(st.presentedAt!) + parseGoDuration(wait);
      const left = due - deps.clock.now().getTime();
      if (left > 0) {
        st.reason = `Waiting for ${type} challenge propagation: waiting ${wait} after presenting instead of self-checking`;
        out.result = { requeueAfter: left };
        return out;
      }
    } else {
      try {
        await selfCheck(acme, ch, ctx.signal);
      } catch (err) {
        st.reason = `Waiting for ${type} challenge propagation: ${errorText(err)}`;
        out.result = { requeueAfter: acme.settings.checkRetryPeriodMs };
        return out;
      }
    }

    try {
      st.state = toState((await client.acceptChallenge(ch.spec.url)).status) ?? st.state;
    } catch (err) {
      st.reason = `Error accepting challenge: ${errorText(err)}`;
      if (!isClientError(err)) throw err;
      st.state = err.type === ProblemType.malformed ? "expired" : "errored";
      out.publish.push({ event: "errored", data: { reason: st.reason } });
      return out;
    }

    const authz = await client.waitAuthorization(
      ch.spec.authorizationURL,
      acme.settings.waitAuthorizationTimeoutMs,
      ctx.signal,
    );
    if (authz.status === "valid") {
      st.state = "valid";
      st.reason = "Successfully authorized domain";
      out.events.push({
        type: "Normal",
        reason: "DomainVerified",
        message: `Domain "${ch.spec.dnsName}" verified with "${type}" validation`,
      });
      out.publish.push({ event: "valid", data: { dnsName: ch.spec.dnsName, type } });
    } else {
      const authErr = authorizationError(authz);
      st.state = toState(authz.status) ?? "invalid";
      st.reason = `Error accepting authorization: ${authErr.message}`;
      out.events.push({
        type: "Warning",
        reason: "Failed",
        message: `Accepting challenge authorization failed: ${authErr.message}`,
      });
      out.publish.push({ event: "invalid", data: { dnsName: ch.spec.dnsName, type, reason: st.reason } });
    }
  } catch (err) {
    out.error = err;
  }
  return out;
}

async function syncState(client: AcmeClient, ch: Challenge): Promise<Outcome> {
  const out: Outcome = { status: { ...(ch.status ?? {}) }, events: [], publish: [] };
  try {
    const remote = await client.getChallenge(ch.spec.url);
    const state = toState(remote.status);
    if (!state)
      throw new Error("could not determine acme challenge status. retrying after applying back-off");
    out.status.state = state;
    out.status.reason = remote.error?.detail ?? "";
  } catch (err) {
    if (!isClientError(err)) throw err;
    out.status.state = "errored";
    out.status.reason = `Failed to retrieve challenge: ${errorText(err)}`;
    out.publish.push({ event: "errored", data: { reason: out.status.reason } });
  }
  return out;
}

async function finish(deps: Deps, acme: AcmeDeps, ch: Challenge): Promise<Outcome> {
  const out: Outcome = {
    status: { ...(ch.status ?? {}), presented: false, processing: false },
    events: [],
    publish: [],
  };
  if (ch.status?.presented) {
    try {
      await cleanup(deps, acme, ch);
    } catch (err) {
      deps.recorder.event(ch, "Warning", "CleanUpError", `Error cleaning up challenge: ${errorText(err)}`);
      throw err;
    }
    out.publish.push({ event: "cleaned-up", data: { state: ch.status?.state } });
  }
  return out;
}

async function setFinalizers(
  deps: Deps,
  acme: AcmeDeps,
  ch: Challenge,
  finalizers: string[],
): Promise<Challenge> {
  const next = structuredClone(ch) as Challenge;
  next.metadata.finalizers = finalizers;
  const written = await deps.client.replace(Resources.Challenge, next);
  acme.caches.challenges.observe(written);
  return written;
}

async function handleDeletion(
  deps: Deps,
  acme: AcmeDeps,
  ch: Challenge,
  ctx: ReconcileContext,
): Promise<void> {
  const fins = ch.metadata.finalizers ?? [];
  const ours = [ACME_CHALLENGE_FINALIZER, LEGACY_ACME_CHALLENGE_FINALIZER];
  if (!fins.some((f) => ours.includes(f))) return;
  if (ch.status?.processing || ch.status?.presented) {
    try {
      await cleanup(deps, acme, ch);
      deps.lifecycle.publish("challenge", "cleaned-up", ch, { deleted: true });
    } catch (err) {
      // As cert-manager: a failed clean-up on deletion is reported, not retried forever.
      ctx.log.error({ err }, "error cleaning up challenge on deletion");
      deps.recorder.event(ch, "Warning", "CleanUpError", `Error cleaning up challenge: ${errorText(err)}`);
    }
  }
  await setFinalizers(
    deps,
    acme,
    ch,
    fins.filter((f) => !ours.includes(f)),
  );
}

export function challengeReconciler(deps: Deps, acme: AcmeDeps): Reconcile {
  return async (key, ctx): Promise<Result> => {
    const { namespace, name } = splitKey(key);
    let ch = acme.caches.challenges.get(namespace, name);
    if (!ch) return;
    if (ch.metadata.deletionTimestamp) return handleDeletion(deps, acme, ch, ctx);
    const fins = ch.metadata.finalizers ?? [];
    if (fins.includes(LEGACY_ACME_CHALLENGE_FINALIZER)) {
      const migrated = fins.filter((f) => f !== LEGACY_ACME_CHALLENGE_FINALIZER);
      ch = await setFinalizers(
        deps,
        acme,
        ch,
        migrated.includes(ACME_CHALLENGE_FINALIZER) ? migrated : [...migrated, ACME_CHALLENGE_FINALIZER],
      );
    }
    if (!ch.status?.processing) return;
    if (!(ch.metadata.finalizers ?? []).includes(ACME_CHALLENGE_FINALIZER)) {
      ch = await setFinalizers(deps, acme, ch, [...(ch.metadata.finalizers ?? []), ACME_CHALLENGE_FINALIZER]);
    }
    const issuer = requireIssuer(deps, ch.spec.issuerRef, ch.metadata.namespace);

    let out: Outcome;
    if (isFinalState(ch.status?.state)) {
      out = await finish(deps, acme, ch);
    } else {
      const client = await acme.accounts.clientFor(issuer);
      out = ch.status?.state ? await solve(deps, acme, client, ch, ctx) : await syncState(client, ch);
    }
    const written = await writeStatus(deps.client, acme.caches.challenges, "Challenge", ch, out.status);
    for (const e of out.events) deps.recorder.event(written, e.type, e.reason, e.message);
    if (written !== ch)
      for (const p of out.publish) deps.lifecycle.publish("challenge", p.event, written, p.data);
    if (out.error) throw out.error;
    return out.result;
  };
}

export function challengeController(deps: Deps, acme: AcmeDeps): ControllerRegistration {
  return {
    name: CHALLENGES_CONTROLLER,
    reconcile: challengeReconciler(deps, acme),
    watches: (enqueue) => {
      const { challenges } = acme.caches;
      challenges.onAdd((c) => enqueue(objectKey(c)));
      challenges.onUpdate((_o, c) => enqueue(objectKey(c)));
      onIssuerChange(deps, (refersToIt) => {
        for (const c of challenges.list()) {
          if (c.status?.processing && refersToIt(c.spec.issuerRef, c.metadata.namespace))
            enqueue(objectKey(c));
        }
      });
    },
  };
}
