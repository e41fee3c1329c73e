/**
 * A thin, typed-by-generic Kubernetes client: CRUD, patches and server-side apply for any resource
 * given as a `ResourceType`, on top of `Transport` (which counts and optionally throttles requests).
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Readable } from "node:stream";
import { Transport, type RequestCounter, type TransportOptions, type Verb } from "./transport.ts";
import { apiVersionOf, type KubeList, type KubeObject, type ResourceType } from "./types.ts";

export interface LoadKubeConfigOptions {
  /** A kubeconfig file; wins over everything else. */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Environment to read KUBECONFIG / KUBERNETES_SERVICE_HOST from (default: process.env). */
  env?: Record<string, string | undefined>;
}

/** kubeconfig file → $KUBECONFIG (merged, first file wins) → in-cluster → ~/.kube/config. */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  const env = opts.env ?? process.env;
  const kc = new KubeConfig();
  const files = opts.kubeconfig ? [opts.kubeconfig] : (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
  if (files.length > 0) {
    kc.loadFromFile(files[0]!);
    for (const f of files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(f);
      kc.mergeConfig(more, true);
    }
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else if (existsSync(join(homedir(), ".kube", "config"))) {
    kc.loadFromFile(join(homedir(), ".kube", "config"));
  } else {
    throw new Error("no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a cluster");
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new Error(`kubeconfig has no context "${opts.context}"`);
    kc.setCurrentContext(opts.context);
  }
  return kc;
}

export const ACCEPT_PARTIAL_METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
export const ACCEPT_PARTIAL_METADATA_LIST =
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/** /api/v1/namespaces/ns/secrets/name/status and friends. */
export function resourcePath(
  rt: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = rt.group === "" ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  if (rt.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${rt.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  /** Ask for PartialObjectMetadataList: only apiVersion/kind/metadata of each item. */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PatchType = "merge" | "json" | "strategic" | "apply";

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
  subresource?: string;
}

export interface ApplyOptions {
  fieldManager: string;
  /** Default true, as controllers own the fields they apply. */
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DeleteOptions {
  propagationPolicy?: "Foreground" | "Background" | "Orphan";
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  signal?: AbortSignal;
}

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

export type KubeClientOptions = TransportOptions;

export class KubeClient {
  readonly transport: Transport;

  constructor(kc: KubeConfig, opts: KubeClientOptions = {}) {
    this.transport = new Transport(kc, opts);
  }

  /** Every request this client has sent, by verb; `writes` separately. */
  get counter(): RequestCounter {
    return this.transport.counter;
  }

  get server(): string {
    return this.transport.server;
  }

  async get<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { metadataOnly?: boolean; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.json<T>("GET", "get", rt, resourcePath(rt, namespace, name), {
      accept: opts.metadataOnly ? ACCEPT_PARTIAL_METADATA : undefined,
      signal: opts.signal,
    });
  }

  /** One page (or the whole list when `limit` is unset). */
  async list<T extends KubeObject>(rt: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.json<KubeList<T>>("GET", "list", rt, resourcePath(rt, opts.namespace), {
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      },
      accept: opts.metadataOnly ? ACCEPT_PARTIAL_METADATA_LIST : undefined,
      signal: opts.signal,
    });
  }

  /** Follows `continue` tokens; the result carries the first page's (consistent) resourceVersion. */
  async listAll<T extends KubeObject>(
    rt: ResourceType,
    opts: Omit<ListOptions, "continue"> = {},
  ): Promise<KubeList<T>> {
    const first = await this.list<T>(rt, { ...opts, limit: opts.limit ?? 500 });
    const items = first.items ?? [];
    let cont = first.metadata?.continue;
    while (cont) {
      const page = await this.list<T>(rt, {
        ...opts,
        limit: opts.limit ?? 500,
        continue: cont,
        resourceVersion: undefined,
      });
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata?.resourceVersion }, items };
  }

  async create<T extends KubeObject>(rt: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.json<T>("POST", "create", rt, resourcePath(rt, namespaceOf(rt, obj)), {
      body: withTypeMeta(rt, obj),
      query: writeQuery(opts),
      signal: opts.signal,
    });
  }

  /** PUT; carries obj.metadata.resourceVersion, so a stale object fails with ConflictError. */
  async replace<T extends KubeObject>(rt: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.json<T>("PUT", "update", rt, resourcePath(rt, namespaceOf(rt, obj), nameOf(obj)), {
      body: withTypeMeta(rt, obj),
      query: writeQuery(opts),
      signal: opts.signal,
    });
  }

  async patch<T extends KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: PatchOptions,
  ): Promise<T> {
    if (opts.type === "apply" && !opts.fieldManager)
      throw new Error("server-side apply needs a fieldManager");
    return this.json<T>("PATCH", "patch", rt, resourcePath(rt, namespace, name, opts.subresource), {
      body: patch,
      contentType: PATCH_CONTENT_TYPE[opts.type],
      query: { ...writeQuery(opts), force: opts.type === "apply" && opts.force ? true : undefined },
      signal: opts.signal,
      subresource: opts.subresource,
    });
  }

  /** Server-side apply of a (partial) object; apiVersion/kind are filled from `rt` when missing. */
  async apply<T extends KubeObject>(rt: ResourceType, obj: T, opts: ApplyOptions): Promise<T> {
    const body = withTypeMeta(rt, obj);
    return this.patch<T>(rt, namespaceOf(rt, obj), nameOf(obj), body, {
      ...opts,
      type: "apply",
      force: opts.force ?? true,
    });
  }

  async delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<void> {
    const { signal, ...deleteOptions } = opts;
    const body = Object.keys(deleteOptions).length
      ? { apiVersion: "v1", kind: "DeleteOptions", ...deleteOptions }
      : undefined;
    await this.json("DELETE", "delete", rt, resourcePath(rt, namespace, name), { body, signal });
  }

  /** PUT to the status subresource (optimistic concurrency via resourceVersion). */
  async updateStatus<T extends KubeObject>(rt: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.json<T>("PUT", "update", rt, resourcePath(rt, namespaceOf(rt, obj), nameOf(obj), "status"), {
      body: withTypeMeta(rt, obj),
      query: writeQuery(opts),
      signal: opts.signal,
      subresource: "status",
    });
  }

  /** Server-side apply to the status subresource. */
  async applyStatus<T extends KubeObject>(rt: ResourceType, obj: T, opts: ApplyOptions): Promise<T> {
    return this.patch<T>(rt, namespaceOf(rt, obj), nameOf(obj), withTypeMeta(rt, obj), {
      ...opts,
      type: "apply",
      force: opts.force ?? true,
      subresource: "status",
    });
  }

  /** Opens a watch; the caller reads JSON lines from the returned body (see Informer). */
  async watch(rt: ResourceType, opts: WatchOptions): Promise<Readable> {
    return this.transport.stream({
      method: "GET",
      path: resourcePath(rt, opts.namespace),
      query: {
        watch: true,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks,
        timeoutSeconds: opts.timeoutSeconds,
      },
      accept: opts.metadataOnly ? ACCEPT_PARTIAL_METADATA : undefined,
      verb: "watch",
      resource: rt.plural,
      signal: opts.signal,
    });
  }

  /** Closes idle keep-alive connections. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private async json<R>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    verb: Verb,
    rt: ResourceType,
    path: string,
    o: {
      body?: unknown;
      query?: Record<string, string | number | boolean | undefined>;
      accept?: string | undefined;
      contentType?: string;
      signal?: AbortSignal | undefined;
      subresource?: string | undefined;
    },
  ): Promise<R> {
    const res = await this.transport.request({
      method,
      path,
      verb,
      resource: o.subresource ? `${rt.plural}/${o.subresource}` : rt.plural,
      query: o.query,
      body: o.body,
      contentType: o.contentType,
      accept: o.accept,
      signal: o.signal,
    });
    return (res.body ? JSON.parse(res.body) : undefined) as R;
  }
}

function writeQuery(opts: WriteOptions): Record<string, string | undefined> {
  return { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? "All" : undefined };
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error("object has no metadata.name");
  return name;
}

function namespaceOf(rt: ResourceType, obj: KubeObject): string | undefined {
  if (!rt.namespaced) return undefined;
  const ns = obj.metadata?.namespace;
  if (!ns) throw new Error(`${rt.kind ?? rt.plural} ${obj.metadata?.name ?? ""} has no metadata.namespace`);
  return ns;
}

function withTypeMeta<T extends KubeObject>(rt: ResourceType, obj: T): T {
  if (obj.apiVersion && obj.kind) return obj;
  const kind = obj.kind ?? rt.kind;
  if (!kind) throw new Error(`cannot infer kind for ${rt.plural}; set obj.kind`);
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(rt), kind };
}
