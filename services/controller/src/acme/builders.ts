/** Object builders for the ACME unit tests: `anOrder(withAuthorizations(...))`, `aChallenge(...)`. */
import type {
  ACMEAuthorization,
  ACMEChallengeSolver,
  Challenge,
  ClusterIssuer,
  Order,
  State,
} from "@certkeeper/api";

type Mod<T> = (o: T) => void;

export function anIssuer(
  solvers: ACMEChallengeSolver[] = [{ http01: { ingress: {} } }],
  ...mods: Mod<ClusterIssuer>[]
): ClusterIssuer {
  const i: ClusterIssuer = {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: "acme", uid: "issuer-uid", generation: 1 },
    spec: { acme: { server: "https://acme.test/dir", privateKeySecretRef: { name: "acme-key" }, solvers } },
  };
  for (const m of mods) m(i);
  return i;
}

export function anOrder(...mods: Mod<Order>[]): Order {
  const o: Order = {
    apiVersion: "acme.cert-manager.io/v1",
    kind: "Order",
    metadata: { name: "web-1-123", namespace: "ns", uid: "order-uid", labels: {} },
    spec: { request: "", issuerRef: { name: "acme", kind: "ClusterIssuer" }, dnsNames: ["web.example.com"] },
    status: {},
  };
  for (const m of mods) m(o);
  return o;
}

export const withOrderState =
  (state: State | undefined): Mod<Order> =>
  (o) =>
    void (o.status = { ...o.status, ...(state ? { state } : {}) });
export const withURLs =
  (url = "https://acme.test/order/1", finalizeURL = "https://acme.test/order/1/finalize"): Mod<Order> =>
  (o) =>
    void (o.status = { ...o.status, url, finalizeURL });
export const withAuthorizations =
  (...authzs: ACMEAuthorization[]): Mod<Order> =>
  (o) =>
    void (o.status = { ...o.status, authorizations: authzs });
export const withCertificate =
  (pem = "PEM"): Mod<Order> =>
  (o) =>
    void (o.status = { ...o.status, certificate: Buffer.from(pem).toString("base64") });
export const withLabels =
  (labels: Record<string, string>): Mod<Order> =>
  (o) =>
    void (o.metadata.labels = labels);

export function anAuthorization(
  identifier: string,
  opts: { state?: State; wildcard?: boolean; types?: string[] } = {},
): ACMEAuthorization {
  return {
    url: `https://acme.test/authz/${identifier}`,
    identifier,
    wildcard: opts.wildcard ?? false,
    initialState: opts.state ?? "pending",
    challenges: (opts.types ?? ["http-01", "dns-01"]).map((type) => ({
      url: `https://acme.test/chall/${identifier}/${type}`,
      token: `tok-${identifier}-${type}`,
      type,
    })),
  };
}

export function aChallenge(name: string, dnsName: string, ...mods: Mod<Challenge>[]): Challenge {
  const c: Challenge = {
    apiVersion: "acme.cert-manager.io/v1",
    kind: "Challenge",
    metadata: { name, namespace: "ns", uid: `${name}-uid`, creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      url: `https://acme.test/chall/${name}`,
      authorizationURL: `https://acme.test/authz/${name}`,
      dnsName,
      type: "HTTP-01",
      token: `tok-${name}`,
      key: `tok-${name}.thumb`,
      solver: { http01: { ingress: {} } },
      issuerRef: { name: "acme", kind: "ClusterIssuer" },
    },
    status: {},
  };
  for (const m of mods) m(c);
  return c;
}

export const createdAt =
  (iso: string): Mod<Challenge> =>
  (c) =>
    void (c.metadata.creationTimestamp = iso);
export const processing = (c: Challenge) => void (c.status = { ...c.status, processing: true });
export const inState =
  (state: State): Mod<Challenge> =>
  (c) =>
    void (c.status = { ...c.status, state });
export const ofType =
  (type: "HTTP-01" | "DNS-01"): Mod<Challenge> =>
  (c) =>
    void (c.spec.type = type);
export const ownedBy =
  (o: Order): Mod<Challenge> =>
  (c) =>
    void (c.metadata.ownerReferences = [
      {
        apiVersion: "acme.cert-manager.io/v1",
        kind: "Order",
        name: o.metadata.name!,
        uid: o.metadata.uid!,
        controller: true,
      },
    ]);
