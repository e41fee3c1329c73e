import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KV } from "@nats-io/kv";
import { connectBus, ensureKv, type Bus } from "@certkeeper/bus";
import { silentLogger } from "@certkeeper/logging";
import { startNats, waitFor, type NatsServerHandle } from "../../../libs/testing/src/index.ts";
import { TokenStore } from "./tokens.ts";

const TTL_MS = 60_000;
let nats: NatsServerHandle;
const buses: Bus[] = [];
const stores: TokenStore[] = [];
/** Added to the real time: the store compares against the server's timestamps. */
let skewMs = 0;

async function newStore(): Promise<{ store: TokenStore; kv: KV; bus: Bus }> {
  const bus = await connectBus({
    servers: nats.url,
    name: "tokens-test",
    logger: silentLogger(),
    reconnectTimeWaitMs: 100,
  });
  buses.push(bus);
  const kv = await ensureKv(bus, "http01Tokens");
  const store = new TokenStore({
    kv,
    bus,
    log: silentLogger(),
    ttlMs: TTL_MS,
    now: () => Date.now() + skewMs,
  });
  await store.start();
  stores.push(store);
  return { store, kv, bus };
}

beforeAll(async () => {
  nats = await startNats();
});

afterAll(async () => {
  for (const s of stores) await s.stop();
  for (const b of buses) await b.close();
  await nats?.stop();
});

describe("TokenStore against a real nats-server", () => {
  it("a write on one replica is served by another, from its cache", async () => {
    const a = await newStore();
    const b = await newStore();
    await a.store.put("tok-1", { domain: "example.test", key: "tok-1.k" });
    // Right after the put, b answers from KV or its cache; either way it knows the token.
    expect(await b.store.lookup("tok-1")).toEqual({ domain: "example.test", key: "tok-1.k" });
    await waitFor("b's watch to deliver tok-1", async () => (b.store.cachedCount() >= 1 ? true : undefined), {
      timeoutMs: 5000,
    });
    await a.store.put("tok-1", { domain: "example.test", key: "tok-1.k" });
    expect(await b.store.get("tok-1")).toEqual({ domain: "example.test", key: "tok-1.k" });
  });

  it("a replica started later loads existing tokens", async () => {
    const c = await newStore();
    await waitFor("c's initial values", async () => (c.store.cachedCount() >= 1 ? true : undefined), {
      timeoutMs: 5000,
    });
    expect(await c.store.lookup("tok-1")).toMatchObject({ domain: "example.test" });
  });

  it("deletes reach every replica; deleting a missing token is fine", async () => {
    const [a, b] = stores as [TokenStore, TokenStore];
    await a.put("tok-2", { domain: "two.test", key: "tok-2.k" });
    await waitFor("tok-2 everywhere", async () => ((await b.lookup("tok-2")) ? true : undefined), {
      timeoutMs: 5000,
    });
    await a.delete("tok-2");
    await a.delete("tok-2");
    await a.delete("never-there");
    await waitFor("tok-2 gone", async () => ((await b.lookup("tok-2")) === undefined ? true : undefined), {
      timeoutMs: 5000,
    });
    expect(await a.lookup("tok-2")).toBeUndefined();
  });

  it("ignores malformed entries and refuses invalid tokens without asking NATS", async () => {
    const { kv, store } = await newStore();
    await kv.put("bad-entry", "not json");
    expect(await store.lookup("bad-entry")).toBeUndefined();
    expect(await store.lookup("a.b")).toBeUndefined();
    expect(await store.lookup(">")).toBeUndefined();
  });

  it("expires entries after the bucket TTL even though the server does not tell watchers", async () => {
    const [a] = stores as [TokenStore];
    await a.put("tok-3", { domain: "three.test", key: "tok-3.k" });
    await waitFor("tok-3 cached", async () => ((await a.lookup("tok-3")) ? true : undefined), {
      timeoutMs: 5000,
    });
    skewMs = TTL_MS;
    try {
      expect(await a.lookup("tok-3")).toBeUndefined();
      expect(await a.get("tok-3")).toBeUndefined();
    } finally {
      skewMs = 0;
    }
  });

  it("serves from its cache while NATS is down and resumes watching after a restart", async () => {
    const [a, b] = stores as [TokenStore, TokenStore];
    await a.put("tok-4", { domain: "four.test", key: "tok-4.k" });
    await waitFor("tok-4 cached on b", async () => ((await b.lookup("tok-4")) ? true : undefined), {
      timeoutMs: 5000,
    });
    await nats.restart({
      whileDown: async () => {
        expect(await b.lookup("tok-4")).toEqual({ domain: "four.test", key: "tok-4.k" });
        // Unknown while down: answered at once once the client knows, no waiting on a dead connection.
        await waitFor("b to notice", async () => (buses[1]!.isConnected() ? undefined : true), {
          timeoutMs: 5000,
        });
        const started = Date.now();
        expect(await b.lookup("tok-unknown")).toBeUndefined();
        expect(Date.now() - started).toBeLessThan(1000);
      },
    });
    const before = b.cachedCount();
    await waitFor(
      "a put after the restart",
      async () => {
        try {
          await a.put("tok-5", { domain: "five.test", key: "tok-5.k" });
          return true;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    await waitFor(
      "b's new watch to deliver tok-5",
      async () => (b.cachedCount() > before ? true : undefined),
      {
        timeoutMs: 20_000,
      },
    );
    expect(await b.lookup("tok-5")).toEqual({ domain: "five.test", key: "tok-5.k" });
  }, 60_000);
});
