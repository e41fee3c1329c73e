import type { CertificateRequest } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import { parseCertificate } from "@certkeeper/pki";
import { describe, expect, it } from "vitest";
import type { ResolvedIssuer } from "../issuers/types.ts";
import {
  aCertificateRequest,
  aLeafRequest,
  anIssuer,
  approved,
  aTLSSecret,
  opensslText,
  opensslVerify,
  withCSR,
  withDuration,
  withIsCA,
  withPrivateKeySecret,
  withReady,
  withSelfSigned,
  withUsages,
} from "../testing/builders.ts";
import type { SignerContext, SignOutcome } from "./issuer-controller.ts";
import { selfSignedSigner } from "./selfsigned.ts";

const issuer = (crl?: string[]): ResolvedIssuer => ({
  kind: "Issuer",
  issuer: anIssuer(withSelfSigned(crl), withReady()),
});

function ctx(secrets: Secret[]): SignerContext {
  return {
    now: new Date(),
    clusterResourceNamespace: "cert-manager",
    getSecret: async (ns, name) =>
      secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
  };
}

function signedPEM(out: SignOutcome): string {
  if (out.kind !== "signed") throw new Error(`expected signed, got ${out.kind}: ${out.message}`);
  return out.certificatePEM;
}

describe("selfSignedSigner", () => {
  it("signs the CSR with its own key: duration, isCA, CRL distribution point; verified by openssl", async () => {
    const leaf = await aLeafRequest({ commonName: "my root", isCA: true });
    const cr = aCertificateRequest(
      approved(),
      withCSR(leaf.csrPEM),
      withPrivateKeySecret("web-key"),
      withIsCA(),
      withDuration("24h"),
    );
    const out = await selfSignedSigner.sign(
      cr,
      issuer(["http://crl.example.com/root.crl"]),
      ctx([aTLSSecret("ns", "web-key", { "tls.key": leaf.keyPEM })]),
    );
    const pem = signedPEM(out);
    expect(out.kind === "signed" && out.caPEM).toBe(pem);
    const cert = parseCertificate(pem);
    expect(cert.isCA).toBe(true);
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(24 * 3600_000);
    expect(opensslText(pem)).toContain("URI:http://crl.example.com/root.crl");
    const v = opensslVerify(pem, pem);
    expect(v.output).toContain("OK");
    expect(v.status).toBe(0);
  });

  it("defaults to 90 days and warns about an empty issuer DN", async () => {
    const leaf = await aLeafRequest({ dnsNames: ["web.example.com"] });
    const cr = aCertificateRequest(withCSR(leaf.csrPEM), withPrivateKeySecret("web-key"));
    const out = await selfSignedSigner.sign(
      cr,
      issuer(),
      ctx([aTLSSecret("ns", "web-key", { "tls.key": leaf.keyPEM })]),
    );
    const cert = parseCertificate(signedPEM(out));
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(90 * 86_400_000);
    expect(out.kind === "signed" && out.warnings).toEqual([expect.objectContaining({ reason: "BadConfig" })]);
  });

  const cases: Array<{
    name: string;
    cr: (csrPEM: string) => CertificateRequest;
    secrets: (keyPEM: string, otherKeyPEM: string) => Secret[];
    want: Partial<SignOutcome>;
    message?: RegExp;
  }> = [
    {
      name: "no annotation ⇒ Failed MissingAnnotation",
      cr: (csr) => aCertificateRequest(withCSR(csr)),
      secrets: () => [],
      want: { kind: "failed", reason: "MissingAnnotation" },
      message: /^Annotation "cert-manager.io\/private-key-secret-name" missing or reference empty/,
    },
    {
      name: "Secret not found ⇒ Pending MissingSecret",
      cr: (csr) => aCertificateRequest(withCSR(csr), withPrivateKeySecret("gone")),
      secrets: () => [],
      want: { kind: "pending", reason: "MissingSecret" },
      message: /^Referenced secret ns\/gone not found: secret "gone" not found$/,
    },
    {
      name: "no tls.key ⇒ Pending ErrorParsingKey",
      cr: (csr) => aCertificateRequest(withCSR(csr), withPrivateKeySecret("k")),
      secrets: () => [aTLSSecret("ns", "k", {})],
      want: { kind: "pending", reason: "ErrorParsingKey" },
      message: /no data for "tls.key" in secret 'ns\/k'/,
    },
    {
      name: "undecodable tls.key ⇒ Pending ErrorParsingKey",
      cr: (csr) => aCertificateRequest(withCSR(csr), withPrivateKeySecret("k")),
      secrets: () => [aTLSSecret("ns", "k", { "tls.key": "garbage" })],
      want: { kind: "pending", reason: "ErrorParsingKey" },
    },
    {
      name: "key of another pair ⇒ Failed ErrorKeyMatch",
      cr: (csr) => aCertificateRequest(withCSR(csr), withPrivateKeySecret("k")),
      secrets: (_k, other) => [aTLSSecret("ns", "k", { "tls.key": other })],
      want: {
        kind: "failed",
        reason: "ErrorKeyMatch",
        message: "Error generating certificate template: CSR not signed by referenced private key",
      },
    },
    {
      name: "undecodable CSR ⇒ Failed ErrorGenerating",
      cr: () => aCertificateRequest(withCSR("not a csr"), withPrivateKeySecret("k")),
      secrets: (k) => [aTLSSecret("ns", "k", { "tls.key": k })],
      want: { kind: "failed", reason: "ErrorGenerating" },
      message: /^Error generating certificate template: /,
    },
    {
      name: "CSR usages disagree with spec.usages ⇒ Failed ErrorGenerating",
      cr: (csr) => aCertificateRequest(withCSR(csr), withPrivateKeySecret("k"), withUsages("client auth")),
      secrets: (k) => [aTLSSecret("ns", "k", { "tls.key": k })],
      want: { kind: "failed", reason: "ErrorGenerating" },
      message: /do not match/,
    },
    {
      name: "malformed duration ⇒ Failed ErrorGenerating",
      cr: (csr) => aCertificateRequest(withCSR(csr), withPrivateKeySecret("k"), withDuration("ninety days")),
      secrets: (k) => [aTLSSecret("ns", "k", { "tls.key": k })],
      want: { kind: "failed", reason: "ErrorGenerating" },
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const leaf = await aLeafRequest({ commonName: "web" });
      const other = await aLeafRequest({ commonName: "other" });
      const out = await selfSignedSigner.sign(
        c.cr(leaf.csrPEM),
        issuer(),
        ctx(c.secrets(leaf.keyPEM, other.keyPEM)),
      );
      expect(out).toMatchObject(c.want);
      if (c.message && out.kind !== "signed") expect(out.message).toMatch(c.message);
    });
  }
});
