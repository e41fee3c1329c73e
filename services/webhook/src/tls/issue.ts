/**
 * Key and certificate generation for the webhook's own serving TLS: an ECDSA P-384 self-signed CA
 * and short-lived ECDSA P-384 serving leaves signed by it. PEM in, PEM out; no I/O.
 */
import {
  buildCSR,
  encodePrivateKey,
  generatePrivateKey,
  parsePrivateKey,
  signCertificate,
} from "@certkeeper/pki";

export const CA_COMMON_NAME = "cert-manager-webhook-ca";
export const CA_DURATION_MS = 365 * 24 * 3600 * 1000;
export const DEFAULT_LEAF_DURATION_MS = 7 * 24 * 3600 * 1000;

const P384 = { algorithm: "ECDSA", size: 384 } as const;

/** A certificate with its key, both PEM. Never logged. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export async function generateCA(now: Date, durationMs = CA_DURATION_MS): Promise<KeyPair> {
  const key = await generatePrivateKey(P384);
  const spec = {
    commonName: CA_COMMON_NAME,
    isCA: true,
    usages: ["digital signature", "key encipherment", "cert sign"],
    privateKey: P384,
  };
  const cert = signCertificate({
    csr: buildCSR(spec, key),
    issuerKey: key,
    isCA: true,
    usages: spec.usages,
    duration: durationMs,
    notBefore: now,
  });
  return { cert, key: encodePrivateKey(key) };
}

export interface LeafOptions {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly durationMs: number;
}

export async function issueServingLeaf(ca: KeyPair, opts: LeafOptions, now: Date): Promise<KeyPair> {
  const key = await generatePrivateKey(P384);
  const spec = {
    dnsNames: opts.dnsNames,
    ipAddresses: opts.ipAddresses,
    usages: ["digital signature", "key encipherment", "server auth"],
    privateKey: P384,
  };
  const cert = signCertificate({
    csr: buildCSR(spec, key),
    issuerCert: ca.cert,
    issuerKey: parsePrivateKey(ca.key),
    usages: spec.usages,
    duration: opts.durationMs,
    notBefore: now,
  });
  return { cert, key: encodePrivateKey(key) };
}
