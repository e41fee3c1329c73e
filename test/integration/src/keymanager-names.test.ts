/**
 * The key manager creates the next-key Secret under the name the trigger recorded with
 * Issuing=True. When that name is taken it must tell its own Secret (created by an earlier
 * attempt whose response was lost, or not yet in the cache) from somebody else's: only for the
 * latter does it fall back to a generated name. Run against a real API server with caches that
 * are deliberately not started, so the cache lags behind the API as it does after a lost response.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Labels, Resources, type Certificate } from "@certkeeper/api";
import { CoreResources, MemoryEventRecorder, objectKey, systemClock, type Secret } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { encodePrivateKey, generatePrivateKey } from "@certkeeper/pki";
import { buildCaches } from "../../../services/controller/src/caches.ts";
import { keyManagerReconciler } from "../../../services/controller/src/certificates/keymanager.ts";
import { requestManagerReconciler } from "../../../services/controller/src/certificates/requestmanager.ts";
import { noLifecycle, type Deps } from "../../../services/controller/src/context.ts";
import { createNamespace, startWorld, type World } from "./world.ts";

const NS = "keynames";
let world: World;

beforeAll(async () => {
  world = await startWorld();
  await createNamespace(world.client, NS);
});

afterAll(async () => {
  await world?.stop();
});

/** A Certificate with Issuing=True and `recorded` as status.nextPrivateKeySecretName. */
async function issuingCertificate(name: string, recorded: string): Promise<Certificate> {
  const created = await world.client.create<Certificate>(Resources.Certificate, {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: NS },
    spec: {
      secretName: `${name}-tls`,
      issuerRef: { name: "selfsigned" },
      privateKey: { algorithm: "ECDSA" },
      dnsNames: [`${name}.example.com`],
    },
  });
  return world.client.updateStatus<Certificate>(Resources.Certificate, {
    ...created,
    status: {
      nextPrivateKeySecretName: recorded,
      conditions: [
        {
          type: "Issuing",
          status: "True",
          reason: "DoesNotExist",
          message: "Issuing certificate as Secret does not exist",
          observedGeneration: created.metadata.generation ?? 1,
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        },
      ],
    },
  });
}

async function keySecret(
  name: string,
  owner?: Certificate,
  labels?: Record<string, string>,
): Promise<Secret> {
  const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  return world.client.create<Secret>(CoreResources.secrets, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace: NS,
      ...(owner
        ? {
            labels: { [Labels.NextPrivateKey]: "true", [Labels.ControllerFAO]: "true" },
            ownerReferences: [
              {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                name: owner.metadata.name!,
                uid: owner.metadata.uid!,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : { labels }),
    },
    data: { "tls.key": Buffer.from(encodePrivateKey(key, "PKCS8")).toString("base64") },
  });
}

/** Deps over the real API whose caches hold only the Certificate: every Secret is "not seen yet". */
function staleDeps(cert: Certificate): Deps {
  const log = silentLogger();
  const caches = buildCaches(world.client, systemClock, log);
  caches.certificates.observe(cert);
  return {
    client: world.client,
    caches,
    clock: systemClock,
    recorder: new MemoryEventRecorder(),
    lifecycle: noLifecycle,
    log,
    settings: {
      clusterResourceNamespace: "cert-manager",
      minBackoffMs: 3_600_000,
      maxBackoffMs: 32 * 3_600_000,
      fieldManager: "test",
      enableCertificateOwnerRef: false,
      autoApprove: true,
    },
  };
}

const ctx = (key: string) => ({
  controller: "test",
  key,
  log: silentLogger(),
  attempt: 0,
  signal: new AbortController().signal,
});

async function nextKeySecretsOf(cert: Certificate): Promise<string[]> {
  const list = await world.client.list<Secret>(CoreResources.secrets, {
    namespace: NS,
    labelSelector: `${Labels.NextPrivateKey}=true`,
  });
  return list.items
    .filter((s) => s.metadata.ownerReferences?.some((o) => o.uid === cert.metadata.uid))
    .map((s) => s.metadata.name!)
    .sort();
}

describe("key manager, recorded name already taken", () => {
  it("by its own Secret that the cache has not seen yet: keeps it, creates no second key", async () => {
    const cert = await issuingCertificate("lost", "lost-bcdfg");
    await keySecret("lost-bcdfg", cert); // the create whose response was lost
    const deps = staleDeps(cert);
    await keyManagerReconciler(deps)(objectKey(cert), ctx(objectKey(cert)));

    expect(await nextKeySecretsOf(cert)).toEqual(["lost-bcdfg"]);
    const now = await world.client.get<Certificate>(Resources.Certificate, NS, "lost");
    expect(now.status?.nextPrivateKeySecretName).toBe("lost-bcdfg");
  });

  it("by somebody else's Secret: leaves it alone and records a generated name instead", async () => {
    const cert = await issuingCertificate("taken", "taken-bcdfg");
    const foreign = await keySecret("taken-bcdfg");
    const deps = staleDeps(cert);
    await keyManagerReconciler(deps)(objectKey(cert), ctx(objectKey(cert)));

    const names = await nextKeySecretsOf(cert);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^taken-[a-z0-9]{5}$/);
    expect(names[0]).not.toBe("taken-bcdfg");
    const now = await world.client.get<Certificate>(Resources.Certificate, NS, "taken");
    expect(now.status?.nextPrivateKeySecretName).toBe(names[0]);
    const untouched = await world.client.get<Secret>(CoreResources.secrets, NS, "taken-bcdfg");
    expect(untouched.metadata.uid).toBe(foreign.metadata.uid);
  });

  it("by a name the API refuses (status edited by hand): records a generated name instead", async () => {
    const cert = await issuingCertificate("badname", "Bad_Name!");
    const deps = staleDeps(cert);
    await keyManagerReconciler(deps)(objectKey(cert), ctx(objectKey(cert)));

    const names = await nextKeySecretsOf(cert);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^badname-[a-z0-9]{5}$/);
    const now = await world.client.get<Certificate>(Resources.Certificate, NS, "badname");
    expect(now.status?.nextPrivateKeySecretName).toBe(names[0]);
  });
});

describe("the recorded name before the key manager has made the Secret", () => {
  it("a Secret of somebody else's under that name is not used as the next key", async () => {
    // Issued Secrets carry the fao label too, so one of them under the recorded name sits in the
    // same cache as next-key Secrets; its key must not go into this Certificate's request.
    const cert = await issuingCertificate("foreign", "foreign-bcdfg");
    const foreign = await keySecret("foreign-bcdfg", undefined, { [Labels.ControllerFAO]: "true" });
    const deps = staleDeps(cert);
    deps.caches.secrets.full.observe(foreign);
    await requestManagerReconciler(deps)(objectKey(cert), ctx(objectKey(cert)));

    const requests = await world.client.list(Resources.CertificateRequest, { namespace: NS });
    expect(requests.items.map((r) => r.metadata.name)).toEqual([]);
  });
});
