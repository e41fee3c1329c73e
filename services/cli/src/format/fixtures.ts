/** Test fixtures: real certificates from libs/pki, fixed dates. Imported by tests only. */
import {
  buildCSR,
  encodePrivateKey,
  generatePrivateKey,
  signCertificate,
  type PrivateKey,
} from "@certkeeper/pki";

export const NOW = new Date("2026-05-01T10:00:00Z");
const DAY = 24 * 3600 * 1000;
const LEAF_USAGES = ["digital signature", "key encipherment", "server auth"];

export interface Issued {
  key: PrivateKey;
  keyPEM: string;
  certPEM: string;
}

/** A CA and a leaf for web.example it signed, valid from 10 days before NOW for 90 days. */
export async function aChain(): Promise<{ ca: Issued; leaf: Issued }> {
  const caKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const caPEM = signCertificate({
    csr: buildCSR({ commonName: "Example CA", subject: { organizations: ["Example"] }, isCA: true }, caKey),
    issuerKey: caKey,
    isCA: true,
    notBefore: new Date(NOW.getTime() - 10 * DAY),
    duration: 365 * DAY,
  });
  const leafKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const leafPEM = signCertificate({
    csr: buildCSR({ dnsNames: ["web.example", "www.web.example"], usages: LEAF_USAGES }, leafKey),
    issuerCert: caPEM,
    issuerKey: caKey,
    usages: LEAF_USAGES,
    notBefore: new Date(NOW.getTime() - 10 * DAY),
    duration: 90 * DAY,
  });
  return {
    ca: { key: caKey, keyPEM: encodePrivateKey(caKey, "PKCS8"), certPEM: caPEM },
    leaf: { key: leafKey, keyPEM: encodePrivateKey(leafKey, "PKCS8"), certPEM: leafPEM },
  };
}
