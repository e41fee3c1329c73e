/**
 * HTTP to the API server over node:http(s), with the kubeconfig's TLS material and credentials
 * (client-node's `applyToHTTPSOptions`). We do our own requests rather than client-node's generated
 * APIs because we need to set `Accept` (metadata-only list/watch), stream watch bodies, count
 * every request and share one keep-alive agent.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { createHash } from "node:crypto";
import { createSecureContext } from "node:tls";
import type { KubeConfig } from "@kubernetes/client-node";
import { errorFromResponse, TransportError, type KubeApiError, type RequestInfo } from "./errors.ts";
import { TokenBucket } from "./ratelimit.ts";
import { systemClock, type Clock } from "./clock.ts";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";
const WRITE_VERBS: ReadonlySet<Verb> = new Set(["create", "update", "patch", "delete"]);

export interface RequestCounts {
  total: number;
  /** create + update + patch + delete */
  writes: number;
  /** 409 answers that were conflicts (not AlreadyExists). */
  conflicts: number;
  byVerb: Record<string, number>;
  /** keyed "verb resource", e.g. "get secrets", "patch certificates/status" */
  byVerbResource: Record<string, number>;
  /** Time spent waiting in the client-side rate limiter. */
  throttledMs: number;
}

/** Counts every request the client sends (each retry is a request). */
export class RequestCounter {
  private counts: RequestCounts = RequestCounter.empty();
  throttledMs = 0;

  private static empty(): RequestCounts {
    return { total: 0, writes: 0, conflicts: 0, byVerb: {}, byVerbResource: {}, throttledMs: 0 };
  }

  record(verb: Verb, resource: string): void {
    const c = this.counts;
    c.total++;
    if (WRITE_VERBS.has(verb)) c.writes++;
    c.byVerb[verb] = (c.byVerb[verb] ?? 0) + 1;
    const k = `${verb} ${resource}`;
    c.byVerbResource[k] = (c.byVerbResource[k] ?? 0) + 1;
  }

  recordConflict(): void {
    this.counts.conflicts++;
  }

  snapshot(): RequestCounts {
    const c = this.counts;
    return {
      ...c,
      byVerb: { ...c.byVerb },
      byVerbResource: { ...c.byVerbResource },
      throttledMs: this.throttledMs,
    };
  }

  reset(): void {
    this.counts = RequestCounter.empty();
    this.throttledMs = 0;
  }
}

export interface TransportOptions {
  userAgent?: string;
  /** Client-side throttling; off unless set (cert-manager's historical values: qps 20, burst 50). */
  rateLimit?: { qps: number; burst: number };
  /** Per-request timeout for non-watch requests. Default 30 s. */
  timeoutMs?: number;
  clock?: Clock;
}

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Serialized as JSON unless already a string. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** For the counter: the verb and the resource ("secrets", "certificates/status"). */
  verb: Verb;
  resource: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

interface Connection {
  agent: http.Agent;
  headers: Record<string, string>;
  fingerprint: string;
  expires: number;
}

/** How long credentials/TLS material read from the kubeconfig are reused before re-reading. */
const AUTH_TTL_MS = 60_000;

export class Transport {
  readonly server: string;
  readonly counter = new RequestCounter();
  private readonly limiter: TokenBucket | undefined;
  private readonly clock: Clock;
  private conn: Promise<Connection> | undefined;
  private readonly userAgent: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly kc: KubeConfig,
    opts: TransportOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    this.server = cluster.server.replace(/\/+$/, "");
    this.clock = opts.clock ?? systemClock;
    this.limiter = opts.rateLimit
      ? new TokenBucket(opts.rateLimit.qps, opts.rateLimit.burst, this.clock)
      : undefined;
    this.userAgent = opts.userAgent ?? "certkeeper";
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** A request with a buffered body; non-2xx answers throw the catalogued KubeApiError. */
  async request(req: HttpRequest): Promise<{ status: number; body: string }> {
    const res = await this.send(req, false);
    const body = await readBody(res, req);
    if (res.statusCode! >= 200 && res.statusCode! < 300) return { status: res.statusCode!, body };
    throw this.apiError(res.statusCode!, body, req);
  }

  /** A request whose 200 body is handed back unread (watch); non-200 answers throw. */
  async stream(req: HttpRequest): Promise<IncomingMessage> {
    const res = await this.send(req, true);
    if (res.statusCode === 200) return res;
    throw this.apiError(res.statusCode!, await readBody(res, req), req);
  }

  /** Closes idle keep-alive sockets. */
  async close(): Promise<void> {
    const c = await this.conn?.catch(() => undefined);
    c?.agent.destroy();
    this.conn = undefined;
  }

  private apiError(status: number, body: string, req: HttpRequest): KubeApiError {
    const err = errorFromResponse(status, body, info(req));
    if (err.code === "CK_KUBE_CONFLICT") this.counter.recordConflict();
    return err;
  }

  private async send(req: HttpRequest, streaming: boolean, retried = false): Promise<IncomingMessage> {
    if (this.limiter) {
      const before = this.limiter.waitedMs;
      await this.limiter.take(req.signal);
      this.counter.throttledMs += this.limiter.waitedMs - before;
    }
    const conn = await this.connection();
    this.counter.record(req.verb, req.resource);
    const res = await this.once(req, conn, streaming);
    if (res.statusCode === 401 && !retried) {
      // Credentials may have rotated (token file, exec plugin): re-read them once.
      res.resume();
      this.conn = undefined;
      return this.send(req, streaming, true);
    }
    return res;
  }

  private once(req: HttpRequest, conn: Connection, streaming: boolean): Promise<IncomingMessage> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      ...conn.headers,
      Accept: req.accept ?? "application/json",
      "User-Agent": this.userAgent,
    };
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = typeof req.body === "string" ? req.body : JSON.stringify(req.body);
      headers["Content-Type"] = req.contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    const mod = url.protocol === "http:" ? http : https;
    return new Promise((resolve, reject) => {
      const r = mod.request(
        url,
        { method: req.method, headers, agent: conn.agent, signal: req.signal },
        resolve,
      );
      r.on("error", (cause) => reject(new TransportError(info(req), { cause })));
      if (!streaming) {
        r.setTimeout(req.timeoutMs ?? this.timeoutMs, () => r.destroy(new Error("request timed out")));
      } else {
        r.on("socket", (s) => s.setKeepAlive(true, 30_000));
      }
      r.end(payload);
    });
  }

  private connection(): Promise<Connection> {
    const cur = this.conn;
    if (cur) {
      return cur.then((c) => {
        if (c.expires > this.clock.now().getTime() || this.conn !== cur) return c;
        return this.refresh(c);
      });
    }
    return this.refresh(undefined);
  }

  private refresh(prev: Connection | undefined): Promise<Connection> {
    const next = this.build(prev);
    this.conn = next;
    next.catch(() => {
      if (this.conn === next) this.conn = undefined;
    });
    return next;
  }

  private async build(prev: Connection | undefined): Promise<Connection> {
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      if (typeof v === "string" || typeof v === "number") headers[k] = String(v);
    }
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      pfx: opts.pfx,
      passphrase: opts.passphrase,
      rejectUnauthorized: opts.rejectUnauthorized,
      servername: opts.servername,
    };
    const fingerprint = createHash("sha256")
      .update(JSON.stringify(tls, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString("base64") : v)))
      .digest("hex");
    let agent: http.Agent;
    if (prev && prev.fingerprint === fingerprint) {
      agent = prev.agent;
    } else {
      prev?.agent.destroy();
      const cluster = this.kc.getCurrentCluster();
      if (cluster?.proxyUrl) agent = opts.agent as http.Agent;
      else if (this.server.startsWith("http:")) agent = new http.Agent({ keepAlive: true });
      else {
        // One secure context for every connection (parsing the key and CA per TLS handshake cost
        // more CPU than the requests themselves under load) and a bounded socket pool: watches
        // hold a few sockets for good, everything else is multiplexed over the rest.
        const { ca, cert, key, pfx, passphrase, ...rest } = tls;
        const secureContext = createSecureContext(stripUndefined({ ca, cert, key, pfx, passphrase }));
        agent = new https.Agent({
          keepAlive: true,
          maxSockets: MAX_SOCKETS,
          scheduling: "lifo",
          secureContext,
          ...stripUndefined(rest),
        });
      }
    }
    return { agent, headers, fingerprint, expires: this.clock.now().getTime() + AUTH_TTL_MS };
  }
}

/** Connections per API server: enough for every informer's watch plus concurrent requests. */
const MAX_SOCKETS = 64;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function info(req: HttpRequest): RequestInfo {
  return { verb: req.method, path: req.path };
}

function readBody(res: IncomingMessage, req: HttpRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", (cause) => reject(new TransportError(info(req), { cause })));
  });
}

/**
 * Splits a streaming body into parsed JSON lines (the watch protocol: one event per line).
 * Ends when the body ends; throws TransportError if the connection breaks.
 */
export async function* jsonLines(res: IncomingMessage, req: RequestInfo): AsyncGenerator<unknown> {
  let buf = "";
  try {
    res.setEncoding("utf8");
    for await (const chunk of res as AsyncIterable<string>) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield JSON.parse(line);
      }
    }
  } catch (cause) {
    if (cause instanceof SyntaxError) throw cause;
    throw new TransportError(req, { cause });
  }
  if (buf.trim()) yield JSON.parse(buf);
}
