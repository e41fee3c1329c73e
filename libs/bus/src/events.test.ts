import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENTS_STREAM, filters, type ResourceRef } from "@certkeeper/contracts";
import { silentLogger } from "@certkeeper/logging";
import { startNats, type NatsServerHandle } from "../../testing/src/nats.ts";
import { connectBus, type Bus } from "./connection.ts";
import { ensureEventStream } from "./streams.ts";
import { EventPublisher } from "./publisher.ts";
import { replayEvents, subscribeEvents, type BusEventMessage, type ReplayedEvent } from "./events.ts";
import { BusSetupError } from "./errors.ts";

let nats: NatsServerHandle;
let pubBus: Bus;
let subBus: Bus;
let publisher: EventPublisher;

beforeAll(async () => {
  nats = await startNats();
  const logger = silentLogger();
  pubBus = await connectBus({ servers: nats.url, name: "events-test-pub", logger });
  subBus = await connectBus({ servers: nats.url, name: "events-test-sub", logger });
  await ensureEventStream(pubBus);
  publisher = new EventPublisher(pubBus);
});

afterAll(async () => {
  publisher?.close();
  await pubBus?.close();
  await subBus?.close();
  await nats?.stop();
});

const ref = (kind: string, uid: string, resourceVersion: string): ResourceRef => ({
  kind,
  namespace: "ns",
  name: `${kind.toLowerCase()}-${uid}`,
  uid,
  resourceVersion,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect(it: AsyncIterable<ReplayedEvent>, max = Infinity): Promise<ReplayedEvent[]> {
  const out: ReplayedEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}

describe("subscribeEvents", () => {
  it("sees exactly the events of one UID, whatever their kind", async () => {
    const seen: BusEventMessage[] = [];
    const sub = subscribeEvents(subBus, filters.eventsOf("uid-a"), (e) => {
      seen.push(e);
    });
    await subBus.nc.flush(); // the subscription is registered before anything is published

    publisher.publish("certificate", "issuing", ref("Certificate", "uid-a", "1"));
    publisher.publish("certificate", "issuing", ref("Certificate", "uid-b", "1"));
    publisher.publish("certificaterequest", "approved", ref("CertificateRequest", "uid-a", "2"));
    publisher.publish("certificaterequest", "approved", ref("CertificateRequest", "uid-b", "2"));
    publisher.publish("certificate", "issued", ref("Certificate", "uid-a", "3"), { revision: 1 });
    await publisher.flush();
    // uid-b's events went out after uid-a's first two; one more round trip on the subscriber's
    // connection lets anything wrongly matched arrive before we look.
    await subBus.nc.flush();
    await sleep(50);

    expect(seen.map((e) => e.subject)).toEqual([
      "cm.v1.evt.certificate.uid-a.issuing",
      "cm.v1.evt.certificaterequest.uid-a.approved",
      "cm.v1.evt.certificate.uid-a.issued",
    ]);
    expect(seen.every((e) => e.envelope.resource.uid === "uid-a")).toBe(true);
    expect(seen[2]?.envelope.data).toEqual({ revision: 1 });
    await sub.drain();
  });
});

describe("replayEvents", () => {
  let since: Date;
  beforeAll(async () => {
    publisher.publish("order", "created", ref("Order", "uid-r", "1"));
    publisher.publish("order", "ready", ref("Order", "uid-r", "2"));
    publisher.publish("order", "created", ref("Order", "uid-other", "1"));
    await publisher.flush();
    await sleep(20);
    since = new Date();
    await sleep(20);
    publisher.publish("order", "valid", ref("Order", "uid-r", "3"));
    publisher.publish("challenge", "valid", ref("Challenge", "uid-r", "4"));
    await publisher.flush();
  });

  it("replays the stored events of a filter in order and ends", async () => {
    const events = await collect(replayEvents(subBus, { filter: filters.eventsOf("uid-r") }));
    expect(events.map((e) => e.subject)).toEqual([
      "cm.v1.evt.order.uid-r.created",
      "cm.v1.evt.order.uid-r.ready",
      "cm.v1.evt.order.uid-r.valid",
      "cm.v1.evt.challenge.uid-r.valid",
    ]);
    const seqs = events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(events[0]?.storedAt).toBeInstanceOf(Date);
  });

  it("starts at `since`", async () => {
    const events = await collect(replayEvents(subBus, { filter: filters.eventsOf("uid-r"), since }));
    expect(events.map((e) => e.envelope.resource.resourceVersion)).toEqual(["3", "4"]);
  });

  it("fails with BusSetupError when the stream does not exist", async () => {
    const bare = await startNats();
    const bareBus = await connectBus({ servers: bare.url, name: "events-test-bare", logger: silentLogger() });
    try {
      await expect(collect(replayEvents(bareBus, {}))).rejects.toBeInstanceOf(BusSetupError);
    } finally {
      await bareBus.close();
      await bare.stop();
    }
  });

  it("ends at once when nothing matches", async () => {
    expect(await collect(replayEvents(subBus, { filter: filters.eventsOf("uid-none") }))).toEqual([]);
  });

  it("follows new events and cleans up its consumer when the caller stops", async () => {
    const iter = replayEvents(subBus, { filter: filters.eventsOf("uid-r"), since, follow: true });
    const first = await collect(iter, 2);
    expect(first.map((e) => e.envelope.resource.resourceVersion)).toEqual(["3", "4"]);

    // Aborting ends an iteration that is waiting for the next event.
    const controller = new AbortController();
    const followed: ReplayedEvent[] = [];
    const done = (async () => {
      const opts = { filter: filters.eventsOf("uid-r"), since, follow: true, signal: controller.signal };
      for await (const e of replayEvents(subBus, opts)) followed.push(e);
    })();
    publisher.publish("challenge", "cleaned-up", ref("Challenge", "uid-r", "5"));
    await publisher.flush();
    const deadline = Date.now() + 5000;
    while (followed.length < 3 && Date.now() < deadline) await sleep(10);
    controller.abort();
    await done;
    expect(followed.map((e) => e.envelope.resource.resourceVersion)).toEqual(["3", "4", "5"]);

    const consumers = await (await subBus.jsm()).consumers.list(EVENTS_STREAM.name).next();
    expect(consumers).toEqual([]);
  });
});
