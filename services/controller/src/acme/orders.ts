/**
 * The `orders` controller: drives one ACME order per Order resource (decisions in
 * order-policy.ts; this file talks to the ACME server and the API server).
 *
 *   create ──▶ newOrder + authorizations ──▶ Challenges ──(all valid)──▶ server says ready
 *     ──▶ finalize (POST the CSR) ──▶ wait while processing ──▶ download chain (preferredChain)
 *     ──▶ status.certificate, event Complete ──▶ owned Challenges deleted
 *
 * A 4xx answer marks the Order `errored` with cert-manager's reason; other failures are retried
 * with backoff. Each reconcile writes the status at most once, then records Events and publishes
 * `order.created|ready|valid|invalid|errored` on NATS.
 */
import {
  parseGoDuration,
  Resources,
  type Challenge,
  type ClusterIssuer,
  type Issuer,
  type Order,
  type OrderStatus,
} from "@certkeeper/api";
import {
  isAlreadyExists,
  isNotFound,
  objectKey,
  splitKey,
  type EventType,
  type Reconcile,
  type Result,
} from "@certkeeper/kube";
import { parseCertificate, splitPEMBundle } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { writeStatus } from "../status.ts";
import { AcmeIndex } from "./caches.ts";
import type { AcmeAuthorizationObject, AcmeClient, AcmeOrderObject } from "./client.ts";
import { controllerKey, isControlledBy, onIssuerChange, requireIssuer, withState } from "./common.ts";
import type { AcmeDeps } from "./deps.ts";
import { AcmeProblemError, AcmeTimeoutError, errorText, isClientError, ProblemType } from "./errors.ts";
import { decideOrder, orderIdentifiers, pickPreferredChain } from "./order-policy.ts";
import { isFailureState, toState } from "./states.ts";

export const ORDERS_CONTROLLER = "orders";

interface Step {
  status: OrderStatus;
  events?: Array<{ type: EventType; reason: string; message: string }>;
  requeueAfter?: number;
  /** Thrown after the status is written (retry with backoff). */
  retry?: Error;
}

type Ctx = {
  deps: Deps;
  acme: AcmeDeps;
  client: AcmeClient;
  order: Order;
  issuer: Issuer | ClusterIssuer;
  now: Date;
  signal: AbortSignal;
};

const errored = (st: OrderStatus, reason: string, now: Date): Step => ({
  status: { ...withState(st, "errored", now), reason },
});

/** cert-manager leaves reason empty for invalid orders; we name the server's error when there is one. */
function fromServer(st: OrderStatus, o: AcmeOrderObject, now: Date): OrderStatus {
  const next = withState({ ...st, url: o.url || st.url, finalizeURL: o.finalize }, toState(o.status), now);
  if (!next.authorizations?.length) next.authorizations = o.authorizations.map((url) => ({ url }));
  if (isFailureState(next.state) && o.error?.detail) next.reason = o.error.detail;
  return next;
}

function authorizationFrom(
  url: string,
  a: AcmeAuthorizationObject,
): NonNullable<OrderStatus["authorizations"]>[number] {
  return {
    url,
    identifier: a.identifier.value,
    wildcard: a.wildcard ?? false,
    ...(toState(a.status) ? { initialState: toState(a.status)! } : {}),
    challenges: a.challenges.map((c) => ({ url: c.url, token: c.token, type: c.type })),
  };
}

async function fetchAuthorizations(c: Ctx, st: OrderStatus): Promise<Step> {
  const authorizations = [...(st.authorizations ?? [])];
  for (const [i, a] of authorizations.entries()) {
    if (a.identifier) continue;
    try {
      authorizations[i] = authorizationFrom(a.url, await c.client.getAuthorization(a.url));
    } catch (err) {
      if (isClientError(err))
        return errored({ ...st, authorizations }, `Failed to fetch authorization: ${errorText(err)}`, c.now);
      return { status: { ...st, authorizations }, retry: err as Error };
    }
  }
  return { status: { ...st, authorizations } };
}

async function createOrder(c: Ctx): Promise<Step> {
  const st = c.order.status ?? {};
  const spec = c.order.spec;
  let o: AcmeOrderObject;
  try {
    o = await c.client.newOrder(orderIdentifiers(spec), {
      ...(spec.duration
        ? { notAfter: new Date(c.now.getTime() + parseGoDuration(spec.duration)).toISOString() }
        : {}),
      ...(spec.profile ? { profile: spec.profile } : {}),
    });
  } catch (err) {
    if (isClientError(err)) return errored(st, `Failed to create Order: ${errorText(err)}`, c.now);
    throw new Error(`error creating new order: ${errorText(err)}`, { cause: err });
  }
  // Fetch the authorizations now rather than on the next pass: one status write instead of two.
  return fetchAuthorizations(c, fromServer(st, o, c.now));
}

async function refresh(c: Ctx, requeueIfWaiting: boolean): Promise<Step> {
  const st = c.order.status ?? {};
  let o: AcmeOrderObject;
  try {
    o = await c.client.getOrder(st.url!);
  } catch (err) {
    if (isClientError(err)) return errored(st, `Failed to retrieve Order resource: ${errorText(err)}`, c.now);
    throw err;
  }
  const next = fromServer(st, o, c.now);
  if (isFailureState(next.state) && !next.reason) next.reason = failedChallengeReason(c);
  const waiting = next.state === "pending" || next.state === "processing";
  return {
    status: next,
    ...(requeueIfWaiting && waiting ? { requeueAfter: c.acme.settings.orderRequeueMs } : {}),
  };
}

function failedChallengeReason(c: Ctx): string {
  const failed = ownedChallenges(c.acme, c.order).find((ch) => isFailureState(ch.status?.state));
  return failed?.status?.reason ?? "";
}

/** Downloads the chain for a valid order (preferredChain applied) into status.certificate. */
async function storeCertificate(c: Ctx, st: OrderStatus, o: AcmeOrderObject): Promise<Step> {
  if (!o.certificate)
    return { status: st, retry: new Error("order is valid but the server gave no certificate URL") };
  const preferred = c.issuer.spec.acme?.preferredChain;
  let chains: string[];
  try {
    chains = (await c.client.fetchChains(o.certificate, !!preferred)).chains;
  } catch (err) {
    if (isClientError(err))
      return errored(st, `Failed to retrieve signed certificate: ${errorText(err)}`, c.now);
    return { status: st, retry: err as Error };
  }
  const chosen = (preferred && pickPreferredChain(chains, preferred)) || chains[0]!;
  try {
    const blocks = splitPEMBundle(chosen);
    if (blocks.length === 0) throw new Error("no certificates in the chain");
    for (const b of blocks) parseCertificate(b);
  } catch (err) {
    return errored(st, `Invalid certificate retrieved from ACME server: ${errorText(err)}`, c.now);
  }
  const pem = chosen.endsWith("\n") ? chosen : `${chosen}\n`;
  return {
    status: { ...withState(st, "valid", c.now), certificate: Buffer.from(pem).toString("base64") },
    events: [{ type: "Normal", reason: "Complete", message: "Order completed successfully" }],
  };
}

async function fetchCertificate(c: Ctx): Promise<Step> {
  const st = c.order.status ?? {};
  let o: AcmeOrderObject;
  try {
    o = await c.client.getOrder(st.url!);
  } catch (err) {
    if (isClientError(err)) return errored(st, `Failed to retrieve Order resource: ${errorText(err)}`, c.now);
    throw err;
  }
  const next = fromServer(st, o, c.now);
  return o.status === "valid" ? storeCertificate(c, next, o) : { status: next };
}

function csrPEM(order: Order): string {
  const raw = Buffer.from(order.spec.request, "base64");
  const text = raw.toString("utf8");
  if (text.includes("-----BEGIN")) return text;
  // cert-manager accepts DER for compatibility with its early releases.
  const b64 = raw.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}

async function finalize(c: Ctx): Promise<Step> {
  const st = c.order.status ?? {};
  let o: AcmeOrderObject;
  try {
    o = await c.client.finalize({ url: st.url!, finalize: st.finalizeURL! }, csrPEM(c.order));
  } catch (err) {
    if (!(err instanceof AcmeProblemError))
      throw new Error(`error finalizing order: ${errorText(err)}`, { cause: err });
    const notReady = err.type === ProblemType.orderNotReady;
    if (err.status === 403 || notReady) {
      // Finalized in an earlier pass whose status write was lost, or not ready after all: ask.
      const current = await refresh(c, true);
      if (current.status.state === "valid")
        return fetchCertificate({ ...c, order: { ...c.order, status: current.status } });
      if (notReady || isFailureState(current.status.state)) return current;
    }
    if (err.isClientError) return errored(st, `Failed to finalize Order: ${errorText(err)}`, c.now);
    throw new Error(`error finalizing order: ${errorText(err)}`, { cause: err });
  }
  if (o.status === "processing") {
    try {
      o = await c.client.waitOrder(st.url!, c.acme.settings.waitOrderTimeoutMs, c.signal);
    } catch (err) {
      if (err instanceof AcmeTimeoutError)
        return { status: withState(st, "processing", c.now), requeueAfter: c.acme.settings.orderRequeueMs };
      throw err;
    }
  }
  const next = fromServer(st, { ...o, url: st.url! }, c.now);
  return o.status === "valid" ? storeCertificate(c, next, o) : { status: next };
}

/** Creates the missing Challenges with their keys; AlreadyExists counts as done. */
async function createChallenges(c: Ctx, challenges: Challenge[]): Promise<void> {
  for (const ch of challenges) {
    const full: Challenge = {
      ...ch,
      spec: { ...ch.spec, key: await c.client.keyAuthorization(ch.spec.token, ch.spec.type) },
    };
    try {
      const created = await c.deps.client.create(Resources.Challenge, full);
      c.acme.caches.challenges.observe(created);
    } catch (err) {
      if (isAlreadyExists(err)) continue;
      throw err;
    }
    c.deps.recorder.event(
      c.order,
      "Normal",
      "Created",
      `Created Challenge resource "${ch.metadata.name}" for domain "${ch.spec.dnsName}"`,
    );
  }
}

export function ownedChallenges(acme: AcmeDeps, order: Order): Challenge[] {
  return acme.caches.challenges
    .byIndex(AcmeIndex.ownerUID, order.metadata.uid ?? "")
    .filter((ch) => isControlledBy(ch, order));
}

const STATE_EVENTS = { ready: "ready", valid: "valid", invalid: "invalid", errored: "errored" } as const;

function publish(deps: Deps, before: Order, after: Order): void {
  const b = before.status ?? {};
  const a = after.status ?? {};
  if (!b.url && a.url)
    deps.lifecycle.publish("order", "created", after, {
      url: a.url,
      identifiers: orderIdentifiers(after.spec).map((i) => i.value),
    });
  const ev = a.state && a.state !== b.state ? STATE_EVENTS[a.state as keyof typeof STATE_EVENTS] : undefined;
  if (ev)
    deps.lifecycle.publish("order", ev, after, { state: a.state, ...(a.reason ? { reason: a.reason } : {}) });
}

export function orderReconciler(deps: Deps, acme: AcmeDeps): Reconcile {
  return async (key, ctx): Promise<Result> => {
    const { namespace, name } = splitKey(key);
    const order = acme.caches.orders.get(namespace, name);
    if (!order || order.metadata.deletionTimestamp) return;
    const resolved = requireIssuer(deps, order.spec.issuerRef, order.metadata.namespace);
    const action = decideOrder({ order, issuer: resolved.issuer, owned: ownedChallenges(acme, order) });
    switch (action.kind) {
      case "none":
        ctx.log.debug({ why: action.why }, "no action");
        return;
      case "solverError":
        deps.recorder.event(
          order,
          "Warning",
          "Solver",
          `Failed to determine a valid solver configuration for the set of domains on the Order: ${action.message}`,
        );
        return;
      case "deleteChallenges":
        for (const ch of action.challenges) {
          await deps.client
            .delete(Resources.Challenge, ch.metadata.namespace, ch.metadata.name!)
            .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
        }
        return;
    }
    const client = await acme.accounts.clientFor(resolved);
    const c: Ctx = {
      deps,
      acme,
      client,
      order,
      issuer: resolved.issuer,
      now: deps.clock.now(),
      signal: ctx.signal,
    };
    let step: Step;
    switch (action.kind) {
      case "create":
        step = await createOrder(c);
        break;
      case "refresh":
        step = await refresh(c, action.why === "challengesFinal" || action.why === "waitingOnServer");
        break;
      case "fetchAuthorizations":
        step = await fetchAuthorizations(c, order.status ?? {});
        break;
      case "fetchCertificate":
        step = await fetchCertificate(c);
        break;
      case "createChallenges":
        await createChallenges(c, action.challenges);
        return;
      case "finalize":
        step = await finalize(c);
        break;
    }
    const written = await writeStatus(deps.client, acme.caches.orders, "Order", order, step.status);
    if (written !== order) {
      for (const e of step.events ?? []) deps.recorder.event(written, e.type, e.reason, e.message);
      publish(deps, order, written);
    }
    if (step.retry) throw step.retry;
    return step.requeueAfter ? { requeueAfter: step.requeueAfter } : undefined;
  };
}

export function orderController(deps: Deps, acme: AcmeDeps): ControllerRegistration {
  return {
    name: ORDERS_CONTROLLER,
    reconcile: orderReconciler(deps, acme),
    watches: (enqueue) => {
      const { orders, challenges } = acme.caches;
      orders.onAdd((o) => enqueue(objectKey(o)));
      orders.onUpdate((_old, o) => enqueue(objectKey(o)));
      const byOwner = (ch: Challenge) => {
        const k = controllerKey(ch, "Order");
        if (k) enqueue(k);
      };
      challenges.onAdd(byOwner);
      challenges.onUpdate((_old, ch) => byOwner(ch));
      challenges.onDelete(byOwner);
      // An Order waiting for its issuer's account (not Ready yet) goes on when the issuer does.
      onIssuerChange(deps, (refersToIt) => {
        for (const o of orders.list()) {
          if (
            !isFailureState(o.status?.state) &&
            !o.status?.certificate &&
            refersToIt(o.spec.issuerRef, o.metadata.namespace)
          )
            enqueue(objectKey(o));
        }
      });
    },
  };
}
