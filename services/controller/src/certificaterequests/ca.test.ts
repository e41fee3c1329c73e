import type { Secret } from "@certkeeper/kube";
import { parseCertificate } from "@certkeeper/pki";
import { beforeAll, describe, expect, it } from "vitest";
import type { ResolvedIssuer } from "../issuers/types.ts";
import {
  aCertificateRequest,
  aClusterIssuer,
  aLeafRequest,
  anIntermediateCA,
  anIssuer,
  aRootCA,
  aTLSSecret,
  opensslText,
  opensslVerify,
  pemBlocks,
  withCA,
  withCSR,
  withDuration,
  withIssuer,
  withReady,
  type KeyPair,
} from "../testing/builders.ts";
import { caSigner } from "./ca.ts";
import type { SignerContext, SignOutcome } from "./issuer-controller.ts";

function ctx(secrets: Secret[], getSecret?: SignerContext["getSecret"]): SignerContext {
  return {
    now: new Date(),
    clusterResourceNamespace: "cert-manager",
    getSecret:
      getSecret ??
      (async (ns, name) => secrets.find((s) => s.metadata.namespace === ns && s.metadata.name === name)),
  };
}

const caIssuer = (extra = {}): ResolvedIssuer => ({
  kind: "Issuer",
  issuer: anIssuer(withCA("ca-kp", extra), withReady()),
});

function signed(out: SignOutcome): { chain: string; ca: string | undefined } {
  if (out.kind !== "signed") throw new Error(`expected signed, got ${out.kind}: ${out.message}`);
  return { chain: out.certificatePEM, ca: out.caPEM };
}

let root: KeyPair;
let intermediate: KeyPair;
let unrelated: KeyPair;
let csrPEM: string;

beforeAll(async () => {
  root = await aRootCA("certkeeper test root");
  intermediate = await anIntermediateCA(root, "certkeeper test intermediate");
  unrelated = await aRootCA("some unrelated root");
  csrPEM = (await aLeafRequest({ commonName: "web.example.com", dnsNames: ["web.example.com"] })).csrPEM;
});

describe("caSigner", () => {
  it("signs with a root CA: chain is the leaf alone, ca is the root; openssl verifies", async () => {
    const secret = aTLSSecret("ns", "ca-kp", { "tls.crt": root.certPEM, "tls.key": root.keyPEM });
    const out = signed(
      await caSigner.sign(
        aCertificateRequest(withCSR(csrPEM), withDuration("48h")),
        caIssuer(),
        ctx([secret]),
      ),
    );
    expect(pemBlocks(out.chain)).toHaveLength(1);
    expect(out.ca).toBe(root.certPEM);
    const leaf = parseCertificate(out.chain);
    expect(leaf.issuer.text).toBe(parseCertificate(root.certPEM).subject.text);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(48 * 3600_000);
    const v = opensslVerify(root.certPEM, out.chain);
    expect(v.output).toContain("OK");
    expect(v.status).toBe(0);
  });

  it("signs with an intermediate (tls.crt = intermediate + root): chain = leaf + intermediate, ca = root", async () => {
    const secret = aTLSSecret("ns", "ca-kp", {
      "tls.crt": intermediate.certPEM + root.certPEM,
      "tls.key": intermediate.keyPEM,
    });
    const out = signed(await caSigner.sign(aCertificateRequest(withCSR(csrPEM)), caIssuer(), ctx([secret])));
    const blocks = pemBlocks(out.chain);
    expect(blocks).toHaveLength(2);
    expect(blocks[1]).toBe(intermediate.certPEM);
    expect(out.ca).toBe(root.certPEM);
    const v = opensslVerify(out.ca!, blocks[0]!, blocks.slice(1).join(""));
    expect(v.output).toContain("OK");
    expect(v.status).toBe(0);
    // The leaf alone does not verify against the root: the intermediate is needed.
    expect(opensslVerify(out.ca!, blocks[0]!).status).not.toBe(0);
  });

  it("takes the root from ca.crt when tls.crt holds only the intermediate", async () => {
    const secret = aTLSSecret("ns", "ca-kp", {
      "tls.crt": intermediate.certPEM,
      "tls.key": intermediate.keyPEM,
      "ca.crt": root.certPEM,
    });
    const out = signed(await caSigner.sign(aCertificateRequest(withCSR(csrPEM)), caIssuer(), ctx([secret])));
    expect(pemBlocks(out.chain)).toHaveLength(2);
    expect(out.ca).toBe(root.certPEM);
  });

  it("without the root anywhere, ca is the top-most certificate (the intermediate)", async () => {
    const secret = aTLSSecret("ns", "ca-kp", {
      "tls.crt": intermediate.certPEM,
      "tls.key": intermediate.keyPEM,
    });
    const out = signed(await caSigner.sign(aCertificateRequest(withCSR(csrPEM)), caIssuer(), ctx([secret])));
    expect(pemBlocks(out.chain)).toHaveLength(2);
    expect(out.ca).toBe(intermediate.certPEM);
  });

  it("an unrelated certificate in the CA chain fails the request, naming it", async () => {
    const secret = aTLSSecret("ns", "ca-kp", {
      "tls.crt": intermediate.certPEM + unrelated.certPEM,
      "tls.key": intermediate.keyPEM,
    });
    const out = await caSigner.sign(aCertificateRequest(withCSR(csrPEM)), caIssuer(), ctx([secret]));
    expect(out).toMatchObject({ kind: "failed", reason: "SigningError" });
    const message = out.kind === "failed" ? out.message : "";
    expect(message).toMatch(/^Error signing certificate: the CA chain in secret ns\/ca-kp is not usable: /);
    expect(message).toContain("some unrelated root");
    expect(message).toContain("does not chain");
  });

  it("puts CRL distribution points, OCSP servers and issuing certificate URLs in the leaf", async () => {
    const secret = aTLSSecret("ns", "ca-kp", { "tls.crt": root.certPEM, "tls.key": root.keyPEM });
    const issuer = caIssuer({
      crlDistributionPoints: ["http://crl.example.com/ca.crl"],
      ocspServers: ["http://ocsp.example.com"],
      issuingCertificateURLs: ["http://certs.example.com/ca.crt"],
    });
    const out = signed(await caSigner.sign(aCertificateRequest(withCSR(csrPEM)), issuer, ctx([secret])));
    const text = opensslText(out.chain);
    expect(text).toContain("URI:http://crl.example.com/ca.crl");
    expect(text).toContain("OCSP - URI:http://ocsp.example.com");
    expect(text).toContain("CA Issuers - URI:http://certs.example.com/ca.crt");
  });

  it("a ClusterIssuer reads its Secret from the cluster resource namespace", async () => {
    const inClusterNs = aTLSSecret("cert-manager", "ca-kp", {
      "tls.crt": root.certPEM,
      "tls.key": root.keyPEM,
    });
    const issuer: ResolvedIssuer = {
      kind: "ClusterIssuer",
      issuer: aClusterIssuer(withCA("ca-kp"), withReady()),
    };
    const cr = aCertificateRequest(withCSR(csrPEM), withIssuer("cluster-issuer", "ClusterIssuer"));
    expect((await caSigner.sign(cr, issuer, ctx([inClusterNs]))).kind).toBe("signed");
    const inRequestNs = aTLSSecret("ns", "ca-kp", { "tls.crt": root.certPEM, "tls.key": root.keyPEM });
    expect(await caSigner.sign(cr, issuer, ctx([inRequestNs]))).toMatchObject({
      kind: "pending",
      reason: "SecretMissing",
      message: 'Referenced secret cert-manager/ca-kp not found: secret "ca-kp" not found',
    });
  });

  const bad: Array<{ name: string; data: () => Record<string, string>; message: RegExp }> = [
    {
      name: "no tls.crt",
      data: () => ({ "tls.key": root.keyPEM }),
      message: /no data for "tls.crt" in secret 'ns\/ca-kp'/,
    },
    {
      name: "no tls.key",
      data: () => ({ "tls.crt": root.certPEM }),
      message: /no data for "tls.key" in secret 'ns\/ca-kp'/,
    },
    {
      name: "garbage tls.crt",
      data: () => ({ "tls.crt": "garbage", "tls.key": root.keyPEM }),
      message: /^Failed to parse signing CA keypair from secret ns\/ca-kp: /,
    },
    {
      name: "key of another CA",
      data: () => ({ "tls.crt": root.certPEM, "tls.key": unrelated.keyPEM }),
      message: /does not belong to the first certificate/,
    },
  ];
  for (const b of bad) {
    it(`${b.name} ⇒ Pending SecretInvalidData`, async () => {
      const out = await caSigner.sign(
        aCertificateRequest(withCSR(csrPEM)),
        caIssuer(),
        ctx([aTLSSecret("ns", "ca-kp", b.data())]),
      );
      expect(out).toMatchObject({ kind: "pending", reason: "SecretInvalidData" });
      expect(out.kind === "pending" && out.message).toMatch(b.message);
    });
  }

  it("a failing Secret read ⇒ Pending SecretGetError with a retry", async () => {
    const out = await caSigner.sign(
      aCertificateRequest(withCSR(csrPEM)),
      caIssuer(),
      ctx([], async () => {
        throw new Error("connection refused");
      }),
    );
    expect(out).toMatchObject({ kind: "pending", reason: "SecretGetError" });
    expect(out.kind === "pending" && out.retry?.message).toBe("connection refused");
  });

  it("an undecodable CSR ⇒ Failed SigningError", async () => {
    const secret = aTLSSecret("ns", "ca-kp", { "tls.crt": root.certPEM, "tls.key": root.keyPEM });
    const out = await caSigner.sign(aCertificateRequest(withCSR("nope")), caIssuer(), ctx([secret]));
    expect(out).toMatchObject({ kind: "failed", reason: "SigningError" });
    expect(out.kind === "failed" && out.message).toMatch(/^Error generating certificate template: /);
  });
});
