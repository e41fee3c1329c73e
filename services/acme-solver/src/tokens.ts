/**
 * HTTP-01 tokens in the JetStream KV bucket `cm_http01_tokens` (token → { domain, key }), shared by
 * every replica, with a local cache so an HTTP request does not cost a NATS round trip.
 *
 *   put/delete ──▶ KV ──watch──▶ cache (newest revision wins; deletes kept as tombstones)
 *   lookup: cache hit ─▶ record | tombstone ─▶ undefined
 *           miss ─▶ KV get (covers the few ms between a put on another replica and its watch echo)
 *
 * The watch is restarted whenever the bus reconnects (a restarted server has lost our ephemeral
 * consumer) and whenever it ends on its own. Its first deliveries are the bucket's current values,
 * including delete markers, so merging by revision brings a cache that missed changes up to date.
 * NATS 2.9 expires KV entries by the bucket's max_age without telling watchers: the cache expires
 * each entry itself, `ttlMs` after the time the server stored it.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { KV, KvEntry } from "@nats-io/kv";
import type { Bus } from "@certkeeper/bus";
import type { Logger } from "@certkeeper/logging";
import { TokenStoreUnavailableError } from "./errors.ts";
import { isValidToken, tokenPrefix } from "./host.ts";

export const TokenRecordSchema = Type.Object({
  /** Normalised (see host.ts normalizeDomain). */
  domain: Type.String({ minLength: 1 }),
  /** The key authorization, served as the exact response body. */
  key: Type.String({ minLength: 1 }),
});
export type TokenRecord = Static<typeof TokenRecordSchema>;

/** What the HTTP side needs. */
export interface TokenLookup {
  lookup(token: string): Promise<TokenRecord | undefined>;
}

export interface TokenStoreDeps {
  kv: KV;
  bus: Pick<Bus, "isConnected" | "onEvent">;
  log: Logger;
  /** The bucket's max_age. */
  ttlMs: number;
  now?: () => number;
  /** Longest a cache miss waits for KV before answering "unknown"; default 2000 ms. */
  missTimeoutMs?: number;
}

interface Cached {
  revision: number;
  /** When the server stored it (ms since epoch). */
  storedAt: number;
  /** undefined: deleted. */
  record: TokenRecord | undefined;
}

const SWEEP_INTERVAL_MS = 60_000;
const MAX_BACKOFF_MS = 5_000;

export class TokenStore implements TokenLookup {
  private readonly cache = new Map<string, Cached>();
  private readonly now: () => number;
  private readonly log: Logger;
  private watcher: { stop(): void } | undefined;
  private stopped = false;
  private restartRequested = false;
  private loop: Promise<void> | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Identity of the bucket's stream; a new one (recreated bucket, wiped server) restarts revisions. */
  private bucketCreated: string | undefined;

  constructor(private readonly deps: TokenStoreDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ component: "tokens" });
  }

  /** Starts the watch; resolves once it runs (lookups fall back to KV until then anyway). */
  async start(): Promise<void> {
    let resolveReady!: () => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    this.loop = this.watchLoop(resolveReady);
    this.unsubscribe = this.deps.bus.onEvent((event) => {
      if (event === "reconnected") this.restartWatch();
    });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    await Promise.race([ready, this.loop]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.sweeper) clearInterval(this.sweeper);
    this.watcher?.stop();
    await this.loop;
  }

  async put(token: string, record: TokenRecord): Promise<number> {
    try {
      return await this.deps.kv.put(token, JSON.stringify(record));
    } catch (err) {
      throw new TokenStoreUnavailableError(
        `cannot store token ${tokenPrefix(token)}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Deleting a token that is not there is fine. */
  async delete(token: string): Promise<void> {
    try {
      await this.deps.kv.delete(token);
    } catch (err) {
      throw new TokenStoreUnavailableError(
        `cannot delete token ${tokenPrefix(token)}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Reads KV directly. */
  async get(token: string): Promise<TokenRecord | undefined> {
    const e = await this.deps.kv.get(token);
    return e && e.operation === "PUT" && !this.expired(e.created.getTime()) ? this.parse(e) : undefined;
  }

  async lookup(token: string): Promise<TokenRecord | undefined> {
    if (!isValidToken(token)) return undefined;
    const hit = this.cache.get(token);
    if (hit) {
      if (!this.expired(hit.storedAt)) return hit.record;
      this.cache.delete(token);
      return undefined;
    }
    // Without NATS the cache is all we know; do not make the HTTP client wait for a timeout.
    if (!this.deps.bus.isConnected()) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.deps.missTimeoutMs ?? 2000);
    });
    try {
      return await Promise.race([this.get(token), timeout]);
    } catch (err) {
      this.log.warn({ token: tokenPrefix(token), err: (err as Error).message }, "token lookup in KV failed");
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Number of live (not deleted, not expired) tokens in the cache. */
  cachedCount(): number {
    return [...this.cache.values()].filter((c) => c.record && !this.expired(c.storedAt)).length;
  }

  private restartWatch(): void {
    this.restartRequested = true;
    this.watcher?.stop();
  }

  private async watchLoop(ready: () => void): Promise<void> {
    let backoff = 250;
    while (!this.stopped) {
      try {
        await this.checkBucket();
        const w = await this.deps.kv.watch({ key: ">" });
        this.watcher = w;
        if (this.stopped) w.stop();
        this.restartRequested = false;
        backoff = 250;
        ready();
        this.log.debug("watching the token bucket");
        for await (const e of w) this.apply(e);
      } catch (err) {
        if (!this.stopped)
          this.log.warn({ err: (err as Error).message, retry_in_ms: backoff }, "token watch failed");
      }
      this.watcher = undefined;
      if (this.stopped) break;
      if (!this.restartRequested) {
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async checkBucket(): Promise<void> {
    const created = (await this.deps.kv.status()).streamInfo.created;
    if (this.bucketCreated !== undefined && this.bucketCreated !== created) {
      this.log.warn("the token bucket was recreated; dropping the local cache");
      this.cache.clear();
    }
    this.bucketCreated = created;
  }

  private apply(e: KvEntry): void {
    const cur = this.cache.get(e.key);
    if (cur && cur.revision >= e.revision) return;
    const record = e.operation === "PUT" ? this.parse(e) : undefined;
    this.cache.set(e.key, { revision: e.revision, storedAt: e.created.getTime(), record });
  }

  private parse(e: KvEntry): TokenRecord | undefined {
    let value: unknown;
    try {
      value = e.json();
    } catch {
      value = undefined;
    }
    if (Value.Check(TokenRecordSchema, value)) return { domain: value.domain, key: value.key };
    this.log.warn({ token: tokenPrefix(e.key), revision: e.revision }, "ignoring a malformed token entry");
    return undefined;
  }

  private expired(storedAt: number): boolean {
    return this.now() - storedAt >= this.deps.ttlMs;
  }

  private sweep(): void {
    for (const [k, c] of this.cache) if (this.expired(c.storedAt)) this.cache.delete(k);
  }
}
