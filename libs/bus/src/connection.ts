/**
 * One NATS connection per service process, wrapped as a `Bus`.
 *
 *   connect ──ok──▶ connected ◀──reconnect── reconnecting ◀──disconnect── connected
 *      │ fails (not auth): log, back off, try again until `signal` aborts
 *      └ auth refused: BusAuthError (configuration problem, not retried)
 *
 * After the first connection the client never gives up reconnecting (maxReconnectAttempts -1):
 * services outlive NATS restarts. Status changes are logged and fanned out to listeners, so the
 * event publisher can flush its buffer the moment the connection comes back.
 */
import {
  connect,
  AuthorizationError,
  type NatsConnection,
  type NodeConnectionOptions,
  type Status,
} from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "@certkeeper/logging";
import { BusAuthError, BusUnavailableError } from "./errors.ts";

export interface BusTlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface ConnectBusOptions {
  servers: string | string[];
  /** Client name shown by the server's monitoring (`connz`), e.g. "certkeeper-controller". */
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  /** Set (even `{}`) to require TLS. */
  tls?: BusTlsOptions;
  logger: Logger;
  /** Wait between reconnect attempts; default 1000 ms. */
  reconnectTimeWaitMs?: number;
  /** Timeout of JetStream API calls and publishes; default 5000 ms. */
  jetStreamTimeoutMs?: number;
  /** Stops the initial connect loop. */
  signal?: AbortSignal;
  /**
   * Initial connect attempts before giving up with BusUnavailableError (default: keep trying,
   * as a service waiting for its NATS should). A command-line tool wants 1.
   */
  maxAttempts?: number;
  /** Per-attempt connect timeout; default the client's (20 s). */
  connectTimeoutMs?: number;
}

export type BusEvent = "disconnected" | "reconnected" | "closed";

export interface Bus {
  readonly name: string;
  /** The raw connection, for what this library does not wrap. */
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly log: Logger;
  /** Resolves once; cached. */
  jsm(): Promise<JetStreamManager>;
  isConnected(): boolean;
  /** Subscribes to connection changes; returns the unsubscribe function. */
  onEvent(listener: (event: BusEvent) => void): () => void;
  /** Lets subscriptions finish what they hold, flushes, then closes. */
  drain(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the connection is closed for good. */
  readonly closed: Promise<void>;
}

const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

export async function connectBus(opts: ConnectBusOptions): Promise<Bus> {
  const log = opts.logger.child({ component: "bus", nats_client: opts.name });
  const natsOpts: NodeConnectionOptions = {
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 1000,
    // Short pings notice a dead server behind a silent network within ~1 minute.
    pingInterval: 20_000,
    ...(opts.connectTimeoutMs !== undefined ? { timeout: opts.connectTimeoutMs } : {}),
    // No Error (with its stack) made up front for every request and JetStream publish in case it
    // fails: at a few lifecycle events per issuance that was the client's largest CPU cost.
    noAsyncTraces: true,
    ...(opts.user !== undefined ? { user: opts.user, pass: opts.pass } : {}),
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    ...(opts.tls ? { tls: { ...opts.tls } } : {}),
  };

  let backoff = INITIAL_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) {
      throw new BusUnavailableError(`connecting to NATS (${String(opts.servers)}) was aborted`, {
        cause: opts.signal.reason,
      });
    }
    try {
      const nc = await connect(natsOpts);
      log.info({ server: nc.getServer(), attempt }, "connected to NATS");
      return wrap(nc, opts, log);
    } catch (err) {
      if (err instanceof AuthorizationError) {
        throw new BusAuthError(`NATS refused the credentials of ${opts.name}: ${err.message}`, {
          cause: err,
        });
      }
      if (opts.maxAttempts !== undefined && attempt >= opts.maxAttempts) {
        throw new BusUnavailableError(
          `cannot connect to NATS (${String(opts.servers)}): ${(err as Error).message}`,
          { cause: err },
        );
      }
      log.warn({ err: (err as Error).message, attempt, retry_in_ms: backoff }, "cannot connect to NATS yet");
      await sleep(backoff, opts.signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }
}

function wrap(nc: NatsConnection, opts: ConnectBusOptions, log: Logger): Bus {
  const js = jetstream(nc, { timeout: opts.jetStreamTimeoutMs ?? 5000 });
  const listeners = new Set<(event: BusEvent) => void>();
  let connected = true;
  let jsmPromise: Promise<JetStreamManager> | undefined;

  const emit = (event: BusEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        log.error({ err }, "bus event listener failed");
      }
    }
  };

  void (async () => {
    for await (const s of nc.status()) {
      logStatus(log, s);
      if (s.type === "disconnect") {
        connected = false;
        emit("disconnected");
      } else if (s.type === "reconnect") {
        connected = true;
        emit("reconnected");
      }
    }
  })();

  const closed = nc.closed().then((err) => {
    connected = false;
    if (err) log.error({ err: err.message }, "NATS connection closed with an error");
    else log.info("NATS connection closed");
    emit("closed");
  });

  return {
    name: opts.name,
    nc,
    js,
    log,
    jsm() {
      jsmPromise ??= jetstreamManager(nc, { timeout: opts.jetStreamTimeoutMs ?? 5000 }).catch(
        (err: unknown) => {
          jsmPromise = undefined;
          throw new BusUnavailableError("JetStream is not available", { cause: err });
        },
      );
      return jsmPromise;
    },
    isConnected: () => connected && !nc.isClosed(),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async drain() {
      if (nc.isClosed()) return;
      await nc.drain();
      await closed;
    },
    async close() {
      if (!nc.isClosed()) await nc.close();
      await closed;
    },
    closed,
  };
}

function logStatus(log: Logger, s: Status): void {
  switch (s.type) {
    case "disconnect":
      log.warn({ server: s.server }, "disconnected from NATS");
      break;
    case "reconnect":
      log.info({ server: s.server }, "reconnected to NATS");
      break;
    case "reconnecting":
      log.debug("reconnecting to NATS");
      break;
    case "error":
      log.warn({ err: s.error.message }, "NATS reported an error");
      break;
    case "slowConsumer":
      log.warn({ subject: s.sub.getSubject(), pending: s.pending }, "slow NATS consumer");
      break;
    case "staleConnection":
      log.warn("NATS connection is stale");
      break;
    case "ldm":
      log.info({ server: s.server }, "NATS server entered lame duck mode");
      break;
    default:
      log.debug({ status: s.type }, "NATS status");
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
