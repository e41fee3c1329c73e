/**
 * Publishes lifecycle events to JetStream without ever making a reconcile wait for, or fail
 * because of, NATS. publish() validates and enqueues synchronously; a pump sends the queue in
 * order, in batches, whenever the connection is up:
 *
 *   publish ─▶ [ bounded queue, drop-oldest ] ─pump─▶ js.publish(msgID) ─ack─▶ done
 *                      ▲                                 │ retryable failure
 *                      └──── back to the front ◀─────────┘ retry on backoff timer or reconnect
 *
 * Every message carries `Nats-Msg-Id = eventMessageId(resource, event)`, so a retry (ours after an
 * ambiguous timeout, or the reconcile's own) is stored once within the stream's duplicate window.
 * Failures that cannot succeed on retry (e.g. the server rejects the message) are dropped and counted.
 */
import {
  eventMessageId,
  eventSubject,
  makeEnvelope,
  schemaName,
  type EventName,
  type ResourceRef,
  type SubjectKind,
} from "@certkeeper/contracts";
import { JetStreamApiError } from "@nats-io/jetstream";
import { InvalidArgumentError, InvalidSubjectError, PermissionViolationError } from "@nats-io/transport-node";
import type { Bus } from "./connection.ts";
import { BusUnavailableError } from "./errors.ts";

export interface EventPublisherOptions {
  /** Most events held (queued + in flight) while NATS is unreachable; the oldest go first. Default 10,000. */
  capacity?: number;
  /** Publishes in flight at once. Default 128. */
  batchSize?: number;
  /** Per-publish ack timeout. Default 5000 ms. */
  publishTimeoutMs?: number;
  /** Envelope timestamps; injectable for tests. */
  now?: () => Date;
}

interface Pending {
  subject: string;
  payload: string;
  msgID: string;
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5000;

export class EventPublisher {
  readonly #bus: Bus;
  readonly #capacity: number;
  readonly #batchSize: number;
  readonly #timeoutMs: number;
  readonly #now: () => Date;
  readonly #unsubscribe: () => void;
  #queue: Pending[] = [];
  #inFlight = 0;
  #dropped = 0;
  #pumping = false;
  #closed = false;
  #retryMs = RETRY_MIN_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #idle: Array<() => void> = [];

  constructor(bus: Bus, opts: EventPublisherOptions = {}) {
    this.#bus = bus;
    this.#capacity = opts.capacity ?? 10_000;
    this.#batchSize = opts.batchSize ?? 128;
    this.#timeoutMs = opts.publishTimeoutMs ?? 5000;
    this.#now = opts.now ?? (() => new Date());
    this.#unsubscribe = bus.onEvent((e) => {
      if (e === "reconnected") {
        this.#retryMs = RETRY_MIN_MS;
        clearTimeout(this.#retryTimer);
        this.#retryTimer = undefined;
        this.#kick();
      }
    });
  }

  /** Events not yet acknowledged by JetStream (queued + in flight). */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Events given up: pushed out of a full buffer, or rejected by the server for good. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Queues one event. Never waits for NATS and never fails because NATS is down. Throws only on
   * a contract violation (SubjectError: unknown event for the kind, bad UID; EnvelopeError: key
   * material in `data`), which is a bug to surface, not a condition to retry.
   */
  publish<K extends SubjectKind>(
    kind: K,
    event: EventName<K>,
    resource: ResourceRef,
    data: Record<string, unknown> = {},
  ): void {
    const subject = eventSubject(kind, resource.uid, event);
    const envelope = makeEnvelope(schemaName(kind, event), resource, data, this.#now());
    const payload = JSON.stringify(envelope);
    if (this.#closed) {
      this.#drop(1, "publisher is closed");
      return;
    }
    this.#queue.push({ subject, payload, msgID: eventMessageId(resource, event) });
    // `pending` (queued + in flight) never exceeds capacity; in-flight events cannot be recalled,
    // so the oldest queued ones make room.
    const excess = Math.min(this.pending - this.#capacity, this.#queue.length);
    if (excess > 0) this.#drop(this.#queue.splice(0, excess).length, "buffer full");
    this.#kick();
  }

  /** Resolves when everything queued so far is stored; BusUnavailableError after `timeoutMs`. */
  async flush(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.pending === 0) return;
    this.#kick();
    const timeoutMs = opts.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    let resolveIdle: (() => void) | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => {
          resolveIdle = resolve;
          this.#idle.push(resolve);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new BusUnavailableError(`${this.pending} event(s) still unpublished after ${timeoutMs} ms`),
              ),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.#idle = this.#idle.filter((r) => r !== resolveIdle);
    }
  }

  /** Stops retrying. Call flush() first to give queued events a chance. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #kick(): void {
    if (this.#pumping || this.#closed || this.#retryTimer) return;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closed && this.#bus.isConnected()) {
        const batch = this.#queue.splice(0, this.#batchSize);
        this.#inFlight = batch.length;
        const results = await Promise.allSettled(
          batch.map((p) =>
            this.#bus.js.publish(p.subject, p.payload, { msgID: p.msgID, timeout: this.#timeoutMs }),
          ),
        );
        this.#inFlight = 0;
        const retry: Pending[] = [];
        let firstError: unknown;
        results.forEach((r, i) => {
          if (r.status === "fulfilled") return;
          if (isPermanent(r.reason)) {
            this.#drop(1, "rejected by the server", r.reason);
          } else {
            retry.push(batch[i] as Pending);
            firstError ??= r.reason;
          }
        });
        if (retry.length > 0) {
          this.#queue.unshift(...retry);
          if (this.#queue.length > this.#capacity) {
            this.#drop(this.#queue.splice(0, this.#queue.length - this.#capacity).length, "buffer full");
          }
          this.#scheduleRetry(firstError);
          return;
        }
        this.#retryMs = RETRY_MIN_MS;
      }
    } finally {
      this.#pumping = false;
      if (this.pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Reconnects also kick the pump; the timer covers failures while connected (JetStream not ready). */
  #scheduleRetry(err: unknown): void {
    this.#bus.log.warn(
      { err: (err as Error | undefined)?.message, pending: this.pending, retry_in_ms: this.#retryMs },
      "event publish failed; will retry",
    );
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#kick();
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  #drop(count: number, reason: string, err?: unknown): void {
    if (count === 0) return;
    // Log the first drop of a run and then every 1000th, so an outage does not flood the log.
    if (
      this.#dropped === 0 ||
      Math.floor((this.#dropped + count) / 1000) > Math.floor(this.#dropped / 1000)
    ) {
      this.#bus.log.error(
        { reason, err: (err as Error | undefined)?.message, dropped_total: this.#dropped + count },
        "dropping lifecycle event(s)",
      );
    }
    this.#dropped += count;
  }
}

/**
 * The server answered and said no (4xx: bad request, too large, not allowed) or the client
 * refused the message; retrying cannot help. 5xx and transport errors are retried.
 */
function isPermanent(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.status >= 400 && err.status < 500;
  // A publish the server refuses for permissions arrives as a RequestError whose cause (or
  // message) is the permissions violation: retrying it forever would only fill the buffer.
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof PermissionViolationError) return true;
  if (err instanceof Error && /permissions violation/i.test(err.message)) return true;
  return (
    err instanceof InvalidArgumentError ||
    err instanceof InvalidSubjectError ||
    err instanceof PermissionViolationError
  );
}
