import { beforeAll, describe, expect, it } from "vitest";
import { buildCSR, encodePrivateKey, generatePrivateKey, signCertificate } from "@certkeeper/pki";
import {
  aChallenge,
  anAuthorization,
  anIssuer,
  anOrder,
  ownedBy,
  withAuthorizations,
  withCertificate,
  withLabels,
  withOrderState,
  withURLs,
} from "./builders.ts";
import {
  applyIngressOverrides,
  decideOrder,
  orderIdentifiers,
  pickPreferredChain,
  requiredChallenges,
  type OrderAction,
} from "./order-policy.ts";

describe("orderIdentifiers", () => {
  it("is dnsNames ∪ commonName ∪ ipAddresses, typed and sorted", () => {
    const spec = {
      request: "",
      issuerRef: { name: "x" },
      commonName: "c.example.com",
      dnsNames: ["b.example.com", "c.example.com"],
      ipAddresses: ["10.0.0.2", "10.0.0.1"],
    };
    expect(orderIdentifiers(spec)).toEqual([
      { type: "dns", value: "b.example.com" },
      { type: "dns", value: "c.example.com" },
      { type: "ip", value: "10.0.0.1" },
      { type: "ip", value: "10.0.0.2" },
    ]);
    expect(orderIdentifiers({ ...spec, dnsNames: [], commonName: "10.0.0.3", ipAddresses: [] })).toEqual([
      { type: "ip", value: "10.0.0.3" },
    ]);
  });
});

describe("requiredChallenges", () => {
  it("makes one Challenge per authorization that is not already valid", () => {
    const order = anOrder(
      withURLs(),
      withAuthorizations(
        anAuthorization("a.example.com"),
        anAuthorization("b.example.com", { state: "valid" }),
      ),
    );
    const r = requiredChallenges(order, anIssuer());
    expect(r.kind).toBe("ok");
    const chs = r.kind === "ok" ? r.challenges : [];
    expect(chs.map((c) => [c.spec.dnsName, c.spec.type, c.spec.token, c.spec.key])).toEqual([
      ["a.example.com", "HTTP-01", "tok-a.example.com-http-01", ""],
    ]);
    expect(chs[0]!.metadata.name).toMatch(/^web-1-123-\d+$/);
    expect(chs[0]!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Order", uid: "order-uid", controller: true }),
    ]);
  });

  it("explains a wildcard that only HTTP-01 solvers could serve", () => {
    const order = anOrder(
      withURLs(),
      withAuthorizations(anAuthorization("example.com", { wildcard: true, types: ["dns-01"] })),
    );
    expect(requiredChallenges(order, anIssuer())).toEqual({
      kind: "error",
      message:
        'no configured challenge solvers can be used for this challenge: "*.example.com" is a wildcard name, which can only be validated with DNS-01, but the solvers for it are HTTP-01 only',
    });
  });

  it("selects by the Order's labels", () => {
    const issuer = anIssuer([
      { http01: { ingress: { class: "default" } } },
      { selector: { matchLabels: { team: "a" } }, http01: { ingress: { class: "team-a" } } },
    ]);
    const order = anOrder(
      withLabels({ team: "a" }),
      withURLs(),
      withAuthorizations(anAuthorization("a.example.com")),
    );
    const r = requiredChallenges(order, issuer);
    expect(r.kind === "ok" && r.challenges[0]!.spec.solver.http01?.ingress?.class).toBe("team-a");
  });
});

describe("applyIngressOverrides", () => {
  const solver = { http01: { ingress: { class: "nginx", ingressClassName: "x" } } };
  it("replaces class/name with the one annotation given", () => {
    const order = anOrder(
      (o) =>
        void (o.metadata.annotations = { "acme.cert-manager.io/http01-override-ingress-name": "my-ing" }),
    );
    expect(applyIngressOverrides(order, solver).http01?.ingress).toEqual({ name: "my-ing" });
  });
  it("refuses two overrides", () => {
    const order = anOrder(
      (o) =>
        void (o.metadata.annotations = {
          "acme.cert-manager.io/http01-override-ingress-name": "a",
          "acme.cert-manager.io/http01-override-ingress-class": "b",
        }),
    );
    expect(() => applyIngressOverrides(order, solver)).toThrow(/more than one/);
  });
});

describe("decideOrder", () => {
  const authz = anAuthorization("web.example.com");
  const started = [withURLs(), withAuthorizations(authz)];
  const issuer = anIssuer();
  const required = (o: ReturnType<typeof anOrder>) => {
    const r = requiredChallenges(o, issuer);
    return r.kind === "ok" ? r.challenges.map((c) => ({ ...c, status: {} })) : [];
  };
  const cases: Array<
    [
      string,
      ReturnType<typeof anOrder>,
      (o: ReturnType<typeof anOrder>) => ReturnType<typeof aChallenge>[],
      OrderAction["kind"],
    ]
  > = [
    ["failed orders are left alone", anOrder(withOrderState("errored")), () => [], "none"],
    ["no URL: create", anOrder(), () => [], "create"],
    ["no finalizeURL: refresh", anOrder((o) => void (o.status = { url: "u" })), () => [], "refresh"],
    [
      "authorizations without metadata: fetch them",
      anOrder(withURLs(), withAuthorizations({ url: "a" })),
      () => [],
      "fetchAuthorizations",
    ],
    [
      "valid without certificate: fetch it",
      anOrder(...started, withOrderState("valid")),
      () => [],
      "fetchCertificate",
    ],
    [
      "valid with certificate: delete challenges",
      anOrder(...started, withOrderState("valid"), withCertificate()),
      (o) => required(o),
      "deleteChallenges",
    ],
    [
      "valid, no challenges left: done",
      anOrder(...started, withOrderState("valid"), withCertificate()),
      () => [],
      "none",
    ],
    [
      "missing challenges: create",
      anOrder(...started, withOrderState("pending")),
      () => [],
      "createChallenges",
    ],
    [
      "leftover challenges: delete",
      anOrder(...started, withOrderState("pending")),
      (o) => [...required(o), aChallenge("stale", "x.test", ownedBy(o))],
      "deleteChallenges",
    ],
    [
      "challenges in progress: wait",
      anOrder(...started, withOrderState("pending")),
      (o) => required(o),
      "none",
    ],
    [
      "a challenge failed: refresh",
      anOrder(...started, withOrderState("pending")),
      (o) => required(o).map((c) => ({ ...c, status: { state: "invalid" as const } })),
      "refresh",
    ],
    [
      "all challenges valid: refresh",
      anOrder(...started, withOrderState("pending")),
      (o) => required(o).map((c) => ({ ...c, status: { state: "valid" as const } })),
      "refresh",
    ],
    ["ready: finalize", anOrder(...started, withOrderState("ready")), (o) => required(o), "finalize"],
    [
      "all authorizations reused and ready: finalize",
      anOrder(
        withURLs(),
        withAuthorizations(anAuthorization("web.example.com", { state: "valid" })),
        withOrderState("ready"),
      ),
      () => [],
      "finalize",
    ],
    [
      "wildcard with HTTP-01 only: solver error",
      anOrder(
        withURLs(),
        withAuthorizations(anAuthorization("example.com", { wildcard: true, types: ["dns-01"] })),
      ),
      () => [],
      "solverError",
    ],
  ];
  it.each(cases)("%s", (_name, order, owned, want) => {
    expect(decideOrder({ order, issuer, owned: owned(order) }).kind).toBe(want);
  });

  it("refreshes a processing order whose challenges are done (polled every 5s)", () => {
    const o = anOrder(...started, withOrderState("processing"));
    const chs = required(o).map((c) => ({ ...c, status: { state: "valid" as const } }));
    expect(decideOrder({ order: o, issuer, owned: chs })).toEqual({
      kind: "refresh",
      why: "waitingOnServer",
    });
  });
});

describe("pickPreferredChain", () => {
  let chainA: string;
  let chainB: string;
  beforeAll(async () => {
    const chainFrom = async (rootCN: string, interCN: string) => {
      const rootKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
      const root = signCertificate({
        csr: buildCSR({ commonName: rootCN, isCA: true }, rootKey),
        issuerKey: rootKey,
        isCA: true,
        duration: 3600_000,
      });
      const interKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
      const inter = signCertificate({
        csr: buildCSR({ commonName: interCN, isCA: true }, interKey),
        issuerCert: root,
        issuerKey: encodePrivateKey(rootKey, "PKCS8"),
        isCA: true,
        duration: 3600_000,
      });
      const leafKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
      const leaf = signCertificate({
        csr: buildCSR({ dnsNames: ["a.example.com"] }, leafKey),
        issuerCert: inter,
        issuerKey: encodePrivateKey(interKey, "PKCS8"),
        duration: 3600_000,
      });
      return leaf + inter;
    };
    chainA = await chainFrom("Root A", "Inter A");
    chainB = await chainFrom("Root B", "Inter B");
  });

  it.each([
    ["Root A", "A"],
    ["Root B", "B"],
    ["Inter A", undefined],
    ["Nobody", undefined],
  ])("%s", (preferred, want) => {
    const got = pickPreferredChain([chainA, chainB], preferred);
    expect(got === undefined ? undefined : got === chainA ? "A" : "B").toBe(want);
  });
});
