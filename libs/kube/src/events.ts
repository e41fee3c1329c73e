/**
 * core/v1 Event recording as client-go's recorder does it (cert-manager uses that recorder):
 * the first occurrence of (object, type, reason, message) creates an Event named
 * `<object>.<hex timestamp>`; repeats within the aggregation window PATCH that Event's `count` and
 * `lastTimestamp` instead of creating new ones. Recording never throws into a reconcile: writes
 * happen in the background and failures are logged. Cluster-scoped objects' Events go to
 * "default", as client-go does.
 *
 * Not reproduced from client-go: the spam filter (token bucket per object) and the "similar
 * events" aggregator that collapses events differing only in message.
 */
import { hostname } from "node:os";
import { silentLogger, type Logger } from "@certkeeper/logging";
import type { KubeClient } from "./client.ts";
import { systemClock, type Clock } from "./clock.ts";
import { isNotFound } from "./errors.ts";
import { formatTime } from "./status.ts";
import { CoreResources, type KubeObject } from "./types.ts";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

export interface KubeEventRecorderOptions {
  client: KubeClient;
  /** source.component and reportingComponent, e.g. "cert-manager-certificates-issuing". */
  component: string;
  /** reportingInstance (default: hostname). */
  instance?: string;
  /** Repeats within this window are aggregated (default 10 min). */
  aggregationWindowMs?: number;
  /** Aggregation entries kept (LRU, default 4096 as client-go). */
  cacheSize?: number;
  clock?: Clock;
  log?: Logger;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
}

/** client-go caps note/message at 1 KiB for events.k8s.io; long ACME errors are cut the same way. */
const MAX_MESSAGE = 1024;

export class KubeEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly window: number;
  private readonly cacheSize: number;
  private readonly instance: string;
  // Random start, so two replicas recording in the same millisecond pick different names.
  private seq = Math.floor(Math.random() * 1_000_000);

  constructor(private readonly opts: KubeEventRecorderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.log ?? silentLogger()).child({ component: opts.component });
    this.window = opts.aggregationWindowMs ?? 10 * 60_000;
    this.cacheSize = opts.cacheSize ?? 4096;
    this.instance = opts.instance ?? hostname();
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const msg = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const m = obj.metadata ?? {};
    const key = JSON.stringify([obj.apiVersion, obj.kind, m.namespace, m.name, m.uid, type, reason, msg]);
    // One write at a time per key, so a burst of repeats patches one Event instead of racing creates.
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(() => this.write(key, obj, type, reason, msg))
      .catch((err: unknown) => {
        this.log.warn(
          { err, reason, involved_object: `${obj.kind}/${m.namespace ?? ""}/${m.name}` },
          "could not record event",
        );
      });
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Resolves when every event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async write(
    key: string,
    obj: KubeObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.clock.now();
    const prev = this.seen.get(key);
    if (prev && now.getTime() - prev.lastSeen < this.window) {
      try {
        await this.opts.client.patch(
          CoreResources.events,
          prev.namespace,
          prev.name,
          { count: prev.count + 1, lastTimestamp: formatTime(now) },
          { type: "merge" },
        );
        prev.count++;
        prev.lastSeen = now.getTime();
        this.touch(key, prev);
        return;
      } catch (err) {
        // The Event expired (events have a TTL) or was deleted: start a new one.
        if (!isNotFound(err)) throw err;
      }
    }
    const m = obj.metadata ?? {};
    const namespace = m.namespace || "default";
    const name = `${m.name ?? "unknown"}.${this.uniqueSuffix(now)}`;
    const ts = formatTime(now);
    await this.opts.client.create(CoreResources.events, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
      },
      type,
      reason,
      message,
      source: { component: this.opts.component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: this.opts.component,
      reportingInstance: this.instance,
    } as KubeObject);
    this.touch(key, { name, namespace, count: 1, lastSeen: now.getTime() });
  }

  /** client-go names Events `<name>.<UnixNano hex>`; a sequence keeps same-millisecond names unique. */
  private uniqueSuffix(now: Date): string {
    const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return nanos.toString(16);
  }

  private touch(key: string, s: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, s);
    if (this.seen.size > this.cacheSize) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}

/** Keeps events in memory; for unit tests of controllers. */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: Array<{ object: KubeObject; type: EventType; reason: string; message: string }> = [];

  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push({ object, type, reason, message });
  }
}
