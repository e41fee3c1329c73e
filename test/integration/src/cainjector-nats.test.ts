/**
 * The cainjector with NATS (an accelerator, never a requirement), leader election hand-over, and
 * main.ts as a real process. Real kube-apiserver and nats-server; the test plays the controller
 * that publishes `certificate … issued`.
 */
import { spawn } from "node:child_process";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Annotations, Resources } from "@certkeeper/api";
import {
  connectBus,
  ensureEventStream,
  EventPublisher,
  subscribeEvents,
  type Bus,
  type BusEventMessage,
} from "@certkeeper/bus";
import { containsKeyMaterial, filters } from "@certkeeper/contracts";
import { CoreResources, KubeClient, type KubeObject } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import {
  startControlPlane,
  startNats,
  type ControlPlane,
  type Identity,
  type NatsServerHandle,
} from "@certkeeper/testing";
import { build, type CAInjectorApp } from "../../../services/cainjector/src/app.ts";
import { loadCAInjectorConfig } from "../../../services/cainjector/src/config.ts";
import {
  ADMISSION,
  aCASecret,
  aWebhookConfiguration,
  applyCertManagerCrds,
  ensureNamespace,
  eventually,
  grantCAInjectorRBAC,
  sleep,
  webhookBundles,
  type Webhooks,
} from "../../../services/cainjector/src/itest.ts";
import { aCA } from "../../../services/cainjector/src/test-helpers.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const NS = "cainjector-nats";
const USER = "certkeeper-cainjector";
const VWC = "validatingwebhookconfiguration";

let cp: ControlPlane;
let nats: NatsServerHandle;
let admin: KubeClient;
let identity: Identity;
let bus: Bus;
let publisher: EventPublisher;
const injected: BusEventMessage[] = [];
let app: CAInjectorApp;

function newApp(id: string): CAInjectorApp {
  const config = loadCAInjectorConfig({
    argv: [
      `--nats-url=${nats.url}`,
      "--leader-election-lease-duration=6s",
      "--leader-election-renew-deadline=4s",
      "--leader-election-retry-period=1s",
      "--resync-period=1h",
      "--metrics-listen-address=",
      "--healthz-listen-address=",
    ],
    env: {},
  });
  return build({ config, kubeConfig: identity.kubeConfig(), log: silentLogger(), identity: id });
}

beforeAll(async () => {
  [cp, nats] = await Promise.all([startControlPlane(), startNats()]);
  admin = new KubeClient(cp.kubeConfig());
  await applyCertManagerCrds(admin);
  await ensureNamespace(admin, NS);
  await grantCAInjectorRBAC(admin, USER, "kube-system");
  identity = await cp.identity(USER);
  bus = await connectBus({
    servers: nats.url,
    name: "cainjector-test",
    logger: silentLogger(),
    reconnectTimeWaitMs: 200,
  });
  await ensureEventStream(bus);
  publisher = new EventPublisher(bus);
  subscribeEvents(bus, filters.eventOfKind("injectable", "injected"), (m) => void injected.push(m));
  app = newApp("nats-a");
  await app.start();
  await eventually(() => app.isLeader() && app.natsConnected(), 30_000, "leader with NATS");
});

afterAll(async () => {
  await app?.stop();
  publisher?.close();
  await bus?.close();
  await admin?.close();
  await nats?.stop();
  await cp?.stop();
});

let ca1: string;
let ca2: string;
let certUID: string;
let rvSeq = 0;
const bundles = async (name: string) =>
  webhookBundles(await admin.get<Webhooks>(ADMISSION.validating, undefined, name));
const setCA = (name: string, ca: string, annotations: Record<string, string>) =>
  admin.apply(CoreResources.secrets, aCASecret(NS, name, { ca, annotations }), { fieldManager: "test" });
const publishIssued = () =>
  publisher.publish("certificate", "issued", {
    kind: "Certificate",
    namespace: NS,
    name: "serving",
    uid: certUID,
    resourceVersion: String(++rvSeq),
  });

describe("NATS", () => {
  beforeAll(async () => {
    [ca1, ca2] = await Promise.all([aCA("nats-ca-1"), aCA("nats-ca-2")]);
    const cert = await admin.create<KubeObject>(Resources.Certificate, {
      metadata: { namespace: NS, name: "serving" },
      spec: { secretName: "serving-tls", commonName: "serving.example.com", issuerRef: { name: "unused" } },
    } as KubeObject);
    certUID = cert.metadata.uid!;
    await setCA("serving-tls", ca1, { [Annotations.CertificateName]: "serving" });
  });

  it("publishes injectable.<uid>.injected after a write, without key material", async () => {
    const vwc = await admin.create<Webhooks>(
      ADMISSION.validating,
      aWebhookConfiguration("from-serving", { [Annotations.InjectCAFrom]: `${NS}/serving` }),
    );
    await eventually(
      async () => (await bundles("from-serving")).every((b) => b === ca1),
      15_000,
      "injection",
    );
    const event = await eventually(
      () => injected.find((m) => m.envelope.resource.uid === vwc.metadata.uid),
      10_000,
      "event",
    );
    expect(event.subject).toBe(`cm.v1.evt.injectable.${vwc.metadata.uid}.injected`);
    expect(event.envelope.data).toEqual({
      kind: "ValidatingWebhookConfiguration",
      name: "from-serving",
      source: `certificate:${NS}/serving`,
      certificates: 1,
      fields: 2,
    });
    expect(containsKeyMaterial(JSON.stringify(injected.map((m) => m.envelope)))).toBe(false);
  });

  it("re-checks a Certificate's targets when its issued event arrives, reading the Secret live", async () => {
    const before = {
      triggers: app.stats.natsTriggers,
      fresh: app.stats.freshReads,
      calls: app.counters.get(VWC).calls,
    };
    publishIssued();
    await eventually(() => app.stats.natsTriggers === before.triggers + 1, 5_000, "NATS trigger");
    await eventually(
      () => app.stats.freshReads > before.fresh && app.counters.get(VWC).calls > before.calls,
      5_000,
      "re-check",
    );
  });

  it("still converges from the watches alone when NATS is down", async () => {
    nats.kill();
    await eventually(() => !app.natsConnected(), 10_000, "NATS disconnect");
    await setCA("serving-tls", ca2, { [Annotations.CertificateName]: "serving" });
    await eventually(
      async () => (await bundles("from-serving")).every((b) => b === ca1 + ca2),
      15_000,
      "rotation without NATS",
    );
  });

  it("picks NATS up again after it restarts", async () => {
    await nats.restart();
    await eventually(() => app.natsConnected() && bus.isConnected(), 20_000, "reconnect");
    const before = app.stats.natsTriggers;
    // Resubscription happens right after the reconnect; publish until one arrives.
    await eventually(
      async () => {
        publishIssued();
        await sleep(300);
        return app.stats.natsTriggers > before;
      },
      15_000,
      "NATS trigger after restart",
    );
  });
});

describe("leader election", () => {
  it("a standby takes over when the leader stops, and injects", async () => {
    const standby = newApp("nats-b");
    await standby.start();
    try {
      await sleep(1500);
      expect(standby.isLeader()).toBe(false);
      await app.stop();
      await eventually(() => standby.isLeader(), 15_000, "hand-over");
      const lease = await admin.get<KubeObject & { spec: { holderIdentity: string } }>(
        CoreResources.leases,
        "kube-system",
        "cert-manager-cainjector-leader-election",
      );
      expect(lease.spec.holderIdentity).toBe("nats-b");
      await setCA("standby-ca", ca1, { [Annotations.AllowDirectInjection]: "true" });
      await admin.create(
        ADMISSION.validating,
        aWebhookConfiguration("after-handover", { [Annotations.InjectCAFromSecret]: `${NS}/standby-ca` }),
      );
      await eventually(
        async () => (await bundles("after-handover")).every((b) => b === ca1),
        15_000,
        "injection by the new leader",
      );
    } finally {
      await standby.stop();
    }
  });
});

describe("main.ts as a process", () => {
  const tsx = join(ROOT, "node_modules/.bin/tsx");
  const main = join(ROOT, "services/cainjector/src/main.ts");

  function run(args: string[]) {
    const child = spawn(tsx, [main, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: "info" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    return { child, exited, stderr: () => stderr };
  }

  it("rejects bad flags with every problem and exit code 2", async () => {
    const p = run(["--resync-period=soon", "--feature-gates=Nope=true"]);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain("--resync-period");
    expect(p.stderr()).toContain('unknown feature gate "Nope"');
  });

  it("injects and stops cleanly on SIGTERM", async () => {
    const p = run([
      `--kubeconfig=${identity.kubeconfigPath}`,
      "--leader-elect=false",
      `--nats-url=${nats.url}`,
      "--metrics-listen-address=127.0.0.1:0",
      "--healthz-listen-address=127.0.0.1:0",
    ]);
    try {
      await setCA("process-ca", ca2, { [Annotations.AllowDirectInjection]: "true" });
      await admin.create(
        ADMISSION.mutating,
        aWebhookConfiguration("by-process", { [Annotations.InjectCAFromSecret]: `${NS}/process-ca` }),
      );
      await eventually(
        async () =>
          webhookBundles(await admin.get<Webhooks>(ADMISSION.mutating, undefined, "by-process")).every(
            (b) => b === ca2,
          ),
        30_000,
        "injection by the process",
      );
    } finally {
      p.child.kill("SIGTERM");
    }
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain("shutting down");
  });
});
