/**
 * Sends 10,000 generated and mutated AdmissionReviews (wrong types, huge strings, missing fields,
 * odd Unicode, broken envelopes) to /validate and /mutate: never a 5xx, never a crash, every reply
 * a valid AdmissionReview. Seeded, so a failure replays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "@certkeeper/logging";
import { build, type WebhookApps } from "./app.ts";
import { createMetrics } from "./metrics.ts";
import {
  aCertificate,
  aCertificateRequest,
  anIssuer,
  cond,
  csrBase64,
  withConditions,
} from "./testing/builders.ts";

const SEED = Number(process.env.WEBHOOK_FUZZ_SEED ?? 20261203);
const ROUNDS = Number(process.env.WEBHOOK_FUZZ_ROUNDS ?? 10_000);

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD = [
  "\u202e",
  "\u200b",
  "\ud800",
  "\udfff",
  "é",
  "😀",
  "\u0000",
  "ﬀ",
  "İ",
  "\\",
  '"',
  "\n",
  "%",
  "..",
  "*",
];

let apps: WebhookApps;
let seeds: Record<string, { resource: string; group: string; object: unknown }>;

beforeAll(async () => {
  apps = build({
    log: silentLogger(),
    https: false,
    approval: {
      signers: {
        resolve: async (g) =>
          g === "cert-manager.io" ? { resource: "issuers", namespaced: true } : undefined,
      },
      reviewer: { allowed: async () => false },
    },
    denials: { publish: () => undefined },
    metrics: createMetrics({ defaultMetrics: false }),
  });
  const csr = await csrBase64({ dnsNames: ["fuzz.example"], usages: ["server auth"] });
  seeds = {
    certificate: { group: "cert-manager.io", resource: "certificates", object: aCertificate() },
    certificaterequest: {
      group: "cert-manager.io",
      resource: "certificaterequests",
      object: aCertificateRequest(csr, withConditions(cond("Approved"))),
    },
    issuer: {
      group: "cert-manager.io",
      resource: "issuers",
      object: anIssuer({
        acme: {
          server: "https://acme/dir",
          privateKeySecretRef: { name: "k" },
          solvers: [
            { dns01: { rfc2136: { nameserver: "1.2.3.4:53" } } },
            { http01: { ingress: { class: "x" } } },
          ],
        },
      }),
    },
    clusterissuer: {
      group: "cert-manager.io",
      resource: "clusterissuers",
      object: anIssuer({ ca: { secretName: "ca" } }),
    },
    order: {
      group: "acme.cert-manager.io",
      resource: "orders",
      object: {
        metadata: { name: "o" },
        spec: { request: csr, issuerRef: { name: "le" } },
        status: { url: "u" },
      },
    },
    challenge: {
      group: "acme.cert-manager.io",
      resource: "challenges",
      object: {
        metadata: { name: "c" },
        spec: {
          url: "u",
          authorizationURL: "a",
          dnsName: "d",
          type: "HTTP-01",
          token: "t",
          key: "k",
          solver: { http01: { ingress: {} } },
          issuerRef: { name: "le" },
        },
      },
    },
  };
});
afterAll(() => apps.close());

function mutateValue(r: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  switch (Math.floor(r() * 12)) {
    case 0:
      return null;
    case 1:
      return pick([0, -1, 1e308, -0, 3.5, 2 ** 53, 65]);
    case 2:
      return r() < 0.5;
    case 3:
      return "x".repeat(Math.floor(r() * 200_000));
    case 4:
      return Array.from({ length: 1 + Math.floor(r() * 70) }, () => pick(ODD)).join("");
    case 5:
      return depth > 3 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => mutateValue(r, depth + 1));
    case 6:
      return depth > 3 ? {} : { [pick(["spec", "name", "x", "usages", "0"])]: mutateValue(r, depth + 1) };
    case 7:
      return pick(["30m", "-1h", "99999999999999h", "1.5h", "0", "", "h"]);
    case 8:
      return pick(["Approved", "Denied", "True", "ECDSA", "RSA", "DER", "@daily", "1.2.3"]);
    case 9:
      return pick(["example.com", "::1", "a@b", "CN=x,O=y", "=#00", "300.0.0.1"]);
    default:
      return undefined;
  }
}

function sameTypeString(r: () => number): string {
  const pool = [
    "",
    "x".repeat(Math.floor(r() * 100_000)),
    ODD.join(""),
    "30m",
    "1h",
    "CN=é",
    "a@b.c",
    "::1",
    "*",
  ];
  return pool[Math.floor(r() * pool.length)]!;
}

/** Picks a random path through `obj` and replaces (or deletes) what is there. */
function mutateObject(obj: unknown, r: () => number): unknown {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const edits = 1 + Math.floor(r() * 4);
  for (let e = 0; e < edits; e++) {
    let node: Record<string, unknown> = copy;
    for (let depth = 0; depth < 6; depth++) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const k = keys[Math.floor(r() * keys.length)]!;
      const child = node[k];
      if (child && typeof child === "object" && r() < 0.7) {
        node = child as Record<string, unknown>;
        continue;
      }
      // Half the time keep the type, so the request gets past decoding into the validators.
      const v = typeof child === "string" && r() < 0.5 ? sameTypeString(r) : mutateValue(r);
      if (v === undefined) delete node[k];
      else node[k] = v;
      break;
    }
  }
  return copy;
}

function aReview(r: () => number, i: number): unknown {
  const kinds = Object.values(seeds);
  const seed = kinds[Math.floor(r() * kinds.length)]!;
  const op = ["CREATE", "UPDATE", "UPDATE", "DELETE", "CONNECT", "PATCH", 7][Math.floor(r() * 7)];
  const request: Record<string, unknown> = {
    uid: `fuzz-${i}`,
    resource: { group: seed.group, version: "v1", resource: seed.resource },
    requestSubResource: r() < 0.3 ? "status" : "",
    operation: op,
    userInfo: r() < 0.9 ? { username: "fuzzer", groups: ["g"], extra: { k: ["v"] } } : mutateValue(r),
    object: r() < 0.9 ? mutateObject(seed.object, r) : mutateValue(r),
    oldObject: r() < 0.5 ? seed.object : mutateObject(seed.object, r),
  };
  const review: Record<string, unknown> = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request,
  };
  return r() < 0.1 ? mutateObject(review, r) : review;
}

describe("fuzzing /validate and /mutate", () => {
  it(`answers ${ROUNDS} mutated reviews with valid AdmissionReviews and no 5xx`, async () => {
    const r = rng(SEED);
    for (let i = 0; i < ROUNDS; i++) {
      const path = r() < 0.8 ? "/validate" : "/mutate";
      const body = r() < 0.02 ? "{not json" : JSON.stringify(aReview(r, i));
      const res = await apps.webhook.inject({
        method: "POST",
        url: path,
        payload: body,
        headers: { "content-type": "application/json" },
      });
      const ctx = `round ${i} (seed ${SEED}) ${path}`;
      expect(res.statusCode, ctx).toBe(200);
      const out = res.json() as { apiVersion: string; kind: string; response: Record<string, unknown> };
      expect([out.apiVersion, out.kind], ctx).toEqual(["admission.k8s.io/v1", "AdmissionReview"]);
      expect(typeof out.response.uid, ctx).toBe("string");
      expect(typeof out.response.allowed, ctx).toBe("boolean");
      const status = out.response.status as { code?: number } | undefined;
      expect(status?.code ?? 200, `${ctx}: ${JSON.stringify(out.response)}`).toBeLessThan(500);
    }
  }, 120_000);
});
