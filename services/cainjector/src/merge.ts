/**
 * CA bundle merging (cert-manager's CAInjectorMerging, on by default since v1.21): the target keeps
 * the CAs it already trusts and gains the new ones, so a CA rotation never leaves a window in which
 * the API server distrusts either the old or the new serving certificate.
 *
 *   existing bundle ─┐  parse (unparsable ⇒ treated as empty: replaced, as cert-manager does)
 *                    ├─► existing certs in order, then new ones ─► drop duplicates (same DER)
 *   new CA data ─────┘                                           └► drop expired (now > notAfter)
 *
 * Output is canonical PEM, so once merged a bundle stays byte-identical and no further write happens.
 */
import { parseCertificate, splitPEMBundle } from "@certkeeper/pki";

export interface MergeResult {
  /** The bundle to write (canonical PEM), "" when nothing valid remains. */
  bundle: string;
  /** Certificates in `bundle`. */
  certificates: number;
  /** `bundle` differs from the existing bundle byte for byte. */
  changed: boolean;
}

interface Cert {
  pem: string;
  fingerprint: string;
  notAfter: Date;
}

/** Merges `additional` into `existing`; both PEM text ("" when unset). */
export function mergeBundle(existing: string, additional: string, now: Date): MergeResult {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const c of [...parseBundle(existing), ...parseBundle(additional)]) {
    if (seen.has(c.fingerprint) || now.getTime() > c.notAfter.getTime()) continue;
    seen.add(c.fingerprint);
    kept.push(c.pem);
  }
  const bundle = kept.join("");
  return { bundle, certificates: kept.length, changed: bundle !== existing };
}

/** Without merging (gate off): the target gets exactly the source's CA data. */
export function replaceBundle(existing: string, additional: string): MergeResult {
  return {
    bundle: additional,
    certificates: parseBundle(additional).length,
    changed: additional !== existing,
  };
}

/** Certificates of a PEM bundle; [] when empty or unparsable. */
export function parseBundle(pem: string): Cert[] {
  if (pem.trim() === "") return [];
  try {
    return splitPEMBundle(pem).map((block) => {
      const c = parseCertificate(block);
      return { pem: block, fingerprint: c.fingerprintSHA256, notAfter: c.notAfter };
    });
  } catch {
    return [];
  }
}
