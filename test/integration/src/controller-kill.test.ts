/**
 * Killing the controller (SIGKILL, as the kernel's OOM killer or a node loss would) at various
 * points of an issuance, then starting it again, ends with every Certificate Ready exactly once:
 * revision 1, one CertificateRequest named <certificate>-1, no leftover next-key Secrets.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type Certificate, type CertificateRequest } from "@certkeeper/api";
import { CoreResources, type Secret } from "@certkeeper/kube";
import { waitFor } from "@certkeeper/testing";
import { apply, createNamespace, isReady, startControllerProcess, startWorld, type World } from "./world.ts";

const NS = "kill";
const COUNT = 30;
let world: World;
let controller: ChildProcess | undefined;

beforeAll(async () => {
  world = await startWorld();
  await createNamespace(world.client, NS);
  await createNamespace(world.client, "cert-manager");
  await apply(world.client, "Issuer", {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name: "selfsigned", namespace: NS },
    spec: { selfSigned: {} },
  });
});

afterAll(async () => {
  controller?.kill("SIGKILL");
  await world?.stop();
});

async function kill(): Promise<void> {
  if (!controller || controller.exitCode !== null) return;
  const exited = once(controller, "exit");
  controller.kill("SIGKILL");
  await exited;
}

describe("controller killed mid-issuance", () => {
  it("converges to one Ready certificate per Certificate with no duplicate request", async () => {
    controller = startControllerProcess(world, "controller-kill.log");
    for (let i = 0; i < COUNT; i++) {
      await apply(world.client, "Certificate", {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: `c${i}`, namespace: NS },
        spec: {
          secretName: `c${i}-tls`,
          dnsNames: [`c${i}.example.com`],
          privateKey: { algorithm: "ECDSA" },
          issuerRef: { name: "selfsigned" },
        },
      } as Certificate);
    }
    // Kill as soon as each run has made progress (a key Secret, a request or a Secret written),
    // so the kills land in different stages of different issuances.
    const progress = async () => {
      const [secrets, crs, certs] = await Promise.all([
        world.client.list<Secret>(CoreResources.secrets, { namespace: NS }),
        world.client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS }),
        world.client.list<Certificate>(Resources.Certificate, { namespace: NS }),
      ]);
      return { writes: secrets.items.length + crs.items.length, ready: certs.items.filter(isReady).length };
    };
    const stages: Array<{ writes: number; ready: number }> = [];
    for (let run = 0; run < 4; run++) {
      const before = await progress();
      if (before.ready === COUNT) break;
      const after = await waitFor(
        `progress in run ${run}`,
        async () => {
          const p = await progress();
          return p.writes > before.writes || p.ready > before.ready ? p : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20 },
      );
      await kill();
      stages.push(after);
      controller = startControllerProcess(world, "controller-kill.log");
    }
    // At least two kills landed while issuances were in flight.
    expect(stages.filter((s) => s.ready < COUNT).length).toBeGreaterThanOrEqual(2);

    const certs = await waitFor(
      "all Certificates Ready",
      async () => {
        const list = (await world.client.list<Certificate>(Resources.Certificate, { namespace: NS })).items;
        return list.length === COUNT && list.every(isReady) ? list : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    for (const c of certs) expect(c.status?.revision).toBe(1);

    const crs = (await world.client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS }))
      .items;
    expect(crs.map((c) => c.metadata.name).sort()).toEqual(certs.map((c) => `${c.metadata.name}-1`).sort());

    await waitFor(
      "next-key Secrets cleaned up",
      async () => {
        const secrets = (
          await world.client.list<Secret>(CoreResources.secrets, {
            namespace: NS,
            labelSelector: "cert-manager.io/next-private-key=true",
          })
        ).items;
        return secrets.length === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const tls = (
      await world.client.list<Secret>(CoreResources.secrets, {
        namespace: NS,
        labelSelector: "controller.cert-manager.io/fao=true",
      })
    ).items;
    expect(tls.map((s) => s.metadata.name).sort()).toEqual(certs.map((c) => c.spec.secretName).sort());
  });
});
