/**
 * Decoding a Secret's key and certificate or a request's CSR is the expensive part of every
 * decision, so it happens once per object version: cached objects are immutable (frozen) and
 * replaced on change, which makes them perfect WeakMap keys.
 */
import type { CertificateRequest } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import {
  parseCertificate,
  parseCSR,
  parsePrivateKey,
  spkiDER,
  type ParsedCertificate,
  type ParsedCSR,
  type PrivateKey,
} from "@certkeeper/pki";

export interface ParsedSecret {
  hasData: boolean;
  keyPEM?: string;
  certPEM?: string;
  caPEM?: string;
  key?: PrivateKey;
  keySPKI?: Buffer;
  keyError?: string;
  cert?: ParsedCertificate;
  certError?: string;
}

const secrets = new WeakMap<object, ParsedSecret>();
const csrs = new WeakMap<object, ParsedCSR | Error>();

function dataOf(secret: Secret, key: string): string | undefined {
  const v = secret.data?.[key];
  return v === undefined || v === "" ? undefined : Buffer.from(v, "base64").toString("utf8");
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function parseSecret(secret: Secret): ParsedSecret {
  const hit = secrets.get(secret);
  if (hit) return hit;
  const keyPEM = dataOf(secret, "tls.key");
  const certPEM = dataOf(secret, "tls.crt");
  const out: ParsedSecret = {
    hasData: secret.data !== undefined && Object.keys(secret.data).length > 0,
    keyPEM,
    certPEM,
    caPEM: dataOf(secret, "ca.crt"),
  };
  if (keyPEM) {
    try {
      out.key = parsePrivateKey(keyPEM);
      out.keySPKI = spkiDER(out.key);
    } catch (err) {
      out.keyError = errText(err);
    }
  }
  if (certPEM) {
    try {
      out.cert = parseCertificate(certPEM);
    } catch (err) {
      out.certError = errText(err);
    }
  }
  secrets.set(secret, out);
  return out;
}

export function parseRequestCSR(cr: CertificateRequest): ParsedCSR | Error {
  const hit = csrs.get(cr);
  if (hit) return hit;
  let out: ParsedCSR | Error;
  try {
    out = parseCSR(Buffer.from(cr.spec.request, "base64"));
  } catch (err) {
    out = err instanceof Error ? err : new Error(String(err));
  }
  csrs.set(cr, out);
  return out;
}

/** The issued chain in a CertificateRequest's status, decoded once. */
const issued = new WeakMap<object, ParsedCertificate | Error>();
export function parseIssuedCertificate(cr: CertificateRequest): ParsedCertificate | Error {
  const hit = issued.get(cr);
  if (hit) return hit;
  let out: ParsedCertificate | Error;
  try {
    out = parseCertificate(Buffer.from(cr.status?.certificate ?? "", "base64").toString("utf8"));
  } catch (err) {
    out = err instanceof Error ? err : new Error(String(err));
  }
  issued.set(cr, out);
  return out;
}
