/**
 * Renewal windows against a real kube-apiserver, without the webhook (so a bad timezone gets in):
 * status.renewalTime lands on the window's opening, and a window that cannot be evaluated gives
 * the base renewal time plus one Warning Event WindowError.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Certificate } from "@certkeeper/api";
import { CoreResources, type KubeObject } from "@certkeeper/kube";
import { waitFor } from "@certkeeper/testing";
import type { ControllerApp } from "../../../services/controller/src/app.ts";
import {
  apply,
  isReady,
  selfSignedNamespace,
  startControllerInProcess,
  startWorld,
  waitForCertificate,
  type World,
} from "./world.ts";

const NS = "renewal-windows";
const MINUTE = 60_000;
let world: World;
let controller: ControllerApp;

type Event = KubeObject & {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject?: { name?: string };
};

/** A 2-hour certificate renewing 1 hour before expiry: base renewal time ≈ now + 1h. */
function certificate(
  name: string,
  windows: NonNullable<Certificate["spec"]["renewal"]>["windows"],
): Certificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: NS },
    spec: {
      secretName: `${name}-tls`,
      issuerRef: { name: "selfsigned" },
      privateKey: { algorithm: "ECDSA" },
      dnsNames: [`${name}.example.com`],
      duration: "2h",
      renewBefore: "1h",
      renewal: { windows },
    },
  };
}

const time = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

async function windowErrorEvents(name: string): Promise<Event[]> {
  const list = await world.client.list<Event>(CoreResources.events, { namespace: NS });
  return list.items.filter((e) => e.reason === "WindowError" && e.involvedObject?.name === name);
}

beforeAll(async () => {
  world = await startWorld();
  await selfSignedNamespace(world, NS);
  controller = await startControllerInProcess(world);
});

afterAll(async () => {
  await controller?.stop();
  await world?.stop();
});

describe("renewal windows", () => {
  it("status.renewalTime is the opening of the next window after the base renewal time", async () => {
    // A daily window opening 90 minutes from now (UTC): after the base time (≈ now + 1h), before
    // expiry (≈ now + 2h), and the previous opening, a day earlier, is long closed.
    const opening = Math.floor(Date.now() / MINUTE) * MINUTE + 90 * MINUTE;
    const d = new Date(opening);
    const cron = `${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
    await apply(world.client, "Certificate", certificate("windowed", [{ cron, windowDuration: "10m" }]));
    const cert = await waitForCertificate(
      world.client,
      NS,
      "windowed",
      (c) => isReady(c) && !!c.status?.renewalTime,
    );
    const base = Date.parse(cert.status!.notAfter!) - 60 * MINUTE;
    expect(cert.status!.renewalTime).toBe(time(opening));
    expect(Date.parse(cert.status!.renewalTime!)).toBeGreaterThan(base);
    expect(await windowErrorEvents("windowed")).toEqual([]);
  });

  it("the trigger renews when the window opens, not at the base renewal time", async () => {
    // 100 s certificate, base renewal 20 s after issuance; windows of 1 s every 30 s (at whole
    // multiples of 30 s since the epoch), so renewal waits for the next one.
    const windowed = certificate("soon", [{ cron: "@every 30s", windowDuration: "1s" }]);
    windowed.spec.duration = "100s";
    windowed.spec.renewBefore = "80s";
    await apply(world.client, "Certificate", windowed);
    const first = await waitForCertificate(
      world.client,
      NS,
      "soon",
      (c) => isReady(c) && !!c.status?.renewalTime,
    );
    const base = Date.parse(first.status!.notAfter!) - 80_000;
    const opening = Math.max(base, Math.ceil((base - 999) / 30_000) * 30_000);
    expect(first.status!.renewalTime).toBe(time(opening));

    const renewed = await waitForCertificate(
      world.client,
      NS,
      "soon",
      (c) => (c.status?.revision ?? 0) >= 2,
      90_000,
    );
    expect(Date.parse(renewed.status!.notBefore!)).toBeGreaterThanOrEqual(opening);
    const list = await world.client.list<Event>(CoreResources.events, { namespace: NS });
    expect(list.items.map((e) => e.message)).toContain(
      `Renewing certificate as renewal was scheduled at ${time(opening)}`,
    );
  });

  it("a bad timezone (no webhook to refuse it) gives the base renewal time and one WindowError Event", async () => {
    await apply(
      world.client,
      "Certificate",
      certificate("mars", [{ cron: "0 2 * * *", windowDuration: "1h", timezone: "Mars/Olympus" }]),
    );
    const cert = await waitForCertificate(
      world.client,
      NS,
      "mars",
      (c) => isReady(c) && !!c.status?.renewalTime,
    );
    const base = time(Date.parse(cert.status!.notAfter!) - 60 * MINUTE);
    expect(cert.status!.renewalTime).toBe(base);
    const events = await waitFor(
      "WindowError event",
      async () => {
        const hit = await windowErrorEvents("mars");
        return hit.length > 0 ? hit : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe("Warning");
    expect(events[0]!.message).toBe(
      `Renewal windows not applied, renewing at ${base}: ` +
        'spec.renewal.windows[0].timezone: unknown time zone "Mars/Olympus"',
    );

    // Further reconciles (here: a label change) do not record it again.
    await apply(world.client, "Certificate", {
      ...certificate("mars", [{ cron: "0 2 * * *", windowDuration: "1h", timezone: "Mars/Olympus" }]),
      metadata: { name: "mars", namespace: NS, labels: { touched: "yes" } },
    });
    await waitForCertificate(world.client, NS, "mars", (c) => c.metadata.labels?.touched === "yes");
    await new Promise((r) => setTimeout(r, 2000));
    const after = await windowErrorEvents("mars");
    expect(after).toHaveLength(1);
    expect(after[0]!.count ?? 1).toBe(1);
  });
});
