import { describe, expect, it } from "vitest";
import {
  encodePrivateKey,
  generatePrivateKey,
  issueTemporaryCertificate,
  keyMatchesCertificate,
  parseCertificate,
  TEMPORARY_CERTIFICATE_SERIAL_NUMBER,
} from "./index.ts";
import { durationMs } from "./spec.ts";

describe("issueTemporaryCertificate", () => {
  it("is signed by a throwaway P-521 'cert-manager.local' CA and carries serialNumber 1234567890", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA" });
    const pem = await issueTemporaryCertificate(
      {
        commonName: "app",
        literalSubject: "CN=ignored",
        dnsNames: ["app.example"],
        subject: { organizations: ["Org"], serialNumber: "ignored" },
        usages: ["server auth"],
        duration: "1h",
      },
      encodePrivateKey(key, "PKCS8"),
    );
    const cert = parseCertificate(pem);
    expect(cert.issuer.text).toBe("CN=cert-manager.local");
    expect(cert.subject.text).toBe(`SERIALNUMBER=${TEMPORARY_CERTIFICATE_SERIAL_NUMBER},CN=app,O=Org`);
    expect(cert.signatureAlgorithm).toBe("ECDSAWithSHA512");
    expect(cert.dnsNames).toEqual(["app.example"]);
    expect(cert.extKeyUsages).toEqual(["server auth"]);
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(3600_000);
    expect(cert.authorityKeyId).toBeDefined();
    expect(keyMatchesCertificate(key, cert)).toBe(true);
  });

  it("defaults to cert-manager's 90 days", async () => {
    const key = await generatePrivateKey({ algorithm: "Ed25519" });
    const cert = parseCertificate(
      await issueTemporaryCertificate({ dnsNames: ["x.example"] }, encodePrivateKey(key)),
    );
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(90 * 24 * 3600_000);
  });
});

describe("durationMs (Go duration strings)", () => {
  it.each([
    ["2160h", 2160 * 3600_000],
    ["2160h0m0s", 2160 * 3600_000],
    ["1h30m", 5400_000],
    ["1.5h", 5400_000],
    ["90s", 90_000],
    ["250ms", 250],
    ["0", 0],
  ])("%s → %i ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it("rejects junk", () => {
    expect(() => durationMs("1d")).toThrow(RangeError);
    expect(() => durationMs("h")).toThrow(RangeError);
  });
});
