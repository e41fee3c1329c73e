/**
 * Informer recovery against a real API server: the connection is cut (a TCP proxy in between is
 * closed), changes happen meanwhile, etcd history is compacted, and on reconnect the watch from
 * the old resourceVersion gets 410 Gone, so the informer re-lists and reconciles its cache —
 * including the delete it never saw as an event.
 *
 * The API server runs without its watch cache and with 1 s etcd compaction, so an old
 * resourceVersion really is gone within seconds.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { createLogger } from "@certkeeper/logging";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import type { KubeClient } from "./client.ts";
import { Informer } from "./informer.ts";
import { clientFor, controlPlaneBinariesPresent, createNamespace, eventually } from "./itest.ts";
import { CoreResources, type KubeObject } from "./types.ts";

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** A TCP pass-through that can drop every connection and refuse new ones. */
class Proxy {
  private server!: Server;
  private sockets = new Set<Socket>();
  private open = true;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (!this.open) return client.destroy();
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.cut();
    this.server.close();
  }
}

describe.skipIf(!controlPlaneBinariesPresent())(
  "Informer re-list on 410 Gone (real API server)",
  { timeout: 60_000 },
  () => {
    let cp: ControlPlane;
    let admin: KubeClient;
    let proxy: Proxy;
    let viaProxy: KubeClient;

    beforeAll(async () => {
      cp = await startControlPlane({
        apiServerArgs: ["--watch-cache=false", "--etcd-compaction-interval=1s"],
      });
      admin = clientFor(cp.kubeConfig());
      const url = new URL(cp.server);
      proxy = new Proxy({ host: url.hostname, port: Number(url.port) });
      await proxy.start();
      const kc = cp.kubeConfig();
      const cluster = kc.getCurrentCluster()!;
      const proxied = new KubeConfig();
      proxied.loadFromClusterAndUser(
        { ...cluster, server: `https://127.0.0.1:${proxy.port}` },
        kc.getCurrentUser()!,
      );
      viaProxy = clientFor(proxied);
    }, 300_000);

    afterAll(async () => {
      await viaProxy?.close();
      await admin?.close();
      await proxy?.stop();
      await cp?.stop();
    });

    it("reconnects with backoff, gets 410 for its stale resourceVersion, re-lists and emits the missed delete", async () => {
      const ns = await createNamespace(admin, "relist");
      for (const name of ["keep", "remove"]) {
        await admin.create(CoreResources.configMaps, { metadata: { namespace: ns, name }, data: { v: "1" } });
      }
      const logs: string[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _enc, done) {
          logs.push(chunk.toString());
          done();
        },
      });
      const inf = new Informer<ConfigMap>({
        log: createLogger({ service: "test", level: "info", destination }),
        client: viaProxy,
        resource: CoreResources.configMaps,
        namespace: ns,
        backoff: { baseMs: 100, maxMs: 400 },
      });
      const deleted: string[] = [];
      inf.onDelete((o) => deleted.push(o.metadata!.name!));
      inf.start();
      await inf.waitForSync();
      const rvBefore = inf.resourceVersion;
      expect(inf.list(ns)).toHaveLength(2);

      proxy.cut();
      await admin.delete(CoreResources.configMaps, ns, "remove");
      await admin.patch(CoreResources.configMaps, ns, "keep", { data: { v: "2" } }, { type: "merge" });
      await admin.create(CoreResources.configMaps, { metadata: { namespace: ns, name: "added" } });
      // Let the API server compact etcd past the informer's resourceVersion (two 1 s intervals).
      await new Promise((r) => setTimeout(r, 3_500));
      const listsBefore = viaProxy.counter.snapshot().byVerb.list ?? 0;
      proxy.restore();

      await eventually(
        () => inf.get(ns, "added") && !inf.get(ns, "remove") && inf.get(ns, "keep")?.data?.v === "2",
        15_000,
      );
      expect(deleted).toEqual(["remove"]);
      expect(logs.some((l) => l.includes("expired (410)"))).toBe(true);
      expect(logs.some((l) => l.includes("backing off"))).toBe(true);
      expect(viaProxy.counter.snapshot().byVerb.list! - listsBefore).toBeGreaterThanOrEqual(1); // re-listed
      expect(Number(inf.resourceVersion)).toBeGreaterThan(Number(rvBefore));
      await inf.stop();
    });
  },
);
