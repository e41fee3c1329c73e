/** Small object builders for the webhook's tests (not exported from the package). */
import type {
  Certificate,
  CertificateRequest,
  CertificateRequestCondition,
  CertificateSpec,
  Issuer,
  IssuerSpec,
} from "@certkeeper/api";
import { buildCSR, generatePrivateKey, type CertificateSpecLike } from "@certkeeper/pki";

type Mod<T> = (o: T) => void;

export function aCertificate(...mods: Mod<Certificate>[]): Certificate {
  const c: Certificate = {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "test", namespace: "default" },
    spec: { secretName: "test-tls", issuerRef: { name: "ca" }, dnsNames: ["example.com"] },
  };
  for (const m of mods) m(c);
  return c;
}

export const withSpec =
  (spec: Partial<CertificateSpec>): Mod<Certificate> =>
  (c) => {
    c.spec = { ...c.spec, ...spec };
  };
export const withDNSNames = (...dnsNames: string[]): Mod<Certificate> => withSpec({ dnsNames });
export const withCommonName = (commonName: string): Mod<Certificate> => withSpec({ commonName });
export const withoutIdentity: Mod<Certificate> = (c) => {
  delete c.spec.dnsNames;
  delete c.spec.commonName;
};

export function anIssuer(spec: IssuerSpec): Issuer {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name: "iss", namespace: "default" },
    spec,
  };
}

/** Base64 of a PEM CSR for a P-256 key, as it appears in CertificateRequest.spec.request. */
export async function csrBase64(spec: CertificateSpecLike): Promise<string> {
  const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  return Buffer.from(buildCSR({ privateKey: { algorithm: "ECDSA", size: 256 }, ...spec }, key)).toString(
    "base64",
  );
}

export function aCertificateRequest(request: string, ...mods: Mod<CertificateRequest>[]): CertificateRequest {
  const cr: CertificateRequest = {
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: { name: "req", namespace: "default", uid: "9d1f0b2e-0000-4000-8000-000000000001" },
    spec: { request, issuerRef: { name: "ca", kind: "Issuer", group: "cert-manager.io" } },
  };
  for (const m of mods) m(cr);
  return cr;
}

export const withConditions =
  (...conditions: CertificateRequestCondition[]): Mod<CertificateRequest> =>
  (cr) => {
    cr.status = { ...(cr.status ?? {}), conditions };
  };

export const cond = (type: string, status: "True" | "False" | "Unknown" = "True", reason = "Test") =>
  ({ type, status, reason, message: "set by test" }) as CertificateRequestCondition;
