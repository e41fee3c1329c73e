/**
 * certificates-issuing: completes an issuance, or keeps an issued Secret in shape.
 *
 *   Issuing=True, request for the next revision (matching spec and next key):
 *     Denied / InvalidRequest / Ready=Failed ─▶ fail: lastFailureTime, failedIssuanceAttempts+1,
 *                                               Issuing=False (the request's reason), Event "Failed"
 *     Ready=Issued ─▶ check the certificate (decodes, key matches, not expired) then apply the
 *                     Secret and, in one status write: revision, Ready, validity, renewal time,
 *                     Issuing removed, failure fields and nextPrivateKeySecretName cleared
 *     otherwise    ─▶ wait (optionally writing a temporary certificate)
 *   Issuing≠True ─▶ re-apply the Secret when metadata, output formats or keystores drifted
 */
import {
  Annotations,
  ConditionMessage,
  type Certificate,
  type CertificateRequest,
  type CertificateStatus,
} from "@certkeeper/api";
import { CoreResources, type Reconcile, type Result, type Secret } from "@certkeeper/kube";
import { issueTemporaryCertificate, publicKeysEqual, type PrivateKey } from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import { getCondition, removeCondition, writeStatus, withCondition } from "../status.ts";
import {
  getCertificate,
  getSecret,
  isIssuing,
  nextRevision,
  recordedNextKeySecret,
  requestForRevision,
} from "./common.ts";
import { requestMatchesSpec } from "./match.ts";
import { parseIssuedCertificate, parseRequestCSR, parseSecret } from "./parsed.ts";
import { readinessStatus } from "./readiness.ts";
import { desiredSecret, secretUpToDate, type KeystorePasswords } from "./secretdata.ts";

export const ISSUING_CONTROLLER = "certificates-issuing";

export type RequestOutcome =
  | { kind: "pending" }
  | { kind: "failed"; reason: string; message: string }
  | { kind: "issued"; chainPEM: string; caPEM?: string };

/** Pure: what the next-revision request says. */
export function requestOutcome(cr: CertificateRequest, nextKeySPKI: Buffer, now: Date): RequestOutcome {
  const conds = cr.status?.conditions;
  const denied = getCondition(conds, "Denied");
  if (denied?.status === "True") return { kind: "failed", reason: "Denied", message: denied.message ?? "" };
  const invalid = getCondition(conds, "InvalidRequest");
  if (invalid?.status === "True")
    return { kind: "failed", reason: invalid.reason ?? "InvalidRequest", message: invalid.message ?? "" };
  const ready = getCondition(conds, "Ready");
  if (ready?.reason === "Failed") return { kind: "failed", reason: "Failed", message: ready.message ?? "" };
  if (ready?.status !== "True" || ready.reason !== "Issued" || !cr.status?.certificate)
    return { kind: "pending" };
  const cert = parseIssuedCertificate(cr);
  if (cert instanceof Error) {
    return {
      kind: "failed",
      reason: "InvalidCertificate",
      message: `Failed to decode returned certificate: ${cert.message}`,
    };
  }
  if (!publicKeysEqual(cert.publicKey, nextKeySPKI)) {
    return {
      kind: "failed",
      reason: "InvalidCertificate",
      message: "Issuer returned a certificate whose public key does not match the request",
    };
  }
  if (cert.notAfter.getTime() < now.getTime()) {
    return {
      kind: "failed",
      reason: "InvalidCertificate",
      message: `Issuer returned an expired certificate (notAfter ${cert.notAfter.toISOString()})`,
    };
  }
  return {
    kind: "issued",
    chainPEM: Buffer.from(cr.status.certificate, "base64").toString("utf8"),
    ...(cr.status.ca ? { caPEM: Buffer.from(cr.status.ca, "base64").toString("utf8") } : {}),
  };
}

async function keystorePasswords(deps: Deps, cert: Certificate): Promise<KeystorePasswords> {
  const out: KeystorePasswords = {};
  const read = async (ref: { name: string; key?: string } | undefined, literal: string | undefined) => {
    if (literal !== undefined) return literal;
    if (!ref) return undefined;
    const s = await getSecret(deps, cert.metadata.namespace!, ref.name);
    const where = `${cert.metadata.namespace}/${ref.name}`;
    const v = ref.key ? s?.data?.[ref.key] : undefined;
    if (v === undefined) {
      const message = !s
        ? `keystore password Secret ${where} not found`
        : `keystore password Secret ${where} has no key "${ref.key ?? ""}"`;
      deps.recorder.event(cert, "Warning", "KeystorePasswordError", `Cannot write the keystores: ${message}`);
      throw new Error(message);
    }
    return Buffer.from(v, "base64").toString("utf8");
  };
  const { jks, pkcs12 } = cert.spec.keystores ?? {};
  if (jks?.create) out.jks = await read(jks.passwordSecretRef, jks.password);
  if (pkcs12?.create) out.pkcs12 = await read(pkcs12.passwordSecretRef, pkcs12.password);
  return out;
}

async function applySecret(deps: Deps, secret: Secret): Promise<Secret> {
  const written = await deps.client.apply<Secret>(CoreResources.secrets, secret, {
    fieldManager: deps.settings.fieldManager,
    force: true,
  });
  deps.caches.secrets.full.observe(written);
  return written;
}

async function fail(
  deps: Deps,
  cert: Certificate,
  cr: CertificateRequest,
  reason: string,
  message: string,
): Promise<void> {
  const now = deps.clock.now();
  const full = `${ConditionMessage.IssuanceFailedPrefix}${message}`;
  const status: CertificateStatus = {
    ...cert.status,
    lastFailureTime: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    failedIssuanceAttempts: (cert.status?.failedIssuanceAttempts ?? 0) + 1,
    conditions: withCondition(
      cert.status?.conditions,
      {
        type: "Issuing",
        status: "False",
        reason,
        message: full,
        observedGeneration: cert.metadata.generation,
      },
      now,
    ),
  };
  const written = await writeStatus(deps.client, deps.caches.certificates, "Certificate", cert, status);
  deps.recorder.event(
    written,
    "Warning",
    "Failed",
    `The certificate request has failed to complete and will be retried: ${message}`,
  );
  deps.lifecycle.publish("certificate", "failed", written, {
    reason,
    message,
    certificateRequest: cr.metadata.name,
    failedIssuanceAttempts: status.failedIssuanceAttempts,
  });
}

async function complete(
  deps: Deps,
  cert: Certificate,
  cr: CertificateRequest,
  key: PrivateKey,
  chainPEM: string,
  caPEM: string | undefined,
): Promise<void> {
  const existing = await getSecret(deps, cert.metadata.namespace!, cert.spec.secretName);
  const desired = desiredSecret(
    cert,
    { key, chainPEM, caPEM, issuerRef: cr.spec.issuerRef },
    existing,
    await keystorePasswords(deps, cert),
    { ownerRef: deps.settings.enableCertificateOwnerRef, now: deps.clock.now() },
  );
  const secret = await applySecret(deps, desired);
  const now = deps.clock.now();
  const revision = nextRevision(cert);
  const issued = { ...cert, status: { ...cert.status, revision } } as Certificate;
  const parsed = parseSecret(secret);
  const ready = readinessStatus(issued, null, parsed.cert, now);
  const status: CertificateStatus = {
    ...ready,
    revision,
    conditions: removeCondition(ready.conditions, "Issuing") as CertificateStatus["conditions"],
  };
  delete status.lastFailureTime;
  delete status.failedIssuanceAttempts;
  delete status.nextPrivateKeySecretName;
  const written = await writeStatus(deps.client, deps.caches.certificates, "Certificate", cert, status);
  deps.recorder.event(written, "Normal", "Issuing", ConditionMessage.CertificateIssuedEvent);
  deps.lifecycle.publish("certificate", "issued", written, {
    revision,
    secretName: cert.spec.secretName,
    certificateRequest: cr.metadata.name,
    serialNumber: parsed.cert?.serialNumber,
    notBefore: status.notBefore,
    notAfter: status.notAfter,
    renewalTime: status.renewalTime,
  });
  if (status.renewalTime) {
    deps.lifecycle.publish("certificate", "renewal-scheduled", written, {
      renewalTime: status.renewalTime,
      notAfter: status.notAfter,
    });
  }
}

/** Writes a throwaway certificate while the real one is pending (cert-manager's temporary certificate). */
async function maybeTemporary(deps: Deps, cert: Certificate, key: PrivateKey, keyPEM: string): Promise<void> {
  if (cert.metadata.annotations?.[Annotations.IssueTemporaryCertificate] !== "true") return;
  const existing = await getSecret(deps, cert.metadata.namespace!, cert.spec.secretName);
  const parsed = existing ? parseSecret(existing) : undefined;
  if (parsed?.cert && parsed.keySPKI && publicKeysEqual(parsed.cert.publicKey, parsed.keySPKI)) return;
  const chainPEM = await issueTemporaryCertificate(cert.spec, keyPEM);
  await applySecret(
    deps,
    desiredSecret(
      cert,
      { key, chainPEM, issuerRef: cert.spec.issuerRef },
      existing,
      {},
      {
        ownerRef: deps.settings.enableCertificateOwnerRef,
      },
    ),
  );
  deps.recorder.event(cert, "Normal", "Issuing", "Issued temporary certificate");
}

export function issuingReconciler(deps: Deps): Reconcile {
  return async (key): Promise<Result> => {
    const cert = getCertificate(deps, key);
    if (!cert) return;
    if (!isIssuing(cert)) return reconcileIssuedSecret(deps, cert);

    const keySecret = recordedNextKeySecret(deps, cert);
    const nextKey = keySecret ? parseSecret(keySecret) : undefined;
    if (!nextKey?.key || !nextKey.keySPKI) return;
    const cr = requestForRevision(deps, cert, nextRevision(cert));
    if (!cr) return maybeTemporary(deps, cert, nextKey.key, nextKey.keyPEM!);
    const csr = parseRequestCSR(cr);
    if (
      csr instanceof Error ||
      requestMatchesSpec(cr.spec, csr, cert.spec).length > 0 ||
      !publicKeysEqual(csr.publicKey, nextKey.keySPKI)
    ) {
      return; // stale request: the request manager replaces it
    }
    const outcome = requestOutcome(cr, nextKey.keySPKI, deps.clock.now());
    switch (outcome.kind) {
      case "failed":
        return fail(deps, cert, cr, outcome.reason, outcome.message);
      case "issued":
        return complete(deps, cert, cr, nextKey.key, outcome.chainPEM, outcome.caPEM);
      case "pending":
        return maybeTemporary(deps, cert, nextKey.key, nextKey.keyPEM!);
    }
  };
}

/** Post-issuance: Secret metadata, output formats and keystores reconciled without re-issuing. */
async function reconcileIssuedSecret(deps: Deps, cert: Certificate): Promise<Result> {
  if (getCondition(cert.status?.conditions, "Ready")?.status !== "True") return;
  const existing = await getSecret(deps, cert.metadata.namespace!, cert.spec.secretName);
  const parsed = existing ? parseSecret(existing) : undefined;
  if (!existing || !parsed?.key || !parsed.certPEM) return;
  // The comparison below re-encodes the key and rebuilds every output; skip it when neither the
  // Secret nor the Certificate's spec changed since it last found the Secret up to date.
  const version = `${existing.metadata.uid}/${existing.metadata.resourceVersion}/${cert.metadata.generation}`;
  if (upToDateVersions.get(cert.metadata.uid!) === version) return;
  const issuerRef = {
    name: existing.metadata.annotations?.[Annotations.IssuerName] ?? cert.spec.issuerRef.name,
    kind: existing.metadata.annotations?.[Annotations.IssuerKind] ?? cert.spec.issuerRef.kind,
    group: existing.metadata.annotations?.[Annotations.IssuerGroup] ?? cert.spec.issuerRef.group,
  };
  const desired = desiredSecret(
    cert,
    { key: parsed.key, chainPEM: parsed.certPEM, caPEM: parsed.caPEM, issuerRef },
    existing,
    await keystorePasswords(deps, cert),
    { ownerRef: deps.settings.enableCertificateOwnerRef, now: deps.clock.now() },
  );
  if (secretUpToDate(existing, desired)) {
    upToDateVersions.set(cert.metadata.uid!, version);
    if (upToDateVersions.size > 50_000) upToDateVersions.delete(upToDateVersions.keys().next().value!);
    return;
  }
  await applySecret(deps, desired);
  return;
}

/** Certificate uid → the Secret/spec version last found up to date (bounded, oldest dropped). */
const upToDateVersions = new Map<string, string>();
