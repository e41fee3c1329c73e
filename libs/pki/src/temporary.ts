import { buildCSR } from "./csr.ts";
import { generatePrivateKey, parsePrivateKey } from "./keys.ts";
import { signCertificate } from "./sign.ts";
import { durationMs, type CertificateSpecLike } from "./spec.ts";

/** Subject serialNumber of every temporary certificate. */
export const TEMPORARY_CERTIFICATE_SERIAL_NUMBER = "1234567890";

/**
 * The throwaway certificate written while a real one is pending (annotation
 * cert-manager.io/issue-temporary-certificate): signed by a one-off in-memory CA
 * ("cert-manager.local", ECDSA P-521) that is discarded afterwards. Like cert-manager's
 * template it ignores literalSubject, otherNames and nameConstraints.
 *
 * Note: current cert-manager sets the serialNumber on a template whose raw subject wins, so its
 * temporary certificates may not actually carry it; we carry it, as its documentation says.
 */
export async function issueTemporaryCertificate(spec: CertificateSpecLike, keyPEM: string): Promise<string> {
  const caKey = await generatePrivateKey({ algorithm: "ECDSA", size: 521 });
  const caSpec: CertificateSpecLike = { commonName: "cert-manager.local", isCA: true };
  const caCert = signCertificate({ csr: buildCSR(caSpec, caKey), issuerKey: caKey, isCA: true });

  const leafSpec: CertificateSpecLike = {
    ...spec,
    literalSubject: undefined,
    otherNames: undefined,
    nameConstraints: undefined,
    signatureAlgorithm: undefined,
    subject: { ...spec.subject, serialNumber: TEMPORARY_CERTIFICATE_SERIAL_NUMBER },
  };
  return signCertificate({
    csr: buildCSR(leafSpec, parsePrivateKey(keyPEM), { encodeBasicConstraints: false }),
    issuerCert: caCert,
    issuerKey: caKey,
    duration: durationMs(spec.duration),
    isCA: spec.isCA,
    usages: spec.usages,
  });
}
