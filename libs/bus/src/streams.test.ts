import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENTS_STREAM, KV_BUCKETS } from "@certkeeper/contracts";
import { silentLogger } from "@certkeeper/logging";
import { nanos } from "@nats-io/transport-node";
import { startNats, type NatsServerHandle } from "../../testing/src/nats.ts";
import { connectBus, type Bus } from "./connection.ts";
import { ensureEventStream, ensureKv } from "./streams.ts";
import { BusAuthError } from "./errors.ts";

let nats: NatsServerHandle;
let bus: Bus;

beforeAll(async () => {
  nats = await startNats({ users: [{ user: "controller", pass: "pw" }] });
  bus = await connectBus({
    servers: nats.url,
    name: "streams-test",
    user: "controller",
    pass: "pw",
    logger: silentLogger(),
  });
});

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

describe("connectBus", () => {
  it("fails fast with BusAuthError on refused credentials", async () => {
    const attempt = connectBus({
      servers: nats.url,
      name: "intruder",
      user: "controller",
      pass: "wrong",
      logger: silentLogger(),
    });
    await expect(attempt).rejects.toBeInstanceOf(BusAuthError);
  });
});

describe("ensureEventStream", () => {
  it("creates CM_EVENTS over cm.v1.evt.> with the contract's duplicate window, concurrently and idempotently", async () => {
    const infos = await Promise.all([ensureEventStream(bus), ensureEventStream(bus), ensureEventStream(bus)]);
    const cfg = infos[2]?.config;
    expect(cfg?.name).toBe(EVENTS_STREAM.name);
    expect(cfg?.subjects).toEqual(["cm.v1.evt.>"]);
    expect(cfg?.duplicate_window).toBe(nanos(EVENTS_STREAM.duplicateWindowSeconds * 1000));
    expect(cfg?.max_age).toBe(nanos(EVENTS_STREAM.maxAgeSeconds * 1000));
    expect(cfg?.max_bytes).toBe(EVENTS_STREAM.maxBytes);
  });

  it("updates retention in place and keeps the duplicate window within max age", async () => {
    const info = await ensureEventStream(bus, { maxAgeSeconds: 60, maxBytes: 1024 * 1024 });
    expect(info.config.max_age).toBe(nanos(60_000));
    expect(info.config.max_bytes).toBe(1024 * 1024);
    expect(info.config.duplicate_window).toBe(nanos(60_000));
    const back = await ensureEventStream(bus);
    expect(back.config.max_age).toBe(nanos(EVENTS_STREAM.maxAgeSeconds * 1000));
    expect(back.config.duplicate_window).toBe(nanos(EVENTS_STREAM.duplicateWindowSeconds * 1000));
  });
});

describe("ensureKv", () => {
  it("opens the HTTP-01 token bucket with the contract's TTL", async () => {
    const [kv] = await Promise.all([ensureKv(bus, "http01Tokens"), ensureKv(bus, "http01Tokens")]);
    await kv.put("token-1", "token-1.thumbprint");
    expect((await kv.get("token-1"))?.string()).toBe("token-1.thumbprint");
    const status = await kv.status();
    expect(status.bucket).toBe(KV_BUCKETS.http01Tokens.name);
    expect(status.ttl).toBe(KV_BUCKETS.http01Tokens.ttlSeconds * 1000);
  });

  it("brings an existing bucket's TTL up to date", async () => {
    const jsm = await bus.jsm();
    const stream = `KV_${KV_BUCKETS.controllerMembers.name}`;
    await ensureKv(bus, "controllerMembers");
    const info = await jsm.streams.info(stream);
    await jsm.streams.update(stream, { ...info.config, max_age: nanos(999_000) });
    const kv = await ensureKv(bus, "controllerMembers");
    expect((await kv.status()).ttl).toBe(KV_BUCKETS.controllerMembers.ttlSeconds * 1000);
  });
});
