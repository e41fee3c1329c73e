/**
 * Defaults cert-manager applies in code (never persisted by a webhook) and the limits its webhook
 * enforces. Pure functions: controllers call them when reading a spec.
 */
import { CERT_MANAGER_GROUP, ISSUER_KIND } from "./constants.ts";
import { parseGoDuration } from "./duration.ts";
import type {
  CertificateSpec,
  IssuerReference,
  KeyUsage,
  PKCS12Profile,
  PrivateKeyAlgorithm,
  PrivateKeyEncoding,
  PrivateKeyRotationPolicy,
  SignatureAlgorithm,
} from "./schemas/index.ts";

export { formatGoDuration, parseGoDuration } from "./duration.ts";

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Lifetime requested when `spec.duration` is unset: 90 days. */
export const DEFAULT_CERTIFICATE_DURATION = "2160h0m0s";
export const DEFAULT_CERTIFICATE_DURATION_MS = 2160 * HOUR_MS;
/** Shortest `spec.duration` the webhook accepts. */
export const MIN_CERTIFICATE_DURATION_MS = HOUR_MS;
/** Shortest `spec.renewBefore` (or effective renewBeforePercentage) the webhook accepts. */
export const MIN_RENEW_BEFORE_MS = 5 * MINUTE_MS;
/** Maximum length of `spec.commonName`. */
export const MAX_COMMON_NAME_LENGTH = 64;

export const DEFAULT_USAGES: readonly KeyUsage[] = Object.freeze(["digital signature", "key encipherment"]);
export const DEFAULT_PRIVATE_KEY_ALGORITHM: PrivateKeyAlgorithm = "RSA";
export const DEFAULT_RSA_KEY_SIZE = 2048;
export const DEFAULT_ECDSA_KEY_SIZE = 256;
export const MIN_RSA_KEY_SIZE = 2048;
export const MAX_RSA_KEY_SIZE = 8192;
export const ECDSA_KEY_SIZES: readonly number[] = Object.freeze([256, 384, 521]);
export const DEFAULT_PRIVATE_KEY_ENCODING: PrivateKeyEncoding = "PKCS1";
/** Default since cert-manager v1.18. */
export const DEFAULT_ROTATION_POLICY: PrivateKeyRotationPolicy = "Always";
export const DEFAULT_REVISION_HISTORY_LIMIT = 1;
export const DEFAULT_JKS_ALIAS = "certificate";
export const DEFAULT_PKCS12_PROFILE: PKCS12Profile = "LegacyRC2";
export const DEFAULT_ACME_PRIVATE_KEY_SECRET_KEY = "tls.key";
export const DEFAULT_VAULT_TOKEN_KEY = "token";
export const DEFAULT_VAULT_CA_BUNDLE_KEY = "ca.crt";
export const DEFAULT_VAULT_KUBERNETES_MOUNT_PATH = "/v1/auth/kubernetes";
export const DEFAULT_VAULT_CERT_MOUNT_PATH = "/v1/auth/cert";
export const DEFAULT_VAULT_AWS_MOUNT_PATH = "/v1/auth/aws";
export const DEFAULT_VENAFI_CLOUD_URL = "https://api.venafi.cloud/";
export const DEFAULT_ROUTE53_AUDIENCE = "sts.amazonaws.com";
export const DEFAULT_RENEWAL_WINDOW_TIMEZONE = "UTC";

/** `issuerRef.kind`, with "" or unset meaning Issuer. */
export function issuerRefKind(ref: Partial<IssuerReference>): string {
  return ref.kind ? ref.kind : ISSUER_KIND;
}

/** `issuerRef.group`, with "" or unset meaning cert-manager.io. */
export function issuerRefGroup(ref: Partial<IssuerReference>): string {
  return ref.group ? ref.group : CERT_MANAGER_GROUP;
}

/** True if the reference points at a built-in issuer (group cert-manager.io), not an external one. */
export function isCertManagerIssuer(ref: Partial<IssuerReference>): boolean {
  return issuerRefGroup(ref) === CERT_MANAGER_GROUP;
}

/** Requested lifetime in milliseconds (`spec.duration`, or 90 days). */
export function certificateDurationMs(spec: Pick<CertificateSpec, "duration">): number {
  return spec.duration ? parseGoDuration(spec.duration) : DEFAULT_CERTIFICATE_DURATION_MS;
}

/** Requested usages, or the defaults when none are given. Does not add `cert sign` for CAs. */
export function certificateUsages(spec: Pick<CertificateSpec, "usages">): readonly KeyUsage[] {
  return spec.usages && spec.usages.length > 0 ? spec.usages : DEFAULT_USAGES;
}

/** Key algorithm of `spec.privateKey`, defaulting to RSA. */
export function privateKeyAlgorithm(spec: Pick<CertificateSpec, "privateKey">): PrivateKeyAlgorithm {
  return spec.privateKey?.algorithm ?? DEFAULT_PRIVATE_KEY_ALGORITHM;
}

/** Default key size for an algorithm: RSA 2048, ECDSA 256, Ed25519 0 (size does not apply). */
export function defaultKeySize(algorithm: PrivateKeyAlgorithm): number {
  switch (algorithm) {
    case "RSA":
      return DEFAULT_RSA_KEY_SIZE;
    case "ECDSA":
      return DEFAULT_ECDSA_KEY_SIZE;
    case "Ed25519":
      return 0;
  }
}

/** Effective key size of `spec.privateKey` (0 for Ed25519). */
export function privateKeySize(spec: Pick<CertificateSpec, "privateKey">): number {
  const algorithm = privateKeyAlgorithm(spec);
  if (algorithm === "Ed25519") return 0;
  return spec.privateKey?.size ? spec.privateKey.size : defaultKeySize(algorithm);
}

/** Effective `privateKey.encoding`; Ed25519 keys are always PKCS#8. */
export function privateKeyEncoding(spec: Pick<CertificateSpec, "privateKey">): PrivateKeyEncoding {
  if (privateKeyAlgorithm(spec) === "Ed25519") return "PKCS8";
  return spec.privateKey?.encoding ?? DEFAULT_PRIVATE_KEY_ENCODING;
}

/** Effective `privateKey.rotationPolicy` (Always unless set). */
export function privateKeyRotationPolicy(
  spec: Pick<CertificateSpec, "privateKey">,
): PrivateKeyRotationPolicy {
  return spec.privateKey?.rotationPolicy ?? DEFAULT_ROTATION_POLICY;
}

/** Signature algorithm derived from the key when `spec.signatureAlgorithm` is unset. */
export function defaultSignatureAlgorithm(algorithm: PrivateKeyAlgorithm, size: number): SignatureAlgorithm {
  switch (algorithm) {
    case "RSA":
      return size >= 4096 ? "SHA512WithRSA" : size >= 3072 ? "SHA384WithRSA" : "SHA256WithRSA";
    case "ECDSA":
      return size === 521 ? "ECDSAWithSHA512" : size === 384 ? "ECDSAWithSHA384" : "ECDSAWithSHA256";
    case "Ed25519":
      return "PureEd25519";
  }
}

/** Effective `revisionHistoryLimit` (1 unless set). */
export function revisionHistoryLimit(spec: Pick<CertificateSpec, "revisionHistoryLimit">): number {
  return spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
}

/** Effective `encodeUsagesInRequest` (true unless set to false). */
export function encodeUsagesInRequest(spec: Pick<CertificateSpec, "encodeUsagesInRequest">): boolean {
  return spec.encodeUsagesInRequest ?? true;
}
