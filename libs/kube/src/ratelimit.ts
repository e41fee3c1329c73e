import { sleep, type Clock } from "./clock.ts";

/**
 * Client-side request throttling (client-go's flowcontrol token bucket): `burst` requests at once,
 * refilled at `qps` per second. Callers reserve a token and wait for it in arrival order.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Total milliseconds callers have been told to wait; the benchmark reports it. */
  waitedMs = 0;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`TokenBucket needs qps > 0 and burst >= 1`);
    this.tokens = burst;
    this.last = clock.now().getTime();
  }

  /** Milliseconds the caller must wait before its request may go; the token is reserved now. */
  reserve(): number {
    const now = this.clock.now().getTime();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    const wait = Math.ceil((-this.tokens * 1000) / this.qps);
    this.waitedMs += wait;
    return wait;
  }

  async take(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await sleep(this.clock, wait, signal);
  }
}

export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** Upper bound of the delay. */
  maxMs: number;
}

/** cert-manager's defaults: 5s→5min for most controllers, 1s→30s for the certificate controllers. */
export const DEFAULT_ITEM_BACKOFF: BackoffOptions = { baseMs: 5_000, maxMs: 5 * 60_000 };
export const CERTIFICATE_ITEM_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 };

/** client-go's ItemExponentialFailureRateLimiter: base·2^failures per key, capped at max. */
export class ItemExponentialBackoff {
  private failures = new Map<string, number>();

  constructor(private readonly opts: BackoffOptions = DEFAULT_ITEM_BACKOFF) {}

  /** Records a failure of `key` and returns how long to wait before retrying it. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for huge n; min() keeps it at max.
    return Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** n);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** Exponential backoff with jitter for reconnect loops (watch, leader election). */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp * (0.5 + random() * 0.5));
}
