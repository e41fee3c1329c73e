/**
 * Publishes each admission denial as `cm.v1.evt.admission.<uid>.denied`: the object's uid, or the
 * AdmissionReview request's uid when the object has none yet. Only names, the operation, the user
 * and the field errors (path, type, detail) are sent; never the object or the offending values.
 * NATS is optional: without it, or while it is down, the webhook admits and denies as usual.
 */
import { connectBus, ensureEventStream, EventPublisher, type Bus } from "@certkeeper/bus";
import { EVENTS_STREAM } from "@certkeeper/contracts";
import type { Logger } from "@certkeeper/logging";
import type { Denial } from "./admission.ts";

/** The part of EventPublisher the webhook uses (a fake in tests). */
export type DenialSink = Pick<EventPublisher, "publish">;

export function publishDenial(sink: DenialSink, d: Denial): void {
  sink.publish(
    "admission",
    "denied",
    {
      kind: d.kind,
      ...(d.namespace ? { namespace: d.namespace } : {}),
      name: d.name || "(unnamed)",
      uid: d.objectUID || d.requestUID,
      ...(d.resourceVersion ? { resourceVersion: d.resourceVersion } : {}),
    },
    {
      operation: d.operation,
      user: d.user,
      requestUID: d.requestUID,
      errors: d.errors.map((e) => ({ path: e.path, type: e.type, detail: e.detail })),
      ...(d.failures.length > 0 ? { failures: [...d.failures] } : {}),
    },
  );
}

export interface NatsDenialsOptions {
  readonly servers: string;
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
  readonly log: Logger;
}

/** Connects in the background; denials before the first connection are dropped (and counted). */
export class NatsDenials implements DenialSink {
  private readonly abort = new AbortController();
  private bus: Bus | undefined;
  private publisher: EventPublisher | undefined;
  private running: Promise<void> | undefined;
  dropped = 0;

  constructor(private readonly opts: NatsDenialsOptions) {}

  start(): void {
    this.running ??= this.connect().catch((err: unknown) => {
      if (!this.abort.signal.aborted)
        this.opts.log.error({ err: (err as Error).message }, "NATS unavailable");
    });
  }

  publish: DenialSink["publish"] = (kind, event, resource, data) => {
    if (!this.publisher) {
      this.dropped++;
      return;
    }
    this.publisher.publish(kind, event, resource, data);
  };

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await this.publisher?.flush({ timeoutMs: 2000 }).catch(() => undefined);
    this.publisher?.close();
    await this.bus?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const bus = await connectBus({
      servers: this.opts.servers.split(","),
      name: "certkeeper-webhook",
      logger: this.opts.log,
      ...(this.opts.user !== undefined ? { user: this.opts.user, pass: this.opts.pass ?? "" } : {}),
      signal: this.abort.signal,
    });
    if (this.abort.signal.aborted) {
      await bus.close();
      return;
    }
    this.bus = bus;
    this.publisher = new EventPublisher(bus);
    try {
      // Create CM_EVENTS only when missing; its limits are the install's choice.
      const jsm = await bus.jsm();
      const exists = await jsm.streams.info(EVENTS_STREAM.name).then(
        () => true,
        () => false,
      );
      if (!exists) await ensureEventStream(bus);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, "could not ensure the event stream");
    }
  }
}
