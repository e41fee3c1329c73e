/**
 * Small object builders for Certificate-side tests: `aCertificate(withDNSNames("a"))`,
 * `aSecret(withKeyAndCert(k, pem))`, plus real key material made with @certkeeper/pki.
 */
import { Annotations, type Certificate, type CertificateRequest, type RenewalWindow } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import {
  buildCSR,
  encodePrivateKey,
  generatePrivateKey,
  signCertificate,
  type PrivateKey,
} from "@certkeeper/pki";

type Mod<T> = (o: T) => void;

export function aCertificate(...mods: Mod<Certificate>[]): Certificate {
  const c: Certificate = {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: {
      name: "web",
      namespace: "ns",
      uid: "cert-uid",
      generation: 1,
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: {
      secretName: "web-tls",
      dnsNames: ["web.example.com"],
      issuerRef: { name: "ca", kind: "Issuer" },
      privateKey: { algorithm: "ECDSA", size: 256 },
    },
    status: {},
  };
  for (const m of mods) m(c);
  return c;
}

export const withDNSNames =
  (...names: string[]): Mod<Certificate> =>
  (c) =>
    void (c.spec.dnsNames = names);
export const withCommonName =
  (cn: string): Mod<Certificate> =>
  (c) =>
    void (c.spec.commonName = cn);
export const withIssuer =
  (name: string, kind = "Issuer", group?: string): Mod<Certificate> =>
  (c) =>
    void (c.spec.issuerRef = { name, kind, ...(group ? { group } : {}) });
export const withRevision =
  (n: number): Mod<Certificate> =>
  (c) =>
    void (c.status = { ...c.status, revision: n });
export const withRenewBefore =
  (d: string): Mod<Certificate> =>
  (c) =>
    void (c.spec.renewBefore = d);
export const withRenewalWindows =
  (...windows: RenewalWindow[]): Mod<Certificate> =>
  (c) =>
    void (c.spec.renewal = { ...c.spec.renewal, windows });
export const withKeyAlgorithm =
  (algorithm: "RSA" | "ECDSA" | "Ed25519", size?: number): Mod<Certificate> =>
  (c) =>
    void (c.spec.privateKey = { algorithm, ...(size ? { size } : {}) });
export const withFailure =
  (at: Date, attempts: number): Mod<Certificate> =>
  (c) =>
    void (c.status = { ...c.status, lastFailureTime: at.toISOString(), failedIssuanceAttempts: attempts });

export interface Material {
  key: PrivateKey;
  keyPEM: string;
  certPEM: string;
  csrPEM: string;
}

/** A real key, CSR and self-signed certificate for the Certificate's spec. */
export async function materialFor(cert: Certificate, notBefore: Date, durationMs: number): Promise<Material> {
  const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const csrPEM = buildCSR(cert.spec, key);
  const certPEM = signCertificate({ csr: csrPEM, issuerKey: key, duration: durationMs, notBefore });
  return { key, keyPEM: encodePrivateKey(key, "PKCS1"), certPEM, csrPEM };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

export function aSecret(cert: Certificate, m: Material | undefined, ...mods: Mod<Secret>[]): Secret {
  const s: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: cert.spec.secretName,
      namespace: cert.metadata.namespace,
      annotations: {
        [Annotations.CertificateName]: cert.metadata.name!,
        [Annotations.IssuerName]: cert.spec.issuerRef.name,
        [Annotations.IssuerKind]: cert.spec.issuerRef.kind ?? "",
        [Annotations.IssuerGroup]: cert.spec.issuerRef.group ?? "",
      },
    },
    type: "kubernetes.io/tls",
    data: m ? { "tls.key": b64(m.keyPEM), "tls.crt": b64(m.certPEM) } : {},
  };
  for (const mod of mods) mod(s);
  return s;
}

export const withData =
  (data: Record<string, string>): Mod<Secret> =>
  (s) =>
    void (s.data = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])));
export const withAnnotation =
  (k: string, v: string | undefined): Mod<Secret> =>
  (s) => {
    const a = { ...(s.metadata.annotations ?? {}) };
    if (v === undefined) delete a[k];
    else a[k] = v;
    s.metadata.annotations = a;
  };

export function aRequest(cert: Certificate, revision: number, csrPEM: string): CertificateRequest {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: {
      name: `${cert.metadata.name}-${revision}`,
      namespace: cert.metadata.namespace,
      annotations: { [Annotations.CertificateRevision]: String(revision) },
    },
    spec: {
      request: b64(csrPEM),
      issuerRef: { ...cert.spec.issuerRef },
      ...(cert.spec.usages ? { usages: cert.spec.usages } : {}),
    },
  };
}
