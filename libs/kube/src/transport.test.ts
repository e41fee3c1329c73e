/**
 * Transport behaviour that needs no API server, only an HTTP server on a random port: the
 * kubeconfig's server URL with a path, and how many connections a 401 costs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { Transport } from "./transport.ts";

function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain HTTP unless TLS verification is off.
    clusters: [{ name: "c", server, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

let server: Server | undefined;
let transport: Transport | undefined;

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await transport?.close();
  server?.closeAllConnections();
  server?.close();
  transport = server = undefined;
});

const get = (t: Transport) => t.request({ method: "GET", path: "/api", verb: "get", resource: "x" });

describe("Transport", () => {
  it("keeps the path of the kubeconfig's server URL (an API server behind a proxy, e.g. Rancher)", async () => {
    const seen: string[] = [];
    const origin = await serve((req, res) => {
      seen.push(req.url!);
      res.end("{}");
    });
    transport = new Transport(kubeConfig(`${origin}/k8s/clusters/c-1/`));
    await expect(
      transport.request({
        method: "GET",
        path: "/api/v1/namespaces",
        query: { limit: 1 },
        verb: "list",
        resource: "namespaces",
      }),
    ).resolves.toEqual({ status: 200, body: "{}" });
    expect(seen).toEqual(["/k8s/clusters/c-1/api/v1/namespaces?limit=1"]);
  });

  it("re-reads credentials after a 401 without opening a new pool of connections each time", async () => {
    const origin = await serve((_req, res) => {
      res.statusCode = 401;
      res.end(JSON.stringify({ kind: "Status", code: 401, reason: "Unauthorized", message: "Unauthorized" }));
    });
    transport = new Transport(kubeConfig(origin));
    for (let i = 0; i < 10; i++) await expect(get(transport)).rejects.toThrow(/Unauthorized/);
    // 20 requests (each 401 is retried once with fresh credentials) over kept-alive connections;
    // a new pool per 401 opened a connection (a TLS handshake) for every one of them.
    expect(transport.counter.snapshot().total).toBe(20);
    expect(transport.counter.snapshot().connectionsOpened).toBeLessThanOrEqual(2);
  });
});
