/** Cache lookups shared by the Certificate sub-controllers. */
import { Annotations, Labels, type Certificate, type CertificateRequest } from "@certkeeper/api";
import { splitKey, type Secret } from "@certkeeper/kube";
import { Index, type Deps } from "../context.ts";
import { getCondition } from "../status.ts";
import { parseRequestCSR, parseSecret } from "./parsed.ts";
import type { PolicyInput } from "./policies.ts";

export function getCertificate(deps: Deps, key: string): Certificate | undefined {
  const { namespace, name } = splitKey(key);
  const cert = deps.caches.certificates.get(namespace, name);
  return cert && !cert.metadata.deletionTimestamp ? cert : undefined;
}

export function isIssuing(cert: Certificate): boolean {
  return getCondition(cert.status?.conditions, "Issuing")?.status === "True";
}

export function revisionOf(cr: CertificateRequest): number | undefined {
  const v = cr.metadata.annotations?.[Annotations.CertificateRevision];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function nextRevision(cert: Certificate): number {
  return (cert.status?.revision ?? 0) + 1;
}

/** CertificateRequests controlled by this Certificate. */
export function ownedRequests(deps: Deps, cert: Certificate): CertificateRequest[] {
  const uid = cert.metadata.uid!;
  return deps.caches.certificateRequests
    .byIndex(Index.ownerUID, uid)
    .filter((cr) => cr.metadata.ownerReferences?.some((o) => o.uid === uid && o.controller));
}

export function requestForRevision(
  deps: Deps,
  cert: Certificate,
  revision: number,
): CertificateRequest | undefined {
  return ownedRequests(deps, cert).find((cr) => revisionOf(cr) === revision);
}

/** Next-private-key Secrets owned by this Certificate (full cache: they carry the fao label). */
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/**
 * A name for the next-private-key Secret as the API server would generate it from
 * `generateName: <certificate>-` (base cut to 58 characters, five random characters). The
 * trigger records it with Issuing=True, in the same status write, and the key manager creates
 * the Secret under it; cert-manager writes the generated name in a second status update.
 */
export function newNextKeySecretName(cert: Certificate, random: () => number = Math.random): string {
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
  return `${cert.metadata.name}-`.slice(0, 58) + suffix;
}

export function nextKeySecrets(deps: Deps, cert: Certificate): Secret[] {
  const uid = cert.metadata.uid!;
  return (deps.caches.secrets.full.byIndex(Index.ownerUID, uid) as Secret[]).filter(
    (s) => s.metadata.labels?.[Labels.NextPrivateKey] === "true" && !s.metadata.deletionTimestamp,
  );
}

/**
 * The Secret under status.nextPrivateKeySecretName, if it is this Certificate's next-key Secret.
 * The trigger records the name before the key manager creates the Secret, so until then the name
 * may belong to somebody else's Secret (an issued Secret carries the fao label and is cached
 * alongside): its key must not be taken for ours.
 */
export function recordedNextKeySecret(deps: Deps, cert: Certificate): Secret | undefined {
  const name = cert.status?.nextPrivateKeySecretName;
  const secret = name ? deps.caches.secrets.full.get(cert.metadata.namespace, name) : undefined;
  return secret && isNextKeySecretOf(secret, cert) ? secret : undefined;
}

/** A next-private-key Secret controlled by `cert` (and not being deleted). */
export function isNextKeySecretOf(secret: Secret, cert: Certificate): boolean {
  return (
    secret.metadata.labels?.[Labels.NextPrivateKey] === "true" &&
    !secret.metadata.deletionTimestamp &&
    (secret.metadata.ownerReferences ?? []).some((o) => o.uid === cert.metadata.uid && o.controller)
  );
}

export async function getSecret(deps: Deps, namespace: string, name: string): Promise<Secret | undefined> {
  return deps.caches.secrets.getSecret(namespace, name);
}

/** Reads what the trigger and readiness chains decide on. */
export async function gatherPolicyInput(deps: Deps, cert: Certificate): Promise<PolicyInput> {
  const secret = await getSecret(deps, cert.metadata.namespace!, cert.spec.secretName);
  const revision = cert.status?.revision;
  const currentRevisionRequest =
    revision === undefined ? undefined : requestForRevision(deps, cert, revision);
  return {
    certificate: cert,
    secret,
    parsed: secret ? parseSecret(secret) : undefined,
    currentRevisionRequest,
    currentRequestCSR: currentRevisionRequest ? parseRequestCSR(currentRevisionRequest) : undefined,
    now: deps.clock.now(),
  };
}

/**
 * When several Certificates name the same Secret, one owns it: the one named by the Secret's
 * certificate-name annotation if it is among them, else the oldest (creation time, then name).
 */
export async function ownsSecret(deps: Deps, cert: Certificate): Promise<boolean> {
  const ns = cert.metadata.namespace!;
  const rivals = deps.caches.certificates
    .byIndex(Index.secretName, `${ns}/${cert.spec.secretName}`)
    .filter((c) => !c.metadata.deletionTimestamp);
  if (rivals.length <= 1) return true;
  const meta = deps.caches.secrets.getMetadata(ns, cert.spec.secretName);
  const named = meta?.metadata.annotations?.[Annotations.CertificateName];
  if (named && rivals.some((c) => c.metadata.name === named)) return named === cert.metadata.name;
  const oldest = [...rivals].sort(
    (a, b) =>
      (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") ||
      a.metadata.name!.localeCompare(b.metadata.name!),
  )[0]!;
  return oldest.metadata.name === cert.metadata.name;
}

/** How long a non-owner waits before looking again (cert-manager: 3 minutes). */
export const DUPLICATE_SECRET_RECHECK_MS = 3 * 60 * 1000;
