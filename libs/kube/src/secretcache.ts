/**
 * cert-manager's filtered Secret caching (gate SecretsFilteredCaching): Secrets labelled
 * `controller.cert-manager.io/fao=true` (the ones cert-manager writes, and issuer credentials users
 * chose to label) are cached whole; every other Secret is cached as metadata only, so 30k unrelated
 * Secrets cost their metadata rather than their data. A lookup that finds a Secret only in the
 * metadata cache fetches it live.
 *
 * The two label selectors are complementary (`=true` / `!=true`), so each Secret is in exactly one
 * cache; relabelling moves it (the API server sends DELETED to one watch and ADDED to the other).
 */
import type { Logger } from "@certkeeper/logging";
import type { KubeClient } from "./client.ts";
import type { Clock } from "./clock.ts";
import { isNotFound } from "./errors.ts";
import { Informer, type AddHandler, type DeleteHandler, type UpdateHandler } from "./informer.ts";
import type { IndexFunc } from "./store.ts";
import { CoreResources, type KubeObject, type PartialObjectMetadata, type Secret } from "./types.ts";

export const FULL_CACHE_LABEL = "controller.cert-manager.io/fao";

/** Holds a copy of the whole object (data included) when set by `kubectl apply`: never cache it. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export interface SecretCacheOptions {
  client: KubeClient;
  /** Only this namespace (default: all). */
  namespace?: string;
  /** Secondary indexes, built over both caches. */
  indexers?: Record<string, IndexFunc<KubeObject>>;
  resyncPeriodMs?: number;
  /** Keep this field manager's managedFields entries on labelled (fully cached) Secrets. */
  keepManagedFieldsOf?: string;
  clock?: Clock;
  log?: Logger;
}

/** Unlabelled Secrets read live and kept by resourceVersion (issuer credentials, CA key pairs). */
const LIVE_CACHE_SIZE = 256;

export class SecretCache {
  private readonly live = new Map<string, Secret>();
  readonly full: Informer<Secret>;
  readonly metadata: Informer<PartialObjectMetadata>;
  private readonly client: KubeClient;

  constructor(opts: SecretCacheOptions) {
    this.client = opts.client;
    const common = {
      client: opts.client,
      resource: CoreResources.secrets,
      namespace: opts.namespace,
      indexers: opts.indexers,
      resyncPeriodMs: opts.resyncPeriodMs,
      clock: opts.clock,
      log: opts.log,
    };
    this.full = new Informer<Secret>({
      ...common,
      labelSelector: `${FULL_CACHE_LABEL}=true`,
      keepManagedFieldsOf: opts.keepManagedFieldsOf,
    });
    this.metadata = new Informer<PartialObjectMetadata>({
      ...common,
      labelSelector: `${FULL_CACHE_LABEL}!=true`,
      metadataOnly: true,
      transform: dropLastApplied,
    });
  }

  start(): void {
    this.full.start();
    this.metadata.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.full.stop(), this.metadata.stop()]);
  }

  hasSynced(): boolean {
    return this.full.hasSynced() && this.metadata.hasSynced();
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const [a, b] = await Promise.all([this.full.waitForSync(signal), this.metadata.waitForSync(signal)]);
    return a && b;
  }

  /**
   * The Secret with its data: from the full cache, else (if the metadata cache knows it) by a
   * live GET, else undefined. A Secret that exists but neither cache has seen yet is reported
   * missing, as in cert-manager; the watch that brings it will trigger another reconcile.
   */
  async getSecret(namespace: string, name: string, signal?: AbortSignal): Promise<Secret | undefined> {
    const cached = this.full.get(namespace, name);
    if (cached) return cached;
    const meta = this.metadata.get(namespace, name);
    if (!meta) return undefined;
    // A Secret read live is kept while the metadata cache shows the same resourceVersion, so an
    // issuer's unlabelled CA Secret costs one GET per change, not one per signed request.
    const key = `${namespace}/${name}`;
    const hit = this.live.get(key);
    if (hit && hit.metadata.resourceVersion === meta.metadata.resourceVersion) {
      this.live.delete(key);
      this.live.set(key, hit);
      return hit;
    }
    try {
      const secret = await this.client.get<Secret>(CoreResources.secrets, namespace, name, { signal });
      this.live.delete(key);
      this.live.set(key, Object.freeze(secret));
      if (this.live.size > LIVE_CACHE_SIZE) this.live.delete(this.live.keys().next().value!);
      return secret;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Re-delivers every cached Secret to the update handlers now. */
  resync(): void {
    this.full.resync();
    this.metadata.resync();
  }

  /** Read-your-writes after writing a Secret: updates whichever cache its labels put it in. */
  observe(secret: Secret): void {
    this.full.observe(secret);
    this.metadata.observe(secret);
  }

  /** Read-your-writes after deleting a Secret. */
  forget(secret: KubeObject): void {
    this.full.forget(secret);
    this.metadata.forget(secret);
  }

  /** Metadata of a Secret from whichever cache has it (no API call). */
  getMetadata(namespace: string, name: string): KubeObject | undefined {
    return this.full.get(namespace, name) ?? this.metadata.get(namespace, name);
  }

  /** Metadata of every cached Secret (in a namespace). Full-cache entries include their data. */
  list(namespace?: string): KubeObject[] {
    return [...this.full.list(namespace), ...this.metadata.list(namespace)];
  }

  byIndex(indexName: string, value: string): KubeObject[] {
    return [...this.full.byIndex(indexName, value), ...this.metadata.byIndex(indexName, value)];
  }

  onAdd(fn: AddHandler<KubeObject>): () => void {
    const a = this.full.onAdd(fn);
    const b = this.metadata.onAdd(fn);
    return () => (a(), b());
  }

  onUpdate(fn: UpdateHandler<KubeObject>): () => void {
    const a = this.full.onUpdate(fn);
    const b = this.metadata.onUpdate(fn);
    return () => (a(), b());
  }

  onDelete(fn: DeleteHandler<KubeObject>): () => void {
    const a = this.full.onDelete(fn);
    const b = this.metadata.onDelete(fn);
    return () => (a(), b());
  }
}

function dropLastApplied(obj: PartialObjectMetadata): PartialObjectMetadata {
  const ann = obj.metadata.annotations;
  if (!ann || !(LAST_APPLIED in ann)) return obj;
  const { [LAST_APPLIED]: _drop, ...rest } = ann;
  return { ...obj, metadata: { ...obj.metadata, annotations: rest } };
}
