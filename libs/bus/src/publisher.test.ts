import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENTS_STREAM, EnvelopeError, eventSubject, type ResourceRef } from "@certkeeper/contracts";
import { silentLogger } from "@certkeeper/logging";
import { startNats, type NatsServerHandle } from "../../testing/src/nats.ts";
import { connectBus, type Bus } from "./connection.ts";
import { ensureEventStream } from "./streams.ts";
import { EventPublisher } from "./publisher.ts";

let nats: NatsServerHandle;
let bus: Bus;

beforeAll(async () => {
  nats = await startNats();
  bus = await connectBus({
    servers: nats.url,
    name: "publisher-test",
    logger: silentLogger(),
    reconnectTimeWaitMs: 100,
  });
  await ensureEventStream(bus);
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

const cert = (uid: string, resourceVersion: string): ResourceRef => ({
  kind: "Certificate",
  namespace: "default",
  name: `cert-${uid}`,
  uid,
  resourceVersion,
});

async function storedCount(subject: string): Promise<number> {
  const jsm = await bus.jsm();
  const info = await jsm.streams.info(EVENTS_STREAM.name, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

describe("EventPublisher", () => {
  it("stores an event published twice with the same message id once", async () => {
    const publisher = new EventPublisher(bus);
    const subject = eventSubject("certificate", "dup-1", "issued");
    publisher.publish("certificate", "issued", cert("dup-1", "10"), { revision: 1 });
    publisher.publish("certificate", "issued", cert("dup-1", "10"), { revision: 1 });
    await publisher.flush();
    // A later retry of the same reconcile, after the first was acknowledged.
    publisher.publish("certificate", "issued", cert("dup-1", "10"), { revision: 1 });
    await publisher.flush();
    expect(await storedCount(subject)).toBe(1);

    // A new resourceVersion is a new fact.
    publisher.publish("certificate", "issued", cert("dup-1", "11"), { revision: 2 });
    await publisher.flush();
    expect(await storedCount(subject)).toBe(2);
    expect(publisher.pending).toBe(0);
    expect(publisher.dropped).toBe(0);
    publisher.close();
  });

  it("refuses key material before anything is queued", () => {
    const publisher = new EventPublisher(bus);
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----";
    expect(() => publisher.publish("certificate", "issued", cert("leak-1", "1"), { note: pem })).toThrow(
      EnvelopeError,
    );
    expect(publisher.pending).toBe(0);
    publisher.close();
  });

  it("buffers while NATS is down and stores each event exactly once after the restart", async () => {
    const publisher = new EventPublisher(bus);
    const small = new EventPublisher(bus, { capacity: 2 });
    const subject = eventSubject("certificate", "outage-1", "issuing");
    publisher.publish("certificate", "issuing", cert("outage-1", "1"));
    await publisher.flush();
    expect(await storedCount(subject)).toBe(1);

    await nats.restart({
      whileDown: async () => {
        // The process is gone; give the client the moment it needs to notice the closed socket.
        const deadline = Date.now() + 5000;
        while (bus.isConnected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        expect(bus.isConnected()).toBe(false);
        const started = Date.now();
        for (const rv of ["2", "3", "4"]) publisher.publish("certificate", "issuing", cert("outage-1", rv));
        // A retry of an event already stored before the outage: deduplicated, not stored again.
        publisher.publish("certificate", "issuing", cert("outage-1", "1"));
        expect(Date.now() - started).toBeLessThan(50); // publish never waits for NATS
        expect(publisher.pending).toBe(4);

        for (const rv of ["1", "2", "3", "4"]) small.publish("certificate", "issuing", cert("outage-2", rv));
        expect(small.pending).toBe(2);
        expect(small.dropped).toBe(2);
        await new Promise((r) => setTimeout(r, 300));
        expect(publisher.pending).toBe(4);
      },
    });

    await publisher.flush({ timeoutMs: 20_000 });
    await small.flush({ timeoutMs: 20_000 });
    expect(await storedCount(subject)).toBe(4);
    // The oldest two were dropped; the newest two (rv 3 and 4) made it.
    expect(await storedCount(eventSubject("certificate", "outage-2", "issuing"))).toBe(2);
    const jsm = await bus.jsm();
    const last = await jsm.streams.getMessage(EVENTS_STREAM.name, {
      last_by_subj: eventSubject("certificate", "outage-2", "issuing"),
    });
    expect(last?.json<{ resource: ResourceRef }>().resource.resourceVersion).toBe("4");
    expect(publisher.dropped).toBe(0);
    publisher.close();
    small.close();
  });
});
