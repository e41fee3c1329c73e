/**
 * An informer: a local, indexed, eventually consistent copy of one resource type.
 *
 *   ┌──────┐ ok  ┌───────┐ stream ends (server timeout) ┐
 *   │ LIST ├────►│ WATCH ├──────────────────────────────┘ re-watch from last RV
 *   └──▲───┘     └───┬───┘
 *      │ 410 Gone    │ error (network, 5xx): backoff, re-watch from last RV
 *      └─────────────┘
 *
 * LIST is paginated and consistent (no resourceVersion), WATCH asks for bookmarks so the
 * resourceVersion stays fresh on quiet resources. In metadata-only mode both ask the API server for
 * PartialObjectMetadata, so an unrelated Secret costs only its metadata. managedFields are always
 * stripped. Cached objects are frozen: copy (structuredClone) before changing one.
 *
 * Handlers get objects, never decisions: controllers map them to work-queue keys.
 */
import { silentLogger, type Logger } from "@certkeeper/logging";
import type { KubeClient } from "./client.ts";
import { sleep, systemClock, type Clock, type TimerHandle } from "./clock.ts";
import { errorFromResponse, isGone, type ApiStatus } from "./errors.ts";
import { backoffDelay, type BackoffOptions } from "./ratelimit.ts";
import { matchesLabelSelector } from "./selector.ts";
import { Store, type IndexFunc } from "./store.ts";
import { jsonLines } from "./transport.ts";
import { apiVersionOf, objectKey, type KubeObject, type ResourceType } from "./types.ts";

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  resource: ResourceType;
  /** Only this namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Cache PartialObjectMetadata only (apiVersion/kind/metadata). */
  metadataOnly?: boolean;
  indexers?: Record<string, IndexFunc<T>>;
  /** Applied to every object before caching (after managedFields are stripped). */
  transform?: (obj: T) => T;
  /**
   * managedFields are dropped from cached objects, except the entries of this field manager
   * (e.g. to learn which labels and annotations a server-side apply of ours set).
   */
  keepManagedFieldsOf?: string;
  /** Deep-freeze cached objects (default true) so a mutation of the cache fails loudly. */
  freeze?: boolean;
  /** LIST page size (default 500). */
  pageSize?: number;
  /** Re-deliver every cached object to onUpdate this often (default off; cert-manager: 10 h). */
  resyncPeriodMs?: number;
  /** Server-side watch timeout; default random 5–10 min like client-go. */
  watchTimeoutSeconds?: number;
  /** Reconnect backoff (default 800 ms → 30 s, jittered). */
  backoff?: BackoffOptions;
  clock?: Clock;
  log?: Logger;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject & ApiStatus;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 800, maxMs: 30_000 };

export class Informer<T extends KubeObject> {
  private readonly store: Store<T>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly addHandlers = new Set<AddHandler<T>>();
  private readonly updateHandlers = new Set<UpdateHandler<T>>();
  private readonly deleteHandlers = new Set<DeleteHandler<T>>();
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private rv: string | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: InformerOptions<T>) {
    this.store = new Store<T>(opts.indexers);
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.log ?? silentLogger()).child({
      informer: opts.resource.plural,
      ...(opts.metadataOnly ? { metadata_only: true } : {}),
      ...(opts.labelSelector ? { label_selector: opts.labelSelector } : {}),
    });
  }

  // ---- cache -------------------------------------------------------------------------------

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace, name);
  }

  list(namespace?: string): T[] {
    return this.store.list(namespace);
  }

  byIndex(indexName: string, value: string): T[] {
    return this.store.byIndex(indexName, value);
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.store.addIndexer(name, fn);
  }

  get size(): number {
    return this.store.size;
  }

  /** The resourceVersion the cache is at (last list, event or bookmark). */
  get resourceVersion(): string | undefined {
    return this.rv;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first LIST is in the cache, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      });
    });
  }

  /**
   * Read-your-writes: puts an object this process just wrote (create/update/apply response) into
   * the cache unless the cache already holds a newer version, so the next reconcile does not act
   * on the copy from before the write. No handlers run; the watch event that follows does that.
   * An object that no longer matches this informer's namespace/label selector is dropped instead.
   */
  observe(obj: T): void {
    const key = objectKey(obj);
    const ns = this.opts.namespace;
    const inScope =
      (!ns || obj.metadata.namespace === ns) &&
      matchesLabelSelector(this.opts.labelSelector, obj.metadata.labels);
    if (!inScope) {
      this.store.remove(key);
      return;
    }
    const cached = this.store.getByKey(key);
    if (cached && newer(cached.metadata.resourceVersion, obj.metadata.resourceVersion)) return;
    this.store.upsert(this.prepare(obj));
  }

  /** Read-your-writes for a delete this process issued: drops the object from the cache. */
  forget(obj: KubeObject): void {
    this.store.remove(objectKey(obj));
  }

  // ---- handlers ----------------------------------------------------------------------------

  /** Registers an add handler; objects already cached are replayed to it at once. */
  onAdd(fn: AddHandler<T>): () => void {
    this.addHandlers.add(fn);
    for (const o of this.store.list()) this.call(() => fn(o));
    return () => this.addHandlers.delete(fn);
  }

  onUpdate(fn: UpdateHandler<T>): () => void {
    this.updateHandlers.add(fn);
    return () => this.updateHandlers.delete(fn);
  }

  onDelete(fn: DeleteHandler<T>): () => void {
    this.deleteHandlers.add(fn);
    return () => this.deleteHandlers.delete(fn);
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  /** Starts list+watch in the background (idempotent). */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops watching; the cache keeps its contents. */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let failures = 0;
    let gone = 0;
    let resync = this.scheduleResync(signal);
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        const { events, ms } = await this.watchOnce(signal);
        // A watch that ends at once with nothing in it (a misbehaving proxy, a server
        // shutting down) must not become a hot loop of watch requests.
        if (events > 0 || ms >= 500) failures = gone = 0;
        else await sleep(this.clock, backoffDelay(failures++, this.opts.backoff ?? DEFAULT_BACKOFF), signal);
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          this.log.info({ resource_version: this.rv }, "watch resourceVersion expired (410); re-listing");
          needList = true;
          // Re-list at once the first time; back off if the fresh list's version expires again.
          if (gone++ > 0)
            await sleep(this.clock, backoffDelay(failures++, this.opts.backoff ?? DEFAULT_BACKOFF), signal);
          continue;
        }
        const delay = backoffDelay(failures++, this.opts.backoff ?? DEFAULT_BACKOFF);
        this.log.warn({ err, retry_in_ms: delay, relist: needList }, "list/watch failed; backing off");
        await sleep(this.clock, delay, signal);
      }
    }
    resync?.();
    resync = undefined;
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { client, resource, metadataOnly } = this.opts;
    const list = await client.listAll<T>(resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      limit: this.opts.pageSize ?? 500,
      metadataOnly,
      signal,
    });
    if (signal.aborted) return;
    const seen = new Set<string>();
    for (const raw of list.items) {
      const obj = this.prepare(raw);
      const key = objectKey(obj);
      seen.add(key);
      const old = this.store.upsert(obj);
      if (!old) this.emitAdd(obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emitUpdate(old, obj);
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const gone = this.store.remove(key);
      if (gone) this.emitDelete(gone);
    }
    this.rv = list.metadata.resourceVersion;
    this.log.debug({ count: list.items.length, resource_version: this.rv }, "listed");
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** One watch request, until the server or our deadline ends it. */
  private async watchOnce(signal: AbortSignal): Promise<{ events: number; ms: number }> {
    const started = this.clock.now().getTime();
    let events = 0;
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.round(300 + Math.random() * 300);
    // The server ends the watch after timeoutSeconds; a silently dead connection must not hang
    // us forever, so a client-side deadline a little later aborts it.
    const watchAbort = new AbortController();
    const onAbort = () => watchAbort.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const deadline = this.clock.setTimeout(() => watchAbort.abort(), (timeoutSeconds + 30) * 1000);
    try {
      const res = await this.opts.client.watch(this.opts.resource, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        timeoutSeconds,
        metadataOnly: this.opts.metadataOnly,
        signal: watchAbort.signal,
      });
      const info = { verb: "WATCH", path: this.opts.resource.plural };
      for await (const ev of jsonLines(res, info) as AsyncIterable<WatchEvent>) {
        this.handle(ev);
        events++;
      }
    } catch (err) {
      // Our own deadline is a normal end of this watch, not a failure.
      if (!watchAbort.signal.aborted || signal.aborted) throw err;
    } finally {
      this.clock.clearTimeout(deadline);
      signal.removeEventListener("abort", onAbort);
    }
    return { events, ms: this.clock.now().getTime() - started };
  }

  private handle(ev: WatchEvent): void {
    if (ev.type === "ERROR") {
      // e.g. {code: 410, reason: "Expired"} when the resourceVersion is too old: GoneError.
      const status = ev.object;
      throw errorFromResponse(status.code ?? 500, JSON.stringify(status), {
        verb: "WATCH",
        path: this.opts.resource.plural,
      });
    }
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === "BOOKMARK") {
      if (rv) this.rv = rv;
      return;
    }
    const obj = this.prepare(ev.object as T);
    if (ev.type === "DELETED") {
      this.store.remove(objectKey(obj));
      this.emitDelete(obj);
    } else {
      const old = this.store.upsert(obj);
      if (old) this.emitUpdate(old, obj);
      else this.emitAdd(obj);
    }
    if (rv) this.rv = rv;
  }

  private prepare(raw: T): T {
    let obj = raw;
    if (this.opts.metadataOnly) {
      // Defensive: should a server ignore the Accept header, still keep metadata only.
      obj = { apiVersion: raw.apiVersion, kind: raw.kind, metadata: raw.metadata } as T;
    } else if (!obj.kind && this.opts.resource.kind) {
      // List items of built-in kinds come without apiVersion/kind; events and recorders need them.
      obj = { ...obj, apiVersion: apiVersionOf(this.opts.resource), kind: this.opts.resource.kind };
    }
    if (obj.metadata?.managedFields) {
      const { managedFields, ...metadata } = obj.metadata;
      const mine = this.opts.keepManagedFieldsOf;
      const kept = mine ? managedFields.filter((f) => f.manager === mine) : [];
      obj = { ...obj, metadata: kept.length > 0 ? { ...metadata, managedFields: kept } : metadata };
    }
    if (this.opts.transform) obj = this.opts.transform(obj);
    return this.opts.freeze === false ? obj : deepFreeze(obj);
  }

  /** Re-delivers every cached object to the update handlers now (e.g. when work ownership moves). */
  resync(): void {
    for (const o of this.store.list()) this.emitUpdate(o, o);
  }

  private scheduleResync(signal: AbortSignal): (() => void) | undefined {
    const period = this.opts.resyncPeriodMs;
    if (!period || period <= 0) return undefined;
    let handle: TimerHandle | undefined;
    const tick = () => {
      if (signal.aborted) return;
      for (const o of this.store.list()) this.emitUpdate(o, o);
      handle = this.clock.setTimeout(tick, period);
    };
    handle = this.clock.setTimeout(tick, period);
    return () => {
      if (handle) this.clock.clearTimeout(handle);
    };
  }

  private emitAdd(obj: T): void {
    for (const h of this.addHandlers) this.call(() => h(obj));
  }

  private emitUpdate(oldObj: T, newObj: T): void {
    for (const h of this.updateHandlers) this.call(() => h(oldObj, newObj));
  }

  private emitDelete(obj: T): void {
    for (const h of this.deleteHandlers) this.call(() => h(obj));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, "informer event handler threw");
    }
  }
}

/** resourceVersions are etcd revisions in practice; compare numerically when both are numbers. */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
