/**
 * The one outcome contract for every controller (controller-runtime's, minus the bare Requeue flag):
 *
 *   reconcile(key) returns                 → queue
 *   ─────────────────────────────────────────────────────────────────────────────
 *   void / { requeueAfter: 0 | undefined } → forget(key)                  (done)
 *   { requeueAfter: ms > 0 }               → forget(key); addAfter(key, ms)  (timed wake-up)
 *   throws TerminalError                   → forget(key); log error       (never retried)
 *   throws ConflictError                   → addRateLimited(key); debug   (stale read: quiet retry)
 *   throws anything else                   → addRateLimited(key); log error
 *
 * Causes are followed, so `new Error("writing status", { cause: conflictError })` is a conflict.
 * Every reconcile counts a sync call and every throw a sync error, per controller name
 * (certmanager_controller_sync_call_count / _sync_error_count).
 */
import { setMaxListeners } from "node:events";
import { silentLogger, type Logger } from "@certkeeper/logging";
import { ConflictError, findError } from "./errors.ts";
import { WorkQueue, type WorkQueueOptions } from "./workqueue.ts";

export type Result = { requeueAfter?: number } | void;

export interface ReconcileContext {
  controller: string;
  key: string;
  /** Child logger with `controller` and `key`. */
  log: Logger;
  /** How many times this key has failed in a row (0 on the first try). */
  attempt: number;
  /** Aborted when the controller stops. */
  signal: AbortSignal;
}

export type Reconcile = (key: string, ctx: ReconcileContext) => Promise<Result>;

function unlimitedAbortController(): AbortController {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  return ac;
}

/** A failure that retrying cannot fix (bad input that only a user change will alter). */
export class TerminalError extends Error {
  readonly code = "CK_RECONCILE_TERMINAL";
  override name = "TerminalError";
}

/** Sync call/error counts per controller name, read by the metrics endpoint. */
export class SyncCounters {
  private readonly counts = new Map<string, { calls: number; errors: number }>();

  private entry(controller: string): { calls: number; errors: number } {
    let e = this.counts.get(controller);
    if (!e) this.counts.set(controller, (e = { calls: 0, errors: 0 }));
    return e;
  }

  recordCall(controller: string): void {
    this.entry(controller).calls++;
  }

  recordError(controller: string): void {
    this.entry(controller).errors++;
  }

  get(controller: string): { calls: number; errors: number } {
    return { ...this.entry(controller) };
  }

  snapshot(): Array<{ controller: string; calls: number; errors: number }> {
    return [...this.counts].map(([controller, c]) => ({ controller, ...c }));
  }
}

export interface ControllerOptions {
  /** Controller name, used in logs and as the metrics label. */
  name: string;
  reconcile: Reconcile;
  /** Concurrent workers (default 5, as cert-manager). */
  workers?: number;
  /** The queue to use, or options to make one. */
  queue?: WorkQueue | WorkQueueOptions;
  counters?: SyncCounters;
  log?: Logger;
}

/** A Runnable: start() runs workers until stop(). */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly counters: SyncCounters;
  private readonly reconcile: Reconcile;
  private readonly workers: number;
  private readonly log: Logger;
  // Every in-flight request of every worker listens on this signal; that is expected, not a leak.
  private abort = unlimitedAbortController();
  private running: Promise<void> | undefined;

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.reconcile = opts.reconcile;
    this.workers = opts.workers ?? 5;
    this.queue = opts.queue instanceof WorkQueue ? opts.queue : new WorkQueue(opts.queue);
    this.counters = opts.counters ?? new SyncCounters();
    this.log = (opts.log ?? silentLogger()).child({ controller: opts.name });
  }

  /** Queues a key (what informer handlers call). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Runs the workers; resolves after stop() once in-flight reconciles finished. */
  start(): Promise<void> {
    this.running ??= this.queue.runWorkers(this.workers, (key) => this.reconcileKey(key));
    return this.running;
  }

  /** Stops taking new keys, aborts the reconcile signal, and waits for the workers. */
  async stop(): Promise<void> {
    const drained = this.queue.shutDown({ drain: false });
    this.abort.abort();
    await drained;
    await this.running;
  }

  /** One reconcile of `key` with the outcome contract applied (the workers call this). */
  async reconcileKey(key: string): Promise<void> {
    this.counters.recordCall(this.name);
    // The child logger is made on first use: most reconciles log nothing, and pino's child() per
    // reconcile was a measurable share of the controller's CPU under load.
    let child: Logger | undefined;
    const base = this.log;
    const ctx: ReconcileContext = {
      controller: this.name,
      key,
      get log() {
        return (child ??= base.child({ key }));
      },
      attempt: this.queue.numRequeues(key),
      signal: this.abort.signal,
    };
    let result: Result;
    try {
      result = await this.reconcile(key, ctx);
    } catch (err) {
      this.counters.recordError(this.name);
      if (findError(err, TerminalError)) {
        this.queue.forget(key);
        ctx.log.error({ err }, "reconcile failed with a terminal error; not retrying");
      } else if (findError(err, ConflictError)) {
        this.queue.addRateLimited(key);
        ctx.log.debug({ err }, "conflict writing the object; retrying");
      } else {
        this.queue.addRateLimited(key);
        ctx.log.error({ err, attempt: ctx.attempt + 1 }, "reconcile failed; retrying with backoff");
      }
      return;
    }
    this.queue.forget(key);
    const after = result?.requeueAfter;
    if (after !== undefined && after > 0) this.queue.addAfter(key, after);
  }
}
