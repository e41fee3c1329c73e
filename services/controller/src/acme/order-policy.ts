/**
 * Pure decisions of the Order controller: what to do next with an Order, which Challenges it
 * needs, and which certificate chain to keep. No client, clock or logger here.
 *
 *   failed state ─────────────────────────▶ nothing
 *   no status.url ────────────────────────▶ create (newOrder)
 *   no finalizeURL ───────────────────────▶ refresh from the server
 *   authorizations without identifier ────▶ fetch authorizations
 *   valid, no certificate ────────────────▶ fetch certificate
 *   valid with certificate ───────────────▶ delete owned Challenges
 *   no solver for an authorization ───────▶ Warning event "Solver", nothing else
 *   required Challenges missing ──────────▶ create them
 *   leftover Challenges ──────────────────▶ delete them
 *   ready ────────────────────────────────▶ finalize
 *   a Challenge failed, or all are final ─▶ refresh from the server
 *   otherwise ────────────────────────────▶ wait for Challenge changes
 */
import {
  ACME_API_VERSION,
  type ACMEAuthorization,
  type ACMEChallengeSolver,
  type Challenge,
  type ChallengeSpec,
  type ClusterIssuer,
  type Issuer,
  type Order,
} from "@certkeeper/api";
import { isIP } from "node:net";
import { parseCertificate, splitPEMBundle } from "@certkeeper/pki";
import type { AcmeIdentifier } from "./client.ts";
import { challengeName } from "./names.ts";
import { explainNoSolver, pickSolver } from "./solvers.ts";
import { isFailureState, isFinalState } from "./states.ts";

/** dnsNames ∪ commonName ∪ ipAddresses, each typed, sorted (cert-manager uses sorted sets). */
export function orderIdentifiers(spec: Order["spec"]): AcmeIdentifier[] {
  const dns = new Set(spec.dnsNames ?? []);
  const ips = new Set(spec.ipAddresses ?? []);
  if (spec.commonName) (isIP(spec.commonName) ? ips : dns).add(spec.commonName);
  return [
    ...[...dns].sort().map((value) => ({ type: "dns" as const, value })),
    ...[...ips].sort().map((value) => ({ type: "ip" as const, value })),
  ];
}

const TYPES: Record<string, ChallengeSpec["type"] | undefined> = { "http-01": "HTTP-01", "dns-01": "DNS-01" };

/** Applies the `http01-override-ingress-*` annotations (at most one) to an HTTP-01 ingress solver. */
export function applyIngressOverrides(order: Order, solver: ACMEChallengeSolver): ACMEChallengeSolver {
  const ingress = solver.http01?.ingress;
  const a = order.metadata.annotations ?? {};
  if (!ingress) return solver;
  const name = a["acme.cert-manager.io/http01-override-ingress-name"];
  const cls = a["acme.cert-manager.io/http01-override-ingress-class"];
  const clsName = a["acme.cert-manager.io/http01-override-ingress-ingressclassname"];
  const set = [name, cls, clsName].filter((v) => v !== undefined);
  if (set.length === 0) return solver;
  if (set.length > 1)
    throw new Error("may not specify more than one of: name, class, ingressClassName override annotations");
  const { name: _n, class: _c, ingressClassName: _i, ...rest } = ingress;
  const next = {
    ...rest,
    ...(name !== undefined ? { name } : {}),
    ...(cls !== undefined ? { class: cls } : {}),
    ...(clsName !== undefined ? { ingressClassName: clsName } : {}),
  };
  return { ...solver, http01: { ...solver.http01, ingress: next } };
}

export type RequiredChallenges = { kind: "ok"; challenges: Challenge[] } | { kind: "error"; message: string };

/**
 * The Challenges an Order needs (spec without `key`, which needs the account key): one per
 * authorization not already valid, with the solver picked for it.
 */
export function requiredChallenges(order: Order, issuer: Issuer | ClusterIssuer): RequiredChallenges {
  const solvers = issuer.spec.acme?.solvers ?? [];
  const out: Challenge[] = [];
  for (const authz of order.status?.authorizations ?? []) {
    if (authz.initialState === "valid") continue;
    const identifier = authz.identifier ?? "";
    const wildcard = authz.wildcard ?? false;
    const challenges = authz.challenges ?? [];
    const choice = pickSolver(identifier, wildcard, challenges, solvers, order.metadata.labels ?? {});
    const type = choice && TYPES[choice.challenge.type];
    if (!choice || !type) {
      const why = explainNoSolver(identifier, wildcard, challenges, solvers, order.metadata.labels ?? {});
      return {
        kind: "error",
        message: `no configured challenge solvers can be used for this challenge: ${why}`,
      };
    }
    let solver: ACMEChallengeSolver;
    try {
      solver = applyIngressOverrides(order, choice.solver);
    } catch (err) {
      return { kind: "error", message: (err as Error).message };
    }
    const spec: ChallengeSpec = {
      url: choice.challenge.url,
      authorizationURL: authz.url,
      dnsName: identifier,
      ...(wildcard ? { wildcard } : {}),
      type,
      token: choice.challenge.token,
      key: "",
      solver,
      issuerRef: order.spec.issuerRef,
    };
    out.push({
      apiVersion: ACME_API_VERSION,
      kind: "Challenge",
      metadata: {
        name: challengeName(order.metadata.name!, spec),
        namespace: order.metadata.namespace!,
        ownerReferences: [
          {
            apiVersion: ACME_API_VERSION,
            kind: "Order",
            name: order.metadata.name!,
            uid: order.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec,
    });
  }
  return { kind: "ok", challenges: out };
}

export const anyChallengeFailed = (chs: readonly Challenge[]) =>
  chs.some((c) => isFailureState(c.status?.state));
export const allChallengesFinal = (chs: readonly Challenge[]) =>
  chs.every((c) => isFinalState(c.status?.state));

const missingMetadata = (a: ACMEAuthorization) => !a.identifier;

export type OrderAction =
  | { kind: "none"; why: string }
  | { kind: "create" }
  | { kind: "refresh"; why: "finalizeURL" | "challengesFailed" | "challengesFinal" | "waitingOnServer" }
  | { kind: "fetchAuthorizations" }
  | { kind: "fetchCertificate" }
  | { kind: "deleteChallenges"; challenges: Challenge[] }
  | { kind: "solverError"; message: string }
  | { kind: "createChallenges"; challenges: Challenge[] }
  | { kind: "finalize" };

export interface OrderInput {
  order: Order;
  issuer: Issuer | ClusterIssuer;
  /** Challenges controlled by the Order, from the cache. */
  owned: Challenge[];
}

/** Pure: the next step for an Order. */
export function decideOrder({ order, issuer, owned }: OrderInput): OrderAction {
  const st = order.status ?? {};
  if (isFailureState(st.state)) return { kind: "none", why: "order is in a failed state" };
  if (!st.url) return { kind: "create" };
  if (!st.finalizeURL) return { kind: "refresh", why: "finalizeURL" };
  if ((st.authorizations ?? []).some(missingMetadata)) return { kind: "fetchAuthorizations" };
  if (st.state === "valid" && !st.certificate) return { kind: "fetchCertificate" };
  if (st.state === "valid") {
    return owned.length > 0
      ? { kind: "deleteChallenges", challenges: owned }
      : { kind: "none", why: "order is complete" };
  }
  const required = requiredChallenges(order, issuer);
  if (required.kind === "error") return { kind: "solverError", message: required.message };
  const names = new Set(owned.map((c) => c.metadata.name));
  const missing = required.challenges.filter((c) => !names.has(c.metadata.name));
  if (missing.length > 0) return { kind: "createChallenges", challenges: missing };
  const wanted = new Set(required.challenges.map((c) => c.metadata.name));
  const leftover = owned.filter((c) => !wanted.has(c.metadata.name));
  if (leftover.length > 0) return { kind: "deleteChallenges", challenges: leftover };
  if (st.state === "ready") return { kind: "finalize" };
  if (anyChallengeFailed(owned)) return { kind: "refresh", why: "challengesFailed" };
  if (allChallengesFinal(owned))
    return { kind: "refresh", why: st.state === "processing" ? "waitingOnServer" : "challengesFinal" };
  return { kind: "none", why: "waiting for challenges" };
}

/**
 * preferredChain: the first chain (default first, then alternates) whose topmost certificate was
 * issued by a CA with this common name; undefined when none matches (keep the default).
 */
export function pickPreferredChain(chains: readonly string[], preferred: string): string | undefined {
  for (const chain of chains) {
    const certs = splitPEMBundle(chain);
    const top = certs[certs.length - 1];
    if (!top) continue;
    if (parseCertificate(top).issuer.commonName === preferred) return chain;
  }
  return undefined;
}
