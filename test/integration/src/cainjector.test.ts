/**
 * The cainjector against a real kube-apiserver: it runs in-process (build()) under exactly the RBAC
 * the Helm chart grants (services/cainjector/src/rbac.ts), with leader election on short timings
 * and a one-hour resync, so every injection seen here came from a watch event.
 */
import { createWriteStream, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Annotations, Resources } from "@certkeeper/api";
import { CoreResources, KubeClient, type KubeObject } from "@certkeeper/kube";
import { createLogger } from "@certkeeper/logging";
import { splitPEMBundle } from "@certkeeper/pki";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import { build, type CAInjectorApp } from "../../../services/cainjector/src/app.ts";
import { loadCAInjectorConfig } from "../../../services/cainjector/src/config.ts";
import { FIELD_MANAGER } from "../../../services/cainjector/src/controller.ts";
import {
  ADMISSION,
  API_SERVICES,
  CRDS,
  aCASecret,
  aConversionCRD,
  conversionBundle,
  aWebhookConfiguration,
  applyCertManagerCrds,
  ensureNamespace,
  eventually,
  grantCAInjectorRBAC,
  sleep,
  webhookBundles,
  type Webhooks,
} from "../../../services/cainjector/src/itest.ts";
import { SkipReasons } from "../../../services/cainjector/src/sources.ts";
import { aCA } from "../../../services/cainjector/src/test-helpers.ts";

const NS = "cainjector-it";
const USER = "certkeeper-cainjector";
const VWC = "validatingwebhookconfiguration";
const ALLOW = { [Annotations.AllowDirectInjection]: "true" };
// CAINJECTOR_TEST_LOG=debug CAINJECTOR_TEST_LOG_FILE=/tmp/cainjector.log shows what the cainjector did.
const log = createLogger({
  service: "cainjector",
  level: process.env.CAINJECTOR_TEST_LOG ?? "silent",
  ...(process.env.CAINJECTOR_TEST_LOG_FILE
    ? { destination: createWriteStream(process.env.CAINJECTOR_TEST_LOG_FILE) }
    : {}),
});

let cp: ControlPlane;
let admin: KubeClient;
let app: CAInjectorApp;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new KubeClient(cp.kubeConfig());
  await applyCertManagerCrds(admin);
  await ensureNamespace(admin, NS);
  await grantCAInjectorRBAC(admin, USER, "kube-system");
  const identity = await cp.identity(USER);
  const config = loadCAInjectorConfig({
    argv: [
      "--leader-election-lease-duration=6s",
      "--leader-election-renew-deadline=4s",
      "--leader-election-retry-period=1s",
      "--resync-period=1h",
      "--metrics-listen-address=127.0.0.1:0",
      "--healthz-listen-address=127.0.0.1:0",
    ],
    env: {},
  });
  app = build({ config, kubeConfig: identity.kubeConfig(), log, identity: "cainjector-it" });
  await app.start();
  await eventually(() => app.isLeader(), 30_000, "leadership");
});

afterAll(async () => {
  await app?.stop();
  await admin?.close();
  await cp?.stop();
});

const getVWC = (name: string) => admin.get<Webhooks>(ADMISSION.validating, undefined, name);
const bundlesOf = async (name: string) => webhookBundles(await getVWC(name));
const skips = (reason: string) => app.stats.skips.get(reason) ?? 0;

async function setSecret(name: string, opts: { ca?: string; annotations?: Record<string, string> }) {
  await admin.apply(CoreResources.secrets, aCASecret(NS, name, opts), { fieldManager: "test" });
}

async function warningsFor(name: string): Promise<string[]> {
  const list = await admin.list<KubeObject & { reason: string; type: string }>(CoreResources.events, {
    namespace: "default",
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.filter((e) => e.type === "Warning").map((e) => e.reason);
}

/** Asserts that `name` is left alone: no write for a few seconds and (almost) no reconciles. */
async function expectLeftAlone(name: string, controller = VWC) {
  const rv = (await getVWC(name)).metadata.resourceVersion;
  const calls = app.counters.get(controller).calls;
  await sleep(3000);
  expect((await getVWC(name)).metadata.resourceVersion).toBe(rv);
  expect(app.counters.get(controller).calls - calls).toBeLessThanOrEqual(1);
}

describe("inject-ca-from-secret", () => {
  let ca1: string;
  let ca2: string;
  beforeAll(async () => {
    [ca1, ca2] = await Promise.all([aCA("webhook-ca-1"), aCA("webhook-ca-2")]);
  });

  it("sets the caBundle of every webhook", async () => {
    await setSecret("webhook-ca", { ca: ca1, annotations: ALLOW });
    await admin.create(
      ADMISSION.validating,
      aWebhookConfiguration("two-webhooks", { [Annotations.InjectCAFromSecret]: `${NS}/webhook-ca` }),
    );
    await eventually(
      async () => (await bundlesOf("two-webhooks")).every((b) => b === ca1),
      15_000,
      "both caBundles",
    );
    const obj = await getVWC("two-webhooks");
    const managers = (obj.metadata.managedFields as Array<{ manager: string }>).map((m) => m.manager);
    expect(managers).toContain(FIELD_MANAGER);
  });

  it("writes nothing more once the bundles are up to date", async () => {
    await expectLeftAlone("two-webhooks");
  });

  it("adds a rotated CA to every caBundle, keeping the old one", async () => {
    await setSecret("webhook-ca", { ca: ca2, annotations: ALLOW });
    await eventually(
      async () => (await bundlesOf("two-webhooks")).every((b) => b === ca1 + ca2),
      15_000,
      "rotated CA",
    );
  });

  it("restores a caBundle a user cleared", async () => {
    const obj = await getVWC("two-webhooks");
    await admin.patch(
      ADMISSION.validating,
      undefined,
      "two-webhooks",
      [{ op: "remove", path: "/webhooks/1/clientConfig/caBundle" }],
      {
        type: "json",
      },
    );
    // The cleared field gets the source's current CA; the other one keeps its merged history.
    await eventually(async () => (await bundlesOf("two-webhooks"))[1] === ca2, 15_000, "restored bundle");
    expect((await bundlesOf("two-webhooks"))[0]).toBe(ca1 + ca2);
    expect((await getVWC("two-webhooks")).metadata.resourceVersion).not.toBe(obj.metadata.resourceVersion);
  });

  it("injects nothing from a Secret without the allow-direct-injection opt-in, until it opts in", async () => {
    const before = skips(SkipReasons.NotAllowed);
    await setSecret("no-opt-in", { ca: ca1 });
    await admin.create(
      ADMISSION.validating,
      aWebhookConfiguration("not-allowed", { [Annotations.InjectCAFromSecret]: `${NS}/no-opt-in` }),
    );
    await eventually(() => skips(SkipReasons.NotAllowed) > before, 15_000, "refusal");
    await expectLeftAlone("not-allowed");
    expect(await bundlesOf("not-allowed")).toEqual(["", ""]);
    await eventually(
      async () => (await warningsFor("not-allowed")).includes(SkipReasons.NotAllowed),
      10_000,
      "Warning Event",
    );
    // Opting in is a change to the Secret, which the metadata-only watch delivers.
    await setSecret("no-opt-in", { ca: ca1, annotations: ALLOW });
    await eventually(
      async () => (await bundlesOf("not-allowed")).every((b) => b === ca1),
      15_000,
      "injection after opt-in",
    );
  });

  it("waits for a Secret that does not exist yet", async () => {
    await admin.create(
      ADMISSION.validating,
      aWebhookConfiguration("early", { [Annotations.InjectCAFromSecret]: `${NS}/later` }, 1),
    );
    await sleep(1000);
    expect(await bundlesOf("early")).toEqual([""]);
    await setSecret("later", { ca: ca2, annotations: ALLOW });
    await eventually(
      async () => (await bundlesOf("early"))[0] === ca2,
      15_000,
      "injection once the Secret exists",
    );
  });
});

describe("refusals that must not loop", () => {
  it("inject-ca-from without a namespace injects nothing and does not loop", async () => {
    const before = skips(SkipReasons.InvalidReference);
    const calls = app.counters.get(VWC).calls;
    await admin.create(
      ADMISSION.validating,
      aWebhookConfiguration("no-namespace", { [Annotations.InjectCAFrom]: "no-namespace" }),
    );
    await eventually(() => skips(SkipReasons.InvalidReference) > before, 15_000, "refusal");
    await expectLeftAlone("no-namespace");
    expect(await bundlesOf("no-namespace")).toEqual(["", ""]);
    expect(app.counters.get(VWC).calls - calls).toBeLessThanOrEqual(3);
    await eventually(
      async () => (await warningsFor("no-namespace")).includes(SkipReasons.InvalidReference),
      10_000,
      "Warning Event",
    );
  });

  it("a Certificate whose Secret has no ca.crt injects nothing", async () => {
    await admin.create(Resources.Certificate, certificate("no-ca", "no-ca-tls"));
    await admin.create(CoreResources.secrets, {
      metadata: { namespace: NS, name: "no-ca-tls", annotations: { [Annotations.CertificateName]: "no-ca" } },
      data: { "tls.crt": Buffer.from("not used").toString("base64") },
    } as KubeObject);
    const before = skips(SkipReasons.MissingCAData);
    await admin.create(
      ADMISSION.validating,
      aWebhookConfiguration("no-ca-data", { [Annotations.InjectCAFrom]: `${NS}/no-ca` }),
    );
    await eventually(() => skips(SkipReasons.MissingCAData) > before, 15_000, "no-op");
    await expectLeftAlone("no-ca-data");
    expect(await bundlesOf("no-ca-data")).toEqual(["", ""]);
  });
});

function certificate(name: string, secretName: string): KubeObject {
  return {
    metadata: { namespace: NS, name },
    spec: { secretName, commonName: `${name}.example.com`, issuerRef: { name: "unused" } },
  } as KubeObject;
}

describe("inject-ca-from (Certificate)", () => {
  let ca: string;
  beforeAll(async () => {
    ca = await aCA("certificate-ca");
  });

  it("injects the ca.crt of the Certificate's Secret", async () => {
    await admin.create(Resources.Certificate, certificate("serving", "serving-tls"));
    await setSecret("serving-tls", { ca, annotations: { [Annotations.CertificateName]: "serving" } });
    await admin.create(
      ADMISSION.mutating,
      aWebhookConfiguration("from-certificate", { [Annotations.InjectCAFrom]: `${NS}/serving` }),
    );
    await eventually(
      async () =>
        webhookBundles(await admin.get<Webhooks>(ADMISSION.mutating, undefined, "from-certificate")).every(
          (b) => b === ca,
        ),
      15_000,
      "mutating caBundles",
    );
  });

  it("refuses a Secret whose certificate-name names another Certificate", async () => {
    await admin.create(Resources.Certificate, certificate("victim", "shared-tls"));
    await setSecret("shared-tls", { ca, annotations: { [Annotations.CertificateName]: "someone-else" } });
    const before = skips(SkipReasons.NotOwned);
    await admin.create(
      ADMISSION.validating,
      aWebhookConfiguration("not-owned", { [Annotations.InjectCAFrom]: `${NS}/victim` }),
    );
    await eventually(() => skips(SkipReasons.NotOwned) > before, 15_000, "refusal");
    await expectLeftAlone("not-owned");
    expect(await bundlesOf("not-owned")).toEqual(["", ""]);
    await eventually(
      async () => (await warningsFor("not-owned")).includes(SkipReasons.NotOwned),
      10_000,
      "Warning Event",
    );
  });
});

describe("APIService and CRD conversion", () => {
  const crdBundle = async (name: string) =>
    conversionBundle(await admin.get(CRDS, undefined, `${name}s.crd.certkeeper.io`));
  let ca: string;
  beforeAll(async () => {
    ca = await aCA("extension-ca");
    await setSecret("extension-ca", { ca, annotations: ALLOW });
  });

  it("APIService spec.caBundle", async () => {
    const name = "v1alpha1.agg.certkeeper.io";
    await admin.create(API_SERVICES, {
      metadata: { name, annotations: { [Annotations.InjectCAFromSecret]: `${NS}/extension-ca` } },
      spec: {
        group: "agg.certkeeper.io",
        version: "v1alpha1",
        service: { namespace: NS, name: "nothing", port: 443 },
        groupPriorityMinimum: 1000,
        versionPriority: 15,
      },
    } as KubeObject);
    try {
      await eventually(
        async () => {
          const b = (
            await admin.get<KubeObject & { spec: { caBundle?: string } }>(API_SERVICES, undefined, name)
          ).spec.caBundle;
          return b && Buffer.from(b, "base64").toString() === ca;
        },
        15_000,
        "APIService caBundle",
      );
    } finally {
      await admin.delete(API_SERVICES, undefined, name);
    }
  });

  it("CRD conversion webhook caBundle", async () => {
    await admin.create(
      CRDS,
      aConversionCRD("widget", { [Annotations.InjectCAFromSecret]: `${NS}/extension-ca` }, "Webhook"),
    );
    await eventually(async () => (await crdBundle("widget")) === ca, 15_000, "CRD caBundle");
  });

  it("inject-apiserver-ca injects the CA the cainjector trusts the API server with", async () => {
    await admin.create(
      CRDS,
      aConversionCRD("gadget", { [Annotations.InjectAPIServerCA]: "true" }, "Webhook"),
    );
    const want = splitPEMBundle(readFileSync(cp.caPath, "utf8")).join("");
    await eventually(async () => (await crdBundle("gadget")) === want, 15_000, "apiserver CA");
  });

  it("leaves a CRD without webhook conversion alone", async () => {
    const name = "gizmos.crd.certkeeper.io";
    await admin.create(
      CRDS,
      aConversionCRD("gizmo", { [Annotations.InjectCAFromSecret]: `${NS}/extension-ca` }, "None"),
    );
    const calls = app.counters.get("customresourcedefinition").calls;
    await eventually(() => app.counters.get("customresourcedefinition").calls > calls, 15_000, "a reconcile");
    const rv = (await admin.get(CRDS, undefined, name)).metadata.resourceVersion;
    await sleep(2000);
    expect((await admin.get(CRDS, undefined, name)).metadata.resourceVersion).toBe(rv);
  });
});

describe("operations", () => {
  it("holds the cert-manager cainjector Lease", async () => {
    const lease = await admin.get<KubeObject & { spec: { holderIdentity: string } }>(
      CoreResources.leases,
      "kube-system",
      "cert-manager-cainjector-leader-election",
    );
    expect(lease.spec.holderIdentity).toBe("cainjector-it");
  });

  it("serves sync counts on /metrics and readiness on /healthz", async () => {
    const { metrics, healthz } = app.addresses();
    const text = await (await fetch(`http://${metrics}/metrics`)).text();
    expect(text).toMatch(
      /certmanager_controller_sync_call_count\{controller="validatingwebhookconfiguration"\} [1-9]/,
    );
    expect(text).toContain('certmanager_controller_sync_error_count{controller="apiservice"} 0');
    expect(text).toMatch(/certkeeper_cainjector_injections_total [1-9]/);
    expect(text).toContain("certkeeper_cainjector_leader 1");
    expect((await fetch(`http://${healthz}/healthz`)).status).toBe(200);
    expect((await fetch(`http://${healthz}/livez`)).status).toBe(200);
  });
});
