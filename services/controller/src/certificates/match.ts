/**
 * Does the current CertificateRequest (or, without one, the issued certificate) still describe
 * what the Certificate spec asks for? Returns the spec fields that differ, in cert-manager's
 * order and spelling ("spec.dnsNames", ...), so messages read like cert-manager's.
 */
import type { CertificateRequestSpec, CertificateSpec } from "@certkeeper/api";
import { issuerRefGroup, issuerRefKind, parseGoDuration } from "@certkeeper/api";
import { subjectDER, type ParsedCertificate, type ParsedCSR } from "@certkeeper/pki";

function sameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = [...new Set(a ?? [])].sort();
  const y = [...new Set(b ?? [])].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function canonicalIP(ip: string): string {
  if (!ip.includes(":")) return ip.split(".").map(Number).join(".");
  const [head = "", tail = ""] = ip.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const full = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return full.map((g) => parseInt(g, 16).toString(16)).join(":");
}

const sameIPs = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  sameSet((a ?? []).map(canonicalIP), (b ?? []).map(canonicalIP));

const otherNameKeys = (list: readonly { oid: string; utf8Value?: string }[] | undefined) =>
  (list ?? []).map((o) => `${o.oid}=${o.utf8Value ?? ""}`);

function durationsDiffer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  try {
    return parseGoDuration(a) !== parseGoDuration(b);
  } catch {
    return a !== b;
  }
}

export function requestMatchesSpec(
  crSpec: CertificateRequestSpec,
  csr: ParsedCSR,
  spec: CertificateSpec,
): string[] {
  const v: string[] = [];
  if (!sameIPs(csr.ipAddresses, spec.ipAddresses)) v.push("spec.ipAddresses");
  if (!sameSet(csr.uris, spec.uris)) v.push("spec.uris");
  if (!sameSet(csr.emailAddresses, spec.emailAddresses)) v.push("spec.emailAddresses");
  if (!sameSet(csr.dnsNames, spec.dnsNames)) v.push("spec.dnsNames");
  if (!sameSet(otherNameKeys(csr.otherNames), otherNameKeys(spec.otherNames))) v.push("spec.otherNames");
  if (!spec.literalSubject) {
    const s = spec.subject ?? {};
    if (csr.subject.commonName !== (spec.commonName ?? "")) v.push("spec.commonName");
    if (csr.subject.serialNumber !== (s.serialNumber ?? "")) v.push("spec.subject.serialNumber");
    if (!sameSet(csr.subject.organizations, s.organizations)) v.push("spec.subject.organizations");
    if (!sameSet(csr.subject.countries, s.countries)) v.push("spec.subject.countries");
    if (!sameSet(csr.subject.organizationalUnits, s.organizationalUnits))
      v.push("spec.subject.organizationalUnits");
    if (!sameSet(csr.subject.localities, s.localities)) v.push("spec.subject.localities");
    if (!sameSet(csr.subject.provinces, s.provinces)) v.push("spec.subject.provinces");
    if (!sameSet(csr.subject.streetAddresses, s.streetAddresses)) v.push("spec.subject.streetAddresses");
    if (!sameSet(csr.subject.postalCodes, s.postalCodes)) v.push("spec.subject.postalCodes");
  } else {
    let want: Buffer | undefined;
    try {
      want = subjectDER(spec);
    } catch {
      want = undefined;
    }
    if (!want || !want.equals(csr.subject.der)) v.push("spec.literalSubject");
  }
  if ((crSpec.isCA ?? false) !== (spec.isCA ?? false)) v.push("spec.isCA");
  if (!sameSet(crSpec.usages, spec.usages)) v.push("spec.usages");
  if (durationsDiffer(crSpec.duration, spec.duration)) v.push("spec.duration");
  const a = crSpec.issuerRef;
  const b = spec.issuerRef;
  if (a.name !== b.name || (a.kind ?? "") !== (b.kind ?? "") || (a.group ?? "") !== (b.group ?? "")) {
    v.push("spec.issuerRef");
  }
  return v;
}

/**
 * Without a CertificateRequest, compare the certificate itself, tolerating what issuers may
 * change: the common name may appear among the DNS names and vice versa (cert-manager's
 * FuzzyX509AltNamesMatchSpec).
 */
export function certificateFuzzyMatchesSpec(cert: ParsedCertificate, spec: CertificateSpec): string[] {
  const v: string[] = [];
  const wantNames = new Set([...(spec.dnsNames ?? []), ...(spec.commonName ? [spec.commonName] : [])]);
  const gotNames = new Set([...cert.dnsNames, ...(cert.subject.commonName ? [cert.subject.commonName] : [])]);
  if (spec.commonName && !gotNames.has(spec.commonName)) v.push("spec.commonName");
  if (
    !sameSet(
      [...gotNames].filter((n) => wantNames.has(n) || cert.dnsNames.includes(n)),
      [...wantNames],
    ) &&
    !sameSet(cert.dnsNames, spec.dnsNames)
  ) {
    v.push("spec.dnsNames");
  }
  if (!sameIPs(cert.ipAddresses, spec.ipAddresses)) v.push("spec.ipAddresses");
  if (!sameSet(cert.uris, spec.uris)) v.push("spec.uris");
  if (!sameSet(cert.emailAddresses, spec.emailAddresses)) v.push("spec.emailAddresses");
  return v;
}

/** "Kind.group/name" with cert-manager's defaulting, for IncorrectIssuer messages. */
export function formatIssuerRef(name: string, kind: string, group: string): string {
  return `${issuerRefKind({ kind })}.${issuerRefGroup({ group })}/${name}`;
}
