/**
 * The trigger and readiness policy chains: ordered lists of small named checks, first hit wins
 * (cert-manager's internal/controller/certificates/policies). Pure: no client, clock or logger;
 * `now` comes in the input.
 *
 *   trigger   : DoesNotExist → MissingData → InvalidKeyPair/InvalidCertificate → IncorrectIssuer
 *               → IncorrectCertificate → SecretMismatch (key vs spec) → SecretMismatch (key vs CR)
 *               → RequestChanged / SecretMismatch (fuzzy) → Renewing
 *   readiness : the same, ending in Expired instead of Renewing
 */
import {
  Annotations,
  CertificateReason,
  issuerRefGroup,
  issuerRefKind,
  type Certificate,
  type CertificateRequest,
} from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import { keySpecViolations, publicKeysEqual, type ParsedCSR } from "@certkeeper/pki";
import type { ParsedSecret } from "./parsed.ts";
import { certificateFuzzyMatchesSpec, formatIssuerRef, requestMatchesSpec } from "./match.ts";
import { formatTime, renewalTime } from "./renewal.ts";

export interface PolicyInput {
  certificate: Certificate;
  secret: Secret | undefined;
  /** parseSecret(secret), when there is one. */
  parsed: ParsedSecret | undefined;
  /** The CertificateRequest whose revision equals status.revision, if it still exists. */
  currentRevisionRequest: CertificateRequest | undefined;
  currentRequestCSR: ParsedCSR | Error | undefined;
  now: Date;
}

export interface Violation {
  reason: string;
  message: string;
}

export type Check = (input: PolicyInput) => Violation | null;

/** Go's %v of a []string: "[a b c]". */
const list = (items: string[]) => `[${items.join(" ")}]`;

export const secretDoesNotExist: Check = ({ secret }) =>
  secret
    ? null
    : { reason: CertificateReason.DoesNotExist, message: "Issuing certificate as Secret does not exist" };

export const secretIsMissingData: Check = ({ parsed }) => {
  if (!parsed?.hasData) {
    return {
      reason: CertificateReason.MissingData,
      message: "Issuing certificate as Secret does not contain any data",
    };
  }
  if (!parsed.keyPEM) {
    return {
      reason: CertificateReason.MissingData,
      message: "Issuing certificate as Secret does not contain a private key",
    };
  }
  if (!parsed.certPEM) {
    return {
      reason: CertificateReason.MissingData,
      message: "Issuing certificate as Secret does not contain a certificate",
    };
  }
  return null;
};

export const secretPublicKeysDiffer: Check = ({ parsed }) => {
  if (!parsed?.key) {
    return {
      reason: CertificateReason.InvalidKeyPair,
      message: `Issuing certificate as Secret contains invalid private key data: ${parsed?.keyError ?? "no key"}`,
    };
  }
  if (!parsed.cert) {
    return {
      reason: CertificateReason.InvalidCertificate,
      message: `Issuing certificate as Secret contains an invalid certificate: ${parsed.certError ?? "no certificate"}`,
    };
  }
  if (!publicKeysEqual(parsed.cert.publicKey, parsed.keySPKI!)) {
    return {
      reason: CertificateReason.InvalidKeyPair,
      message: "Issuing certificate as Secret contains a private key that does not match the certificate",
    };
  }
  return null;
};

export const secretIssuerAnnotationsMismatch: Check = ({ secret, certificate }) => {
  const a = secret?.metadata.annotations ?? {};
  const name = a[Annotations.IssuerName];
  const kind = a[Annotations.IssuerKind];
  const group = a[Annotations.IssuerGroup];
  const ref = certificate.spec.issuerRef;
  const present = name !== undefined || kind !== undefined || group !== undefined;
  // cert-manager's operator precedence: the name is compared only when an annotation is present,
  // kind and group always (with defaulting, so a Secret without annotations passes).
  if (
    (present && name !== ref.name) ||
    issuerRefKind({ kind: kind ?? "" }) !== issuerRefKind(ref) ||
    issuerRefGroup({ group: group ?? "" }) !== issuerRefGroup(ref)
  ) {
    return {
      reason: CertificateReason.IncorrectIssuer,
      message: `Issuing certificate as Secret was previously issued by "${formatIssuerRef(name ?? "", kind ?? "", group ?? "")}"`,
    };
  }
  return null;
};

export const secretCertificateNameMismatch: Check = ({ secret, certificate }) => {
  const name = secret?.metadata.annotations?.[Annotations.CertificateName];
  if (name !== undefined && name !== certificate.metadata.name) {
    return {
      reason: CertificateReason.IncorrectCertificate,
      message: `Secret was issued for "${name}". If this message is not transient, you might have two conflicting Certificates pointing to the same secret.`,
    };
  }
  return null;
};

export const secretPrivateKeyMismatchesSpec: Check = ({ parsed, certificate }) => {
  if (!parsed?.key) return null;
  const violations = keySpecViolations(parsed.key, certificate.spec.privateKey);
  return violations.length > 0
    ? {
        reason: CertificateReason.SecretMismatch,
        message: `Existing private key is not up to date for spec: ${list(violations)}`,
      }
    : null;
};

export const secretKeyDiffersFromCurrentRequest: Check = ({
  parsed,
  currentRevisionRequest,
  currentRequestCSR,
}) => {
  if (!currentRevisionRequest || !parsed?.keySPKI) return null;
  if (currentRequestCSR instanceof Error || !currentRequestCSR) {
    return {
      reason: CertificateReason.InvalidCertificateRequest,
      message: `Failed to decode current CertificateRequest: ${currentRequestCSR?.message ?? "missing request"}`,
    };
  }
  return publicKeysEqual(currentRequestCSR.publicKey, parsed.keySPKI)
    ? null
    : {
        reason: CertificateReason.SecretMismatch,
        message: "Secret contains a private key that does not match the current CertificateRequest",
      };
};

export const currentRequestMismatchesSpec: Check = ({
  certificate,
  parsed,
  currentRevisionRequest,
  currentRequestCSR,
}) => {
  if (!currentRevisionRequest) {
    if (!parsed?.cert) return null;
    const violations = certificateFuzzyMatchesSpec(parsed.cert, certificate.spec);
    return violations.length > 0
      ? {
          reason: CertificateReason.SecretMismatch,
          message: `Issuing certificate as Existing issued Secret is not up to date for spec: ${list(violations)}`,
        }
      : null;
  }
  // An undecodable request does not by itself trigger re-issuance: the Secret may still be fine.
  if (!currentRequestCSR || currentRequestCSR instanceof Error) return null;
  const violations = requestMatchesSpec(currentRevisionRequest.spec, currentRequestCSR, certificate.spec);
  return violations.length > 0
    ? {
        reason: CertificateReason.RequestChanged,
        message: `Fields on existing CertificateRequest resource not up to date: ${list(violations)}`,
      }
    : null;
};

export const currentCertificateNearingExpiry: Check = ({ parsed, certificate, now }) => {
  if (!parsed?.cert) return null;
  const at = renewalTime(parsed.cert.notBefore, parsed.cert.notAfter, certificate.spec);
  if (!at || at.getTime() > now.getTime()) return null;
  return {
    reason: CertificateReason.Renewing,
    message: `Renewing certificate as renewal was scheduled at ${certificate.status?.renewalTime ?? formatTime(at)}`,
  };
};

/** Go's time.RFC1123 layout: "Mon, 02 Jan 2006 15:04:05 UTC". */
export function rfc1123(d: Date): string {
  return d.toUTCString().replace("GMT", "UTC");
}

export const currentCertificateHasExpired: Check = ({ parsed, now }) => {
  if (!parsed?.cert) return null;
  return now.getTime() > parsed.cert.notAfter.getTime()
    ? {
        reason: CertificateReason.Expired,
        message: `Certificate expired on ${rfc1123(parsed.cert.notAfter)}`,
      }
    : null;
};

const common: Check[] = [
  secretDoesNotExist,
  secretIsMissingData,
  secretPublicKeysDiffer,
  secretIssuerAnnotationsMismatch,
  secretCertificateNameMismatch,
  secretPrivateKeyMismatchesSpec,
  secretKeyDiffersFromCurrentRequest,
  currentRequestMismatchesSpec,
];

export const triggerChain: readonly Check[] = [...common, currentCertificateNearingExpiry];
export const readinessChain: readonly Check[] = [...common, currentCertificateHasExpired];

export function evaluate(chain: readonly Check[], input: PolicyInput): Violation | null {
  for (const check of chain) {
    const hit = check(input);
    if (hit) return hit;
  }
  return null;
}
