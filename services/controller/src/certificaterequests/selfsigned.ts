/**
 * certificaterequests-issuer-selfsigned: signs each request with its own private key, read from
 * the Secret named by the request's `cert-manager.io/private-key-secret-name` annotation (the
 * Certificate controllers set it to the next-key Secret).
 *
 *   no annotation ─────────────▶ Failed MissingAnnotation
 *   Secret not found ──────────▶ Pending MissingSecret (woken when the Secret appears)
 *   tls.key missing/undecodable ▶ Pending ErrorParsingKey
 *   CSR undecodable/invalid ───▶ Failed ErrorGenerating
 *   key is not the CSR's key ──▶ Failed ErrorKeyMatch
 *   signing fails ─────────────▶ Failed ErrorSigning
 *   otherwise ─────────────────▶ the certificate, which is also its own CA
 */
import {
  Annotations,
  CertificateRequestReason,
  DEFAULT_CERTIFICATE_DURATION_MS,
  parseGoDuration,
  SecretKeys,
  type CertificateRequest,
} from "@certkeeper/api";
import { objectKey, type KubeObject } from "@certkeeper/kube";
import {
  CSRError,
  parseCSR,
  parsePrivateKey,
  publicKeysEqual,
  signCertificate,
  type ParsedCSR,
  type PrivateKey,
} from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { isOpen, requestController, type Signer, type SignOutcome } from "./issuer-controller.ts";

export const SELF_SIGNED_REQUEST_CONTROLLER = "certificaterequests-issuer-selfsigned";

/** Index on the request cache: "<namespace>/<private-key-secret-name annotation>". */
export const PRIVATE_KEY_SECRET_INDEX = "certificaterequests.privateKeySecret";

/** Failure / pending reasons of the SelfSigned signer (cert-manager's spelling). */
export const SelfSignedReason = {
  MissingAnnotation: CertificateRequestReason.MissingAnnotation,
  MissingSecret: "MissingSecret",
  ErrorParsingKey: "ErrorParsingKey",
  ErrorGenerating: "ErrorGenerating",
  ErrorKeyMatch: CertificateRequestReason.ErrorKeyMatch,
  ErrorSigning: "ErrorSigning",
  BadConfig: "BadConfig",
} as const;

const EMPTY_DN_MESSAGE =
  "Certificate will be issued with an empty Issuer DN, which contravenes RFC 5280 and could break some strict clients";

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Requested lifetime: spec.duration, or cert-manager's 90 days. Throws on a malformed duration. */
export function requestDurationMs(cr: CertificateRequest): number {
  return cr.spec.duration ? parseGoDuration(cr.spec.duration) : DEFAULT_CERTIFICATE_DURATION_MS;
}

/** Decodes the request's CSR the way cert-manager's template generation does (signature checked). */
export function decodeRequestCSR(cr: CertificateRequest): ParsedCSR {
  const csr = parseCSR(Buffer.from(cr.spec.request, "base64"));
  if (!csr.signatureValid) throw new CSRError("certificate request signature is invalid");
  return csr;
}

export const selfSignedSigner: Signer = {
  async sign(cr, issuer, ctx): Promise<SignOutcome> {
    const ns = cr.metadata.namespace ?? "";
    const secretName = cr.metadata.annotations?.[Annotations.PrivateKeySecretName];
    if (!secretName) {
      return {
        kind: "failed",
        reason: SelfSignedReason.MissingAnnotation,
        message: `Annotation "${Annotations.PrivateKeySecretName}" missing or reference empty: secret name missing`,
      };
    }
    const secret = await ctx.getSecret(ns, secretName);
    if (!secret) {
      return {
        kind: "pending",
        reason: SelfSignedReason.MissingSecret,
        message: `Referenced secret ${ns}/${secretName} not found: secret "${secretName}" not found`,
      };
    }
    const keyPrefix = `Failed to get key "${secretName}" referenced in annotation "${Annotations.PrivateKeySecretName}"`;
    const keyB64 = secret.data?.[SecretKeys.TLSKey];
    if (!keyB64) {
      return {
        kind: "pending",
        reason: SelfSignedReason.ErrorParsingKey,
        message: `${keyPrefix}: no data for "${SecretKeys.TLSKey}" in secret '${ns}/${secretName}'`,
      };
    }
    let key: PrivateKey;
    try {
      key = parsePrivateKey(Buffer.from(keyB64, "base64"));
    } catch (err) {
      return {
        kind: "pending",
        reason: SelfSignedReason.ErrorParsingKey,
        message: `${keyPrefix}: ${errText(err)}`,
      };
    }

    let csr: ParsedCSR;
    let duration: number;
    try {
      csr = decodeRequestCSR(cr);
      duration = requestDurationMs(cr);
    } catch (err) {
      return {
        kind: "failed",
        reason: SelfSignedReason.ErrorGenerating,
        message: `Error generating certificate template: ${errText(err)}`,
      };
    }
    if (!publicKeysEqual(key, csr.publicKey)) {
      return {
        kind: "failed",
        reason: SelfSignedReason.ErrorKeyMatch,
        message: "Error generating certificate template: CSR not signed by referenced private key",
      };
    }

    let pem: string;
    try {
      pem = signCertificate({
        csr,
        issuerKey: key,
        duration,
        isCA: cr.spec.isCA,
        usages: cr.spec.usages,
        notBefore: ctx.now,
        crlDistributionPoints: issuer.issuer.spec.selfSigned?.crlDistributionPoints,
      });
    } catch (err) {
      return err instanceof CSRError
        ? {
            kind: "failed",
            reason: SelfSignedReason.ErrorGenerating,
            message: `Error generating certificate template: ${errText(err)}`,
          }
        : {
            kind: "failed",
            reason: SelfSignedReason.ErrorSigning,
            message: `Error signing certificate: ${errText(err)}`,
          };
    }
    return {
      kind: "signed",
      certificatePEM: pem,
      caPEM: pem,
      // RFC 5280 wants a non-empty issuer DN; self-signed, the issuer is the (empty) subject.
      ...(csr.subject.text === ""
        ? { warnings: [{ reason: SelfSignedReason.BadConfig, message: EMPTY_DN_MESSAGE }] }
        : {}),
    };
  },
};

/** Wakes open requests whose private-key Secret changed (it may have been missing or not cached yet). */
function privateKeySecretWatches(deps: Deps, enqueue: (key: string) => void): void {
  const requests = deps.caches.certificateRequests;
  requests.addIndexer(PRIVATE_KEY_SECRET_INDEX, (cr) => {
    const name = cr.metadata.annotations?.[Annotations.PrivateKeySecretName];
    return name ? [`${cr.metadata.namespace}/${name}`] : [];
  });
  const bySecret = (s: KubeObject) => {
    for (const cr of requests.byIndex(
      PRIVATE_KEY_SECRET_INDEX,
      `${s.metadata.namespace}/${s.metadata.name}`,
    )) {
      if (isOpen(cr)) enqueue(objectKey(cr));
    }
  };
  deps.caches.secrets.onAdd(bySecret);
  deps.caches.secrets.onUpdate((_o, s) => bySecret(s));
}

export function selfSignedRequestController(deps: Deps): ControllerRegistration {
  return requestController(deps, {
    name: SELF_SIGNED_REQUEST_CONTROLLER,
    issuerType: "selfSigned",
    signer: selfSignedSigner,
    extraWatches: privateKeySecretWatches,
  });
}
