/**
 * Decoding a Secret's key and certificate or a request's CSR is the expensive part of every
 * decision, so it happens once per object version. The same version reaches us as several
 * objects (the write's response, then the watch event), so results are keyed by
 * uid + resourceVersion; a request's spec is immutable, so its CSR is keyed by uid alone.
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

/** A small LRU map: recently used entries survive, the rest are dropped past `size`. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}

const secrets = new Lru<ParsedSecret>(4096);
const csrs = new Lru<ParsedCSR | Error>(4096);
const versionKey = (o: {
  metadata: { uid?: string; resourceVersion?: string; namespace?: string; name?: string };
}) =>
  o.metadata.uid && o.metadata.resourceVersion
    ? `${o.metadata.uid}/${o.metadata.resourceVersion}`
    : undefined;

function dataOf(secret: Secret, key: string): string | undefined {
  const v = secret.data?.[key];
  return v === undefined || v === "" ? undefined : Buffer.from(v, "base64").toString("utf8");
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function parseSecret(secret: Secret): ParsedSecret {
  const key = versionKey(secret);
  const hit = key ? secrets.get(key) : undefined;
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
  if (key) secrets.set(key, out);
  return out;
}

export function parseRequestCSR(cr: CertificateRequest): ParsedCSR | Error {
  const key = cr.metadata.uid ?? cr.spec.request;
  const hit = csrs.get(key);
  if (hit) return hit;
  let out: ParsedCSR | Error;
  try {
    out = parseCSR(Buffer.from(cr.spec.request, "base64"));
  } catch (err) {
    out = err instanceof Error ? err : new Error(String(err));
  }
  csrs.set(key, out);
  return out;
}

/** The issued chain in a CertificateRequest's status, decoded once. */
const issued = new Lru<ParsedCertificate | Error>(4096);
export function parseIssuedCertificate(cr: CertificateRequest): ParsedCertificate | Error {
  const key = `${cr.metadata.uid}/${cr.status?.certificate?.length ?? 0}/${cr.status?.certificate?.slice(-64) ?? ""}`;
  const hit = issued.get(key);
  if (hit) return hit;
  let out: ParsedCertificate | Error;
  try {
    out = parseCertificate(Buffer.from(cr.status?.certificate ?? "", "base64").toString("utf8"));
  } catch (err) {
    out = err instanceof Error ? err : new Error(String(err));
  }
  issued.set(key, out);
  return out;
}
