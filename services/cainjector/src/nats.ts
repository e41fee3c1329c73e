/**
 * The cainjector's NATS link, an accelerator and never a requirement:
 *
 *   start() ─► connect in the background (retries until stop)
 *                 ├─► create CM_EVENTS with defaults if it is missing
 *                 ├─► subscribe cm.v1.evt.certificate.*.issued ─► onIssued({namespace, name})
 *                 └─► EventPublisher for injectable.<uid>.injected
 *
 * Until the first connection, injected events wait in a small bounded buffer; after it, the
 * publisher buffers across outages itself. The Kubernetes watches converge without any of this.
 */
import {
  connectBus,
  ensureEventStream,
  EventPublisher,
  subscribeEvents,
  type Bus,
  type EventSubscription,
} from "@certkeeper/bus";
import { EVENTS_STREAM, filters } from "@certkeeper/contracts";
import type { Logger } from "@certkeeper/logging";
import type { Injection } from "./controller.ts";

export const NATS_CLIENT_NAME = "certkeeper-cainjector";
const EARLY_BUFFER = 1000;

export interface NatsLinkOptions {
  servers: string[];
  user?: string | undefined;
  pass?: string | undefined;
  log: Logger;
  /** A Certificate was issued: re-check the targets that read it. */
  onIssued: (ref: { namespace: string; name: string }) => void;
}

export class NatsLink {
  private readonly abort = new AbortController();
  private bus: Bus | undefined;
  private publisher: EventPublisher | undefined;
  private sub: EventSubscription | undefined;
  private running: Promise<void> | undefined;
  private early: Injection[] = [];

  constructor(private readonly opts: NatsLinkOptions) {}

  isConnected(): boolean {
    return this.bus?.isConnected() ?? false;
  }

  start(): void {
    this.running ??= this.connect().catch((err: unknown) => {
      if (!this.abort.signal.aborted)
        this.opts.log.error({ err }, "NATS link failed; continuing with watches only");
    });
  }

  publishInjected(i: Injection): void {
    if (!this.publisher) {
      this.early.push(i);
      if (this.early.length > EARLY_BUFFER) this.early.shift();
      return;
    }
    try {
      this.publisher.publish(
        "injectable",
        "injected",
        {
          kind: i.kind,
          name: i.name,
          uid: i.uid,
          ...(i.resourceVersion ? { resourceVersion: i.resourceVersion } : {}),
        },
        { kind: i.kind, name: i.name, source: i.source, certificates: i.certificates, fields: i.fields },
      );
    } catch (err) {
      this.opts.log.error({ err }, "could not publish injected event");
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await this.sub?.drain().catch(() => undefined);
    await this.publisher?.flush({ timeoutMs: 2000 }).catch(() => undefined);
    this.publisher?.close();
    await this.bus?.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { log } = this.opts;
    const bus = await connectBus({
      servers: this.opts.servers,
      name: NATS_CLIENT_NAME,
      logger: log,
      ...(this.opts.user !== undefined ? { user: this.opts.user, pass: this.opts.pass ?? "" } : {}),
      signal: this.abort.signal,
    });
    if (this.abort.signal.aborted) {
      await bus.close();
      return;
    }
    this.bus = bus;
    this.sub = subscribeEvents(bus, filters.eventOfKind("certificate", "issued"), ({ envelope }) => {
      const { namespace, name } = envelope.resource;
      if (namespace) this.opts.onIssued({ namespace, name });
    });
    this.publisher = new EventPublisher(bus);
    for (const i of this.early.splice(0)) this.publishInjected(i);
    try {
      // Create CM_EVENTS only when missing: its limits are the install's choice (the controller
      // brings them up to date); ensureEventStream on an existing stream would reset them.
      const jsm = await bus.jsm();
      const exists = await jsm.streams.info(EVENTS_STREAM.name).then(
        () => true,
        () => false,
      );
      if (!exists) await ensureEventStream(bus);
    } catch (err) {
      log.warn({ err }, "could not ensure the event stream; injected events wait until it exists");
    }
  }
}
