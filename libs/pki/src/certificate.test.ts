import type { KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildChain,
  buildCSR,
  CertificateDecodeError,
  ChainError,
  combinedPEM,
  generatePrivateKey,
  isSelfSigned,
  parseCAChain,
  parseCertificate,
  signCertificate,
  splitPEMBundle,
} from "./index.ts";
import { run } from "./test-helpers.ts";

let root: string;
let inter: string;
let leaf: string;
let stranger: string;
let rootOnlyLeaf: string;
beforeAll(async () => {
  const [rootKey, interKey, leafKey, strangerKey] = (await Promise.all(
    [256, 256, 256, 384].map((size) => generatePrivateKey({ algorithm: "ECDSA", size })),
  )) as [KeyObject, KeyObject, KeyObject, KeyObject];
  root = signCertificate({
    csr: buildCSR({ commonName: "root", isCA: true }, rootKey),
    issuerKey: rootKey,
    isCA: true,
  });
  inter = signCertificate({
    csr: buildCSR({ commonName: "inter", isCA: true }, interKey),
    issuerCert: root,
    issuerKey: rootKey,
    isCA: true,
  });
  leaf = signCertificate({
    csr: buildCSR({ commonName: "leaf" }, leafKey),
    issuerCert: inter,
    issuerKey: interKey,
  });
  rootOnlyLeaf = signCertificate({
    csr: buildCSR({ commonName: "leaf2" }, leafKey),
    issuerCert: root,
    issuerKey: rootKey,
  });
  stranger = signCertificate({
    csr: buildCSR({ commonName: "stranger", isCA: true }, strangerKey),
    issuerKey: strangerKey,
    isCA: true,
  });
});

describe("buildChain / parseCAChain", () => {
  it("orders any input order into leaf + intermediates and drops the self-signed root into caPEM", () => {
    for (const candidates of [
      [inter, root],
      [root, inter],
      [root, inter, inter, root],
    ]) {
      expect(buildChain({ leaf, candidates })).toEqual({ chainPEM: leaf + inter, caPEM: root });
    }
    expect(parseCAChain(root + leaf + inter)).toEqual({ chainPEM: leaf + inter, caPEM: root });
  });

  it("without a root, the top-most certificate becomes the CA and stays in the chain", () => {
    expect(buildChain({ leaf, candidates: [inter] })).toEqual({ chainPEM: leaf + inter, caPEM: inter });
  });

  it("a lone self-signed certificate is both chain and CA; a lone leaf has no CA", () => {
    expect(parseCAChain(root)).toEqual({ chainPEM: root, caPEM: root });
    expect(parseCAChain(leaf)).toEqual({ chainPEM: leaf, caPEM: undefined });
  });

  it("a CA issuer Secret holding intermediate + root yields chain = leaf + intermediate", () => {
    const tlsCrt = inter + root;
    expect(buildChain({ leaf, candidates: [tlsCrt] })).toEqual({ chainPEM: leaf + inter, caPEM: root });
    expect(buildChain({ leaf: rootOnlyLeaf, candidates: [root] })).toEqual({
      chainPEM: rootOnlyLeaf,
      caPEM: root,
    });
  });

  it("fails with ChainError when a certificate does not chain", () => {
    expect(() => buildChain({ leaf, candidates: [inter, root, stranger] })).toThrow(ChainError);
    expect(() => parseCAChain(leaf + root)).toThrow(/does not chain/);
    expect(() => parseCAChain(inter + stranger)).toThrow(
      expect.objectContaining({ code: "CK_PKI_CHAIN_INVALID" }),
    );
  });

  it("accepts DER input", () => {
    const der = parseCertificate(leaf).der;
    expect(buildChain({ leaf: der, candidates: [inter] }).chainPEM).toBe(leaf + inter);
  });
});

describe("parseCertificate", () => {
  it("decodes the fields controllers compare", () => {
    const cert = parseCertificate(leaf);
    expect(cert).toMatchObject({
      version: 3,
      subject: { text: "CN=leaf", commonName: "leaf" },
      issuer: { text: "CN=inter" },
      isCA: false,
      keyUsages: ["digital signature", "key encipherment"],
      extKeyUsages: [],
      publicKeyAlgorithm: "ECDSA",
      publicKeySize: 256,
      signatureAlgorithm: "ECDSAWithSHA256",
    });
    const fp = run("openssl", ["x509", "-noout", "-fingerprint", "-sha256"], leaf).stdout;
    expect(fp.split("=")[1]!.trim().replace(/:/g, "").toLowerCase()).toBe(cert.fingerprintSHA256);
    const serial = run("openssl", ["x509", "-noout", "-serial"], leaf).stdout.trim().split("=")[1]!;
    expect(serial.toLowerCase().replace(/^0+/, "")).toBe(cert.serialNumber);
    expect(isSelfSigned(cert)).toBe(false);
    expect(isSelfSigned(parseCertificate(root))).toBe(true);
  });

  it("decodes certificates openssl made (v3 with RSA)", () => {
    const dir = run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      "/C=DE/O=Acme/CN=ossl",
      "-days",
      "2",
      "-addext",
      "subjectAltName=DNS:o.example,email:x@o.example",
      "-addext",
      "extendedKeyUsage=serverAuth,1.2.3.4",
    ]);
    const cert = parseCertificate(dir.stdout);
    expect(cert).toMatchObject({
      subject: { text: "CN=ossl,O=Acme,C=DE", countries: ["DE"], organizations: ["Acme"] },
      publicKeyAlgorithm: "RSA",
      publicKeySize: 2048,
      signatureAlgorithm: "SHA256WithRSA",
      dnsNames: ["o.example"],
      emailAddresses: ["x@o.example"],
      extKeyUsages: ["server auth"],
      unknownExtKeyUsages: ["1.2.3.4"],
      isCA: true,
    });
  });

  it("throws CertificateDecodeError on garbage", () => {
    expect(() => parseCertificate("nothing here")).toThrow(CertificateDecodeError);
    expect(() => parseCertificate("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")).toThrow(
      CertificateDecodeError,
    );
  });
});

describe("splitPEMBundle / combinedPEM", () => {
  it("splits and re-encodes every certificate, tolerating CRLF and comments", () => {
    const messy = `# chain\r\n${leaf.replace(/\n/g, "\r\n")}\n\n${inter}`;
    expect(splitPEMBundle(messy)).toEqual([leaf, inter]);
  });

  it("refuses other block types and empty bundles", () => {
    expect(() => splitPEMBundle("")).toThrow(CertificateDecodeError);
    expect(() =>
      splitPEMBundle(`${leaf}-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n`),
    ).toThrow(/PRIVATE KEY/);
  });

  it("tls-combined.pem is tls.key + \\n + tls.crt, byte for byte", () => {
    const key = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
    expect(combinedPEM(key, leaf + inter)).toBe(`${key}\n${leaf}${inter}`);
  });
});
