/**
 * One injector per injectable kind: reconcile(targetName) reads the target's metadata from the
 * cache, selects and reads its CA source, plans the bundle change (pure), then makes at most one
 * write and publishes one `injectable.<uid>.injected` event.
 *
 *   metadata (cache) ─► selectSource ─► read Secret / Certificate / kubeconfig CA ─► resolveCA
 *        └ skip: log (+ Warning Event), no requeue        └ skip: same
 *   ─► GET the full target ─► planInjection ─► nothing to change: done
 *                                           └► JSON patch ─► publish injected
 *
 * Nothing here requeues: a skipped target waits for a change to itself or its source (both are
 * watched), so a bad annotation costs one reconcile, not a loop.
 */
import type { Certificate } from "@certkeeper/api";
import {
  CoreResources,
  isForbidden,
  isInvalid,
  isNotFound,
  TerminalError,
  type Clock,
  type EventRecorder,
  type Informer,
  type KubeClient,
  type KubeObject,
  type PartialObjectMetadata,
  type Reconcile,
  type ReconcileContext,
  type Secret,
  type SecretCache,
} from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";
import { planInjection, type Injectable } from "./injectables.ts";
import {
  SkipReasons,
  resolveCA,
  selectSource,
  sourceKey,
  type Scope,
  type Skip,
  type SourceInput,
  type SourceRef,
} from "./sources.ts";

export const FIELD_MANAGER = "cert-manager-cainjector";
export const EVENT_COMPONENT = "cert-manager-cainjector";

/** What an injection reports (published as `injectable.<uid>.injected`). */
export interface Injection {
  kind: string;
  name: string;
  uid: string;
  resourceVersion: string | undefined;
  source: string;
  certificates: number;
  fields: number;
}

/** Counters the app exposes as metrics and to tests. */
export class InjectorStats {
  injections = 0;
  readonly skips = new Map<string, number>();
  /** Targets enqueued because a `certificate … issued` event arrived. */
  natsTriggers = 0;
  /** Reconciles that read their source live because NATS triggered them. */
  freshReads = 0;

  skip(reason: string): void {
    this.skips.set(reason, (this.skips.get(reason) ?? 0) + 1);
  }
}

export interface InjectorDeps {
  injectable: Injectable;
  client: KubeClient;
  targets: Informer<PartialObjectMetadata>;
  secrets: SecretCache;
  /** Undefined when the Certificate data source is disabled. */
  certificates: Informer<Certificate> | undefined;
  apiserverCA: string | undefined;
  scope: Scope;
  merging: boolean;
  recorder: EventRecorder;
  clock: Clock;
  /** Target names whose next reconcile must read its Secret from the API, not the cache. */
  fresh: Set<string>;
  stats: InjectorStats;
  onInjected: (i: Injection) => void;
}

export function injectorReconcile(deps: InjectorDeps): Reconcile {
  const { injectable } = deps;
  return async (name: string, ctx: ReconcileContext) => {
    const fresh = deps.fresh.delete(name);
    const meta = deps.targets.get(undefined, name);
    if (!meta || meta.metadata.deletionTimestamp) return;
    const selection = selectSource(meta.metadata.annotations, deps.scope);
    if (!selection) return;
    const target: KubeObject = {
      apiVersion: injectable.apiVersion,
      kind: injectable.kind,
      metadata: meta.metadata,
    };
    // ctx.log already carries `controller`; add the fixed resource keys (STYLE.md rule 13).
    const log = ctx.log.child({
      resource_kind: injectable.kind,
      resource_namespace: "",
      resource_name: name,
      resource_uid: meta.metadata.uid ?? "",
    });
    if ("skip" in selection) return skipped(deps, log, target, selection.skip);

    const input = await gather(deps, selection.source, fresh, ctx.signal);
    if ("reason" in input) return skipped(deps, log, target, input);
    const result = resolveCA(input);
    if ("skip" in result) return skipped(deps, log, target, result.skip);

    const obj = await getTarget(deps, name, ctx.signal);
    if (!obj || obj.metadata.deletionTimestamp) return;
    const plan = planInjection(injectable, obj, result.ca, { merging: deps.merging, now: deps.clock.now() });
    if (!plan) {
      log.debug("caBundle already up to date");
      return;
    }
    const written = await writeBundles(deps, name, plan.patch, ctx.signal);
    const source = describe(selection.source);
    deps.stats.injections++;
    log.info({ source, certificates: plan.certificates, fields: plan.fields }, "injected CA bundle");
    deps.onInjected({
      kind: injectable.kind,
      name,
      uid: written.metadata.uid ?? meta.metadata.uid ?? "",
      resourceVersion: written.metadata.resourceVersion,
      source,
      certificates: plan.certificates,
      fields: plan.fields,
    });
  };
}

function skipped(deps: InjectorDeps, log: Logger, target: KubeObject, s: Skip): void {
  deps.stats.skip(s.reason);
  if (s.warn) {
    log.warn({ reason: s.reason }, s.message);
    deps.recorder.event(target, "Warning", s.reason, s.message);
  } else {
    log.info({ reason: s.reason }, `${s.message}; waiting for it to change`);
  }
}

/** Reads what the selected source needs; a Skip when the cainjector may not read it. */
async function gather(
  deps: InjectorDeps,
  source: SourceRef,
  fresh: boolean,
  signal: AbortSignal,
): Promise<SourceInput | Skip> {
  try {
    switch (source.type) {
      case "apiserver":
        return { source, apiserverCA: deps.apiserverCA };
      case "secret":
        return { source, secret: await readSecret(deps, source.namespace, source.name, fresh, signal) };
      case "certificate": {
        const certificate = deps.certificates?.get(source.namespace, source.name);
        if (!certificate) return { source };
        const secretName = certificate.spec.secretName;
        const secret = secretName
          ? await readSecret(deps, source.namespace, secretName, fresh, signal)
          : undefined;
        return { source, certificate, secret };
      }
    }
  } catch (err) {
    if (!isForbidden(err)) throw err;
    return {
      reason: SkipReasons.Forbidden,
      message: `not allowed to read ${describe(source)}: ${(err as Error).message}`,
      warn: false,
    };
  }
}

/**
 * Secrets come from the SecretCache (full cache for fao-labelled ones, live GET for the rest).
 * After a NATS `issued` event the cache may not have the new data yet, so read it live then.
 */
async function readSecret(
  deps: InjectorDeps,
  namespace: string,
  name: string,
  fresh: boolean,
  signal: AbortSignal,
): Promise<Secret | undefined> {
  if (!fresh) return deps.secrets.getSecret(namespace, name, signal);
  deps.stats.freshReads++;
  try {
    return await deps.client.get<Secret>(CoreResources.secrets, namespace, name, { signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function getTarget(
  deps: InjectorDeps,
  name: string,
  signal: AbortSignal,
): Promise<KubeObject | undefined> {
  try {
    return await deps.client.get<KubeObject>(deps.injectable.resource, undefined, name, { signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * The one write. A stale read is a 409 (quiet retry). A 422 means the API server rejects the object
 * as patched; retrying the same patch cannot help, and any change to the target re-triggers us.
 */
async function writeBundles(
  deps: InjectorDeps,
  name: string,
  patch: unknown,
  signal: AbortSignal,
): Promise<KubeObject> {
  try {
    return await deps.client.patch<KubeObject>(deps.injectable.resource, undefined, name, patch, {
      type: "json",
      fieldManager: FIELD_MANAGER,
      signal,
    });
  } catch (err) {
    if (isInvalid(err))
      throw new TerminalError(`the API server rejected the caBundle patch of ${name}`, { cause: err });
    throw err;
  }
}

function describe(source: SourceRef): string {
  return source.type === "apiserver" ? "apiserver" : sourceKey(source);
}

// ---- mapping source changes to targets -------------------------------------------------------

/** Index of target informers: the source a target reads ("secret:ns/name", "certificate:ns/name"). */
export const SOURCE_INDEX = "source";
/** Index of the Certificate informer: "ns/secretName". */
export const SECRET_NAME_INDEX = "secretName";

export const certificateSecretIndex = (c: Certificate): string[] =>
  c.spec?.secretName ? [`${c.metadata.namespace}/${c.spec.secretName}`] : [];

/** Source keys a Secret change affects: the Secret itself and the Certificates that use it. */
export function sourceKeysForSecret(
  secret: KubeObject,
  certificates: Informer<Certificate> | undefined,
): string[] {
  const ns = secret.metadata.namespace ?? "";
  const name = secret.metadata.name ?? "";
  const keys = new Set([`secret:${ns}/${name}`]);
  for (const c of certificates?.byIndex(SECRET_NAME_INDEX, `${ns}/${name}`) ?? []) {
    keys.add(`certificate:${ns}/${c.metadata.name}`);
  }
  return [...keys];
}

/** Source keys a Certificate change affects: itself and the Secret it writes. */
export function sourceKeysForCertificate(
  ref: { namespace: string; name: string },
  certificates: Informer<Certificate> | undefined,
): string[] {
  const keys = [`certificate:${ref.namespace}/${ref.name}`];
  const secretName = certificates?.get(ref.namespace, ref.name)?.spec.secretName;
  if (secretName) keys.push(`secret:${ref.namespace}/${secretName}`);
  return keys;
}
