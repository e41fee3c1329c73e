/**
 * NATS carries events, never state: with nats-server stopped and restarted in the middle of a
 * batch of issuances, every Certificate still ends Ready, and once NATS is back each issuance is
 * in CM_EVENTS exactly once (buffered events are flushed; Nats-Msg-Id drops repeats).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type Certificate } from "@certkeeper/api";
import { waitFor } from "@certkeeper/testing";
import type { ControllerApp } from "../../../services/controller/src/app.ts";
import {
  allEvents,
  apply,
  isReady,
  selfSignedNamespace,
  startControllerInProcess,
  startWorld,
  type World,
} from "./world.ts";

const NS = "outage";
const COUNT = 20;
let world: World;
let controller: ControllerApp;

beforeAll(async () => {
  world = await startWorld();
  await selfSignedNamespace(world, NS);
  controller = await startControllerInProcess(world);
});

afterAll(async () => {
  await controller?.stop();
  await world?.stop();
});

describe("NATS restarted mid-issuance", () => {
  it("issuance completes while NATS is down and every issued event lands once afterwards", async () => {
    const certs = Array.from({ length: COUNT }, (_, i) => `n${i}`);
    const first = certs.slice(0, COUNT / 2);
    const second = certs.slice(COUNT / 2);
    const create = (name: string) =>
      apply(world.client, "Certificate", {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name, namespace: NS },
        spec: {
          secretName: `${name}-tls`,
          dnsNames: [`${name}.example.com`],
          privateKey: { algorithm: "ECDSA" },
          issuerRef: { name: "selfsigned" },
        },
      } as Certificate);

    await Promise.all(first.map(create));
    await world.nats.restart({
      whileDown: async () => {
        // Issue the second half entirely while NATS is away.
        await Promise.all(second.map(create));
        await waitFor(
          "second half Ready without NATS",
          async () => {
            const list = (await world.client.list<Certificate>(Resources.Certificate, { namespace: NS }))
              .items;
            return second.every((n) => isReady(list.find((c) => c.metadata.name === n))) ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 200 },
        );
      },
    });
    const list = await waitFor(
      "all Ready",
      async () => {
        const l = (await world.client.list<Certificate>(Resources.Certificate, { namespace: NS })).items;
        return l.length === COUNT && l.every(isReady) ? l : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    const uids = new Map(list.map((c) => [c.metadata.uid!, c.metadata.name!]));
    const issued = await waitFor(
      "every issued event stored",
      async () => {
        const evs = (await allEvents(world)).filter(
          (e) => e.subject.endsWith(".issued") && uids.has(e.envelope.resource.uid),
        );
        return evs.length >= COUNT ? evs : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const perCert = new Map<string, number>();
    for (const e of issued)
      perCert.set(e.envelope.resource.uid, (perCert.get(e.envelope.resource.uid) ?? 0) + 1);
    expect([...perCert.values()]).toEqual(Array(COUNT).fill(1));
    expect(controller.lifecycle.dropped).toBe(0);
  });
});
