/**
 * Reading lifecycle events: live (core NATS subscription, nothing stored) or replayed from the
 * CM_EVENTS stream through an ordered consumer (ephemeral, in memory, recreated by the client on
 * gaps or server restarts). Both yield validated envelopes; a malformed message is logged and skipped.
 */
import { EVENTS_STREAM, filters, parseEnvelope, type Envelope } from "@certkeeper/contracts";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  type Consumer,
  type JsMsg,
  type OrderedConsumerOptions,
} from "@nats-io/jetstream";
import type { Bus } from "./connection.ts";
import { BusSetupError, BusUnavailableError } from "./errors.ts";

export interface BusEventMessage {
  subject: string;
  envelope: Envelope;
}

export interface ReplayedEvent extends BusEventMessage {
  /** Stream sequence: a stable position to resume from. */
  seq: number;
  /** When the stream stored the event. */
  storedAt: Date;
}

export interface EventSubscription {
  /** Stops at once; messages not yet handled are discarded. */
  unsubscribe(): void;
  /** Stops taking messages, handles those already received, then resolves. */
  drain(): Promise<void>;
  /** Resolves when the handler loop has ended. */
  readonly closed: Promise<void>;
}

/**
 * Live events matching `filter` (build it with contracts' `filters`), handled one at a time in
 * arrival order. Handler errors are logged, never rethrown. With `queue`, replicas share the events.
 */
export function subscribeEvents(
  bus: Bus,
  filter: string,
  handler: (event: BusEventMessage) => void | Promise<void>,
  opts: { queue?: string } = {},
): EventSubscription {
  const sub = bus.nc.subscribe(filter, opts.queue ? { queue: opts.queue } : {});
  const closed = (async () => {
    for await (const m of sub) {
      const envelope = tryParse(bus, m.subject, m.data);
      if (!envelope) continue;
      try {
        await handler({ subject: m.subject, envelope });
      } catch (err) {
        bus.log.error({ err, subject: m.subject }, "event handler failed");
      }
    }
  })();
  return {
    unsubscribe: () => sub.unsubscribe(),
    async drain() {
      if (!sub.isClosed()) await sub.drain();
      await closed;
    },
    closed,
  };
}

export interface ReplayOptions {
  /** Subject filter; default every event. One filter only (NATS 2.9). */
  filter?: string;
  /** Start with events stored at or after this time; default the start of the stream. */
  since?: Date;
  /** Keep waiting for new events after the stored ones; default false (end at the last one). */
  follow?: boolean;
  /** Ends the iteration (also while waiting for new events). */
  signal?: AbortSignal;
}

/**
 * Stored events in stream order. Without `follow` the iteration ends at the last event that
 * matched when it started. Breaking out of the loop (or aborting) removes the consumer.
 * Fails with BusSetupError when CM_EVENTS does not exist, BusUnavailableError when unreachable.
 */
export async function* replayEvents(bus: Bus, opts: ReplayOptions = {}): AsyncGenerator<ReplayedEvent> {
  if (opts.signal?.aborted) return;
  const config: Partial<OrderedConsumerOptions> = {
    filter_subjects: opts.filter ?? filters.allEvents(),
    ...(opts.since ? { opt_start_time: opts.since.toISOString() } : {}),
  };
  const consumer = await orderedConsumer(bus, config);
  try {
    if (!opts.follow && (await consumer.info(true)).num_pending === 0) return;
    const messages = await consumer.consume({ max_messages: 256 });
    const stop = () => messages.stop();
    opts.signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const m of messages) {
        const event = toReplayed(bus, m);
        if (event) yield event;
        if (!opts.follow && m.info.pending === 0) break;
      }
    } finally {
      opts.signal?.removeEventListener("abort", stop);
      messages.stop();
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}

async function orderedConsumer(bus: Bus, config: Partial<OrderedConsumerOptions>): Promise<Consumer> {
  try {
    return await bus.js.consumers.get(EVENTS_STREAM.name, config);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      throw new BusSetupError(`stream ${EVENTS_STREAM.name} does not exist (no service has created it yet)`, {
        cause: err,
      });
    }
    throw new BusUnavailableError(`cannot read stream ${EVENTS_STREAM.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function toReplayed(bus: Bus, m: JsMsg): ReplayedEvent | undefined {
  const envelope = tryParse(bus, m.subject, m.data);
  if (!envelope) return undefined;
  return { subject: m.subject, envelope, seq: m.seq, storedAt: m.time };
}

function tryParse(bus: Bus, subject: string, data: Uint8Array): Envelope | undefined {
  try {
    return parseEnvelope(data);
  } catch (err) {
    bus.log.warn({ subject, err: (err as Error).message }, "skipping a malformed event");
    return undefined;
  }
}
