/**
 * Key and certificate generation for the webhook's own serving TLS: an ECDSA P-256 self-signed CA
 * and short-lived ECDSA P-256 serving leaves signed by it. PEM in, PEM out; no I/O.
 *
 * cert-manager uses P-384 for both; we use P-256 because both keys are used on every new TLS
 * connection. The leaf signs each handshake, and Node.js 20's OpenSSL 3.0 signs P-384 ~30x slower
 * (~0.9 ms against ~0.03 ms); the caller verifies the CA's signature on the leaf each time, and Go
 * (kube-apiserver) verifies P-384 ~10x slower (~0.9 ms against ~0.09 ms). kube-apiserver dials a
 * new connection for every request that finds no idle one, so after any stall of the webhook (a
 * GC pause, a busy node) a burst of handshakes arrives; with P-384 keys that burst cost more than
 * the stall and the webhook, or its caller, did not recover at 1,000 requests/s
 * (test/bench/src/webhook.ts). A P-256 key is at the 128-bit level of the AES-128 that protects
 * the connection's records.
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

const P256 = { algorithm: "ECDSA", size: 256 } as const;

/** A certificate with its key, both PEM. Never logged. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export async function generateCA(now: Date, durationMs = CA_DURATION_MS): Promise<KeyPair> {
  const key = await generatePrivateKey(P256);
  const spec = {
    commonName: CA_COMMON_NAME,
    isCA: true,
    usages: ["digital signature", "key encipherment", "cert sign"],
    privateKey: P256,
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
  const key = await generatePrivateKey(P256);
  const spec = {
    dnsNames: opts.dnsNames,
    ipAddresses: opts.ipAddresses,
    usages: ["digital signature", "key encipherment", "server auth"],
    privateKey: P256,
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
