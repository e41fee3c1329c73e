/**
 * certificaterequests-issuer-ca: signs requests with the key pair in the CA issuer's Secret
 * (`spec.ca.secretName`, in the Issuer's namespace or, for a ClusterIssuer, in the cluster
 * resource namespace). tls.crt holds the signing CA first, optionally followed by its chain;
 * ca.crt, when present, is added to the end of that chain.
 *
 *   reading the Secret fails ───────▶ Pending SecretGetError (and retry with backoff)
 *   Secret not found ───────────────▶ Pending SecretMissing (woken when the issuer changes)
 *   tls.crt / tls.key bad or unpaired ▶ Pending SecretInvalidData
 *   CSR undecodable / invalid ──────▶ Failed SigningError "Error generating certificate template"
 *   signing fails, or the CA chain is not one chain ▶ Failed SigningError "Error signing certificate"
 *   otherwise ──────────────────────▶ chain = leaf + intermediates (a self-signed root left out),
 *                                     ca = the top-most certificate of the chain
 */
import {
  CertificateRequestReason,
  SecretKeys,
  type CertificateRequest,
  type IssuerSpec,
} from "@certkeeper/api";
import { objectKey, type KubeObject, type Secret } from "@certkeeper/kube";
import {
  buildChain,
  ChainError,
  CSRError,
  keyMatchesCertificate,
  parseCertificate,
  parsePrivateKey,
  signCertificate,
  splitPEMBundle,
  type ParsedCertificate,
  type ParsedCSR,
  type PrivateKey,
} from "@certkeeper/pki";
import { Index, type Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { issuerSecretNamespace, issuerTypeOf } from "../issuers/types.ts";
import { isOpen, requestController, type Signer, type SignOutcome } from "./issuer-controller.ts";
import { decodeRequestCSR, requestDurationMs } from "./selfsigned.ts";

export const CA_REQUEST_CONTROLLER = "certificaterequests-issuer-ca";

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function text(secret: Secret, key: string): string | undefined {
  const v = secret.data?.[key];
  return v === undefined || v === "" ? undefined : Buffer.from(v, "base64").toString("utf8");
}

export interface CAKeyPair {
  /** The signing CA: the first certificate of tls.crt. */
  ca: ParsedCertificate;
  key: PrivateKey;
  /** tls.crt and (if present) ca.crt: the signing CA's own chain. */
  chainPEMs: string[];
}

/** Pure: the signing key pair from a CA Secret, or an error message saying what is wrong with it. */
export function readCAKeyPair(
  secret: Secret,
  namespace: string,
  name: string,
): CAKeyPair | { error: string } {
  const crt = text(secret, SecretKeys.TLSCert);
  if (!crt) return { error: `no data for "${SecretKeys.TLSCert}" in secret '${namespace}/${name}'` };
  const keyPEM = text(secret, SecretKeys.TLSKey);
  if (!keyPEM) return { error: `no data for "${SecretKeys.TLSKey}" in secret '${namespace}/${name}'` };
  let ca: ParsedCertificate;
  let key: PrivateKey;
  try {
    ca = splitPEMBundle(crt).map((pem) => parseCertificate(pem))[0]!;
    key = parsePrivateKey(keyPEM);
  } catch (err) {
    return { error: errText(err) };
  }
  if (!keyMatchesCertificate(key, ca)) {
    return {
      error: `the private key in ${SecretKeys.TLSKey} does not belong to the first certificate in ${SecretKeys.TLSCert}`,
    };
  }
  const caCrt = text(secret, SecretKeys.CACert);
  return { ca, key, chainPEMs: caCrt ? [crt, caCrt] : [crt] };
}

/**
 * Cached Secrets are immutable objects replaced on change, so the decoded key pair is kept per
 * Secret object: a CA signing hundreds of requests decodes its key once, not once per request.
 */
const keyPairs = new WeakMap<Secret, CAKeyPair | { error: string }>();
function cachedKeyPair(secret: Secret, namespace: string, name: string): CAKeyPair | { error: string } {
  let pair = keyPairs.get(secret);
  if (!pair) keyPairs.set(secret, (pair = readCAKeyPair(secret, namespace, name)));
  return pair;
}

export const caSigner: Signer = {
  async sign(cr: CertificateRequest, issuer, ctx): Promise<SignOutcome> {
    const secretName = issuer.issuer.spec.ca?.secretName ?? "";
    const ns = issuerSecretNamespace(issuer, ctx.clusterResourceNamespace);
    let secret: Secret | undefined;
    try {
      secret = await ctx.getSecret(ns, secretName);
    } catch (err) {
      return {
        kind: "pending",
        reason: CertificateRequestReason.SecretGetError,
        message: `Failed to get certificate key pair from secret ${ns}/${secretName}: ${errText(err)}`,
        retry: err instanceof Error ? err : new Error(String(err)),
      };
    }
    if (!secret) {
      return {
        kind: "pending",
        reason: CertificateRequestReason.SecretMissing,
        message: `Referenced secret ${ns}/${secretName} not found: secret "${secretName}" not found`,
      };
    }
    const pair = cachedKeyPair(secret, ns, secretName);
    if ("error" in pair) {
      return {
        kind: "pending",
        reason: CertificateRequestReason.SecretInvalidData,
        message: `Failed to parse signing CA keypair from secret ${ns}/${secretName}: ${pair.error}`,
      };
    }

    const failed = (prefix: string, err: unknown): SignOutcome => ({
      kind: "failed",
      reason: CertificateRequestReason.SigningError,
      message: `${prefix}: ${errText(err)}`,
    });
    let csr: ParsedCSR;
    let duration: number;
    try {
      csr = decodeRequestCSR(cr);
      duration = requestDurationMs(cr);
    } catch (err) {
      return failed("Error generating certificate template", err);
    }
    const { crlDistributionPoints, ocspServers, issuingCertificateURLs } = issuer.issuer.spec.ca ?? {
      secretName,
    };
    let leafPEM: string;
    try {
      leafPEM = signCertificate({
        csr,
        issuerCert: pair.ca,
        issuerKey: pair.key,
        duration,
        isCA: cr.spec.isCA,
        usages: cr.spec.usages,
        notBefore: ctx.now,
        crlDistributionPoints,
        ocspServers,
        issuingCertificateURLs,
      });
    } catch (err) {
      return failed(
        err instanceof CSRError ? "Error generating certificate template" : "Error signing certificate",
        err,
      );
    }
    try {
      const bundle = buildChain({ leaf: leafPEM, candidates: pair.chainPEMs });
      return {
        kind: "signed",
        certificatePEM: bundle.chainPEM,
        ...(bundle.caPEM ? { caPEM: bundle.caPEM } : {}),
      };
    } catch (err) {
      if (!(err instanceof ChainError)) throw err;
      return failed(
        `Error signing certificate: the CA chain in secret ${ns}/${secretName} is not usable`,
        err,
      );
    }
  },
};

/**
 * A changed CA Secret wakes the open requests of the CA issuers that use it (the issuer's own
 * readiness change wakes them too; this covers a Secret fixed while the issuer stayed Ready).
 */
function caSecretWatches(deps: Deps, enqueue: (key: string) => void): void {
  const { issuers, clusterIssuers, certificateRequests } = deps.caches;
  const wake = (indexKey: string) => {
    for (const cr of certificateRequests.byIndex(Index.issuer, indexKey))
      if (isOpen(cr)) enqueue(objectKey(cr));
  };
  const bySecret = (s: KubeObject) => {
    const uses = (spec: IssuerSpec) => issuerTypeOf(spec) === "ca" && spec.ca?.secretName === s.metadata.name;
    for (const i of issuers.list(s.metadata.namespace ?? "")) {
      if (uses(i.spec)) wake(`Issuer/${i.metadata.namespace}/${i.metadata.name}`);
    }
    if (s.metadata.namespace === deps.settings.clusterResourceNamespace) {
      for (const i of clusterIssuers.list()) if (uses(i.spec)) wake(`ClusterIssuer//${i.metadata.name}`);
    }
  };
  deps.caches.secrets.onAdd(bySecret);
  deps.caches.secrets.onUpdate((_o, s) => bySecret(s));
}

export function caRequestController(deps: Deps): ControllerRegistration {
  return requestController(deps, {
    name: CA_REQUEST_CONTROLLER,
    issuerType: "ca",
    signer: caSigner,
    extraWatches: caSecretWatches,
  });
}
