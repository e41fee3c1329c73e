import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "@certkeeper/logging";
import { buildHttp, READ_HEADER_TIMEOUT_MS } from "./http.ts";
import type { TokenRecord } from "./tokens.ts";

const TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const KEY = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
const V6_TOKEN = "v6tokenv6tokenv6token";
const PATH = `/.well-known/acme-challenge/${TOKEN}`;
const NO_CACHE = "no-cache, no-store, must-revalidate";

const records = new Map<string, TokenRecord>([
  [TOKEN, { domain: "example.test", key: KEY }],
  [V6_TOKEN, { domain: "::1", key: "v6.key" }],
]);
const lookups: string[] = [];
let healthy = true;
const app = buildHttp({
  log: silentLogger(),
  healthy: () => healthy,
  tokens: {
    async lookup(token) {
      lookups.push(token);
      return records.get(token);
    },
  },
});

beforeAll(() => app.ready());
afterAll(() => app.close());

const get = (url: string, host?: string) =>
  app.inject({ method: "GET", url, headers: host === undefined ? {} : { host } });

describe("challenge path", () => {
  it.each(["example.test", "example.test:8089", "EXAMPLE.TEST", "Example.Test:80", "example.test."])(
    "serves the exact key authorization for Host %j",
    async (host) => {
      const res = await get(PATH, host);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(KEY);
      expect(res.rawPayload.equals(Buffer.from(KEY))).toBe(true);
      expect(res.headers["content-type"]).toMatch(/^text\/plain/);
      expect(res.headers["cache-control"]).toBe(NO_CACHE);
    },
  );

  it.each(["[::1]:8089", "[::1]", "[0:0::1]:80"])("strips IPv6 brackets and port: %j", async (host) => {
    const res = await get(`/.well-known/acme-challenge/${V6_TOKEN}`, host);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("v6.key");
  });

  it.each(["other.test", "sub.example.test", "example.test.evil:8089", "[::1]:8089", "127.0.0.1"])(
    "404 for the wrong Host %j",
    async (host) => {
      const res = await get(PATH, host);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain(KEY);
      expect(res.headers["cache-control"]).toBe(NO_CACHE);
    },
  );

  it("404 for an unknown token", async () => {
    const res = await get("/.well-known/acme-challenge/unknownToken", "example.test");
    expect(res.statusCode).toBe(404);
    expect(res.body).toBe("404 page not found\n");
  });

  it.each([
    "/.well-known/acme-challenge/",
    `/.well-known/acme-challenge/${TOKEN}/`,
    `/.well-known/acme-challenge/${TOKEN}/extra`,
    `/.well-known/acme-challenge/a.b`,
    `/.well-known/acme-challenge/..%2F${TOKEN}`,
    `/.well-known/other/${TOKEN}`,
    `/${TOKEN}`,
  ])("404 for %s", async (url) => {
    const res = await get(url, "example.test");
    expect(res.statusCode).toBe(404);
  });

  it("does not look up a token that cannot be one", async () => {
    lookups.length = 0;
    await get("/.well-known/acme-challenge/a.b", "example.test");
    expect(lookups).toEqual([]);
  });

  it("404 for another method", async () => {
    const res = await app.inject({ method: "POST", url: PATH, headers: { host: "example.test" } });
    expect(res.statusCode).toBe(404);
  });
});

describe("health", () => {
  it.each(["/", "/healthz"])("GET %s → 200 with no-cache headers", async (url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe(NO_CACHE);
  });

  it("503 while the health check fails", async () => {
    healthy = false;
    try {
      expect((await get("/healthz")).statusCode).toBe(503);
    } finally {
      healthy = true;
    }
  });

  it("404 for anything else", async () => {
    expect((await get("/metrics")).statusCode).toBe(404);
  });
});

it("limits reading request headers to 32 s", () => {
  expect(READ_HEADER_TIMEOUT_MS).toBe(32_000);
  expect(app.server.headersTimeout).toBe(32_000);
});
