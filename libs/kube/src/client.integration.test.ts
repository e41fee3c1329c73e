/**
 * KubeClient verbs, the error catalogue and status writes against a real kube-apiserver + etcd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import { KubeClient } from "./client.ts";
import {
  AlreadyExistsError,
  ConflictError,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  isNotFound,
} from "./errors.ts";
import { clientFor, controlPlaneBinariesPresent, createNamespace, eventually } from "./itest.ts";
import { getCondition, setCondition, updateStatusWithRetry, type Condition } from "./status.ts";
import { CoreResources, type KubeObject, type ResourceType } from "./types.ts";

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
interface Widget extends KubeObject {
  spec?: Record<string, unknown>;
  status?: { conditions?: Condition[]; phase?: string; seenBy?: string[] };
}

const widgets: ResourceType = {
  group: "test.certkeeper.io",
  version: "v1",
  plural: "widgets",
  namespaced: true,
  kind: "Widget",
};
const crds: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  namespaced: false,
  kind: "CustomResourceDefinition",
};

describe.skipIf(!controlPlaneBinariesPresent())("KubeClient (real API server)", { timeout: 60_000 }, () => {
  let cp: ControlPlane;
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    cp = await startControlPlane();
    client = clientFor(cp.kubeConfig());
    ns = await createNamespace(client, "client-test");
    const open = { type: "object", "x-kubernetes-preserve-unknown-fields": true };
    await client.create(crds, {
      metadata: { name: "widgets.test.certkeeper.io" },
      spec: {
        group: widgets.group,
        scope: "Namespaced",
        names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: { openAPIV3Schema: { type: "object", properties: { spec: open, status: open } } },
          },
        ],
      },
    } as KubeObject);
    await eventually(() => client.list(widgets, { namespace: ns }), 30_000, "Widget CRD served");
  }, 300_000);

  afterAll(async () => {
    await client?.close();
    await cp?.stop();
  });

  it("creates, gets, replaces, patches and deletes, with typed errors", async () => {
    const cm = await client.create<ConfigMap>(CoreResources.configMaps, {
      metadata: { namespace: ns, name: "a" },
      data: { k: "1" },
    });
    expect(cm.metadata?.uid).toBeTruthy();
    await expect(
      client.create(CoreResources.configMaps, { metadata: { namespace: ns, name: "a" } }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);

    const got = await client.get<ConfigMap>(CoreResources.configMaps, ns, "a");
    await client.replace<ConfigMap>(CoreResources.configMaps, { ...got, data: { k: "2" } });
    const stale = client.replace<ConfigMap>(CoreResources.configMaps, { ...got, data: { k: "3" } });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);

    const merged = await client.patch<ConfigMap>(
      CoreResources.configMaps,
      ns,
      "a",
      { data: { m: "x" } },
      { type: "merge" },
    );
    expect(merged.data).toEqual({ k: "2", m: "x" });
    const jsonPatched = await client.patch<ConfigMap>(
      CoreResources.configMaps,
      ns,
      "a",
      [{ op: "remove", path: "/data/m" }],
      { type: "json" },
    );
    expect(jsonPatched.data).toEqual({ k: "2" });

    await client.delete(CoreResources.configMaps, ns, "a");
    const missing = client.get(CoreResources.configMaps, ns, "a");
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.delete(CoreResources.configMaps, ns, "a")).rejects.toSatisfy(isNotFound);
  });

  it("reports 422 with the field paths and message of the API server", async () => {
    const err = await client
      .create(CoreResources.configMaps, { metadata: { namespace: ns, name: "Not_A_Valid_Name" } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidError);
    const inv = err as InvalidError;
    expect(inv.code).toBe("CK_KUBE_INVALID");
    expect(inv.causes.map((c) => c.field)).toContain("metadata.name");
    expect(inv.apiMessage).toMatch(/Not_A_Valid_Name/);
  });

  it("reports 403 for an identity without RBAC", async () => {
    const nobody = clientFor((await cp.identity("nobody")).kubeConfig());
    const err = await nobody.get(CoreResources.configMaps, ns, "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    await nobody.close();
  });

  it("server-side applies with a field manager: conflicts without force, takes over with force", async () => {
    const obj = { metadata: { namespace: ns, name: "ssa" }, data: { owned: "by-a" } };
    await client.apply(CoreResources.configMaps, obj, { fieldManager: "manager-a" });
    const clash = client.apply(
      CoreResources.configMaps,
      { ...obj, data: { owned: "by-b" } },
      { fieldManager: "manager-b", force: false },
    );
    await expect(clash).rejects.toBeInstanceOf(ConflictError);
    const forced = await client.apply<ConfigMap>(
      CoreResources.configMaps,
      { ...obj, data: { owned: "by-b" } },
      { fieldManager: "manager-b" },
    );
    expect(forced.data?.owned).toBe("by-b");
  });

  it("counts requests by verb and writes", async () => {
    const before = client.counter.snapshot();
    await client.create(CoreResources.configMaps, { metadata: { namespace: ns, name: "counted" } });
    await client.get(CoreResources.configMaps, ns, "counted");
    await client.list(CoreResources.configMaps, { namespace: ns });
    await client.patch(CoreResources.configMaps, ns, "counted", { data: { a: "b" } }, { type: "merge" });
    const after = client.counter.snapshot();
    expect(after.total - before.total).toBe(4);
    expect(after.writes - before.writes).toBe(2);
    expect(after.byVerb.get! - (before.byVerb.get ?? 0)).toBe(1);
    expect(after.byVerbResource["patch configmaps"]! - (before.byVerbResource["patch configmaps"] ?? 0)).toBe(
      1,
    );
  });

  it("keeps connections open across writes, including DELETEs with preconditions in the body", async () => {
    const names = Array.from({ length: 40 }, (_, i) => `kept-${i}`);
    for (const name of names)
      await client.create(CoreResources.configMaps, { metadata: { namespace: ns, name } });
    const before = client.counter.snapshot().connectionsOpened;
    for (const name of names) {
      const cm = await client.get<ConfigMap>(CoreResources.configMaps, ns, name);
      await client.delete(CoreResources.configMaps, ns, name, { preconditions: { uid: cm.metadata.uid } });
    }
    // One request at a time: a connection already open serves all 80 (undici would close the
    // connection after every DELETE with a body unless told otherwise).
    expect(client.counter.snapshot().connectionsOpened - before).toBeLessThanOrEqual(1);
  });

  it("throttles client-side when a rate limit is set", async () => {
    const slow = clientFor(cp.kubeConfig(), { rateLimit: { qps: 20, burst: 1 } });
    await Promise.all([1, 2, 3, 4].map(() => slow.list(CoreResources.configMaps, { namespace: ns })));
    expect(slow.counter.snapshot().throttledMs).toBeGreaterThanOrEqual(100);
    await slow.close();
  });

  it("updateStatus / applyStatus write only the status subresource", async () => {
    const w = await client.create<Widget>(widgets, {
      metadata: { namespace: ns, name: "w1" },
      spec: { size: 1 },
    });
    const updated = await client.updateStatus<Widget>(widgets, {
      ...w,
      spec: { size: 99 },
      status: { phase: "Put" },
    });
    expect(updated.status?.phase).toBe("Put");
    expect(updated.spec).toEqual({ size: 1 }); // spec changes are ignored on /status
    const applied = await client.applyStatus<Widget>(
      widgets,
      { metadata: { namespace: ns, name: "w1" }, status: { phase: "Applied" } },
      { fieldManager: "test" },
    );
    expect(applied.status?.phase).toBe("Applied");
  });

  it("updateStatusWithRetry re-reads after a conflicting writer and keeps that writer's change", async () => {
    await client.create<Widget>(widgets, { metadata: { namespace: ns, name: "w2" }, spec: {} });
    // A client whose first GET is followed by another writer's status update, so the object we
    // hold is stale by the time we write: the API server answers 409 and we must re-read.
    const writer = client;
    class RacingClient extends KubeClient {
      raced = false;
      override async get<T extends KubeObject>(...args: Parameters<KubeClient["get"]>): Promise<T> {
        const obj = await super.get<T>(...args);
        if (!this.raced) {
          this.raced = true;
          const cur = await writer.get<Widget>(widgets, ns, "w2");
          await writer.updateStatus<Widget>(widgets, { ...cur, status: { seenBy: ["other"] } });
        }
        return obj;
      }
    }
    const racing = new RacingClient(cp.kubeConfig());
    const now = new Date("2025-01-01T00:00:00Z");
    let calls = 0;
    const result = await updateStatusWithRetry<Widget>(racing, widgets, ns, "w2", (obj) => {
      calls++;
      obj.status = {
        ...obj.status,
        seenBy: [...(obj.status?.seenBy ?? []), "us"],
        conditions: setCondition(
          obj.status?.conditions,
          { type: "Ready", status: "True", reason: "Done" },
          now,
        ),
      };
      return obj;
    });
    expect(calls).toBe(2);
    expect(racing.counter.snapshot().conflicts).toBe(1);
    expect(result.status?.seenBy).toEqual(["other", "us"]);
    expect(getCondition(result.status?.conditions, "Ready")?.lastTransitionTime).toBe("2025-01-01T00:00:00Z");
    await racing.close();
  });

  it("updateStatusWithRetry gives up with ConflictError after its attempts, and writes nothing for null", async () => {
    await client.create<Widget>(widgets, { metadata: { namespace: ns, name: "w3" }, spec: {} });
    let n = 0;
    const err = await updateStatusWithRetry<Widget>(
      client,
      widgets,
      ns,
      "w3",
      (obj) => {
        n++;
        // Always stale: every write loses.
        return {
          ...obj,
          metadata: { ...obj.metadata, resourceVersion: "1" },
          status: { phase: `stale-${n}` },
        };
      },
      { attempts: 3 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(n).toBe(3);

    const writes = client.counter.snapshot().writes;
    await updateStatusWithRetry<Widget>(client, widgets, ns, "w3", () => null);
    await updateStatusWithRetry<Widget>(client, widgets, ns, "w3", (obj) => obj); // unchanged status
    expect(client.counter.snapshot().writes).toBe(writes);
  });
});
