import type { KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildCSR,
  CSRError,
  encodePrivateKey,
  generatePrivateKey,
  KeyMismatchError,
  keyMatchesCertificate,
  parseCertificate,
  parseCSR,
  signCertificate,
  SigningError,
  type CertificateSpecLike,
} from "./index.ts";
import { subjectKeyIdentifier } from "./sign.ts";
import { opensslText, run, scratch } from "./test-helpers.ts";

const DAY = 24 * 3600 * 1000;
const files = scratch();
afterAll(() => files.cleanup());

let rootKey: KeyObject;
let interKey: KeyObject;
let leafKey: KeyObject;
let rsaKey: KeyObject;
let root: string;
let inter: string;
beforeAll(async () => {
  [rootKey, interKey, leafKey, rsaKey] = await Promise.all([
    generatePrivateKey({ algorithm: "ECDSA", size: 384 }),
    generatePrivateKey({ algorithm: "ECDSA", size: 256 }),
    generatePrivateKey({ algorithm: "ECDSA", size: 256 }),
    generatePrivateKey({ algorithm: "RSA", size: 2048 }),
  ]);
  root = signCertificate({
    csr: buildCSR({ commonName: "Root CA", subject: { organizations: ["certkeeper"] }, isCA: true }, rootKey),
    issuerKey: rootKey,
    isCA: true,
    duration: 365 * DAY,
  });
  inter = signCertificate({
    csr: buildCSR({ commonName: "Intermediate CA", isCA: true }, interKey),
    issuerCert: root,
    issuerKey: rootKey,
    isCA: true,
    duration: 180 * DAY,
  });
});

function verify(leaf: string, ...untrusted: string[]): { status: number; out: string } {
  const args = ["verify", "-CAfile", files.write("root.pem", root)];
  if (untrusted.length > 0) args.push("-untrusted", files.write("untrusted.pem", untrusted.join("")));
  const r = run("openssl", [...args, files.write("leaf.pem", leaf)]);
  return { status: r.status, out: r.stdout + r.stderr };
}

const issue = (
  spec: CertificateSpecLike,
  extra: Partial<Parameters<typeof signCertificate>[0]> = {},
): string =>
  signCertificate({
    csr: buildCSR(spec, leafKey),
    issuerCert: inter,
    issuerKey: interKey,
    isCA: spec.isCA,
    usages: spec.usages,
    ...extra,
  });

describe("self-signed", () => {
  it("is a CA:TRUE root with SKI, no AKI, that openssl accepts as its own trust anchor", () => {
    const cert = parseCertificate(root);
    expect(cert.issuer.der.equals(cert.subject.der)).toBe(true);
    expect(cert.isCA).toBe(true);
    expect(cert.keyUsages).toEqual(["digital signature", "key encipherment", "cert sign"]);
    expect(cert.subjectKeyId?.equals(subjectKeyIdentifier(cert.publicKey))).toBe(true);
    expect(cert.authorityKeyId).toBeUndefined();
    expect(cert.signatureAlgorithm).toBe("ECDSAWithSHA384");
    expect(verify(root).status).toBe(0);
  });

  it("needs the key of the request", () => {
    expect(() =>
      signCertificate({ csr: buildCSR({ commonName: "x" }, leafKey), issuerKey: interKey }),
    ).toThrow(KeyMismatchError);
  });

  it("signs a leaf self-signed with CA:FALSE", () => {
    const pem = signCertificate({
      csr: buildCSR({ commonName: "self" }, rsaKey),
      issuerKey: encodePrivateKey(rsaKey),
    });
    const cert = parseCertificate(pem);
    expect(cert.basicConstraints).toEqual({ isCA: false });
    expect(cert.signatureAlgorithm).toBe("SHA256WithRSA");
    expect(
      run("openssl", ["verify", "-CAfile", files.write("self.pem", pem), files.path("self.pem")]).status,
    ).toBe(0);
  });
});

describe("CA-signed", () => {
  it("chains leaf → intermediate → root under openssl verify", () => {
    const leaf = issue({
      commonName: "leaf.example.com",
      dnsNames: ["leaf.example.com"],
      usages: ["server auth"],
    });
    expect(verify(leaf, inter)).toEqual({ status: 0, out: expect.stringContaining("OK") as string });
    expect(verify(leaf).status).not.toBe(0); // and it really needs the intermediate
    const text = run("openssl", [
      "verify",
      "-purpose",
      "sslserver",
      "-CAfile",
      files.path("root.pem"),
      "-untrusted",
      files.write("i.pem", inter),
      files.write("l.pem", leaf),
    ]);
    expect(text.status).toBe(0);
  });

  it("default usages → KeyUsage digitalSignature+keyEncipherment and no EKU extension", () => {
    const cert = parseCertificate(issue({ commonName: "d" }));
    expect(cert.keyUsages).toEqual(["digital signature", "key encipherment"]);
    expect(cert.hasExtKeyUsage).toBe(false);
    expect(opensslText("x509", issue({ commonName: "d" }))).not.toContain("Extended Key Usage");
  });

  it("explicit usages replace the defaults", () => {
    const cert = parseCertificate(issue({ commonName: "e", usages: ["client auth", "key agreement"] }));
    expect(cert.keyUsages).toEqual(["key agreement"]);
    expect(cert.extKeyUsages).toEqual(["client auth"]);
  });

  it("isCA → keyCertSign, critical CA:TRUE, SKI; a CA issuer may ask for EKU only", () => {
    const cert = parseCertificate(issue({ commonName: "sub ca", isCA: true, usages: ["server auth"] }));
    expect(cert.keyUsages).toEqual(["cert sign"]);
    expect(cert.extKeyUsages).toEqual(["server auth"]);
    expect(cert.basicConstraints).toEqual({ isCA: true });
    expect(cert.subjectKeyId).toBeDefined();
  });

  it("writes Go's extensions in Go's order, AKI from the issuer, SANs last", () => {
    const pem = issue(
      { commonName: "o", dnsNames: ["o.example"], usages: ["digital signature", "server auth"] },
      {
        crlDistributionPoints: ["http://crl.example/ca.crl"],
        ocspServers: ["http://ocsp.example"],
        issuingCertificateURLs: ["http://ca.example/ca.crt"],
      },
    );
    const peculiar = new x509.X509Certificate(pem);
    expect(peculiar.extensions.map((e) => [e.type, e.critical])).toEqual([
      ["2.5.29.15", true],
      ["2.5.29.37", false],
      ["2.5.29.19", true],
      ["2.5.29.35", false],
      ["1.3.6.1.5.5.7.1.1", false],
      ["2.5.29.31", false],
      ["2.5.29.17", false],
    ]);
    const cert = parseCertificate(pem);
    expect(cert.authorityKeyId?.equals(parseCertificate(inter).subjectKeyId!)).toBe(true);
    const text = opensslText("x509", pem);
    expect(text).toContain("OCSP - URI:http://ocsp.example");
    expect(text).toContain("CA Issuers - URI:http://ca.example/ca.crt");
    expect(text).toContain("URI:http://crl.example/ca.crl");
    expect(text).toContain("CA:FALSE");
  });

  it("copies NameConstraints from the CSR; SAN critical when the subject is empty", () => {
    const ca = issue({
      commonName: "nc",
      isCA: true,
      nameConstraints: { critical: true, permitted: { dnsDomains: ["example.com"] } },
    });
    expect(new x509.X509Certificate(ca).getExtension("2.5.29.30")?.critical).toBe(true);
    const noSubject = issue({ dnsNames: ["only.example"] });
    expect(parseCertificate(noSubject).subject.der.toString("hex")).toBe("3000");
    expect(new x509.X509Certificate(noSubject).getExtension("2.5.29.17")?.critical).toBe(true);
  });

  it("takes subject, SANs and public key from the CSR and the signature algorithm from the issuer key", () => {
    const spec = {
      commonName: "s",
      subject: { organizations: ["O"] },
      ipAddresses: ["10.0.0.1"],
      uris: ["spiffe://td/x"],
    };
    const cert = parseCertificate(
      signCertificate({ csr: buildCSR(spec, rsaKey), issuerCert: inter, issuerKey: interKey }),
    );
    expect(cert.subject.text).toBe("CN=s,O=O");
    expect(cert.issuer.text).toBe("CN=Intermediate CA");
    expect(cert.ipAddresses).toEqual(["10.0.0.1"]);
    expect(cert.uris).toEqual(["spiffe://td/x"]);
    expect(cert.signatureAlgorithm).toBe("ECDSAWithSHA256");
    expect(keyMatchesCertificate(rsaKey, cert)).toBe(true);
    expect(keyMatchesCertificate(leafKey, cert)).toBe(false);
  });

  it("uses notBefore + duration, truncated to seconds; a random 128-bit serial", () => {
    const notBefore = new Date("2030-01-02T03:04:05.678Z");
    const cert = parseCertificate(issue({ commonName: "t" }, { notBefore, duration: 3600_000 }));
    expect(cert.notBefore.toISOString()).toBe("2030-01-02T03:04:05.000Z");
    expect(cert.notAfter.toISOString()).toBe("2030-01-02T04:04:05.000Z");
    expect(cert.serialNumber.length).toBeLessThanOrEqual(32);
    expect(parseCertificate(issue({ commonName: "t" }, { serialNumber: 255n })).serialNumber).toBe("ff");
  });

  it("does not cap notAfter at the issuer's (as cert-manager) unless asked", () => {
    const long = parseCertificate(issue({ commonName: "l" }, { duration: 1000 * DAY }));
    expect(long.notAfter > parseCertificate(inter).notAfter).toBe(true);
    const capped = parseCertificate(
      issue({ commonName: "l" }, { duration: 1000 * DAY, capNotAfterToIssuer: true }),
    );
    expect(capped.notAfter).toEqual(parseCertificate(inter).notAfter);
    expect(() => issue({ commonName: "z" }, { duration: 0 })).toThrow(SigningError);
  });

  it("GeneralizedTime after 2049", () => {
    const cert = parseCertificate(
      issue({ commonName: "g" }, { notBefore: new Date("2049-12-31T00:00:00Z"), duration: 2 * DAY }),
    );
    expect(cert.notAfter.toISOString()).toBe("2050-01-02T00:00:00.000Z");
    expect(
      opensslText(
        "x509",
        issue({ commonName: "g" }, { notBefore: new Date("2049-12-31T00:00:00Z"), duration: 2 * DAY }),
      ),
    ).toContain("Jan  2 00:00:00 2050 GMT");
  });
});

describe("request validation", () => {
  it("rejects a CSR whose usages disagree with the request", () => {
    const csr = buildCSR({ commonName: "u", usages: ["server auth"] }, leafKey);
    expect(() =>
      signCertificate({ csr, issuerCert: inter, issuerKey: interKey, usages: ["client auth"] }),
    ).toThrow(/ExtKeyUsages/);
    expect(() => signCertificate({ csr, issuerCert: inter, issuerKey: interKey })).toThrow(CSRError);
    expect(() =>
      signCertificate({ csr, issuerCert: inter, issuerKey: interKey, usages: ["server auth"] }),
    ).not.toThrow();
  });

  it("rejects a CSR whose BasicConstraints disagree with isCA", () => {
    const csr = buildCSR({ commonName: "ca?", isCA: true, encodeUsagesInRequest: false }, leafKey);
    expect(() => signCertificate({ csr, issuerCert: inter, issuerKey: interKey, isCA: false })).toThrow(
      /IsCA true does not match expected value false/,
    );
  });

  it("accepts a CSR without usages for any requested usages", () => {
    const csr = buildCSR({ commonName: "n", encodeUsagesInRequest: false }, leafKey);
    const cert = parseCertificate(
      signCertificate({ csr, issuerCert: inter, issuerKey: interKey, usages: ["code signing"] }),
    );
    expect(cert.extKeyUsages).toEqual(["code signing"]);
  });

  it("rejects a CSR with a bad signature and an issuer key that is not the issuer's", () => {
    const der = Buffer.from(parseCSR(buildCSR({ commonName: "b" }, leafKey)).der);
    der[der.length - 3]! ^= 0x01;
    expect(() => signCertificate({ csr: parseCSR(der), issuerCert: inter, issuerKey: interKey })).toThrow(
      CSRError,
    );
    expect(() =>
      signCertificate({ csr: buildCSR({ commonName: "k" }, leafKey), issuerCert: inter, issuerKey: rootKey }),
    ).toThrow(KeyMismatchError);
  });
});
