/**
 * Where a target's CA comes from, decided from plain data (no client, no clock).
 *
 *   annotations ──selectSource──► SourceRef | Refusal        (first configured wins:
 *                                                            secret → certificate → apiserver)
 *   SourceRef + what the shell read ──resolveCA──► CA PEM | Skip   (ordered checks, first hit wins)
 *
 * A Skip never asks for a retry: each one is fixed only by a change to the target or to its source,
 * and both are watched. `warn` marks the refusals a user must see as a Warning Event on the target.
 */
import { Annotations, SecretKeys, type Certificate } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import { parseCertificate, splitPEMBundle } from "@certkeeper/pki";

/** Reasons of the Events and logs a skipped injection produces. */
export const SkipReasons = {
  /** The annotation value is not `<namespace>/<name>`. */
  InvalidReference: "InvalidInjectionSource",
  /** The source namespace is outside --namespace or listed in --ignore-namespaces. */
  OutOfScope: "InjectionSourceOutOfScope",
  /** inject-ca-from while --enable-certificates-data-source=false. */
  SourceDisabled: "InjectionSourceDisabled",
  /** The Secret or Certificate does not exist (yet); its creation will trigger another check. */
  SourceNotFound: "InjectionSourceNotFound",
  /** The Secret lacks `cert-manager.io/allow-direct-injection: "true"`. */
  NotAllowed: "DirectInjectionNotAllowed",
  /** The Certificate's Secret names another Certificate in `cert-manager.io/certificate-name`. */
  NotOwned: "SecretNotOwnedByCertificate",
  /** The Secret has no (or an empty) `ca.crt`. */
  MissingCAData: "MissingCAData",
  /** `ca.crt` (or the kubeconfig CA) is not a PEM bundle of certificates. */
  InvalidCAData: "InvalidCAData",
  /** inject-apiserver-ca, but the cainjector's kubeconfig carries no CA. */
  NoAPIServerCA: "NoAPIServerCA",
  /** The cainjector may not read the source (RBAC). */
  Forbidden: "InjectionSourceForbidden",
} as const;

export type SourceRef =
  | { type: "secret"; namespace: string; name: string }
  | { type: "certificate"; namespace: string; name: string }
  | { type: "apiserver" };

export interface Skip {
  reason: (typeof SkipReasons)[keyof typeof SkipReasons];
  message: string;
  /** Record a Warning Event on the target (a user mistake), rather than only log. */
  warn: boolean;
}

export interface Scope {
  /** Only this namespace; "" = all. */
  namespace: string;
  ignoreNamespaces: readonly string[];
  certificatesEnabled: boolean;
}

export type Selection = { source: SourceRef } | { skip: Skip };

/** The index value a target is filed under for its source, e.g. "secret:ns/name". */
export function sourceKey(ref: { type: "secret" | "certificate"; namespace: string; name: string }): string {
  return `${ref.type}:${ref.namespace}/${ref.name}`;
}

/** The source the annotations ask for, ignoring scope (for indexing); undefined when none. */
export function requestedSource(
  annotations: Record<string, string> | undefined,
): SourceRef | string | undefined {
  const a = annotations ?? {};
  const secret = a[Annotations.InjectCAFromSecret];
  if (secret !== undefined) return parseRef("secret", secret);
  const cert = a[Annotations.InjectCAFrom];
  if (cert !== undefined) return parseRef("certificate", cert);
  if (a[Annotations.InjectAPIServerCA] === "true") return { type: "apiserver" };
  return undefined;
}

/** Index values of a target: its (namespaced) source, if it has one. */
export function indexValues(annotations: Record<string, string> | undefined): string[] {
  const ref = requestedSource(annotations);
  return typeof ref === "object" && ref.type !== "apiserver" ? [sourceKey(ref)] : [];
}

/** True when the target carries any injection annotation (worth a reconcile). */
export function wantsInjection(annotations: Record<string, string> | undefined): boolean {
  const a = annotations ?? {};
  return (
    Annotations.InjectCAFromSecret in a ||
    Annotations.InjectCAFrom in a ||
    a[Annotations.InjectAPIServerCA] === "true"
  );
}

/** The source a target asks for, or why it cannot have it; undefined when it asks for none. */
export function selectSource(
  annotations: Record<string, string> | undefined,
  scope: Scope,
): Selection | undefined {
  const ref = requestedSource(annotations);
  if (ref === undefined) return undefined;
  if (typeof ref === "string")
    return { skip: { reason: SkipReasons.InvalidReference, message: ref, warn: true } };
  if (ref.type === "apiserver") return { source: ref };
  if (ref.type === "certificate" && !scope.certificatesEnabled) {
    return {
      skip: {
        reason: SkipReasons.SourceDisabled,
        message: `${Annotations.InjectCAFrom} is set but the Certificate data source is disabled`,
        warn: true,
      },
    };
  }
  if (
    (scope.namespace !== "" && ref.namespace !== scope.namespace) ||
    scope.ignoreNamespaces.includes(ref.namespace)
  ) {
    const why =
      scope.namespace !== "" ? `only namespace "${scope.namespace}" is watched` : "that namespace is ignored";
    return {
      skip: {
        reason: SkipReasons.OutOfScope,
        message: `${ref.type} ${ref.namespace}/${ref.name} cannot be used: ${why}`,
        warn: true,
      },
    };
  }
  return { source: ref };
}

function parseRef(type: "secret" | "certificate", value: string): SourceRef | string {
  const annotation = type === "secret" ? Annotations.InjectCAFromSecret : Annotations.InjectCAFrom;
  const i = value.indexOf("/");
  const namespace = i < 0 ? "" : value.slice(0, i);
  const name = i < 0 ? value : value.slice(i + 1);
  if (namespace === "" || name === "" || name.includes("/")) {
    return `${annotation}: "${value}" must be "<namespace>/<name>"`;
  }
  return { type, namespace, name };
}

// ---- resolving the CA ------------------------------------------------------------------------

/** What the shell read for the selected source. Absent objects are `undefined`. */
export interface SourceInput {
  source: SourceRef;
  secret?: Secret | undefined;
  certificate?: Certificate | undefined;
  /** PEM of the API server CA from the cainjector's kubeconfig. */
  apiserverCA?: string | undefined;
}

export type CAResult = { ca: string } | { skip: Skip };

type Check = (input: SourceInput) => Skip | null;

const skip = (reason: Skip["reason"], message: string, warn: boolean): Skip => ({ reason, message, warn });
const where = (s: SourceInput): string =>
  s.source.type === "apiserver" ? "apiserver" : `${s.source.namespace}/${s.source.name}`;
const secretPath = (s: SourceInput): string => `${s.secret?.metadata.namespace}/${s.secret?.metadata.name}`;

const certificateExists: Check = (s) =>
  s.certificate ? null : skip(SkipReasons.SourceNotFound, `Certificate ${where(s)} not found`, false);

const secretExists: Check = (s) => {
  if (s.secret) return null;
  const name =
    s.source.type === "certificate" ? `${s.source.namespace}/${s.certificate?.spec.secretName}` : where(s);
  return skip(SkipReasons.SourceNotFound, `Secret ${name} not found`, false);
};

const allowsDirectInjection: Check = (s) =>
  s.secret?.metadata.annotations?.[Annotations.AllowDirectInjection] === "true"
    ? null
    : skip(
        SkipReasons.NotAllowed,
        `Secret ${secretPath(s)} does not allow direct injection (${Annotations.AllowDirectInjection}: "true" is missing)`,
        true,
      );

const ownedByCertificate: Check = (s) => {
  const owner = s.secret?.metadata.annotations?.[Annotations.CertificateName];
  if (s.source.type !== "certificate" || owner === s.source.name) return null;
  const names = owner === undefined ? "no Certificate" : `Certificate "${owner}"`;
  return skip(
    SkipReasons.NotOwned,
    `refusing Secret ${secretPath(s)}: its ${Annotations.CertificateName} annotation names ${names}, not "${s.source.name}"`,
    true,
  );
};

const hasCAData: Check = (s) =>
  caFromSecret(s.secret)
    ? null
    : skip(SkipReasons.MissingCAData, `Secret ${secretPath(s)} has no ${SecretKeys.CACert}`, false);

const hasAPIServerCA: Check = (s) =>
  s.apiserverCA?.trim()
    ? null
    : skip(
        SkipReasons.NoAPIServerCA,
        "the cainjector's kubeconfig has no certificate authority to inject",
        true,
      );

const caParses: Check = (s) => {
  const pem = s.source.type === "apiserver" ? s.apiserverCA : caFromSecret(s.secret);
  return isCertificateBundle(pem ?? "")
    ? null
    : skip(
        SkipReasons.InvalidCAData,
        `the CA data of ${s.source.type} ${where(s)} is not a PEM certificate bundle`,
        true,
      );
};

/** Ordered policies per source type; the first check that fails decides. */
export const CHECKS: Record<SourceRef["type"], readonly Check[]> = {
  secret: [secretExists, allowsDirectInjection, hasCAData, caParses],
  certificate: [certificateExists, secretExists, ownedByCertificate, hasCAData, caParses],
  apiserver: [hasAPIServerCA, caParses],
};

export function resolveCA(input: SourceInput): CAResult {
  for (const check of CHECKS[input.source.type]) {
    const s = check(input);
    if (s) return { skip: s };
  }
  const ca = input.source.type === "apiserver" ? input.apiserverCA! : caFromSecret(input.secret)!;
  return { ca };
}

/** Decoded `ca.crt` of a Secret in wire form (base64 data), or undefined when absent or empty. */
export function caFromSecret(secret: Secret | undefined): string | undefined {
  const b64 = secret?.data?.[SecretKeys.CACert];
  if (!b64) return undefined;
  const pem = Buffer.from(b64, "base64").toString("utf8");
  return pem.trim() === "" ? undefined : pem;
}

function isCertificateBundle(pem: string): boolean {
  try {
    for (const block of splitPEMBundle(pem)) parseCertificate(block);
    return true;
  } catch {
    return false;
  }
}
