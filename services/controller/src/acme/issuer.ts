/**
 * ACME Issuer / ClusterIssuer readiness: the account key and the account registration.
 *
 *   not an ACME issuer (or config errors) ─▶ leave it (the generic issuers controller owns it)
 *   server is a Let's Encrypt v1 URL ──────▶ Ready=False InvalidConfig
 *   key Secret missing ─┬ generation allowed ─▶ new RSA-2048 key in a new Secret, account URI reset
 *                       └ disabled ───────────▶ Ready=False ErrVerifyACMEAccount
 *   key undecodable / not RSA ─────────────▶ Ready=False ErrVerifyACMEAccount
 *   Ready, same key hash, same email, account host == server host ─▶ skip verification
 *   EAB Secret missing/invalid ────────────▶ Ready=False ErrRegisterACMEAccount (no retry)
 *   register (adopting an existing account), update the contact if the email changed
 *       4xx ─▶ Ready=False ErrRegisterACMEAccount (no retry)   other ─▶ same, and retry
 *       ok  ─▶ status.acme {uri, lastRegisteredEmail, lastPrivateKeyHash}, Ready=True ACMEAccountRegistered
 *
 * The registered client is cached in the AccountRegistry for the Order and Challenge controllers.
 */
import {
  CLUSTER_ISSUER_KIND,
  ISSUER_KIND,
  IssuerReason,
  type ClusterIssuer,
  type Issuer,
  type IssuerStatus,
} from "@certkeeper/api";
import {
  CoreResources,
  isAlreadyExists,
  objectKey,
  splitKey,
  type Informer,
  type KubeObject,
  type Reconcile,
  type Result,
} from "@certkeeper/kube";
import type { Deps } from "../context.ts";
import {
  issuerConfigErrors,
  issuerSecretNamespace,
  issuerTypeOf,
  type IssuerKind,
  type ResolvedIssuer,
} from "../issuers/types.ts";
import type { ControllerRegistration } from "../registration.ts";
import { getCondition, writeStatus, withCondition } from "../status.ts";
import {
  accountKeySecret,
  generateAccountKey,
  privateKeySelector,
  readAccountKey,
  type AccountKey,
} from "./account.ts";
import type { AcmeDeps } from "./deps.ts";
import { errorText, isClientError } from "./errors.ts";

export const ACME_ISSUERS_CONTROLLER = "issuers-acme";
export const ACME_CLUSTER_ISSUERS_CONTROLLER = "clusterissuers-acme";

export const AccountMessage = {
  registrationFailed: "Failed to register ACME account: ",
  verificationFailed: "Failed to verify ACME account: ",
  updateFailed: "Failed to update ACME account:",
  registered: "The ACME account was registered with the ACME server",
  noSecretGenerationDisabled:
    "the ACME issuer config has 'disableAccountKeyGeneration' set to true, but the secret was not found: ",
  invalidPrivateKey: "Account private key is invalid: ",
} as const;

const V1_TO_V2: Record<string, string> = {
  "https://acme-v01.api.letsencrypt.org/directory": "https://acme-v02.api.letsencrypt.org/directory",
  "https://acme-staging.api.letsencrypt.org/directory":
    "https://acme-staging-v02.api.letsencrypt.org/directory",
  "https://acme-v01.api.letsencrypt.org/directory/": "https://acme-v02.api.letsencrypt.org/directory",
  "https://acme-staging.api.letsencrypt.org/directory/":
    "https://acme-staging-v02.api.letsencrypt.org/directory",
};

/** Pure: the v1 → v2 message, or undefined for any other server. */
export function v1ServerMessage(server: string): string | undefined {
  const v2 = V1_TO_V2[server];
  return (
    v2 &&
    `Your ACME server URL is set to a v1 endpoint (${server}). You should update the spec.acme.server field to "${v2}"`
  );
}

const hostOf = (url: string | undefined) => {
  try {
    return new URL(url ?? "").host;
  } catch {
    return undefined;
  }
};

/** Pure: can the stored registration be trusted without asking the server? */
export function registrationUpToDate(issuer: Issuer | ClusterIssuer, keyHash: string): boolean {
  const spec = issuer.spec.acme!;
  const st = issuer.status?.acme;
  const ready = getCondition(issuer.status?.conditions, "Ready")?.status === "True";
  return (
    ready &&
    !!st?.uri &&
    hostOf(st.uri) === hostOf(spec.server) &&
    (st.lastRegisteredEmail ?? "") === (spec.email ?? "") &&
    st.lastPrivateKeyHash === keyHash
  );
}

interface Verdict {
  ready: boolean;
  reason: string;
  message: string;
  acme?: IssuerStatus["acme"];
  /** Warning Event to record when the condition changes. */
  warn?: boolean;
  /** Throw after writing, so the work queue retries with backoff. */
  retry?: Error;
}

const notReady = (reason: string, message: string, retry?: Error): Verdict => ({
  ready: false,
  reason,
  message,
  warn: true,
  ...(retry ? { retry } : {}),
});

/** Pure: the issuer status for a verdict. */
export function acmeIssuerStatus(issuer: Issuer | ClusterIssuer, v: Verdict, now: Date): IssuerStatus {
  const status: IssuerStatus = { ...(issuer.status ?? {}) };
  if (v.acme !== undefined) status.acme = v.acme;
  status.conditions = withCondition(
    issuer.status?.conditions,
    {
      type: "Ready",
      status: v.ready ? "True" : "False",
      reason: v.reason,
      message: v.message,
      observedGeneration: issuer.metadata.generation,
    },
    now,
  );
  return status;
}

async function loadOrCreateKey(
  deps: Deps,
  r: ResolvedIssuer,
  ns: string,
): Promise<{ key: AccountKey; generated: boolean } | Verdict> {
  const spec = r.issuer.spec.acme!;
  const sel = privateKeySelector(spec);
  const read = readAccountKey(await deps.caches.secrets.getSecret(ns, sel.name), sel.key);
  switch (read.kind) {
    case "ok":
      return { key: read.key, generated: false };
    case "invalid":
      return notReady(
        IssuerReason.ErrVerifyACMEAccount,
        `${AccountMessage.invalidPrivateKey}${read.message}`,
      );
    case "notRSA":
      return notReady(
        IssuerReason.ErrVerifyACMEAccount,
        `ACME private key in "${sel.name}" is not of type RSA`,
      );
    case "missing": {
      if (spec.disableAccountKeyGeneration) {
        const msg = `${AccountMessage.verificationFailed}${AccountMessage.noSecretGenerationDisabled}secrets "${sel.name}" not found`;
        return notReady(IssuerReason.ErrVerifyACMEAccount, msg);
      }
      const key = await generateAccountKey();
      try {
        const created = await deps.client.create(CoreResources.secrets, accountKeySecret(ns, sel, key));
        deps.caches.secrets.observe(created);
      } catch (err) {
        // Someone else created it meanwhile: read theirs on the next pass.
        if (isAlreadyExists(err)) throw err;
        return notReady(
          IssuerReason.ErrRegisterACMEAccount,
          `${AccountMessage.registrationFailed}${errorText(err)}`,
          err as Error,
        );
      }
      return { key, generated: true };
    }
  }
}

async function readEABKey(
  deps: Deps,
  r: ResolvedIssuer,
  ns: string,
): Promise<{ keyID: string; hmacKey: string } | Verdict | undefined> {
  const eab = r.issuer.spec.acme!.externalAccountBinding;
  if (!eab) return undefined;
  const name = eab.keySecretRef.name;
  const dataKey = eab.keySecretRef.key ?? "";
  const secret = await deps.caches.secrets.getSecret(ns, name);
  const fail = (why: string) =>
    notReady(IssuerReason.ErrRegisterACMEAccount, `${AccountMessage.registrationFailed}${why}`);
  if (!secret)
    return fail(`failed to get External Account Binding key from secret: secrets "${name}" not found`);
  const raw = secret.data?.[dataKey];
  if (!raw)
    return fail(`failed to find external account binding key data in Secret "${name}" at index "${dataKey}"`);
  const text = Buffer.from(raw, "base64").toString("utf8").trim();
  if (!/^[A-Za-z0-9_-]+$/.test(text))
    return fail("failed to decode external account binding key data: illegal base64url data");
  return { keyID: eab.keyID, hmacKey: text };
}

/** The steps of one ACME issuer reconcile, ending in a verdict. */
async function evaluate(deps: Deps, acme: AcmeDeps, r: ResolvedIssuer): Promise<Verdict> {
  const spec = r.issuer.spec.acme!;
  const v1 = v1ServerMessage(spec.server);
  if (v1) return { ready: false, reason: IssuerReason.InvalidConfig, message: v1 };
  if (!hostOf(spec.server)) {
    return notReady(
      IssuerReason.InvalidURL,
      `Failed to parse existing ACME server URI "${spec.server}": invalid URL`,
    );
  }
  const ns = issuerSecretNamespace(r, deps.settings.clusterResourceNamespace);
  const loaded = await loadOrCreateKey(deps, r, ns);
  if (!("key" in loaded)) return loaded;
  const { key } = loaded;
  const uid = r.issuer.metadata.uid ?? "";
  const status = r.issuer.status?.acme;
  if (!loaded.generated && registrationUpToDate(r.issuer, key.hash)) {
    acme.accounts.put(uid, spec, key, status!.uri!);
    return { ready: true, reason: IssuerReason.ACMEAccountRegistered, message: AccountMessage.registered };
  }
  const eab = await readEABKey(deps, r, ns);
  if (eab && "reason" in eab) return eab;
  acme.accounts.remove(uid);
  const client = acme.accounts.newClient(spec, key, eab ? { eab } : {});
  let account: { uri: string; contact: string[] };
  try {
    account = await client.registerAccount(spec.email);
  } catch (err) {
    const msg = `${AccountMessage.registrationFailed}${errorText(err)}`;
    return notReady(
      IssuerReason.ErrRegisterACMEAccount,
      msg,
      isClientError(err) ? undefined : (err as Error),
    );
  }
  let registered = account.contact[0]?.replace(/^mailto:/, "") ?? "";
  if (registered !== (spec.email ?? "")) {
    try {
      await client.updateContact(spec.email);
      registered = spec.email ?? "";
    } catch (err) {
      const msg = `${AccountMessage.updateFailed}${errorText(err)}`;
      return notReady(
        IssuerReason.ErrUpdateACMEAccount,
        msg,
        isClientError(err) ? undefined : (err as Error),
      );
    }
  }
  acme.accounts.put(uid, spec, key, account.uri, client);
  return {
    ready: true,
    reason: IssuerReason.ACMEAccountRegistered,
    message: AccountMessage.registered,
    acme: { uri: account.uri, lastRegisteredEmail: registered, lastPrivateKeyHash: key.hash },
  };
}

interface KindSpec<T extends Issuer | ClusterIssuer> {
  kind: IssuerKind;
  name: string;
  subject: "issuer" | "clusterissuer";
  informer(deps: Deps): Informer<T>;
  get(deps: Deps, key: string): T | undefined;
  /** Issuers whose account key or EAB Secret is `s`. */
  bySecret(deps: Deps, s: KubeObject): T[];
}

function usesSecret(i: Issuer | ClusterIssuer, name: string | undefined): boolean {
  const a = i.spec.acme;
  return !!a && (a.privateKeySecretRef.name === name || a.externalAccountBinding?.keySecretRef.name === name);
}

const ISSUER: KindSpec<Issuer> = {
  kind: ISSUER_KIND,
  name: ACME_ISSUERS_CONTROLLER,
  subject: "issuer",
  informer: (d) => d.caches.issuers,
  get: (d, key) => {
    const { namespace, name } = splitKey(key);
    return d.caches.issuers.get(namespace, name);
  },
  bySecret: (d, s) =>
    d.caches.issuers.list(s.metadata.namespace ?? "").filter((i) => usesSecret(i, s.metadata.name)),
};

const CLUSTER_ISSUER: KindSpec<ClusterIssuer> = {
  kind: CLUSTER_ISSUER_KIND,
  name: ACME_CLUSTER_ISSUERS_CONTROLLER,
  subject: "clusterissuer",
  informer: (d) => d.caches.clusterIssuers,
  get: (d, key) => d.caches.clusterIssuers.get(undefined, splitKey(key).name),
  bySecret: (d, s) =>
    s.metadata.namespace === d.settings.clusterResourceNamespace
      ? d.caches.clusterIssuers.list().filter((i) => usesSecret(i, s.metadata.name))
      : [],
};

function reconciler<T extends Issuer | ClusterIssuer>(deps: Deps, acme: AcmeDeps, k: KindSpec<T>): Reconcile {
  return async (key): Promise<Result> => {
    const issuer = k.get(deps, key);
    if (!issuer || issuer.metadata.deletionTimestamp) {
      if (issuer?.metadata.uid) acme.accounts.remove(issuer.metadata.uid);
      return;
    }
    if (issuerConfigErrors(issuer.spec).length > 0 || issuerTypeOf(issuer.spec) !== "acme") return;
    const verdict = await evaluate(deps, acme, { kind: k.kind, issuer });
    const before = getCondition(issuer.status?.conditions, "Ready");
    const written = await writeStatus(
      deps.client,
      k.informer(deps),
      k.kind,
      issuer,
      acmeIssuerStatus(issuer, verdict, deps.clock.now()),
    );
    if (written !== issuer) {
      const after = getCondition(written.status?.conditions, "Ready");
      const changed =
        before?.status !== after?.status ||
        before?.reason !== after?.reason ||
        before?.message !== after?.message;
      if (changed && verdict.warn) deps.recorder.event(written, "Warning", verdict.reason, verdict.message);
      if (after && before?.status !== after.status) {
        deps.lifecycle.publish(k.subject, after.status === "True" ? "ready" : "not-ready", written, {
          reason: after.reason,
          message: after.message,
        });
      }
    }
    if (verdict.retry) throw verdict.retry;
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
    inf.onDelete((i) => enqueue(objectKey(i)));
    const bySecret = (s: KubeObject) => {
      for (const i of k.bySecret(deps, s)) enqueue(objectKey(i));
    };
    deps.caches.secrets.onAdd(bySecret);
    deps.caches.secrets.onUpdate((_o, s) => bySecret(s));
    deps.caches.secrets.onDelete(bySecret);
  };
}

/** Readiness of ACME Issuers (`issuers-acme`). */
export function acmeIssuerController(deps: Deps, acme: AcmeDeps): ControllerRegistration {
  return {
    name: ACME_ISSUERS_CONTROLLER,
    reconcile: reconciler(deps, acme, ISSUER),
    watches: watches(deps, ISSUER),
  };
}

/** Readiness of ACME ClusterIssuers (`clusterissuers-acme`). */
export function acmeClusterIssuerController(deps: Deps, acme: AcmeDeps): ControllerRegistration {
  return {
    name: ACME_CLUSTER_ISSUERS_CONTROLLER,
    reconcile: reconciler(deps, acme, CLUSTER_ISSUER),
    watches: watches(deps, CLUSTER_ISSUER),
  };
}
