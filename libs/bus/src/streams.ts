/**
 * The JetStream objects of the contract, created or brought up to date idempotently at start-up.
 * Any replica of any service may call these at the same time: a lost creation race ends in an
 * update of the object the winner made.
 */
import {
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  DiscardPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { nanos } from "@nats-io/transport-node";
import { EVENTS_STREAM, KV_BUCKETS } from "@certkeeper/contracts";
import type { Bus } from "./connection.ts";
import { BusSetupError } from "./errors.ts";

export interface EventStreamOptions {
  /** Default EVENTS_STREAM.maxAgeSeconds (7 days); 0 keeps events until maxBytes pushes them out. */
  maxAgeSeconds?: number;
  /** Default EVENTS_STREAM.maxBytes (1 GiB). */
  maxBytes?: number;
  /** Default 1. Changing it on an existing stream needs a clustered server. */
  replicas?: number;
}

/** The server's error code for "stream name already in use" (a concurrent creator won). */
const STREAM_NAME_IN_USE = 10058;

export async function ensureEventStream(bus: Bus, opts: EventStreamOptions = {}): Promise<StreamInfo> {
  const maxAgeSeconds = opts.maxAgeSeconds ?? EVENTS_STREAM.maxAgeSeconds;
  // The server refuses a duplicate window longer than the max age (0 = unlimited age).
  const dupWindowSeconds =
    maxAgeSeconds > 0
      ? Math.min(EVENTS_STREAM.duplicateWindowSeconds, maxAgeSeconds)
      : EVENTS_STREAM.duplicateWindowSeconds;
  const wanted = {
    subjects: [...EVENTS_STREAM.subjects],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: StorageType.File,
    max_age: nanos(maxAgeSeconds * 1000),
    max_bytes: opts.maxBytes ?? EVENTS_STREAM.maxBytes,
    duplicate_window: nanos(dupWindowSeconds * 1000),
    num_replicas: opts.replicas ?? 1,
  } satisfies Partial<StreamConfig>;
  const jsm = await bus.jsm();
  const name = EVENTS_STREAM.name;
  try {
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(name);
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
      try {
        info = await jsm.streams.add({ name, ...wanted });
        bus.log.info({ stream: name }, "created event stream");
        return info;
      } catch (addErr) {
        if (!isApiError(addErr, STREAM_NAME_IN_USE)) throw addErr;
        info = await jsm.streams.info(name);
      }
    }
    const changed = differences(info.config, wanted);
    if (changed.length === 0) return info;
    const updated = await jsm.streams.update(name, { ...info.config, ...wanted });
    bus.log.info({ stream: name, changed }, "updated event stream");
    return updated;
  } catch (err) {
    throw new BusSetupError(`cannot create or update stream ${name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export type KvBucketKey = keyof typeof KV_BUCKETS;

/**
 * Opens one of the contract's KV buckets, creating it when missing. Entries expire after the
 * bucket's TTL (stream max_age): NATS 2.9 has no per-key TTL. Only the latest value is kept.
 */
export async function ensureKv(bus: Bus, bucket: KvBucketKey, opts: { replicas?: number } = {}): Promise<KV> {
  const { name, ttlSeconds } = KV_BUCKETS[bucket];
  const kvm = new Kvm(bus.js);
  const kvOpts = { ttl: ttlSeconds * 1000, history: 1, replicas: opts.replicas ?? 1 };
  try {
    let kv: KV;
    try {
      kv = await kvm.create(name, kvOpts);
    } catch (err) {
      // Two replicas creating the bucket at once: the loser finds it on a second look.
      if (!isApiError(err, STREAM_NAME_IN_USE)) throw err;
      kv = await kvm.create(name, kvOpts);
    }
    // create() opens an existing bucket as it is; bring its TTL up to date with the contract.
    const jsm = await bus.jsm();
    const stream = `KV_${name}`;
    const info = await jsm.streams.info(stream);
    const maxAge = nanos(ttlSeconds * 1000);
    if (info.config.max_age !== maxAge) {
      await jsm.streams.update(stream, { ...info.config, max_age: maxAge });
      bus.log.info({ bucket: name, ttl_seconds: ttlSeconds }, "updated KV bucket TTL");
    }
    return kv;
  } catch (err) {
    throw new BusSetupError(`cannot create or open KV bucket ${name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

function differences(have: StreamConfig, wanted: Partial<StreamConfig>): string[] {
  return Object.entries(wanted)
    .filter(([k, v]) => JSON.stringify(have[k as keyof StreamConfig]) !== JSON.stringify(v))
    .map(([k]) => k);
}
