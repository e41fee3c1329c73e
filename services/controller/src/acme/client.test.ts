import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcmeClient, alternateLinks } from "./client.ts";
import { AcmeProblemError } from "./errors.ts";
import type { AcmeRequestObservation } from "./metrics.ts";

describe("alternateLinks", () => {
  it("finds rel=alternate links only", () => {
    expect(
      alternateLinks([
        '<https://a.test/cert/1/1>;rel="alternate"',
        '<https://a.test/dir>;rel="index"',
        "<https://a.test/cert/1/2>; rel=alternate",
      ]),
    ).toEqual(["https://a.test/cert/1/1", "https://a.test/cert/1/2"]);
    expect(alternateLinks('<https://a.test/x>;rel="alternate", <https://a.test/y>;rel="up"')).toEqual([
      "https://a.test/x",
    ]);
    expect(alternateLinks(undefined)).toEqual([]);
  });
});

/** Just enough of an ACME server: accounts at /acct, a problem document at /bad. */
let server: Server;
let base = "";
let nonce = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const n = { "replay-nonce": `n${++nonce}` };
    if (req.url === "/dir" || req.url === "/dir-bad") {
      const newAccount = req.url === "/dir" ? `${base}/acct` : `${base}/bad`;
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ newNonce: `${base}/nonce`, newAccount }));
    }
    if (req.url === "/nonce") return void res.writeHead(200, n).end();
    if (req.url?.startsWith("/acct")) {
      const status = req.url === "/acct" ? 201 : 200;
      return void res
        .writeHead(status, { ...n, "content-type": "application/json", location: `${base}/acct/1` })
        .end(JSON.stringify({ status: "valid", contact: ["mailto:a@example.com"] }));
    }
    res.writeHead(400, { ...n, "content-type": "application/problem+json" });
    res.end(
      JSON.stringify({
        type: "urn:ietf:params:acme:error:invalidContact",
        detail: "contact email is invalid",
        status: 400,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const keyPEM = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const summary = (seen: AcmeRequestObservation[]) => seen.map((o) => [o.action, o.method, o.status]);

describe("AcmeClient", () => {
  it("turns a problem document into AcmeProblemError and counts every request with its action", async () => {
    const seen: AcmeRequestObservation[] = [];
    const client = new AcmeClient({
      directoryUrl: `${base}/dir-bad`,
      accountKeyPEM: keyPEM,
      metrics: { observe: (o) => seen.push(o) },
    });
    const err = await client.registerAccount("bad@example").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeProblemError);
    expect(err).toMatchObject({
      status: 400,
      type: "urn:ietf:params:acme:error:invalidContact",
      isClientError: true,
      message: "400 urn:ietf:params:acme:error:invalidContact: contact email is invalid",
    });
    expect(summary(seen)).toEqual([
      ["register_account", "GET", "200"],
      ["register_account", "HEAD", "200"],
      ["register_account", "POST", "400"],
    ]);
    expect(seen[0]).toMatchObject({ scheme: "http", host: new URL(base).host });
  });

  it("registers, then reuses the answer's nonce instead of asking for a new one", async () => {
    const seen: AcmeRequestObservation[] = [];
    const client = new AcmeClient({
      directoryUrl: `${base}/dir`,
      accountKeyPEM: keyPEM,
      metrics: { observe: (o) => seen.push(o) },
    });
    expect(await client.registerAccount("a@example.com")).toEqual({
      uri: `${base}/acct/1`,
      contact: ["mailto:a@example.com"],
    });
    await client.updateContact("a@example.com");
    expect(summary(seen)).toEqual([
      ["register_account", "GET", "200"],
      ["register_account", "HEAD", "200"],
      ["register_account", "POST", "201"],
      ["update_registration", "POST", "200"],
    ]);
  });
});
