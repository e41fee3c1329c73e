import { beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "@certkeeper/pki";
import { CA_COMMON_NAME, generateCA, issueServingLeaf, type KeyPair } from "./issue.ts";
import { caProblem, caSecret, renewalTime } from "./policy.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 24 * 3600 * 1000;
let ca: KeyPair;
let other: KeyPair;

beforeAll(async () => {
  [ca, other] = await Promise.all([generateCA(NOW), generateCA(NOW)]);
});

describe("webhook CA", () => {
  it("is a P-256 self-signed CA named cert-manager-webhook-ca, valid 365 days", () => {
    const c = parseCertificate(ca.cert);
    expect(c.subject.commonName).toBe(CA_COMMON_NAME);
    expect(c.isCA).toBe(true);
    expect([c.publicKeyAlgorithm, c.publicKeySize]).toEqual(["ECDSA", 256]);
    expect(c.notAfter.getTime() - c.notBefore.getTime()).toBe(365 * DAY);
  });

  it("is written as a kubernetes.io/tls Secret marked for direct injection", () => {
    const s = caSecret("cert-manager", "cert-manager-webhook-ca", ca);
    expect(s.type).toBe("kubernetes.io/tls");
    expect(s.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cert-manager-webhook" });
    expect(s.metadata.annotations).toEqual({ "cert-manager.io/allow-direct-injection": "true" });
    expect(Object.keys(s.data ?? {}).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    expect(s.data!["ca.crt"]).toBe(s.data!["tls.crt"]);
  });

  const secret = () => caSecret("ns", "n", ca);
  it.each([
    ["good", () => secret(), NOW, null],
    ["missing ca.crt", () => ({ ...secret(), data: { ...secret().data, "ca.crt": "" } }), NOW, "MissingData"],
    [
      "ca.crt differs from tls.crt",
      () => ({
        ...secret(),
        data: { ...secret().data, "ca.crt": caSecret("ns", "n", other).data!["ca.crt"]! },
      }),
      NOW,
      "CAMismatch",
    ],
    [
      "key from another CA",
      () => ({
        ...secret(),
        data: { ...secret().data, "tls.key": caSecret("ns", "n", other).data!["tls.key"]! },
      }),
      NOW,
      "InvalidKeyPair",
    ],
    ["just before 2/3 of its life", () => secret(), new Date(NOW.getTime() + 243 * DAY), null],
    ["at 2/3 of its life", () => secret(), new Date(NOW.getTime() + 244 * DAY), "NearingExpiry"],
  ])("CA secret %s", (_name, s, now, reason) => {
    expect(caProblem(s(), now)?.reason ?? null).toBe(reason);
  });
});

describe("serving leaf", () => {
  it("is a P-256 serverAuth leaf for the configured names, signed by the CA, renewed at 2/3", async () => {
    const leaf = await issueServingLeaf(
      ca,
      {
        dnsNames: ["cert-manager-webhook.cert-manager.svc"],
        ipAddresses: ["127.0.0.1"],
        durationMs: 7 * DAY,
      },
      NOW,
    );
    const c = parseCertificate(leaf.cert);
    expect(c.dnsNames).toEqual(["cert-manager-webhook.cert-manager.svc"]);
    expect(c.ipAddresses).toEqual(["127.0.0.1"]);
    expect(c.extKeyUsages).toEqual(["server auth"]);
    expect(c.isCA).toBe(false);
    expect([c.publicKeyAlgorithm, c.publicKeySize]).toEqual(["ECDSA", 256]);
    expect(c.issuer.commonName).toBe(CA_COMMON_NAME);
    expect(renewalTime(c).getTime() - c.notBefore.getTime()).toBeCloseTo((7 * DAY * 2) / 3, -3);
    expect(leaf.key).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
  });
});
