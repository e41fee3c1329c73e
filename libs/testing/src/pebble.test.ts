import { Resolver } from "node:dns/promises";
import { existsSync } from "node:fs";
import { request } from "node:https";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPebble, type PebbleHandle } from "./pebble.ts";

describe("startPebble", () => {
  let pebble: PebbleHandle;
  beforeAll(async () => {
    pebble = await startPebble({
      httpPort: 5999,
      authzReuse: 100,
      externalAccountMACKeys: { kid: "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W" },
    });
  });
  afterAll(async () => {
    await pebble?.stop();
  });

  it("serves the ACME directory over TLS its own CA verifies, on loopback", async () => {
    expect(pebble.directoryUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/dir$/);
    expect(pebble.caPEM).toContain("BEGIN CERTIFICATE");
    const body = await new Promise<string>((resolve, reject) => {
      request(pebble.directoryUrl, { ca: pebble.caPEM }, (res) => {
        let s = "";
        res.on("data", (c: Buffer) => (s += c.toString()));
        res.on("end", () => resolve(s));
      })
        .on("error", reject)
        .end();
    });
    const directory = JSON.parse(body) as {
      newAccount: string;
      meta?: { externalAccountRequired?: boolean };
    };
    expect(directory.newAccount).toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect(directory.meta?.externalAccountRequired).toBe(true);
    expect(pebble.httpPort).toBe(5999);
  });

  it("publishes its issuing root and intermediate on the management port", async () => {
    expect(await pebble.rootPEM()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await pebble.intermediatePEM()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it("resolves every name to 127.0.0.1 through challtestsrv, without AAAA answers", async () => {
    const r = new Resolver();
    r.setServers([pebble.dnsAddress]);
    expect(await r.resolve4("anything.example.com")).toEqual(["127.0.0.1"]);
    await expect(r.resolve6("anything.example.com")).rejects.toThrow();
  });

  it("removes its files on stop", async () => {
    const other = await startPebble();
    const dir = dirname(other.logPath);
    expect(existsSync(dir)).toBe(true);
    await other.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
