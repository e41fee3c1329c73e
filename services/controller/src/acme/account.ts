/**
 * ACME accounts: the account key (from `privateKeySecretRef`, generated when absent), its hash as
 * cert-manager records it, and a registry of ready ACME clients per issuer.
 *
 *   key hash = base64(SHA-256(PKCS#1 DER of the RSA key))          (status.acme.lastPrivateKeyHash)
 *
 * The registry caches one client per issuer UID, tagged with everything it was built from
 * (server, key hash, account URL, TLS settings). The issuer controller puts a client there after
 * registering; Order and Challenge controllers ask `clientFor(issuer)`, which rebuilds a client
 * from the Secret when the cache is cold (e.g. after a restart) but only for a Ready issuer whose
 * key still has the registered hash.
 */
import { createHash, createPrivateKey, generateKeyPair, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import {
  DEFAULT_ACME_PRIVATE_KEY_SECRET_KEY,
  Labels,
  type ACMEIssuer,
  type ClusterIssuer,
  type Issuer,
} from "@certkeeper/api";
import { FULL_CACHE_LABEL, type Secret } from "@certkeeper/kube";
import { issuerIsReady, issuerSecretNamespace, type ResolvedIssuer } from "../issuers/types.ts";
import { AcmeClient, type AcmeClientOptions } from "./client.ts";
import { AcmeClientNotReadyError } from "./errors.ts";
import type { AcmeClientMetrics } from "./metrics.ts";

const generateKeyPairAsync = promisify(generateKeyPair);

export interface AccountKey {
  key: KeyObject;
  /** PKCS#1 PEM, what acme-client signs with. */
  pem: string;
  hash: string;
}

/** cert-manager's lastPrivateKeyHash of an RSA key. */
export function accountKeyHash(key: KeyObject): string {
  const der = key.export({ type: "pkcs1", format: "der" });
  return createHash("sha256").update(der).digest("base64");
}

export function accountKeyFrom(key: KeyObject): AccountKey {
  return { key, pem: key.export({ type: "pkcs1", format: "pem" }).toString(), hash: accountKeyHash(key) };
}

/** A new RSA-2048 account key. */
export async function generateAccountKey(): Promise<AccountKey> {
  const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
  return accountKeyFrom(privateKey);
}

export type AccountKeyResult =
  | { kind: "ok"; key: AccountKey }
  | { kind: "missing" }
  | { kind: "invalid"; message: string }
  | { kind: "notRSA" };

/** The Secret entry holding the account key. */
export function privateKeySelector(spec: ACMEIssuer): { name: string; key: string } {
  return {
    name: spec.privateKeySecretRef.name,
    key: spec.privateKeySecretRef.key || DEFAULT_ACME_PRIVATE_KEY_SECRET_KEY,
  };
}

/** Reads the account key from a Secret as found (undefined = not found). Pure. */
export function readAccountKey(secret: Secret | undefined, dataKey: string): AccountKeyResult {
  if (!secret) return { kind: "missing" };
  const b64 = secret.data?.[dataKey];
  if (!b64)
    return {
      kind: "invalid",
      message: `no data for "${dataKey}" in secret '${secret.metadata.namespace}/${secret.metadata.name}'`,
    };
  let key: KeyObject;
  try {
    key = createPrivateKey(Buffer.from(b64, "base64"));
  } catch (err) {
    return { kind: "invalid", message: `error decoding private key PEM block: ${(err as Error).message}` };
  }
  if (key.asymmetricKeyType !== "rsa") return { kind: "notRSA" };
  return { kind: "ok", key: accountKeyFrom(key) };
}

/** The Secret a generated account key is stored in (PKCS#1 PEM, labelled as cert-manager's). */
export function accountKeySecret(
  namespace: string,
  sel: { name: string; key: string },
  key: AccountKey,
): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: sel.name,
      namespace,
      labels: { [Labels.ManagedBy]: "cert-manager", [FULL_CACHE_LABEL]: "true" },
    },
    data: { [sel.key]: Buffer.from(key.pem).toString("base64") },
  };
}

export interface RegistryOptions {
  clusterResourceNamespace: string;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  metrics?: AcmeClientMetrics;
  timeoutMs?: number;
  userAgent?: string;
}

interface Entry {
  fingerprint: string;
  client: AcmeClient;
}

/** Everything a cached client depends on; a change means a new client. */
export function clientFingerprint(spec: ACMEIssuer, keyHash: string, accountUrl: string | undefined): string {
  const ca = spec.caBundle ? createHash("sha256").update(spec.caBundle).digest("hex") : "";
  return JSON.stringify([spec.server, keyHash, accountUrl ?? "", ca, spec.skipTLSVerify ?? false]);
}

export class AccountRegistry {
  private readonly clients = new Map<string, Entry>();

  constructor(private readonly opts: RegistryOptions) {}

  /** A client for registering (no account URL yet, EAB when configured). Not cached. */
  newClient(
    spec: ACMEIssuer,
    key: AccountKey,
    extra: Pick<AcmeClientOptions, "eab" | "accountUrl"> = {},
  ): AcmeClient {
    return new AcmeClient({
      directoryUrl: spec.server,
      accountKeyPEM: key.pem,
      ...(spec.caBundle ? { caBundlePEM: Buffer.from(spec.caBundle, "base64").toString("utf8") } : {}),
      ...(spec.skipTLSVerify ? { skipTLSVerify: true } : {}),
      ...(this.opts.metrics ? { metrics: this.opts.metrics } : {}),
      ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}),
      ...(this.opts.userAgent ? { userAgent: this.opts.userAgent } : {}),
      ...extra,
    });
  }

  /** Caches the client the issuer controller registered or verified with. */
  put(uid: string, spec: ACMEIssuer, key: AccountKey, accountUrl: string, client?: AcmeClient): AcmeClient {
    const fingerprint = clientFingerprint(spec, key.hash, accountUrl);
    const existing = this.clients.get(uid);
    if (existing?.fingerprint === fingerprint) return existing.client;
    const c = client ?? this.newClient(spec, key, { accountUrl });
    this.clients.set(uid, { fingerprint, client: c });
    return c;
  }

  remove(uid: string): void {
    this.clients.delete(uid);
  }

  get size(): number {
    return this.clients.size;
  }

  /** The client of a Ready ACME issuer, from the cache or rebuilt from its Secret. */
  async clientFor(r: ResolvedIssuer): Promise<AcmeClient> {
    const issuer: Issuer | ClusterIssuer = r.issuer;
    const spec = issuer.spec.acme;
    const uid = issuer.metadata.uid ?? "";
    const status = issuer.status?.acme;
    const notReady = (why: string) =>
      new AcmeClientNotReadyError(
        `ACME client for issuer "${issuer.metadata.name}" not initialised/available: ${why}`,
      );
    if (!spec) throw notReady("not an ACME issuer");
    if (!status?.uri || !status.lastPrivateKeyHash || !issuerIsReady(issuer))
      throw notReady("the account is not registered yet");
    const fingerprint = clientFingerprint(spec, status.lastPrivateKeyHash, status.uri);
    const cached = this.clients.get(uid);
    if (cached?.fingerprint === fingerprint) return cached.client;

    const sel = privateKeySelector(spec);
    const ns = issuerSecretNamespace(r, this.opts.clusterResourceNamespace);
    const read = readAccountKey(await this.opts.getSecret(ns, sel.name), sel.key);
    if (read.kind !== "ok") throw notReady(`account key Secret ${ns}/${sel.name} is ${read.kind}`);
    if (read.key.hash !== status.lastPrivateKeyHash)
      throw notReady("the account key changed since it was registered");
    return this.put(uid, spec, read.key, status.uri);
  }
}
