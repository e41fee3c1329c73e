/**
 * @certkeeper/pki — keys, CSRs, signing, parsing, chains and keystores, shaped after
 * cert-manager's pkg/util/pki. Pure functions over PEM/DER and Node KeyObjects; no I/O.
 */
export type {
  CertificateSpecLike,
  KeyAlgorithm,
  KeyEncoding,
  NameConstraintsLike,
  PrivateKeySpecLike,
  SignatureAlgorithmName,
  X509SubjectLike,
} from "./spec.ts";
export { DEFAULT_DURATION_MS } from "./spec.ts";

export {
  CertificateDecodeError,
  ChainError,
  CSRError,
  KeyMismatchError,
  KeySpecError,
  KeystoreError,
  PKIError,
  PrivateKeyDecodeError,
  SigningError,
  SubjectError,
} from "./errors.ts";

export {
  defaultSignatureAlgorithm,
  describeKey,
  encodePrivateKey,
  generatePrivateKey,
  keyDER,
  keyMatchesSpec,
  keySpecViolations,
  parsePrivateKey,
  publicKeysEqual,
  type PrivateKey,
} from "./keys.ts";

export { DEFAULT_USAGES, keyUsagesFor, type KeyUsageName } from "./usages.ts";
export type { ParsedName } from "./names.ts";
export type { SubjectAltNames } from "./sans.ts";
export { buildCSR, parseCSR, type BuildCSROptions, type ParsedCSR } from "./csr.ts";
export { signCertificate, type SignCertificateOptions } from "./sign.ts";
export {
  buildChain,
  isSelfSigned,
  keyMatchesCertificate,
  parseCAChain,
  parseCertificate,
  splitPEMBundle,
  type ParsedCertificate,
  type PEMBundle,
} from "./certificate.ts";
export { combinedPEM } from "./formats.ts";
export { encodePKCS12, encodePKCS12Truststore, type PKCS12Profile } from "./pkcs12.ts";
export { encodeJKS, encodeJKSTruststore } from "./jks.ts";
export { issueTemporaryCertificate, TEMPORARY_CERTIFICATE_SERIAL_NUMBER } from "./temporary.ts";
export { spkiDER } from "./keys.ts";
export { subjectDER } from "./names.ts";
