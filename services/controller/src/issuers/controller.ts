/**
 * issuers / clusterissuers: keep the Ready condition of SelfSigned and CA issuers true to their
 * configuration. ACME, Vault and Venafi issuers belong to other controllers and are left alone.
 *
 *   not exactly one type set ─▶ Ready=False ConfigError "Resource validation failed: …"
 *   selfSigned               ─▶ Ready=True IsReady (no message)
 *   ca                       ─▶ read spec.ca.secretName (Issuer namespace, or the cluster
 *                               resource namespace for a ClusterIssuer)
 *        Secret missing, tls.crt / tls.key missing or undecodable ─▶ Ready=False ErrGetKeyPair
 *        certificate is not a CA, or the key is not its key       ─▶ Ready=False ErrInvalidKeyPair
 *        otherwise                                                ─▶ Ready=True KeyPairVerified
 *   acme / vault / venafi    ─▶ untouched
 *
 * One status write per change, an Event when the condition changes (Warning for failures) and a
 * NATS "ready" / "not-ready" event when Ready flips. Secrets are watched so a CA issuer follows
 * its key pair; issuers are found through the namespace index (a namespace holds few issuers).
 */
import {
  CLUSTER_ISSUER_KIND,
  ConditionMessage,
  ISSUER_KIND,
  IssuerReason,
  SecretKeys,
  type ClusterIssuer,
  type Issuer,
  type IssuerStatus,
} from "@certkeeper/api";
import {
  objectKey,
  splitKey,
  type EventType,
  type Informer,
  type KubeObject,
  type Reconcile,
  type Result,
  type Secret,
} from "@certkeeper/kube";
import {
  keyMatchesCertificate,
  parseCertificate,
  parsePrivateKey,
  splitPEMBundle,
  type ParsedCertificate,
} from "@certkeeper/pki";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";
import {
  aggregate,
  issuerConfigErrors,
  issuerSecretNamespace,
  issuerTypeOf,
  type IssuerKind,
  type ResolvedIssuer,
} from "./types.ts";

export const ISSUERS_CONTROLLER = "issuers";
export const CLUSTER_ISSUERS_CONTROLLER = "clusterissuers";

/** Ready=False reason when the spec does not set exactly one issuer type (cert-manager's errorConfig). */
export const CONFIG_ERROR_REASON = "ConfigError";

const MESSAGE_ERROR_GET_KEY_PAIR = "Error getting keypair for CA issuer: ";
const MESSAGE_ERROR_INVALID_KEY_PAIR = "Invalid signing key pair: ";

export interface ReadyCondition {
  status: "True" | "False";
  reason: string;
  /** Omitted when empty, as cert-manager's omitempty does. */
  message?: string;
}

export interface IssuerVerdict {
  condition: ReadyCondition;
  /** The Event to record when the condition changes. */
  event?: { type: EventType; reason: string; message: string };
}

/** What decideIssuer reads: the issuer and, for CA issuers, its Secret as found. */
export interface IssuerInput {
  issuer: ResolvedIssuer;
  /** For a CA issuer: where its Secret was looked for and what was there (undefined = not found). */
  caSecret?: { namespace: string; name: string; secret: Secret | undefined };
}

function notReady(reason: string, message: string): IssuerVerdict {
  return {
    condition: { status: "False", reason, message },
    event: { type: "Warning", reason, message },
  };
}

function secretText(secret: Secret, key: string): string | undefined {
  const v = secret.data?.[key];
  return v === undefined || v === "" ? undefined : Buffer.from(v, "base64").toString("utf8");
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Pure: checks a CA key pair Secret the way cert-manager's CA issuer setup does. */
export function verifyCAKeyPair(ref: {
  namespace: string;
  name: string;
  secret: Secret | undefined;
}): IssuerVerdict {
  const { namespace, name, secret } = ref;
  if (!secret)
    return notReady(IssuerReason.ErrGetKeyPair, `${MESSAGE_ERROR_GET_KEY_PAIR}secret "${name}" not found`);
  const crt = secretText(secret, SecretKeys.TLSCert);
  if (!crt) {
    return notReady(
      IssuerReason.ErrGetKeyPair,
      `${MESSAGE_ERROR_GET_KEY_PAIR}no data for "${SecretKeys.TLSCert}" in secret '${namespace}/${name}'`,
    );
  }
  let cert: ParsedCertificate;
  try {
    // Every block must decode, as cert-manager decodes the whole chain; the first is the CA.
    const blocks = splitPEMBundle(crt).map((pem) => parseCertificate(pem));
    cert = blocks[0]!;
  } catch (err) {
    return notReady(IssuerReason.ErrGetKeyPair, `${MESSAGE_ERROR_GET_KEY_PAIR}${errText(err)}`);
  }
  const keyPEM = secretText(secret, SecretKeys.TLSKey);
  if (!keyPEM) {
    return notReady(
      IssuerReason.ErrGetKeyPair,
      `${MESSAGE_ERROR_GET_KEY_PAIR}no data for "${SecretKeys.TLSKey}" in secret '${namespace}/${name}'`,
    );
  }
  let keyMatches: boolean;
  try {
    keyMatches = keyMatchesCertificate(parsePrivateKey(keyPEM), cert);
  } catch (err) {
    return notReady(IssuerReason.ErrGetKeyPair, `${MESSAGE_ERROR_GET_KEY_PAIR}${errText(err)}`);
  }
  if (!cert.isCA)
    return notReady(IssuerReason.ErrInvalidKeyPair, `${MESSAGE_ERROR_GET_KEY_PAIR}certificate is not a CA`);
  if (!keyMatches) {
    return notReady(
      IssuerReason.ErrInvalidKeyPair,
      `${MESSAGE_ERROR_INVALID_KEY_PAIR}the private key in tls.key does not belong to the certificate in tls.crt`,
    );
  }
  return {
    condition: {
      status: "True",
      reason: IssuerReason.KeyPairVerified,
      message: ConditionMessage.SigningCAVerified,
    },
    event: {
      type: "Normal",
      reason: IssuerReason.KeyPairVerified,
      message: ConditionMessage.SigningCAVerified,
    },
  };
}

/** Pure: the Ready condition this controller wants, or null when the issuer is not its business. */
export function decideIssuer(input: IssuerInput): IssuerVerdict | null {
  const spec = input.issuer.issuer.spec;
  const errors = issuerConfigErrors(spec);
  if (errors.length > 0)
    return notReady(CONFIG_ERROR_REASON, `Resource validation failed: ${aggregate(errors)}`);
  switch (issuerTypeOf(spec)) {
    case "selfSigned":
      return { condition: { status: "True", reason: IssuerReason.IsReady } };
    case "ca":
      return input.caSecret ? verifyCAKeyPair(input.caSecret) : null;
    default:
      return null;
  }
}

/** Pure: the issuer status with `verdict` applied. */
export function issuerStatus(
  issuer: Issuer | ClusterIssuer,
  verdict: IssuerVerdict,
  now: Date,
): IssuerStatus {
  const { status, reason, message } = verdict.condition;
  return {
    ...(issuer.status ?? {}),
    conditions: withCondition(
      issuer.status?.conditions,
      {
        type: "Ready",
        status,
        reason,
        ...(message ? { message } : {}),
        observedGeneration: issuer.metadata.generation,
      },
      now,
    ),
  };
}

interface KindSpec<T extends Issuer | ClusterIssuer> {
  kind: IssuerKind;
  name: string;
  subject: "issuer" | "clusterissuer";
  get(deps: Deps, key: string): T | undefined;
  informer(deps: Deps): Informer<T>;
  /** Issuers of this kind whose CA Secret is `secret`. */
  bySecret(deps: Deps, secret: KubeObject): T[];
}

function caSecretMatches(i: Issuer | ClusterIssuer, name: string | undefined): boolean {
  return issuerTypeOf(i.spec) === "ca" && i.spec.ca?.secretName === name;
}

const ISSUER: KindSpec<Issuer> = {
  kind: ISSUER_KIND,
  name: ISSUERS_CONTROLLER,
  subject: "issuer",
  get: (deps, key) => {
    const { namespace, name } = splitKey(key);
    return deps.caches.issuers.get(namespace, name);
  },
  informer: (deps) => deps.caches.issuers,
  bySecret: (deps, s) =>
    deps.caches.issuers.list(s.metadata.namespace ?? "").filter((i) => caSecretMatches(i, s.metadata.name)),
};

const CLUSTER_ISSUER: KindSpec<ClusterIssuer> = {
  kind: CLUSTER_ISSUER_KIND,
  name: CLUSTER_ISSUERS_CONTROLLER,
  subject: "clusterissuer",
  get: (deps, key) => deps.caches.clusterIssuers.get(undefined, splitKey(key).name),
  informer: (deps) => deps.caches.clusterIssuers,
  bySecret: (deps, s) =>
    s.metadata.namespace === deps.settings.clusterResourceNamespace
      ? deps.caches.clusterIssuers.list().filter((i) => caSecretMatches(i, s.metadata.name))
      : [],
};

function reconciler<T extends Issuer | ClusterIssuer>(deps: Deps, k: KindSpec<T>): Reconcile {
  return async (key): Promise<Result> => {
    const issuer = k.get(deps, key);
    if (!issuer || issuer.metadata.deletionTimestamp) return;
    const resolved: ResolvedIssuer = { kind: k.kind, issuer };
    const input: IssuerInput = { issuer: resolved };
    if (issuerConfigErrors(issuer.spec).length === 0 && issuerTypeOf(issuer.spec) === "ca") {
      const namespace = issuerSecretNamespace(resolved, deps.settings.clusterResourceNamespace);
      const name = issuer.spec.ca!.secretName;
      input.caSecret = { namespace, name, secret: await deps.caches.secrets.getSecret(namespace, name) };
    }
    const verdict = decideIssuer(input);
    if (!verdict) return;

    const before = getCondition(issuer.status?.conditions, "Ready");
    const status = issuerStatus(issuer, verdict, deps.clock.now());
    const written = await writeStatus(deps.client, k.informer(deps), k.kind, issuer, status);
    if (written === issuer) return;
    const after = getCondition(written.status?.conditions, "Ready");
    const changed =
      before?.status !== after?.status ||
      before?.reason !== after?.reason ||
      before?.message !== after?.message;
    if (changed && verdict.event)
      deps.recorder.event(written, verdict.event.type, verdict.event.reason, verdict.event.message);
    if (after && before?.status !== after.status) {
      deps.lifecycle.publish(k.subject, after.status === "True" ? "ready" : "not-ready", written, {
        reason: after.reason,
        message: after.message,
      });
    }
    return;
  };
}

function watches<T extends Issuer | ClusterIssuer>(
  deps: Deps,
  k: KindSpec<T>,
): (enqueue: (key: string) => void) => void {
  return (enqueue) => {
    const inf = k.informer(deps);
    inf.onAdd((i) => enqueue(objectKey(i)));
    inf.onUpdate((_o, i) => enqueue(objectKey(i)));
    const bySecret = (s: KubeObject) => {
      for (const i of k.bySecret(deps, s)) enqueue(objectKey(i));
    };
    deps.caches.secrets.onAdd(bySecret);
    deps.caches.secrets.onUpdate((_o, s) => bySecret(s));
    deps.caches.secrets.onDelete(bySecret);
  };
}

export function issuerReconciler(deps: Deps): Reconcile {
  return reconciler(deps, ISSUER);
}

export function clusterIssuerReconciler(deps: Deps): Reconcile {
  return reconciler(deps, CLUSTER_ISSUER);
}

/** Readiness of namespaced Issuers (`issuers`); keys are "namespace/name". */
export function issuerController(deps: Deps): ControllerRegistration {
  return { name: ISSUERS_CONTROLLER, reconcile: issuerReconciler(deps), watches: watches(deps, ISSUER) };
}

/** Readiness of ClusterIssuers (`clusterissuers`); keys are the names. */
export function clusterIssuerController(deps: Deps): ControllerRegistration {
  return {
    name: CLUSTER_ISSUERS_CONTROLLER,
    reconcile: clusterIssuerReconciler(deps),
    watches: watches(deps, CLUSTER_ISSUER),
  };
}
