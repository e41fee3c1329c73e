import type { CertificateRequest } from "@certkeeper/api";
import { KubeApiError, objectKey } from "@certkeeper/kube";
import { describe, expect, it } from "vitest";
import {
  aCertificateRequest,
  aLeafRequest,
  anIssuer,
  aTLSSecret,
  approved,
  withCSR,
  withPrivateKeySecret,
  withReady,
  withSelfSigned,
  denied,
  fakeDeps,
  reconcileContext,
  withCondition,
  withIssuer,
} from "../testing/builders.ts";
import { approvalStatus, approverController } from "./approver.ts";
import { selfSignedSigner } from "./selfsigned.ts";

const NOW = new Date("2025-06-01T00:00:00Z");

describe("approvalStatus", () => {
  const cases: Array<{ name: string; cr: CertificateRequest; approve: boolean; external?: boolean }> = [
    { name: "a fresh request for an Issuer", cr: aCertificateRequest(), approve: true },
    {
      name: "explicit cert-manager.io group",
      cr: aCertificateRequest(withIssuer("ci", "ClusterIssuer", "cert-manager.io")),
      approve: true,
    },
    {
      name: "a Pending request",
      cr: aCertificateRequest(withCondition("Ready", "False", "Pending")),
      approve: true,
    },
    { name: "already approved", cr: aCertificateRequest(approved()), approve: false },
    { name: "denied", cr: aCertificateRequest(denied()), approve: false },
    { name: "issued", cr: aCertificateRequest(withCondition("Ready", "True", "Issued")), approve: false },
    { name: "failed", cr: aCertificateRequest(withCondition("Ready", "False", "Failed")), approve: false },
    {
      name: "external issuer",
      cr: aCertificateRequest(withIssuer("x", "Foo", "example.com")),
      approve: false,
    },
    {
      name: "external issuer, opted in",
      cr: aCertificateRequest(withIssuer("x", "Foo", "example.com")),
      approve: true,
      external: true,
    },
  ];
  for (const c of cases) {
    it(`${c.name} ⇒ ${c.approve ? "approve" : "leave"}`, () => {
      const status = approvalStatus(c.cr, NOW, { approveExternalIssuers: c.external });
      if (!c.approve) return expect(status).toBeNull();
      expect(status?.conditions).toContainEqual({
        type: "Approved",
        status: "True",
        reason: "cert-manager.io",
        message: "Certificate request has been approved by cert-manager.io",
        lastTransitionTime: "2025-06-01T00:00:00Z",
      });
    });
  }

  it("keeps the other conditions", () => {
    const status = approvalStatus(aCertificateRequest(withCondition("Ready", "False", "Pending")), NOW);
    expect(status?.conditions?.map((c) => c.type)).toEqual(["Ready", "Approved"]);
  });
});

describe("approver reconcile", () => {
  it("writes Approved once, with an Event and a NATS event", async () => {
    const { deps, writes, recorder, published } = fakeDeps();
    const cr = aCertificateRequest();
    deps.caches.certificateRequests.observe(cr);
    const ctl = approverController(deps);
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    expect(writes).toHaveLength(1);
    expect(recorder.events).toEqual([
      expect.objectContaining({
        type: "Normal",
        reason: "cert-manager.io",
        message: "Certificate request has been approved by cert-manager.io",
      }),
    ]);
    expect(published).toEqual([
      expect.objectContaining({ kind: "certificaterequest", event: "approved", name: "web-1" }),
    ]);
  });
});

describe("approver with in-process signers", () => {
  async function world(issuerReady: boolean) {
    const f = fakeDeps();
    const leaf = await aLeafRequest({ commonName: "web" });
    const cr = aCertificateRequest(withCSR(leaf.csrPEM), withPrivateKeySecret("web-key"));
    f.deps.caches.certificateRequests.observe(cr);
    f.deps.caches.issuers.observe(
      issuerReady ? anIssuer(withSelfSigned(), withReady()) : anIssuer(withSelfSigned()),
    );
    f.deps.caches.secrets.full.observe(aTLSSecret("ns", "web-key", { "tls.key": leaf.keyPEM }));
    const ctl = approverController(f.deps, { signers: { selfSigned: selfSignedSigner } });
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    return f;
  }

  it("approves and signs in one status write, reporting both steps in order", async () => {
    const { writes, recorder, published } = await world(true);
    expect(writes).toHaveLength(1);
    const status = (writes[0] as CertificateRequest).status!;
    expect(status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      "Approved=True/cert-manager.io",
      "Ready=True/Issued",
    ]);
    expect(status.certificate).toBeTruthy();
    expect(recorder.events.map((e) => e.reason)).toEqual(["cert-manager.io", "CertificateIssued"]);
    expect(published.map((p) => p.event)).toEqual(["approved", "signed"]);
  });

  it("only approves when the issuer is not Ready: the request controller reports Pending", async () => {
    const { writes, published } = await world(false);
    expect(writes).toHaveLength(1);
    const status = (writes[0] as CertificateRequest).status!;
    expect(status.conditions?.map((c) => c.type)).toEqual(["Approved"]);
    expect(status.certificate).toBeUndefined();
    expect(published.map((p) => p.event)).toEqual(["approved"]);
  });

  it("a signed certificate too large to store fails the request, saying so, instead of retrying", async () => {
    const f = fakeDeps();
    const leaf = await aLeafRequest({ commonName: "web" });
    const cr = aCertificateRequest(withCSR(leaf.csrPEM), withPrivateKeySecret("web-key"));
    f.deps.caches.certificateRequests.observe(cr);
    f.deps.caches.issuers.observe(anIssuer(withSelfSigned(), withReady()));
    f.deps.caches.secrets.full.observe(aTLSSecret("ns", "web-key", { "tls.key": leaf.keyPEM }));
    // The API server's answer to a status over its request limit.
    const write = f.deps.client.updateStatus.bind(f.deps.client);
    f.deps.client.updateStatus = (async (rt: never, obj: CertificateRequest) => {
      if (obj.status?.certificate) {
        throw new KubeApiError(
          413,
          {
            reason: "RequestEntityTooLarge",
            message: "Request entity too large: limit is 3145728",
            code: 413,
          },
          { verb: "PUT", path: "/apis/cert-manager.io/v1/namespaces/ns/certificaterequests/web-1/status" },
        );
      }
      return write(rt, obj);
    }) as typeof f.deps.client.updateStatus;
    const ctl = approverController(f.deps, { signers: { selfSigned: selfSignedSigner } });
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    expect(f.writes).toHaveLength(1);
    const status = (f.writes[0] as CertificateRequest).status!;
    expect(status.certificate).toBeUndefined();
    expect(status.failureTime).toBeDefined();
    expect(status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      "Approved=True/cert-manager.io",
      "Ready=False/Failed",
    ]);
    expect(status.conditions?.[1]?.message).toMatch(
      /^The signed certificate \(\d+ bytes base64\) is too large to store in the CertificateRequest: .*413 RequestEntityTooLarge/,
    );
    expect(f.recorder.events.map((e) => `${e.type}/${e.reason}`)).toEqual([
      "Normal/cert-manager.io",
      "Warning/CertificateTooLarge",
    ]);
    expect(f.published.map((p) => p.event)).toEqual(["approved", "failed"]);
  });

  it("approves alone when the signer throws: approval never depends on the shortcut", async () => {
    const f = fakeDeps();
    const leaf = await aLeafRequest({ commonName: "web" });
    const cr = aCertificateRequest(withCSR(leaf.csrPEM), withPrivateKeySecret("web-key"));
    f.deps.caches.certificateRequests.observe(cr);
    f.deps.caches.issuers.observe(anIssuer(withSelfSigned(), withReady()));
    const broken = {
      sign: async () => {
        throw new Error("boom");
      },
    };
    const ctl = approverController(f.deps, { signers: { selfSigned: broken } });
    await ctl.reconcile(objectKey(cr), reconcileContext(objectKey(cr)));
    expect(f.writes).toHaveLength(1);
    const status = (f.writes[0] as CertificateRequest).status!;
    expect(status.conditions?.map((c) => c.type)).toEqual(["Approved"]);
    expect(f.published.map((p) => p.event)).toEqual(["approved"]);
  });
});
