/**
 * Two controller replicas share the work through NATS membership: both issue, neither
 * duplicates a request, and when one is killed the other takes over its Certificates.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type Certificate, type CertificateRequest } from "@certkeeper/api";
import { waitFor } from "@certkeeper/testing";
import { apply, createNamespace, isReady, startControllerProcess, startWorld, type World } from "./world.ts";

const NS = "replicas";
let world: World;
const replicas: ChildProcess[] = [];

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
  for (const r of replicas) r.kill("SIGKILL");
  await world?.stop();
});

const create = (name: string) =>
  apply(world.client, "Certificate", {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: NS },
    spec: {
      secretName: `${name}-tls`,
      dnsNames: [`${name}.example.com`],
      privateKey: { algorithm: "ECDSA" },
      issuerRef: { name: "selfsigned" },
    },
  } as Certificate);

async function allReady(names: string[]): Promise<Certificate[]> {
  return waitFor(
    `${names.length} Certificates Ready`,
    async () => {
      const list = (
        await world.client.list<Certificate>(Resources.Certificate, { namespace: NS })
      ).items.filter((c) => names.includes(c.metadata.name!));
      return list.length === names.length && list.every(isReady) ? list : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

describe("controller replicas", () => {
  it("share issuance, and the survivor takes over when one dies", async () => {
    replicas.push(
      startControllerProcess(world, "replica-a.log"),
      startControllerProcess(world, "replica-b.log"),
    );
    const logOf = (n: string) => readFileSync(join(world.cp.workDir, n), "utf8");
    await waitFor(
      "both replicas see two members",
      async () =>
        ["replica-a.log", "replica-b.log"].every((l) => /"members":\["[^"]+","[^"]+"\]/.test(logOf(l)))
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const batch1 = Array.from({ length: 16 }, (_, i) => `r${i}`);
    await Promise.all(batch1.map(create));
    const certs = await allReady(batch1);
    for (const c of certs) expect(c.status?.revision).toBe(1);
    const crs = (await world.client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS }))
      .items;
    expect(crs.map((c) => c.metadata.name).sort()).toEqual(batch1.map((n) => `${n}-1`).sort());

    // Kill one replica: within one membership TTL the other owns everything.
    replicas[0]!.kill("SIGKILL");
    const batch2 = Array.from({ length: 8 }, (_, i) => `s${i}`);
    await Promise.all(batch2.map(create));
    await allReady(batch2);
    expect(logOf("replica-b.log")).toMatch(/"members":\["[^"]+"\]/);
  });
});
