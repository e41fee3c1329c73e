/** Builders for this package's tests (not exported from index.ts). */
import type { Certificate } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import { buildCSR, generatePrivateKey, signCertificate } from "@certkeeper/pki";

const DAY = 24 * 3600 * 1000;

/** A self-signed ECDSA CA certificate (PEM). */
export async function aCA(
  commonName: string,
  opts: { notBefore?: Date; durationMs?: number } = {},
): Promise<string> {
  const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const csr = buildCSR({ commonName, isCA: true }, key);
  return signCertificate({
    csr,
    issuerKey: key,
    isCA: true,
    notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
    duration: opts.durationMs ?? 365 * DAY,
  });
}

/** A CA that expired a day ago. */
export const anExpiredCA = (commonName: string): Promise<string> =>
  aCA(commonName, { notBefore: new Date(Date.now() - 10 * DAY), durationMs: 9 * DAY });

export const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

type SecretOpt = (s: Secret) => void;
export const withCA =
  (pem: string): SecretOpt =>
  (s) =>
    void (s.data = { ...s.data, "ca.crt": b64(pem) });
export const withAnnotation =
  (k: string, v: string): SecretOpt =>
  (s) =>
    void (s.metadata.annotations = { ...s.metadata.annotations, [k]: v });

export function aSecret(namespace: string, name: string, ...opts: SecretOpt[]): Secret {
  const s: Secret = { apiVersion: "v1", kind: "Secret", metadata: { namespace, name }, data: {} };
  for (const o of opts) o(s);
  return s;
}

export function aCertificate(namespace: string, name: string, secretName: string): Certificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { namespace, name },
    spec: { secretName, issuerRef: { name: "ca" }, commonName: name },
  } as Certificate;
}
