import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeURL, http01SelfCheck, testReachability } from "./selfcheck.ts";

let server: Server;
let port = 0;
const seen: Array<{ host?: string; url?: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ host: req.headers.host, url: req.url });
    if (req.url === "/.well-known/acme-challenge/good") return void res.end("good.thumb");
    if (req.url === "/.well-known/acme-challenge/wrong")
      return void res.end("something else entirely, and long");
    res.writeHead(404).end("404 page not found\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const opts = () => ({ passes: 2, intervalMs: 10, timeoutMs: 1000, address: `127.0.0.1:${port}` });

describe("HTTP-01 self-check", () => {
  it("passes when the body is exactly the key, sending Host: <dnsName>", async () => {
    await http01SelfCheck({ dnsName: "a.example.com", token: "good", key: "good.thumb" }, opts());
    expect(seen.filter((s) => s.url?.endsWith("/good"))).toEqual([
      { host: "a.example.com", url: "/.well-known/acme-challenge/good" },
      { host: "a.example.com", url: "/.well-known/acme-challenge/good" },
    ]);
  });

  it.each([
    ["missing", "x.thumb", "wrong status code '404', expected '200'"],
    [
      "wrong",
      "wrong.thumb",
      'did not get expected response when querying endpoint, expected "wrong.thumb" but got: something else entirely,... (truncated)',
    ],
  ])("fails with cert-manager's message (%s)", async (token, key, message) => {
    await expect(testReachability({ dnsName: "a.example.com", token, key }, opts())).rejects.toThrow(message);
  });

  it("reports a connection failure with the URL", async () => {
    const p = testReachability(
      { dnsName: "a.example.com", token: "t", key: "k" },
      { ...opts(), address: "127.0.0.1:1" },
    );
    await expect(p).rejects.toThrow(
      /^failed to perform self check GET request 'http:\/\/a\.example\.com\/\.well-known\/acme-challenge\/t': /,
    );
  });

  it("brackets IPv6 names in the URL", () => {
    expect(challengeURL("::1", "t")).toBe("http://[::1]/.well-known/acme-challenge/t");
  });
});
