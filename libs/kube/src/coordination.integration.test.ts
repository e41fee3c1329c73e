/**
 * Event recording and Lease leader election against a real kube-apiserver + etcd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import type { KubeClient } from "./client.ts";
import { KubeEventRecorder } from "./events.ts";
import { clientFor, controlPlaneBinariesPresent, createNamespace, eventually } from "./itest.ts";
import { LeaderElector, type Lease } from "./leaderelection.ts";
import { formatMicroTime } from "./status.ts";
import { CoreResources, type KubeObject } from "./types.ts";

interface CoreEvent extends KubeObject {
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source?: { component?: string };
  reportingComponent?: string;
}

const FAST = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 };

describe.skipIf(!controlPlaneBinariesPresent())(
  "events and leader election (real API server)",
  { timeout: 60_000 },
  () => {
    let cp: ControlPlane;
    let client: KubeClient;
    let ns: string;

    beforeAll(async () => {
      cp = await startControlPlane();
      client = clientFor(cp.kubeConfig());
      ns = await createNamespace(client, "coord-test");
    }, 300_000);

    afterAll(async () => {
      await client?.close();
      await cp?.stop();
    });

    const eventsFor = async (namespace: string, name: string) =>
      (
        await client.list<CoreEvent>(CoreResources.events, {
          namespace,
          fieldSelector: `involvedObject.name=${name}`,
        })
      ).items;

    describe("KubeEventRecorder", () => {
      it("aggregates repeats of (object, reason, message) into one Event's count", async () => {
        const cm = await client.create<KubeObject>(CoreResources.configMaps, {
          metadata: { namespace: ns, name: "evented" },
        });
        const target = { ...cm, apiVersion: "v1", kind: "ConfigMap" };
        const rec = new KubeEventRecorder({ client, component: "cert-manager-test" });
        rec.event(target, "Normal", "Issuing", "Issuing certificate as Secret does not exist");
        rec.event(target, "Normal", "Issuing", "Issuing certificate as Secret does not exist");
        rec.event(target, "Normal", "Issuing", "Issuing certificate as Secret does not exist");
        rec.event(target, "Warning", "Failed", "something else");
        await rec.flush();

        const events = await eventsFor(ns, "evented");
        expect(events).toHaveLength(2);
        const issuing = events.find((e) => e.reason === "Issuing")!;
        expect(issuing.count).toBe(3);
        expect(issuing.type).toBe("Normal");
        expect(issuing.involvedObject).toMatchObject({
          kind: "ConfigMap",
          name: "evented",
          namespace: ns,
          uid: cm.metadata?.uid,
        });
        expect(issuing.source?.component).toBe("cert-manager-test");
        expect(issuing.reportingComponent).toBe("cert-manager-test");
        expect(issuing.metadata?.name).toMatch(/^evented\.[0-9a-f]+$/);
        expect(events.find((e) => e.reason === "Failed")?.count).toBe(1);
        // 4 calls: 2 creates + 2 patches
        expect(client.counter.snapshot().byVerbResource["patch events"]).toBe(2);
      });

      it("starts a new Event after the aggregation window or when the old one is gone", async () => {
        let now = new Date("2025-01-01T00:00:00Z");
        const clock = { now: () => now, setTimeout: () => ({}) as never, clearTimeout: () => {} };
        const rec = new KubeEventRecorder({ client, component: "c", clock, aggregationWindowMs: 60_000 });
        const target = {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { namespace: ns, name: "windowed", uid: "u-1" },
        };
        rec.event(target, "Normal", "R", "m");
        await rec.flush();
        now = new Date("2025-01-01T00:02:00Z");
        rec.event(target, "Normal", "R", "m");
        await rec.flush();
        expect(await eventsFor(ns, "windowed")).toHaveLength(2);

        const [first] = await eventsFor(ns, "windowed");
        for (const e of await eventsFor(ns, "windowed"))
          await client.delete(CoreResources.events, ns, e.metadata!.name!);
        rec.event(target, "Normal", "R", "m"); // within window, but its Event was deleted
        await rec.flush();
        const after = await eventsFor(ns, "windowed");
        expect(after).toHaveLength(1);
        expect(after[0]!.metadata?.name).not.toBe(first!.metadata?.name);
      });

      it("puts Events of cluster-scoped objects in default, and never throws when it cannot write", async () => {
        const rec = new KubeEventRecorder({ client, component: "c" });
        rec.event(
          { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, uid: "u-ns" } },
          "Normal",
          "Seen",
          "hello",
        );
        await rec.flush();
        expect((await eventsFor("default", ns)).map((e) => e.reason)).toEqual(["Seen"]);

        const nobody = clientFor((await cp.identity("no-events")).kubeConfig());
        const denied = new KubeEventRecorder({ client: nobody, component: "c" });
        expect(() =>
          denied.event({ kind: "ConfigMap", metadata: { namespace: ns, name: "x" } }, "Warning", "R", "m"),
        ).not.toThrow();
        await expect(denied.flush()).resolves.toBeUndefined();
        await nobody.close();
      });
    });

    describe("LeaderElector", () => {
      function elector(
        name: string,
        lease: string,
        log: string[],
        extra: Partial<ConstructorParameters<typeof LeaderElector>[0]> = {},
      ) {
        const e: LeaderElector = new LeaderElector({
          client,
          namespace: ns,
          name: lease,
          identity: name,
          ...FAST,
          onStartedLeading: () => {
            log.push(`${name} started`);
          },
          onStoppedLeading: () => log.push(`${name} stopped`),
          ...extra,
        });
        return e;
      }
      const holder = async (lease: string) => (await client.get<Lease>(CoreResources.leases, ns, lease)).spec;

      it("elects one of two candidates and hands over on a clean stop (lease released)", async () => {
        const log: string[] = [];
        const a = elector("a", "handover", log);
        const b = elector("b", "handover", log);
        const ra = a.run();
        await eventually(() => a.isLeader());
        const rb = b.run();
        await new Promise((r) => setTimeout(r, 600));
        expect(b.isLeader()).toBe(false);
        expect((await holder("handover"))?.holderIdentity).toBe("a");

        const stoppedAt = Date.now();
        await a.stop();
        await ra;
        await eventually(() => b.isLeader(), 5_000);
        // Released: b did not have to wait out the 2 s lease.
        expect(Date.now() - stoppedAt).toBeLessThan(1_500);
        const spec = await holder("handover");
        expect(spec).toMatchObject({ holderIdentity: "b", leaseDurationSeconds: 2, leaseTransitions: 1 });
        expect(log).toEqual(["a started", "a stopped", "b started"]);
        await b.stop();
        await rb;
        expect((await holder("handover"))?.holderIdentity).toBe("");
      });

      it("takes over only after the lease expires when the leader vanished without releasing", async () => {
        const log: string[] = [];
        const a = elector("a", "expiry", log, { releaseOnCancel: false });
        const b = elector("b", "expiry", log);
        void a.run();
        await eventually(() => a.isLeader());
        void b.run();
        const stoppedAt = Date.now();
        await a.stop();
        await eventually(() => b.isLeader(), 10_000);
        expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1_500);
        await b.stop();
      });

      it("steps down when another holder takes the lease", async () => {
        const log: string[] = [];
        let leadership: AbortSignal | undefined;
        const a = elector("a", "stolen", log, {
          onStartedLeading: (signal) => {
            leadership = signal;
          },
        });
        const run = a.run();
        await eventually(() => a.isLeader());
        // a renews concurrently, so our write may conflict: retry until it lands.
        await eventually(async () => {
          const lease = await client.get<Lease>(CoreResources.leases, ns, "stolen");
          const now = formatMicroTime(new Date());
          return client.replace<Lease>(CoreResources.leases, {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: "intruder",
              renewTime: now,
              acquireTime: now,
              leaseDurationSeconds: 30,
            },
          });
        });
        await run; // run() returns once leadership is lost
        expect(a.isLeader()).toBe(false);
        expect(leadership?.aborted).toBe(true);
        expect(log).toEqual(["a stopped"]);
        expect((await holder("stolen"))?.holderIdentity).toBe("intruder"); // not released: not ours
      });
    });
  },
);
