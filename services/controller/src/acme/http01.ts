/**
 * In-cluster routing for HTTP-01: an Ingress path per challenge to the acme-solver Service.
 *
 *   solver.http01.ingress.name set  → edit that Ingress in place: add the challenge path to the
 *                                      rule for the host (or a new rule); removed on cleanup
 *   otherwise                       → one Ingress per challenge (generateName cm-acme-http-solver-,
 *                                      owned by the Challenge, cert-manager's labels); deleted on cleanup
 *
 * Every replica of the acme-solver serves every token, so all paths point at the one Service.
 * Gateway API HTTPRoutes (solver.http01.gatewayHTTPRoute) are not created yet.
 */
import {
  ACME_API_VERSION,
  Annotations,
  Labels,
  type ACMEChallengeSolverHTTP01Ingress,
  type Challenge,
} from "@certkeeper/api";
import { isNotFound, type KubeClient, type KubeObject, type ResourceType } from "@certkeeper/kube";
import { isIP } from "node:net";
import { HTTP01_CHALLENGE_PATH } from "./selfcheck.ts";

export const IngressResource: ResourceType = {
  group: "networking.k8s.io",
  version: "v1",
  plural: "ingresses",
  namespaced: true,
  kind: "Ingress",
};

export interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { number?: number; name?: string } } };
}

export interface IngressRule {
  host?: string;
  http?: { paths: IngressPath[] };
}

export interface Ingress extends KubeObject {
  spec: { ingressClassName?: string; rules?: IngressRule[]; [k: string]: unknown };
}

export interface SolverService {
  name: string;
  port: number;
}

/** zlib's adler32 (cert-manager labels solver resources with it). */
export function adler32(data: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(data, "utf8")) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function solverLabels(ch: Challenge): Record<string, string> {
  return {
    [Labels.ACMEHTTPDomain]: String(adler32(ch.spec.dnsName)),
    [Labels.ACMEHTTPToken]: String(adler32(ch.spec.token)),
    [Labels.ACMEHTTP01Solver]: "true",
  };
}

export const solverPath = (token: string) => `${HTTP01_CHALLENGE_PATH}/${token}`;

function pathFor(ch: Challenge, svc: SolverService): IngressPath {
  return {
    path: solverPath(ch.spec.token),
    pathType: "Exact",
    backend: { service: { name: svc.name, port: { number: svc.port } } },
  };
}

function ingressConfig(ch: Challenge): ACMEChallengeSolverHTTP01Ingress | undefined {
  return ch.spec.solver.http01?.ingress;
}

/** Pure: the solver Ingress for a challenge (no edit-in-place). */
export function buildSolverIngress(ch: Challenge, svc: SolverService): Ingress {
  const cfg = ingressConfig(ch) ?? {};
  const template = cfg.ingressTemplate?.metadata;
  const annotations: Record<string, string> = {};
  if (!Object.keys(template?.annotations ?? {}).some((k) => k.endsWith("/whitelist-source-range"))) {
    annotations[Annotations.NginxWhitelistSourceRange] = "0.0.0.0/0,::/0";
  }
  if (cfg.class) annotations[Annotations.IngressClass] = cfg.class;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      generateName: "cm-acme-http-solver-",
      namespace: ch.metadata.namespace!,
      labels: { ...solverLabels(ch), ...(template?.labels ?? {}) },
      annotations: { ...annotations, ...(template?.annotations ?? {}) },
      ownerReferences: [
        {
          apiVersion: ACME_API_VERSION,
          kind: "Challenge",
          name: ch.metadata.name!,
          uid: ch.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...(cfg.ingressClassName ? { ingressClassName: cfg.ingressClassName } : {}),
      rules: [
        { ...(isIP(ch.spec.dnsName) ? {} : { host: ch.spec.dnsName }), http: { paths: [pathFor(ch, svc)] } },
      ],
    },
  };
}

/** Pure: `ing` with the challenge path added to the rule for its host; undefined if already there. */
export function withChallengePath(ing: Ingress, ch: Challenge, svc: SolverService): Ingress | undefined {
  const add = pathFor(ch, svc);
  const next = structuredClone(ing) as Ingress;
  const rules = (next.spec.rules ??= []);
  const rule = rules.find((r) => r.host === ch.spec.dnsName);
  if (!rule) {
    rules.push({ host: ch.spec.dnsName, http: { paths: [add] } });
    return next;
  }
  const paths = (rule.http ??= { paths: [] }).paths;
  const i = paths.findIndex((p) => p.path === add.path);
  if (i >= 0) {
    const p = paths[i]!;
    if (p.backend?.service?.name === svc.name && p.backend.service.port?.number === svc.port)
      return undefined;
    paths[i] = add;
  } else {
    paths.unshift(add);
  }
  return next;
}

/** Pure: `ing` without the challenge path (rules left empty are dropped); undefined if absent. */
export function withoutChallengePath(ing: Ingress, ch: Challenge): Ingress | undefined {
  const path = solverPath(ch.spec.token);
  const next = structuredClone(ing) as Ingress;
  let changed = false;
  next.spec.rules = (next.spec.rules ?? []).filter((r) => {
    if (r.host !== ch.spec.dnsName || !r.http) return true;
    const before = r.http.paths.length;
    r.http.paths = r.http.paths.filter((p) => p.path !== path);
    if (r.http.paths.length !== before) changed = true;
    return r.http.paths.length > 0;
  });
  return changed ? next : undefined;
}

function owned(ing: KubeObject, ch: Challenge): boolean {
  return !!ing.metadata.ownerReferences?.some((o) => o.uid === ch.metadata.uid && o.controller);
}

const selector = (ch: Challenge) =>
  Object.entries(solverLabels(ch))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

async function ownedIngresses(client: KubeClient, ch: Challenge): Promise<Ingress[]> {
  const list = await client.list<Ingress>(IngressResource, {
    namespace: ch.metadata.namespace!,
    labelSelector: selector(ch),
  });
  return list.items.filter((i) => owned(i, ch));
}

/** Makes sure the challenge path routes to the acme-solver Service (idempotent). */
export async function ensureIngress(client: KubeClient, ch: Challenge, svc: SolverService): Promise<void> {
  const cfg = ingressConfig(ch);
  if (!cfg) return;
  const ns = ch.metadata.namespace!;
  if (cfg.name) {
    const ing = await client.get<Ingress>(IngressResource, ns, cfg.name);
    const next = withChallengePath(ing, ch, svc);
    if (next) await client.replace(IngressResource, next);
    return;
  }
  const existing = await ownedIngresses(client, ch);
  const good = existing.filter(
    (i) => i.spec.rules?.[0]?.http?.paths?.[0]?.backend?.service?.name === svc.name,
  );
  if (existing.length === 1 && good.length === 1) return;
  for (const i of existing)
    await client
      .delete(IngressResource, ns, i.metadata.name!)
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  await client.create(IngressResource, buildSolverIngress(ch, svc));
}

/** Removes what ensureIngress made. */
export async function cleanupIngress(client: KubeClient, ch: Challenge): Promise<void> {
  const cfg = ingressConfig(ch);
  if (!cfg) return;
  const ns = ch.metadata.namespace!;
  if (cfg.name) {
    let ing: Ingress;
    try {
      ing = await client.get<Ingress>(IngressResource, ns, cfg.name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const next = withoutChallengePath(ing, ch);
    if (next) await client.replace(IngressResource, next);
    return;
  }
  for (const i of await ownedIngresses(client, ch)) {
    await client
      .delete(IngressResource, ns, i.metadata.name!)
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
}
