/**
 * When the webhook's CA Secret must be (re)made, as an ordered list of named checks (first hit
 * wins), and when a certificate is due for renewal (2/3 of its lifetime). Pure: no client, no clock.
 */
import { Annotations, Labels, SECRET_TYPE_TLS, SecretKeys } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import {
  keyMatchesCertificate,
  parseCertificate,
  parsePrivateKey,
  type ParsedCertificate,
} from "@certkeeper/pki";
import type { KeyPair } from "./issue.ts";

export const MANAGED_BY = "cert-manager-webhook";

export interface Problem {
  readonly reason: string;
  readonly message: string;
}

interface CAInput {
  readonly secret: Secret;
  readonly now: Date;
}

type Check = (input: CAInput) => Problem | null;

const text = (s: Secret, k: string): string => Buffer.from(s.data?.[k] ?? "", "base64").toString("utf8");

/** Renewal point: 2/3 of the way from notBefore to notAfter. */
export function renewalTime(cert: Pick<ParsedCertificate, "notBefore" | "notAfter">): Date {
  const nb = cert.notBefore.getTime();
  return new Date(nb + ((cert.notAfter.getTime() - nb) * 2) / 3);
}

function parsed(s: Secret): ParsedCertificate | undefined {
  try {
    return parseCertificate(text(s, SecretKeys.TLSCert));
  } catch {
    return undefined;
  }
}

export const CA_CHECKS: readonly { name: string; check: Check }[] = [
  {
    name: "MissingData",
    check: ({ secret }) =>
      [SecretKeys.TLSCert, SecretKeys.TLSKey, SecretKeys.CACert].some((k) => !secret.data?.[k])
        ? { reason: "MissingData", message: "CA Secret is missing tls.crt, tls.key or ca.crt" }
        : null,
  },
  {
    name: "CAMismatch",
    check: ({ secret }) =>
      text(secret, SecretKeys.CACert) !== text(secret, SecretKeys.TLSCert)
        ? { reason: "CAMismatch", message: "ca.crt does not equal tls.crt" }
        : null,
  },
  {
    name: "InvalidCertificate",
    check: ({ secret }) => {
      const cert = parsed(secret);
      if (!cert) return { reason: "InvalidCertificate", message: "tls.crt does not parse" };
      return cert.isCA ? null : { reason: "InvalidCertificate", message: "tls.crt is not a CA certificate" };
    },
  },
  {
    name: "InvalidKeyPair",
    check: ({ secret }) => {
      try {
        return keyMatchesCertificate(parsePrivateKey(text(secret, SecretKeys.TLSKey)), parsed(secret)!)
          ? null
          : { reason: "InvalidKeyPair", message: "tls.key does not match tls.crt" };
      } catch {
        return { reason: "InvalidKeyPair", message: "tls.key does not parse" };
      }
    },
  },
  {
    name: "NearingExpiry",
    check: ({ secret, now }) =>
      now >= renewalTime(parsed(secret)!)
        ? { reason: "NearingExpiry", message: "CA has passed 2/3 of its lifetime" }
        : null,
  },
];

/** The first reason the CA in `secret` cannot be used as it is, or null when it is good. */
export function caProblem(secret: Secret, now: Date): Problem | null {
  for (const { check } of CA_CHECKS) {
    const p = check({ secret, now });
    if (p) return p;
  }
  return null;
}

/** The CA pair held by a Secret (call only when caProblem() is null). */
export function caFromSecret(secret: Secret): KeyPair {
  return { cert: text(secret, SecretKeys.TLSCert), key: text(secret, SecretKeys.TLSKey) };
}

/** The CA Secret as the webhook writes it (labels and annotations as cert-manager's). */
export function caSecret(namespace: string, name: string, ca: KeyPair, base?: Secret): Secret {
  const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      ...(base?.metadata ?? {}),
      name,
      namespace,
      labels: { ...(base?.metadata.labels ?? {}), [Labels.ManagedBy]: MANAGED_BY },
      annotations: { ...(base?.metadata.annotations ?? {}), [Annotations.AllowDirectInjection]: "true" },
    },
    type: SECRET_TYPE_TLS,
    data: {
      [SecretKeys.TLSCert]: b64(ca.cert),
      [SecretKeys.TLSKey]: b64(ca.key),
      [SecretKeys.CACert]: b64(ca.cert),
    },
  };
}
