/**
 * A test world of real parts: kube-apiserver + etcd, nats-server, the CRDs, and helpers to run
 * the controller in-process (fast) or as its own process (for kill/restart tests).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Resources, type Certificate } from "@certkeeper/api";
import { connectBus, replayEvents, type ReplayedEvent } from "@certkeeper/bus";
import { filters } from "@certkeeper/contracts";
import { CoreResources, KubeClient, isAlreadyExists, type KubeObject } from "@certkeeper/kube";
import { createLogger, silentLogger } from "@certkeeper/logging";
import {
  startControlPlane,
  startNats,
  waitFor,
  type ControlPlane,
  type NatsServerHandle,
} from "@certkeeper/testing";
import { applyCrds } from "../../../scripts/lib/crds.ts";
import { buildController, type ControllerApp } from "../../../services/controller/src/app.ts";
import { ControllerConfigSchema } from "../../../services/controller/src/config.ts";
import { loadConfig } from "@certkeeper/config";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export interface World {
  cp: ControlPlane;
  nats: NatsServerHandle;
  client: KubeClient;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const [cp, nats] = await Promise.all([startControlPlane(), startNats()]);
  await applyCrds(cp.kubeConfig());
  const client = new KubeClient(cp.kubeConfig());
  return {
    cp,
    nats,
    client,
    async stop() {
      await client.close();
      await nats.stop();
      await cp.stop();
    },
  };
}

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.create(CoreResources.namespaces, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

export function controllerArgs(world: World, extra: string[] = []): string[] {
  return [
    "--kubeconfig",
    world.cp.kubeconfigPath,
    "--nats-url",
    world.nats.url,
    "--cluster-resource-namespace",
    "cert-manager",
    "--metrics-listen-address",
    "127.0.0.1:0",
    "--healthz-listen-address",
    "127.0.0.1:0",
    ...extra,
  ];
}

/** Namespace `ns` (and cert-manager's) with a SelfSigned Issuer "selfsigned" in it. */
export async function selfSignedNamespace(world: World, ns: string): Promise<void> {
  await createNamespace(world.client, ns);
  await createNamespace(world.client, "cert-manager");
  await apply(world.client, "Issuer", {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name: "selfsigned", namespace: ns },
    spec: { selfSigned: {} },
  });
}

/** The controller in this process: quick to start, for behaviour tests. */
export async function startControllerInProcess(
  world: World,
  extra: string[] = [],
  opts: { acme?: false } = {},
): Promise<ControllerApp> {
  const config = loadConfig(ControllerConfigSchema, { argv: controllerArgs(world, extra) });
  const log = process.env.CERTKEEPER_TEST_LOGS
    ? createLogger({ service: "controller", level: "debug" })
    : silentLogger();
  const app = buildController({ config, kubeConfig: world.cp.kubeConfig(), log, ...opts });
  await app.start();
  return app;
}

/** The controller as its own process, as it runs in a pod; killable. */
export function startControllerProcess(
  world: World,
  logName = "controller.log",
  extra: string[] = [],
): ChildProcess {
  const log = createWriteStream(join(world.cp.workDir, logName), { flags: "a" });
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "services/controller/src/main.ts"), ...controllerArgs(world, extra)],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

export async function apply<T extends KubeObject>(
  client: KubeClient,
  kind: keyof typeof Resources,
  obj: T,
): Promise<T> {
  return client.apply<T>(Resources[kind], obj, { fieldManager: "test", force: true });
}

export function isReady(
  obj: { status?: { conditions?: Array<{ type: string; status: string }> } } | undefined,
): boolean {
  return !!obj?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
}

export async function waitForCertificate(
  client: KubeClient,
  ns: string,
  name: string,
  pred: (c: Certificate) => boolean,
  timeoutMs = 30_000,
): Promise<Certificate> {
  return waitFor(
    `Certificate ${ns}/${name}`,
    async () => {
      const c = await client.get<Certificate>(Resources.Certificate, ns, name).catch(() => undefined);
      return c && pred(c) ? c : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** Every stored event of one object, from the CM_EVENTS stream. */
export async function eventsOf(world: World, uid: string): Promise<ReplayedEvent[]> {
  const bus = await connectBus({ servers: world.nats.url, name: "test-reader", logger: silentLogger() });
  try {
    const out: ReplayedEvent[] = [];
    for await (const ev of replayEvents(bus, { filter: filters.eventsOf(uid) })) out.push(ev);
    return out;
  } finally {
    await bus.close();
  }
}

export async function allEvents(world: World): Promise<ReplayedEvent[]> {
  const bus = await connectBus({ servers: world.nats.url, name: "test-reader", logger: silentLogger() });
  try {
    const out: ReplayedEvent[] = [];
    for await (const ev of replayEvents(bus, { filter: filters.allEvents() })) out.push(ev);
    return out;
  } finally {
    await bus.close();
  }
}
