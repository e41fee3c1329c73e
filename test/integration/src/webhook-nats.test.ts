/**
 * Admission denials on a real nats-server: each denial lands in CM_EVENTS as
 * cm.v1.evt.admission.<uid>.denied with names and field errors only; with NATS unreachable the
 * webhook still answers every review.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createLogger } from "@certkeeper/logging";
import { startNats, type NatsServerHandle } from "@certkeeper/testing";
import { build, type WebhookApps } from "../../../services/webhook/src/app.ts";
import { NatsDenials } from "../../../services/webhook/src/events.ts";
import { eventually } from "../../../services/webhook/src/itest.ts";
import { createMetrics } from "../../../services/webhook/src/metrics.ts";

const log = createLogger({ service: "webhook", level: process.env.WEBHOOK_TEST_LOG ?? "silent" });
const approval = {
  signers: { resolve: async () => undefined },
  reviewer: { allowed: async () => false },
};

function review(uid: string, objectUID: string | undefined, commonName: string): string {
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      operation: "CREATE",
      resource: { group: "cert-manager.io", version: "v1", resource: "certificates" },
      userInfo: { username: "dana" },
      object: {
        metadata: { name: "big-cn", namespace: "team-a", ...(objectUID ? { uid: objectUID } : {}) },
        spec: { secretName: "s", issuerRef: { name: "ca" }, commonName },
      },
    },
  });
}

let nats: NatsServerHandle;
let nc: NatsConnection;
let denials: NatsDenials;
let apps: WebhookApps;

beforeAll(async () => {
  nats = await startNats();
  denials = new NatsDenials({ servers: nats.url, log });
  denials.start();
  apps = build({ log, approval, denials, https: false, metrics: createMetrics({ defaultMetrics: false }) });
  nc = await connect({ servers: nats.url });
}, 60_000);

afterAll(async () => {
  await apps?.close();
  await denials?.stop();
  await nc?.close();
  await nats?.stop();
});

describe("denials on NATS", () => {
  it("publishes cm.v1.evt.admission.<object uid>.denied with the field errors and no values", async () => {
    const objectUID = "5f0e8d3c-1a2b-4c3d-9e8f-000000000001";
    const secretLooking = `${"é".repeat(30)}-secret-value`;
    const send = () =>
      apps.webhook.inject({
        method: "POST",
        url: "/validate",
        payload: review("a0a0a0a0-0000-4000-8000-000000000001", objectUID, secretLooking),
        headers: { "content-type": "application/json" },
      });
    // Denials before the first connection are dropped; keep sending until one is stored.
    const jsm = await jetstreamManager(nc);
    const msg = await eventually(
      async () => {
        expect((await send()).json().response.allowed).toBe(false);
        return jsm.streams.getMessage("CM_EVENTS", {
          last_by_subj: `cm.v1.evt.admission.${objectUID}.denied`,
        });
      },
      20_000,
      "the denial event",
    );
    const env = JSON.parse(new TextDecoder().decode(msg.data));
    expect(env.resource).toEqual({
      kind: "Certificate",
      namespace: "team-a",
      name: "big-cn",
      uid: objectUID,
    });
    expect(env.data).toEqual({
      operation: "CREATE",
      user: "dana",
      requestUID: "a0a0a0a0-0000-4000-8000-000000000001",
      errors: [
        { path: "spec.commonName", type: "FieldValueTooLong", detail: "may not be more than 64 bytes" },
      ],
    });
    expect(new TextDecoder().decode(msg.data)).not.toContain("secret-value");
  });

  it("keys the subject by the request uid when the object has none", async () => {
    const jsm = await jetstreamManager(nc);
    const uid = "a0a0a0a0-0000-4000-8000-000000000002";
    await apps.webhook.inject({
      method: "POST",
      url: "/validate",
      payload: review(uid, undefined, "x".repeat(65)),
      headers: { "content-type": "application/json" },
    });
    const msg = await eventually(
      () => jsm.streams.getMessage("CM_EVENTS", { last_by_subj: `cm.v1.evt.admission.${uid}.denied` }),
      10_000,
      "the denial event",
    );
    expect(msg.subject).toBe(`cm.v1.evt.admission.${uid}.denied`);
  });
});

describe("without NATS", () => {
  it("still admits and denies when the NATS server cannot be reached", async () => {
    const offline = new NatsDenials({ servers: "nats://127.0.0.1:1", log });
    offline.start();
    const app = build({
      log,
      approval,
      denials: offline,
      https: false,
      metrics: createMetrics({ defaultMetrics: false }),
    });
    const res = await app.webhook.inject({
      method: "POST",
      url: "/validate",
      payload: review("a0a0a0a0-0000-4000-8000-000000000003", undefined, "x".repeat(65)),
      headers: { "content-type": "application/json" },
    });
    expect(res.json().response).toMatchObject({ allowed: false, status: { code: 403 } });
    expect(offline.dropped).toBe(1);
    await app.close();
    await offline.stop();
  });
});
