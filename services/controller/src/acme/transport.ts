/**
 * The instrumented transport under acme-client: acme-client shares one axios instance per
 * process, so per-client settings and per-call bookkeeping travel in an AsyncLocalStorage context
 * that a wrapped axios adapter reads:
 *
 *   runCall(ctx, fn) ──▶ acme-client ──▶ axios ──▶ adapter: httpsAgent, timeout, User-Agent from ctx
 *                                                  records last response / transport error,
 *                                                  keeps Replay-Nonces, observes metrics
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Agent } from "node:https";
import { createRequire } from "node:module";
import * as acme from "acme-client";
import { urlLabels, type AcmeActionName, type AcmeClientMetrics } from "./metrics.ts";

export interface HttpResponse {
  status: number;
  data: unknown;
  headers: Record<string, unknown>;
}

export interface CallContext {
  action: AcmeActionName;
  agent: Agent | undefined;
  timeoutMs: number;
  userAgent: string | undefined;
  metrics: AcmeClientMetrics | undefined;
  /** Replay-Nonces of this client's answers, for its next requests. */
  nonces: string[];
  last?: { response?: HttpResponse; error?: unknown; url?: string };
}

type AxiosConfig = {
  url?: string;
  method?: string;
  httpsAgent?: unknown;
  timeout?: number;
  headers?: { set?(k: string, v: string): void };
};
type Adapter = (config: AxiosConfig) => Promise<HttpResponse>;

const als = new AsyncLocalStorage<CallContext>();
let instrumented = false;

/**
 * Wraps acme-client's axios transport once per process. Outside a call() context requests pass
 * through untouched. acme-client's own retries on 5xx/429/no answer are shortened (3 attempts,
 * 1 s × attempt) so a reconcile does not sit for over a minute on a dead server.
 */
export function instrument(): void {
  if (instrumented) return;
  instrumented = true;
  const acmeEntry = createRequire(import.meta.url).resolve("acme-client");
  const axiosModule = createRequire(acmeEntry)("axios") as { getAdapter(name: string): Adapter };
  const http = axiosModule.getAdapter("http");
  const instance = acme.axios as unknown as {
    defaults: { adapter: unknown; acmeSettings: Record<string, number> };
  };
  instance.defaults.acmeSettings.retryMaxAttempts = 3;
  instance.defaults.acmeSettings.retryDefaultDelay = 1;
  instance.defaults.adapter = async (config: AxiosConfig): Promise<HttpResponse> => {
    const ctx = als.getStore();
    if (!ctx) return http(config);
    if (ctx.agent) config.httpsAgent = ctx.agent;
    config.timeout = ctx.timeoutMs;
    if (ctx.userAgent) config.headers?.set?.("User-Agent", ctx.userAgent);
    const start = performance.now();
    let status = 999;
    try {
      const res = await http(config);
      status = res.status;
      ctx.last = { response: res, url: config.url };
      keepNonce(ctx, config, res);
      return res;
    } catch (err) {
      // acme-client makes axios reject every response (it validates statuses itself).
      const res = (err as { response?: HttpResponse }).response;
      if (res) {
        status = res.status;
        ctx.last = { response: res, url: config.url };
        keepNonce(ctx, config, res);
      } else {
        ctx.last = { error: err, url: config.url };
      }
      throw err;
    } finally {
      ctx.metrics?.observe({
        ...urlLabels(config.url),
        action: ctx.action,
        method: (config.method ?? "get").toUpperCase(),
        status: String(status),
        seconds: (performance.now() - start) / 1000,
      });
    }
  };
}

const MAX_NONCES = 8;

/** Keeps the nonce of a successful answer; a HEAD newNonce answer's is already taken by acme-client. */
function keepNonce(ctx: CallContext, config: AxiosConfig, res: HttpResponse): void {
  const nonce = res.headers["replay-nonce"];
  if (typeof nonce !== "string" || res.status >= 400 || (config.method ?? "").toLowerCase() === "head")
    return;
  ctx.nonces.push(nonce);
  if (ctx.nonces.length > MAX_NONCES) ctx.nonces.shift();
}

/** Runs `fn` (acme-client calls) with `ctx` as the transport context. */
export function runCall<T>(ctx: CallContext, fn: () => Promise<T>): Promise<T> {
  return als.run(ctx, fn);
}

/** Headers of the last answer in the current call. */
export function lastHeaders(): Record<string, unknown> | undefined {
  return als.getStore()?.last?.response?.headers;
}
