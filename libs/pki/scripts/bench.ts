/**
 * Micro-benchmark of the issuance hot path: P-256 key + CSR + (CSR parse/verify + CA sign).
 * Compares this package with the same flow on @peculiar/x509. Run:
 *   pnpm tsx libs/pki/scripts/bench.ts [seconds-per-case]
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { buildCSR, generatePrivateKey, parseCSR, signCertificate } from "../src/index.ts";

const seconds = Number(process.argv[2] ?? 3);

async function measure(name: string, op: () => Promise<unknown> | unknown): Promise<void> {
  for (let i = 0; i < 20; i++) await op(); // warm up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await op();
    n++;
  }
  const rate = n / ((performance.now() - start) / 1000);
  console.log(`${name.padEnd(58)} ${rate.toFixed(0).padStart(6)}/s`);
}

const caKey = await generatePrivateKey({ algorithm: "ECDSA" });
const caCert = signCertificate({
  csr: buildCSR({ commonName: "bench CA", isCA: true }, caKey),
  issuerKey: caKey,
  isCA: true,
});
const spec = {
  commonName: "svc.example.com",
  dnsNames: ["svc.example.com", "svc"],
  usages: ["server auth", "client auth"],
};
const fixedKey = await generatePrivateKey({ algorithm: "ECDSA" });
const fixedCSR = buildCSR(spec, fixedKey);

await measure("@certkeeper/pki: key + CSR + parse/verify + CA sign", async () => {
  const key = await generatePrivateKey({ algorithm: "ECDSA" });
  const csr = parseCSR(buildCSR(spec, key));
  signCertificate({ csr, issuerCert: caCert, issuerKey: caKey, usages: spec.usages });
});
await measure("@certkeeper/pki: CA side only (parse + verify CSR, sign)", () =>
  signCertificate({ csr: fixedCSR, issuerCert: caCert, issuerKey: caKey, usages: spec.usages }),
);
await measure("@certkeeper/pki: P-256 keygen only", () => generatePrivateKey({ algorithm: "ECDSA" }));

// The same flow on @peculiar/x509 + WebCrypto, for comparison.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const pCaKeys = await webcrypto.subtle.generateKey(alg, false, ["sign", "verify"]);
const pCa = await x509.X509CertificateGenerator.createSelfSigned({
  name: "CN=bench CA",
  keys: pCaKeys,
  signingAlgorithm: alg,
  extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
});
await measure("@peculiar/x509: key + CSR + parse/verify + CA sign", async () => {
  const keys = await webcrypto.subtle.generateKey(alg, false, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=svc.example.com",
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "svc.example.com" },
        { type: "dns", value: "svc" },
      ]),
    ],
  });
  const parsed = new x509.Pkcs10CertificateRequest(csr.toString("pem"));
  if (!(await parsed.verify())) throw new Error("bad CSR");
  await x509.X509CertificateGenerator.create({
    serialNumber: "0a1b2c3d4e5f",
    subject: parsed.subject,
    issuer: pCa.subject,
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 90 * 864e5),
    signingAlgorithm: alg,
    publicKey: parsed.publicKey,
    signingKey: pCaKeys.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(pCa),
      parsed.getExtension("2.5.29.17")!,
    ],
  });
});
