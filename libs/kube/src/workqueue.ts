/**
 * A rate-limited work queue of string keys with client-go / controller-runtime semantics.
 *
 *            add(k)                      get()                     done(k)
 *   (absent) ─────► queued+dirty ───────────────► processing ──────────────► (absent)
 *                      ▲   add(k): no-op                │ add(k): mark dirty     │ dirty?
 *                      └────────────────────────────────┴────────────────────────┘ re-queue
 *
 * - A key is queued at most once (dedup), and never handed to two workers at once: adding a key
 *   that is being processed marks it dirty, and done() queues it again.
 * - addAfter(k, ms) parks k until the time is up; if k is already parked the earlier time wins.
 * - addRateLimited(k) parks k for base·2^failures (capped); forget(k) resets the failure count.
 * - shutDown() stops accepting keys, drops parked ones, lets workers finish what is queued and in
 *   flight, and resolves when they have (pass { drain: false } to drop queued keys too).
 */
import { systemClock, type Clock, type TimerHandle } from "./clock.ts";
import { DEFAULT_ITEM_BACKOFF, ItemExponentialBackoff, type BackoffOptions } from "./ratelimit.ts";

export interface WorkQueueOptions {
  clock?: Clock;
  /** Per-key failure backoff (default 5 s → 5 min; certificate controllers use 1 s → 30 s). */
  backoff?: BackoffOptions;
}

interface Parked {
  key: string;
  at: number;
  seq: number;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: ItemExponentialBackoff;
  private queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shutting = false;
  private drained: Array<() => void> = [];
  // Delayed keys: the time each key is parked until, and a min-heap over (at, seq) whose
  // entries go stale when a key's time moves earlier (checked against `parkedAt` on pop).
  private readonly parkedAt = new Map<string, number>();
  private heap: Parked[] = [];
  private seq = 0;
  private timer: { handle: TimerHandle; at: number } | undefined;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.limiter = new ItemExponentialBackoff(opts.backoff ?? DEFAULT_ITEM_BACKOFF);
  }

  /** Keys waiting to be handed to a worker. */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys a worker holds right now. */
  processingCount(): number {
    return this.processing.size;
  }

  /** Keys parked by addAfter / addRateLimited. */
  waitingCount(): number {
    return this.parkedAt.size;
  }

  get shuttingDown(): boolean {
    return this.shutting;
  }

  add(key: string): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /** Adds `key` after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shutting) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now().getTime() + ms;
    const cur = this.parkedAt.get(key);
    if (cur !== undefined && cur <= at) return;
    this.parkedAt.set(key, at);
    this.push({ key, at, seq: this.seq++ });
    this.arm();
  }

  /** Adds `key` after its per-key exponential backoff, counting a failure. */
  addRateLimited(key: string): void {
    if (this.shutting) return;
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the failure count of `key` (call after a successful reconcile). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** The next key to process, or undefined once shut down and drained. Call done(key) after. */
  get(): Promise<string | undefined> {
    if (this.len() > 0) return Promise.resolve(this.take());
    if (this.shutting) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
    this.checkDrained();
  }

  shutDown(opts: { drain?: boolean } = {}): Promise<void> {
    this.shutting = true;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    this.parkedAt.clear();
    this.heap = [];
    if (opts.drain === false) {
      for (const k of this.queue.slice(this.head)) this.dirty.delete(k);
      this.queue = [];
      this.head = 0;
    }
    for (const w of this.waiters.splice(0)) w(undefined);
    const p = new Promise<void>((resolve) => this.drained.push(resolve));
    this.checkDrained();
    return p;
  }

  /**
   * Runs `n` workers until shutDown; each takes a key, awaits `process(key)` and marks it done.
   * A throwing `process` gets the key rate-limited (the reconciler contract normally handles
   * outcomes itself, see reconciler.ts).
   */
  async runWorkers(n: number, process: (key: string) => Promise<void>): Promise<void> {
    const worker = async () => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          await process(key);
        } catch {
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
  }

  // ---- internals -----------------------------------------------------------------------------

  private enqueue(key: string): void {
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(key);
      this.processing.add(key);
      w(key);
      return;
    }
    this.queue.push(key);
  }

  private take(): string {
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private checkDrained(): void {
    if (this.shutting && this.len() === 0 && this.processing.size === 0) {
      for (const r of this.drained.splice(0)) r();
    }
  }

  /** Keeps one clock timer armed for the earliest parked key. */
  private arm(): void {
    const top = this.heap[0];
    if (!top) return;
    if (this.timer && this.timer.at <= top.at) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    const delay = top.at - this.clock.now().getTime();
    this.timer = { at: top.at, handle: this.clock.setTimeout(() => this.fire(), delay) };
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now().getTime();
    while (this.heap.length && this.heap[0]!.at <= now) {
      const p = this.pop()!;
      if (this.parkedAt.get(p.key) !== p.at) continue; // stale entry
      this.parkedAt.delete(p.key);
      this.add(p.key);
    }
    this.arm();
  }

  private push(p: Parked): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Parked | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Parked, b: Parked): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
