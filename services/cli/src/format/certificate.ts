/**
 * Pure formatting of decoded X.509 certificates (`inspect secret`, the Secret part of
 * `status certificate`). Input comes from libs/pki's parser; nothing here reads key material.
 */
import type { ParsedCertificate } from "@certkeeper/pki";
import { age, hexColons, table } from "./text.ts";

export function validity(cert: Pick<ParsedCertificate, "notBefore" | "notAfter">, now: Date): string {
  if (now < cert.notBefore) return `not yet valid (starts in ${age(now, cert.notBefore)})`;
  if (now > cert.notAfter) return `EXPIRED ${age(cert.notAfter, now)} ago`;
  return `valid for another ${age(now, cert.notAfter)}`;
}

const list = (v: readonly string[]) => (v.length > 0 ? v.join(", ") : "-");

/** One certificate as "label: value" lines, indented. */
export function describeCertificate(cert: ParsedCertificate, now: Date, indent = "  "): string[] {
  const rows: [string, string][] = [
    ["Subject:", cert.subject.text || "-"],
    ["Issuer:", cert.issuer.text || "-"],
    ["DNS names:", list(cert.dnsNames)],
  ];
  if (cert.ipAddresses.length > 0) rows.push(["IP addresses:", list(cert.ipAddresses)]);
  if (cert.uris.length > 0) rows.push(["URIs:", list(cert.uris)]);
  if (cert.emailAddresses.length > 0) rows.push(["Email addresses:", list(cert.emailAddresses)]);
  rows.push(
    ["Not before:", cert.notBefore.toISOString()],
    ["Not after:", `${cert.notAfter.toISOString()} (${validity(cert, now)})`],
    ["Serial number:", cert.serialNumber],
    ["Public key:", `${cert.publicKeyAlgorithm}${cert.publicKeySize ? ` ${cert.publicKeySize}-bit` : ""}`],
    ["Signature algorithm:", cert.signatureAlgorithm],
    ["Key usage:", list(cert.keyUsages)],
    ["Extended key usage:", list([...cert.extKeyUsages, ...cert.unknownExtKeyUsages])],
    ["Is CA:", cert.isCA ? "yes" : "no"],
  );
  if (cert.subjectKeyId) rows.push(["Subject key ID:", hexColons(cert.subjectKeyId)]);
  if (cert.authorityKeyId) rows.push(["Authority key ID:", hexColons(cert.authorityKeyId)]);
  rows.push(["SHA-256 fingerprint:", cert.fingerprintSHA256]);
  return table(rows, indent);
}

export interface SecretInspection {
  namespace: string;
  name: string;
  type?: string | undefined;
  /** Data keys present (never their values). */
  keys: string[];
  annotations: Record<string, string>;
  /** tls.crt, leaf first. */
  chain: ParsedCertificate[];
  /** ca.crt. */
  ca: ParsedCertificate[];
  /** Whether tls.key holds the leaf's private key; undefined when there is no tls.key. */
  keyMatches?: boolean | undefined;
  /** Why tls.key could not be read, if it could not. */
  keyError?: string | undefined;
  /** Why tls.crt / ca.crt could not be decoded. */
  certError?: string | undefined;
}

/** The readable view of a TLS Secret. */
export function formatSecretInspection(s: SecretInspection, now: Date): string[] {
  const lines = [`Secret: ${s.namespace}/${s.name}`, `Type: ${s.type ?? "Opaque"}`, `Keys: ${list(s.keys)}`];
  const cm = Object.entries(s.annotations)
    .filter(([k]) => k.startsWith("cert-manager.io/"))
    .sort(([a], [b]) => a.localeCompare(b));
  if (cm.length > 0) {
    lines.push(
      "Annotations:",
      ...table(
        cm.map(([k, v]) => [`${k}:`, v]),
        "  ",
      ),
    );
  }
  if (s.certError) lines.push(`Certificate: cannot be decoded: ${s.certError}`);
  if (s.keyError) lines.push(`Private key: cannot be decoded: ${s.keyError}`);
  else if (s.keyMatches !== undefined) {
    lines.push(`Private key: ${s.keyMatches ? "matches the certificate" : "DOES NOT MATCH the certificate"}`);
  }
  s.chain.forEach((cert, i) => {
    const role = i === 0 ? "leaf" : cert.isCA ? "intermediate" : "certificate";
    lines.push("", `tls.crt [${i + 1}/${s.chain.length}] (${role}):`, ...describeCertificate(cert, now));
  });
  s.ca.forEach((cert, i) => {
    lines.push("", `ca.crt [${i + 1}/${s.ca.length}]:`, ...describeCertificate(cert, now));
  });
  return lines;
}
