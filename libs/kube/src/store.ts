/**
 * The informer's indexed cache (client-go's ThreadSafeStore without the threads): objects by
 * "namespace/name" key, a built-in namespace index, and named secondary indexes.
 */
import { objectKey, type KubeObject } from "./types.ts";

/** Returns the index values of an object (none, one or several). */
export type IndexFunc<T> = (obj: T) => string[];

/** Indexes objects by the UIDs of their owners (e.g. Secrets / CertificateRequests → Certificate). */
export const indexByOwnerUID: IndexFunc<KubeObject> = (o) =>
  (o.metadata?.ownerReferences ?? []).map((r) => r.uid);

/** Indexes objects by the value of one annotation, e.g. `cert-manager.io/inject-ca-from`. */
export function indexByAnnotation(annotation: string): IndexFunc<KubeObject> {
  return (o) => {
    const v = o.metadata?.annotations?.[annotation];
    return v === undefined ? [] : [v];
  };
}

/** Indexes objects by the value of one label. */
export function indexByLabel(label: string): IndexFunc<KubeObject> {
  return (o) => {
    const v = o.metadata?.labels?.[label];
    return v === undefined ? [] : [v];
  };
}

const NAMESPACE_INDEX = "\u0000namespace";

export class Store<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.indexers.set(NAMESPACE_INDEX, (o) => [o.metadata?.namespace ?? ""]);
    for (const [name, fn] of Object.entries(indexers)) this.addIndexer(name, fn);
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`indexer "${name}" already exists`);
    this.indexers.set(name, fn);
    for (const [key, obj] of this.items) this.indexOne(name, fn, key, obj);
  }

  get size(): number {
    return this.items.size;
  }

  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    if (namespace === undefined) return [...this.items.values()];
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    if (!this.indexers.has(indexName)) throw new Error(`no indexer "${indexName}"`);
    const keys = this.indices.get(indexName)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.indexOne(name, fn, key, obj);
    return old;
  }

  /** Removes by key; returns the removed object. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private indexOne(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    let idx = this.indices.get(name);
    if (!idx) this.indices.set(name, (idx = new Map()));
    for (const v of fn(obj)) {
      let set = idx.get(v);
      if (!set) idx.set(v, (set = new Set()));
      set.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name);
      if (!idx) continue;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set?.size === 0) idx.delete(v);
      }
    }
  }
}
