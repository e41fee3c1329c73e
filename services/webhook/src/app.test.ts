import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "@certkeeper/logging";
import { build, type WebhookApps } from "./app.ts";
import type { AdmissionReview } from "./admission/review.ts";
import type { DenialSink } from "./events.ts";
import {
  aCertificate,
  aCertificateRequest,
  anIssuer,
  cond,
  csrBase64,
  withCommonName,
} from "./testing/builders.ts";
import { createMetrics } from "./metrics.ts";

const published: Parameters<DenialSink["publish"]>[] = [];
let apps: WebhookApps;

beforeAll(() => {
  apps = build({
    log: silentLogger(),
    https: false,
    approval: {
      signers: { resolve: async () => ({ resource: "issuers", namespaced: true }) },
      reviewer: { allowed: async () => false },
    },
    denials: { publish: (...args) => void published.push(args) },
    metrics: createMetrics({ defaultMetrics: false }),
  });
});
afterAll(() => apps.close());

const GVR = {
  Certificate: { group: "cert-manager.io", version: "v1", resource: "certificates" },
  CertificateRequest: { group: "cert-manager.io", version: "v1", resource: "certificaterequests" },
  Issuer: { group: "cert-manager.io", version: "v1", resource: "issuers" },
};

function admissionReview(resource: keyof typeof GVR, object: unknown, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "7c2e4c8a-1111-4222-8333-444455556666",
      resource: GVR[resource],
      requestResource: GVR[resource],
      operation: "CREATE",
      userInfo: { username: "alice", uid: "u-1", groups: ["devs", "system:authenticated"] },
      object,
      ...extra,
    },
  };
}

async function post(path: string, payload: unknown): Promise<AdmissionReview> {
  const res = await apps.webhook.inject({
    method: "POST",
    url: path,
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    headers: { "content-type": "application/json" },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as AdmissionReview;
}

describe("/validate", () => {
  it("allows a valid Certificate and echoes the uid", async () => {
    const r = await post("/validate", admissionReview("Certificate", aCertificate()));
    expect(r).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
    expect(r.response).toMatchObject({ uid: "7c2e4c8a-1111-4222-8333-444455556666", allowed: true });
  });

  it("denies a 65-byte commonName with cert-manager's message and publishes the denial without values", async () => {
    published.length = 0;
    const cert = aCertificate(withCommonName("é".repeat(33)));
    cert.metadata.uid = "0b0b0b0b-0000-4000-8000-00000000000a";
    const r = await post("/validate", admissionReview("Certificate", cert));
    expect(r.response.allowed).toBe(false);
    expect(r.response.status).toMatchObject({
      code: 403,
      reason: "Forbidden",
      message: "spec.commonName: Too long: may not be more than 64 bytes",
    });
    expect(published).toHaveLength(1);
    const [kind, event, resource, data] = published[0]!;
    expect([kind, event]).toEqual(["admission", "denied"]);
    expect(resource).toEqual({
      kind: "Certificate",
      namespace: "default",
      name: "test",
      uid: cert.metadata.uid,
    });
    expect(data).toEqual({
      operation: "CREATE",
      user: "alice",
      requestUID: "7c2e4c8a-1111-4222-8333-444455556666",
      errors: [
        { path: "spec.commonName", type: "FieldValueTooLong", detail: "may not be more than 64 bytes" },
      ],
    });
    expect(JSON.stringify(data)).not.toContain("é");
  });

  it("returns warnings separately from errors", async () => {
    const iss = anIssuer({
      acme: {
        server: "https://acme/dir",
        privateKeySecretRef: { name: "k" },
        externalAccountBinding: {
          keyID: "kid",
          keySecretRef: { name: "eab", key: "k" },
          keyAlgorithm: "HS512",
        },
      },
    });
    const r = await post("/validate", admissionReview("Issuer", iss));
    expect(r.response.allowed).toBe(true);
    expect(r.response.warnings).toEqual([
      "ACME issuer spec field 'externalAccount.keyAlgorithm' is deprecated. The value of this field will be ignored.",
    ]);
  });

  it("checks the CertificateRequest identity against the requester", async () => {
    const cr = aCertificateRequest(await csrBase64({ dnsNames: ["a.example"] }), (c) => {
      c.spec.username = "mallory";
    });
    const r = await post("/validate", admissionReview("CertificateRequest", cr));
    expect(r.response.status?.message).toBe(
      "[spec.uid: Forbidden: uid identity must be that of the requester, spec.username: Forbidden: username identity must be that of the requester, spec.groups: Forbidden: groups identity must be that of the requester]",
    );
  });

  it("runs the approval guard on certificaterequests/status updates", async () => {
    const req = await csrBase64({ dnsNames: ["a.example"] });
    const ident = (c: ReturnType<typeof aCertificateRequest>) => {
      Object.assign(c.spec, { username: "alice", uid: "u-1", groups: ["devs", "system:authenticated"] });
    };
    const before = aCertificateRequest(req, ident);
    const after = aCertificateRequest(req, ident, (c) => {
      c.status = { conditions: [cond("Approved")] };
    });
    const r = await post(
      "/validate",
      admissionReview("CertificateRequest", after, {
        operation: "UPDATE",
        oldObject: before,
        subResource: "status",
        requestSubResource: "status",
      }),
    );
    expect(r.response.allowed).toBe(false);
    expect(r.response.status?.message).toBe(
      'status.conditions: Forbidden: user "alice" does not have permissions to set approved/denied conditions for issuer {ca Issuer cert-manager.io}',
    );
  });

  it.each([
    ["not JSON", "{nope", 400],
    ["not a review", { hello: 1 }, 400],
    ["no uid", { request: { operation: "CREATE" } }, 400],
    ["wrong types in spec", admissionReview("Certificate", { metadata: {}, spec: { secretName: 7 } }), 400],
  ])("answers %s with an AdmissionReview, never a 5xx", async (_name, payload, code) => {
    const r = await post("/validate", payload);
    expect(r.kind).toBe("AdmissionReview");
    expect(r.response.allowed).toBe(false);
    expect(r.response.status?.code).toBe(code);
  });

  it("allows kinds it does not validate and DELETE", async () => {
    const other = admissionReview(
      "Certificate",
      {},
      { resource: { group: "", version: "v1", resource: "secrets" }, requestResource: undefined },
    );
    expect((await post("/validate", other)).response.allowed).toBe(true);
    const del = admissionReview("Certificate", aCertificate(), { operation: "DELETE" });
    expect((await post("/validate", del)).response.allowed).toBe(true);
  });
});

describe("/mutate", () => {
  it("stamps the requester's identity on CertificateRequest CREATE as a JSONPatch", async () => {
    const cr = aCertificateRequest("Y3Ny", (c) => {
      c.spec.username = "mallory";
      c.spec.extra = { x: ["y"] };
    });
    const r = await post("/mutate", admissionReview("CertificateRequest", cr));
    expect(r.response).toMatchObject({ allowed: true, patchType: "JSONPatch" });
    expect(JSON.parse(Buffer.from(r.response.patch!, "base64").toString())).toEqual([
      { op: "add", path: "/spec/uid", value: "u-1" },
      { op: "add", path: "/spec/username", value: "alice" },
      { op: "add", path: "/spec/groups", value: ["devs", "system:authenticated"] },
      { op: "remove", path: "/spec/extra" },
    ]);
  });

  it("leaves other kinds alone", async () => {
    const r = await post("/mutate", admissionReview("Certificate", aCertificate()));
    expect(r.response).toMatchObject({ allowed: true });
    expect(r.response.patch).toBeUndefined();
  });
});

describe("health and metrics", () => {
  it("keeps idle connections longer than the API server does (Go: 90 s), so the caller closes first", () => {
    expect(apps.webhook.server.keepAliveTimeout).toBeGreaterThan(90_000);
  });

  it("/livez is always ok; /healthz waits for a serving certificate", async () => {
    expect((await apps.health.inject({ url: "/livez" })).statusCode).toBe(200);
    const fresh = build({
      log: silentLogger(),
      https: false,
      approval: { signers: { resolve: async () => undefined }, reviewer: { allowed: async () => false } },
      metrics: createMetrics({ defaultMetrics: false }),
    });
    expect((await fresh.health.inject({ url: "/healthz" })).statusCode).toBe(503);
    fresh.setServingCertificate({ cert: "", key: "" });
    const ok = await fresh.health.inject({ url: "/healthz" });
    expect([ok.statusCode, ok.body]).toEqual([200, "ok"]);
    await fresh.close();
  });

  it("/metrics exposes controller-runtime's webhook metrics", async () => {
    const res = await apps.metricsApp.inject({ url: "/metrics" });
    expect(res.body).toContain('controller_runtime_webhook_requests_total{webhook="/validate",code="200"}');
    expect(res.body).toContain("certkeeper_webhook_admission_denials_total");
  });
});
