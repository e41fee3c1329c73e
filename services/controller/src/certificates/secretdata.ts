/**
 * The issued Secret exactly as cert-manager writes it:
 *   data:        tls.crt (leaf first), tls.key (spec encoding), ca.crt (when the issuer gave one),
 *                key.der / tls-combined.pem (additionalOutputFormats),
 *                keystore.jks + truststore.jks, keystore.p12 + truststore.p12 (keystores)
 *   annotations: certificate-name, issuer-name/kind/group (raw issuerRef values), common-name,
 *                alt-names, ip-sans, uri-sans (always), email-sans and subject-* (when non-empty),
 *                plus secretTemplate annotations
 *   labels:      controller.cert-manager.io/fao=true, plus secretTemplate labels
 *   type:        kubernetes.io/tls for new Secrets (an existing Secret's type is kept)
 */
import { Annotations, Labels, Resources, type Certificate, type IssuerReference } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import {
  combinedPEM,
  encodeJKS,
  encodeJKSTruststore,
  encodePKCS12,
  encodePKCS12Truststore,
  encodePrivateKey,
  keyDER,
  parseCertificate,
  type ParsedCertificate,
  type PrivateKey,
} from "@certkeeper/pki";
import { ISSUING_FIELD_MANAGER } from "../caches.ts";

export interface IssuedMaterial {
  key: PrivateKey;
  chainPEM: string;
  caPEM?: string | undefined;
  issuerRef: IssuerReference;
}

export interface KeystorePasswords {
  jks?: string;
  pkcs12?: string;
}

/** Go's encoding/csv quoting for one record, as cert-manager uses for SAN annotations. */
export function csvJoin(values: readonly string[]): string {
  return values
    .map((v) => (/[",\r\n]/.test(v) || v.startsWith(" ") ? `"${v.replace(/"/g, '""')}"` : v))
    .join(",");
}

export function certificateAnnotations(cert: ParsedCertificate | undefined): Record<string, string> {
  const out: Record<string, string> = {
    [Annotations.CommonName]: cert?.subject.commonName ?? "",
    [Annotations.AltNames]: csvJoin(cert?.dnsNames ?? []),
    [Annotations.IPSANs]: csvJoin(cert?.ipAddresses ?? []),
    [Annotations.URISANs]: csvJoin(cert?.uris ?? []),
  };
  if (!cert) return out;
  const optional: Array<[string, string[] | string]> = [
    [Annotations.EmailSANs, cert.emailAddresses],
    [Annotations.SubjectOrganizations, cert.subject.organizations],
    [Annotations.SubjectOrganizationalUnits, cert.subject.organizationalUnits],
    [Annotations.SubjectCountries, cert.subject.countries],
    [Annotations.SubjectProvinces, cert.subject.provinces],
    [Annotations.SubjectLocalities, cert.subject.localities],
    [Annotations.SubjectPostalCodes, cert.subject.postalCodes],
    [Annotations.SubjectStreetAddresses, cert.subject.streetAddresses],
    [Annotations.SubjectSerialNumber, cert.subject.serialNumber],
  ];
  for (const [k, v] of optional) {
    if (typeof v === "string" ? v !== "" : v.length > 0) out[k] = typeof v === "string" ? v : csvJoin(v);
  }
  return out;
}

const b64 = (v: string | Buffer) => Buffer.from(v).toString("base64");

/** The object the issuing controller server-side applies. */
export function desiredSecret(
  certificate: Certificate,
  material: IssuedMaterial,
  existing: Secret | undefined,
  passwords: KeystorePasswords,
  opts: { ownerRef: boolean; now?: Date },
): Secret {
  const spec = certificate.spec;
  const keyPEM = encodePrivateKey(material.key, spec.privateKey?.encoding ?? "PKCS1");
  const parsed = parseCertificate(material.chainPEM);
  const data: Record<string, string> = { "tls.crt": b64(material.chainPEM), "tls.key": b64(keyPEM) };
  if (material.caPEM) data["ca.crt"] = b64(material.caPEM);
  for (const f of spec.additionalOutputFormats ?? []) {
    if (f.type === "DER") data["key.der"] = b64(keyDER(keyPEM));
    if (f.type === "CombinedPEM") data["tls-combined.pem"] = b64(combinedPEM(keyPEM, material.chainPEM));
  }
  const jks = spec.keystores?.jks;
  if (jks?.create && passwords.jks !== undefined) {
    data["keystore.jks"] = b64(
      encodeJKS({
        keyPEM,
        chainPEM: material.chainPEM,
        caPEM: material.caPEM,
        password: passwords.jks,
        alias: jks.alias,
        now: opts.now,
      }),
    );
    if (material.caPEM)
      data["truststore.jks"] = b64(
        encodeJKSTruststore({ caPEM: material.caPEM, password: passwords.jks, now: opts.now }),
      );
  }
  const p12 = spec.keystores?.pkcs12;
  if (p12?.create && passwords.pkcs12 !== undefined) {
    data["keystore.p12"] = b64(
      encodePKCS12({
        keyPEM,
        chainPEM: material.chainPEM,
        caPEM: material.caPEM,
        password: passwords.pkcs12,
        profile: p12.profile,
      }),
    );
    if (material.caPEM) {
      data["truststore.p12"] = b64(
        encodePKCS12Truststore({ caPEM: material.caPEM, password: passwords.pkcs12, profile: p12.profile }),
      );
    }
  }
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: spec.secretName,
      namespace: certificate.metadata.namespace,
      labels: { ...(spec.secretTemplate?.labels ?? {}), [Labels.ControllerFAO]: "true" },
      annotations: {
        ...(spec.secretTemplate?.annotations ?? {}),
        [Annotations.CertificateName]: certificate.metadata.name!,
        [Annotations.IssuerName]: material.issuerRef.name,
        [Annotations.IssuerKind]: material.issuerRef.kind ?? "",
        [Annotations.IssuerGroup]: material.issuerRef.group ?? "",
        ...certificateAnnotations(parsed),
      },
      ...(opts.ownerRef
        ? {
            ownerReferences: [
              {
                apiVersion: Resources.Certificate.apiVersion,
                kind: "Certificate",
                name: certificate.metadata.name!,
                uid: certificate.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    type: existing?.type ?? "kubernetes.io/tls",
    data,
  };
}

const NON_DETERMINISTIC = new Set(["keystore.jks", "truststore.jks", "keystore.p12", "truststore.p12"]);

/**
 * Does the existing Secret already carry everything `desired` would apply? Keystores are
 * compared by presence only (they embed random salts); everything else byte for byte.
 */
/** The label and annotation keys `manager` owns through server-side apply (from managedFields). */
export function appliedMetadataKeys(
  secret: Secret,
  manager: string,
): { labels: string[]; annotations: string[] } {
  const keys = (set: unknown) =>
    Object.keys((set as Record<string, unknown> | undefined) ?? {})
      .filter((k) => k.startsWith("f:"))
      .map((k) => k.slice(2));
  const out = { labels: [] as string[], annotations: [] as string[] };
  for (const entry of secret.metadata.managedFields ?? []) {
    if (entry.manager !== manager || entry.operation !== "Apply") continue;
    const meta = entry.fieldsV1?.["f:metadata"] as Record<string, unknown> | undefined;
    out.labels.push(...keys(meta?.["f:labels"]));
    out.annotations.push(...keys(meta?.["f:annotations"]));
  }
  return out;
}

export function secretUpToDate(
  existing: Secret,
  desired: Secret,
  fieldManager = ISSUING_FIELD_MANAGER,
): boolean {
  const have = existing.data ?? {};
  for (const [k, v] of Object.entries(desired.data ?? {})) {
    if (NON_DETERMINISTIC.has(k) ? !have[k] : have[k] !== v) return false;
  }
  const managedKeys = ["key.der", "tls-combined.pem", ...NON_DETERMINISTIC];
  for (const k of managedKeys) if (have[k] && !desired.data?.[k]) return false;
  const sub = (want: Record<string, string> | undefined, got: Record<string, string> | undefined) =>
    Object.entries(want ?? {}).every(([k, v]) => got?.[k] === v);
  if (!sub(desired.metadata.labels, existing.metadata.labels)) return false;
  if (!sub(desired.metadata.annotations, existing.metadata.annotations)) return false;
  // Labels and annotations our apply set that the template no longer has: apply to drop them.
  const owned = appliedMetadataKeys(existing, fieldManager);
  if (owned.labels.some((k) => desired.metadata.labels?.[k] === undefined)) return false;
  if (owned.annotations.some((k) => desired.metadata.annotations?.[k] === undefined)) return false;
  const wantOwner = desired.metadata.ownerReferences?.[0]?.uid;
  const hasOwner = existing.metadata.ownerReferences?.some((o) => o.kind === "Certificate" && o.controller);
  return wantOwner ? !!existing.metadata.ownerReferences?.some((o) => o.uid === wantOwner) : !hasOwner;
}
