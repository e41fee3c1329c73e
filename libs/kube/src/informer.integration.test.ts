/**
 * Informers and the filtered SecretCache against a real kube-apiserver + etcd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import type { KubeClient } from "./client.ts";
import { Informer } from "./informer.ts";
import { clientFor, controlPlaneBinariesPresent, createNamespace, eventually } from "./itest.ts";
import { SecretCache, FULL_CACHE_LABEL } from "./secretcache.ts";
import { indexByAnnotation, indexByOwnerUID } from "./store.ts";
import { Controller } from "./reconciler.ts";
import {
  CoreResources,
  objectKey,
  splitKey,
  type KubeObject,
  type PartialObjectMetadata,
  type Secret,
} from "./types.ts";

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe.skipIf(!controlPlaneBinariesPresent())("Informer (real API server)", { timeout: 60_000 }, () => {
  let cp: ControlPlane;
  let client: KubeClient;
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    client = clientFor(cp.kubeConfig());
  }, 300_000);

  afterAll(async () => {
    for (const s of stops) await s();
    await client?.close();
    await cp?.stop();
  });

  function track<T extends { stop(): Promise<void> }>(x: T): T {
    stops.push(() => x.stop());
    return x;
  }

  it("lists (paginated), then watches adds/updates/deletes into the cache and handlers", async () => {
    const ns = await createNamespace(client, "inf-cm");
    for (let i = 0; i < 5; i++) {
      await client.create(CoreResources.configMaps, {
        metadata: { namespace: ns, name: `cm-${i}` },
        data: { i: `${i}` },
      });
    }
    const listsBefore = client.counter.snapshot().byVerb.list ?? 0;
    const inf = track(
      new Informer<ConfigMap>({
        client,
        resource: CoreResources.configMaps,
        namespace: ns,
        pageSize: 2,
        indexers: { owner: indexByOwnerUID, team: indexByAnnotation("example.com/team") },
      }),
    );
    const events: string[] = [];
    inf.onAdd((o) => events.push(`add ${o.metadata?.name}`));
    inf.onUpdate((_old, o) => events.push(`update ${o.metadata?.name} ${o.data?.i}`));
    inf.onDelete((o) => events.push(`delete ${o.metadata?.name}`));
    inf.start();
    expect(await inf.waitForSync()).toBe(true);
    expect(inf.list(ns)).toHaveLength(5);
    expect(client.counter.snapshot().byVerb.list! - listsBefore).toBe(3); // 5 items, pages of 2
    const cm0 = inf.get(ns, "cm-0")!;
    expect(cm0.kind).toBe("ConfigMap"); // filled in for list items
    expect(cm0.metadata?.managedFields).toBeUndefined();
    expect(Object.isFrozen(cm0.metadata)).toBe(true);

    // watch: update, add with annotation, delete
    await client.patch(CoreResources.configMaps, ns, "cm-1", { data: { i: "one" } }, { type: "merge" });
    await client.create(CoreResources.configMaps, {
      metadata: { namespace: ns, name: "cm-new", annotations: { "example.com/team": "blue" } },
    });
    await client.delete(CoreResources.configMaps, ns, "cm-2");
    await eventually(
      () => inf.get(ns, "cm-new") && !inf.get(ns, "cm-2") && inf.get(ns, "cm-1")?.data?.i === "one",
    );
    expect(events).toEqual(expect.arrayContaining(["update cm-1 one", "add cm-new", "delete cm-2"]));
    expect(inf.byIndex("team", "blue").map((o) => o.metadata?.name)).toEqual(["cm-new"]);
    expect(inf.get(ns, "cm-1")?.metadata?.managedFields).toBeUndefined();

    // a handler registered late gets the cached objects replayed as adds
    const late: string[] = [];
    inf.onAdd((o) => late.push(o.metadata!.name!));
    expect(late.sort()).toEqual(["cm-0", "cm-1", "cm-3", "cm-4", "cm-new"]);
  });

  it("restarts a watch the server ends (timeoutSeconds) from the last resourceVersion, without re-listing", async () => {
    const ns = await createNamespace(client, "inf-timeout");
    const inf = track(
      new Informer<ConfigMap>({
        client,
        resource: CoreResources.configMaps,
        namespace: ns,
        watchTimeoutSeconds: 1,
      }),
    );
    inf.start();
    await inf.waitForSync();
    const before = client.counter.snapshot().byVerbResource;
    await new Promise((r) => setTimeout(r, 2_500));
    await client.create(CoreResources.configMaps, { metadata: { namespace: ns, name: "after-timeouts" } });
    await eventually(() => inf.get(ns, "after-timeouts"));
    const after = client.counter.snapshot().byVerbResource;
    expect(after["list configmaps"]).toBe(before["list configmaps"]);
    expect(after["watch configmaps"]! - before["watch configmaps"]!).toBeGreaterThanOrEqual(2);
  });

  it("metadata-only mode caches Secrets without data, on list and on watch", async () => {
    const ns = await createNamespace(client, "inf-meta");
    await client.create(CoreResources.secrets, {
      metadata: { namespace: ns, name: "listed", labels: { app: "x" } },
      data: { password: b64("hunter2") },
    } as Secret);
    const inf = track(
      new Informer<PartialObjectMetadata>({
        client,
        resource: CoreResources.secrets,
        namespace: ns,
        metadataOnly: true,
      }),
    );
    inf.start();
    await inf.waitForSync();
    await client.create(CoreResources.secrets, {
      metadata: { namespace: ns, name: "watched" },
      data: { password: b64("hunter3") },
    } as Secret);
    const watched = await eventually(() => inf.get(ns, "watched"));
    for (const o of [inf.get(ns, "listed")!, watched]) {
      expect(o.kind).toBe("PartialObjectMetadata");
      expect(o).not.toHaveProperty("data");
      expect(o.metadata.managedFields).toBeUndefined();
      expect(o.metadata.uid).toBeTruthy();
    }
    expect(inf.get(ns, "listed")?.metadata.labels).toEqual({ app: "x" });
  });

  it("SecretCache: labelled Secrets cached whole, others as metadata with a live GET fallback", async () => {
    const ns = await createNamespace(client, "inf-secretcache");
    await client.create(CoreResources.secrets, {
      metadata: { namespace: ns, name: "ours", labels: { [FULL_CACHE_LABEL]: "true" } },
      data: { "tls.crt": b64("crt") },
    } as Secret);
    await client.create(CoreResources.secrets, {
      metadata: {
        namespace: ns,
        name: "theirs",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": '{"data":{"password":"c2VjcmV0"}}',
        },
      },
      data: { password: b64("secret") },
    } as Secret);
    const cache = track(new SecretCache({ client, namespace: ns }));
    cache.start();
    expect(await cache.waitForSync()).toBe(true);

    expect(cache.full.get(ns, "ours")?.data?.["tls.crt"]).toBe(b64("crt"));
    expect(cache.full.get(ns, "theirs")).toBeUndefined();
    const meta = cache.metadata.get(ns, "theirs")!;
    expect(meta).not.toHaveProperty("data");
    expect(meta.metadata.annotations ?? {}).not.toHaveProperty(
      "kubectl.kubernetes.io/last-applied-configuration",
    );

    const gets = () => client.counter.snapshot().byVerbResource["get secrets"] ?? 0;
    const g0 = gets();
    expect((await cache.getSecret(ns, "ours"))?.data?.["tls.crt"]).toBe(b64("crt"));
    expect(gets()).toBe(g0); // served from the full cache
    expect((await cache.getSecret(ns, "theirs"))?.data?.password).toBe(b64("secret"));
    expect(gets()).toBe(g0 + 1); // one live GET
    expect(await cache.getSecret(ns, "missing")).toBeUndefined();
    expect(gets()).toBe(g0 + 1); // unknown to both caches: no API call

    // labelling moves a Secret from the metadata cache to the full cache
    await client.patch(
      CoreResources.secrets,
      ns,
      "theirs",
      { metadata: { labels: { [FULL_CACHE_LABEL]: "true" } } },
      {
        type: "merge",
      },
    );
    await eventually(() => cache.full.get(ns, "theirs") && !cache.metadata.get(ns, "theirs"));
    expect(cache.getMetadata(ns, "theirs")?.metadata?.name).toBe("theirs");
  });

  it("drives a Controller: informer events → keys → reconcile → one write, level-based", async () => {
    const ns = await createNamespace(client, "inf-controller");
    const inf = track(new Informer<ConfigMap>({ client, resource: CoreResources.configMaps, namespace: ns }));
    const seen: string[] = [];
    const ctrl = new Controller({
      name: "mirror",
      workers: 2,
      reconcile: async (key) => {
        seen.push(key);
        const { namespace, name } = splitKey(key);
        const cm = inf.get(namespace, name);
        if (!cm || cm.data?.mirrored === cm.data?.source) return;
        await client.patch(
          CoreResources.configMaps,
          namespace,
          name,
          { data: { mirrored: cm.data?.source ?? "" } },
          { type: "merge" },
        );
      },
    });
    const enqueue = (o: KubeObject) => ctrl.enqueue(objectKey(o));
    inf.onAdd(enqueue);
    inf.onUpdate((_old, o) => enqueue(o));
    inf.onDelete(enqueue);
    inf.start();
    await inf.waitForSync();
    const running = ctrl.start();
    await client.create(CoreResources.configMaps, {
      metadata: { namespace: ns, name: "m" },
      data: { source: "x" },
    });
    await eventually(() => inf.get(ns, "m")?.data?.mirrored === "x");
    await client.patch(CoreResources.configMaps, ns, "m", { data: { source: "y" } }, { type: "merge" });
    await eventually(() => inf.get(ns, "m")?.data?.mirrored === "y");
    await ctrl.stop();
    await running;
    expect(ctrl.counters.get("mirror").errors).toBe(0);
    expect(seen.every((k) => k === `${ns}/m`)).toBe(true);
  });
});
