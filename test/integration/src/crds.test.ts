/**
 * The six CRDs in a real kube-apiserver: every kind round-trips through an informer, the
 * structural schema alone rejects bad types and enum values with the field path, and kubectl
 * shows cert-manager's printer columns and field documentation.
 */
import { execFile } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type KindName } from "@certkeeper/api";
import { Informer, InvalidError, type KubeObject } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { createNamespace, startWorld, type World } from "./world.ts";

const run = promisify(execFile);
const NS = "crds";
let world: World;
let kubectlCache: string;
const kubectl = (...a: string[]) =>
  run("kubectl", ["--kubeconfig", world.cp.kubeconfigPath, "--cache-dir", kubectlCache, ...a]);

const issuerRef = { name: "ca", kind: "Issuer", group: "cert-manager.io" };
const csr = Buffer.from(
  "-----BEGIN CERTIFICATE REQUEST-----\nMA==\n-----END CERTIFICATE REQUEST-----\n",
).toString("base64");
const samples: Record<KindName, KubeObject & { spec: unknown }> = {
  Certificate: {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "c", namespace: NS },
    spec: { secretName: "c-tls", dnsNames: ["a.example.com"], issuerRef },
  },
  CertificateRequest: {
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: { name: "cr", namespace: NS },
    spec: { request: csr, issuerRef },
  },
  Issuer: {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name: "i", namespace: NS },
    spec: { selfSigned: {} },
  },
  ClusterIssuer: {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name: "ci" },
    spec: { ca: { secretName: "ca" } },
  },
  Order: {
    apiVersion: "acme.cert-manager.io/v1",
    kind: "Order",
    metadata: { name: "o", namespace: NS },
    spec: { request: csr, issuerRef, dnsNames: ["a.example.com"] },
  },
  Challenge: {
    apiVersion: "acme.cert-manager.io/v1",
    kind: "Challenge",
    metadata: { name: "ch", namespace: NS },
    spec: {
      url: "https://acme.example/chall/1",
      authorizationURL: "https://acme.example/authz/1",
      dnsName: "a.example.com",
      type: "HTTP-01",
      token: "t",
      key: "t.k",
      solver: { http01: { ingress: {} } },
      issuerRef,
    },
  },
};

beforeAll(async () => {
  world = await startWorld();
  kubectlCache = await mkdtemp(join(tmpdir(), "kubectl-"));
  await createNamespace(world.client, NS);
});

afterAll(async () => {
  await world?.stop();
});

describe("the six kinds", () => {
  it.each(Object.keys(samples) as KindName[])(
    "%s is created and read back through an informer",
    async (kind) => {
      const rt = Resources[kind];
      const informer = new Informer<KubeObject>({ client: world.client, resource: rt, log: silentLogger() });
      informer.start();
      try {
        await informer.waitForSync();
        const created = await world.client.create(rt, samples[kind]);
        await expect
          .poll(() => informer.get(created.metadata.namespace, created.metadata.name!)?.metadata.uid, {
            timeout: 10_000,
          })
          .toBe(created.metadata.uid);
        expect(
          (informer.get(created.metadata.namespace, created.metadata.name!) as unknown as { spec: unknown })
            .spec,
        ).toEqual(created.spec as never);
      } finally {
        await informer.stop();
      }
    },
  );

  it("the schema alone rejects a numeric duration and an unknown key algorithm, naming the field (422)", async () => {
    const bad = (name: string, spec: Record<string, unknown>) => ({
      ...samples.Certificate,
      metadata: { name, namespace: NS },
      spec: { ...(samples.Certificate.spec as object), ...spec },
    });
    const err1 = await world.client
      .create(Resources.Certificate, bad("num", { duration: 2160 }))
      .catch((e: unknown) => e);
    expect(err1).toBeInstanceOf(InvalidError);
    expect((err1 as InvalidError).statusCode).toBe(422);
    expect((err1 as InvalidError).causes.map((c) => c.field)).toContain("spec.duration");
    const err2 = await world.client
      .create(Resources.Certificate, bad("dsa", { privateKey: { algorithm: "DSA" } }))
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(InvalidError);
    expect((err2 as InvalidError).causes.map((c) => c.field)).toContain("spec.privateKey.algorithm");
    expect((err2 as InvalidError).message).toMatch(/Unsupported value: "DSA"/);
  });
});

describe("kubectl", () => {
  it("get certificates shows cert-manager's printer columns", async () => {
    const { stdout } = await kubectl("get", "certificates", "-n", NS, "-o", "wide");
    expect(stdout.split("\n")[0]!.split(/\s+/).filter(Boolean)).toEqual([
      "NAME",
      "READY",
      "SECRET",
      "ISSUER",
      "STATUS",
      "EXPIRATION",
      "AGE",
    ]);
    const { stdout: short } = await kubectl("get", "cert", "-n", NS);
    expect(short.split("\n")[0]!.split(/\s+/).filter(Boolean)).toEqual(["NAME", "READY", "SECRET", "AGE"]);
    const { stdout: crs } = await kubectl("get", "cr", "-n", NS);
    expect(crs.split("\n")[0]).toMatch(/APPROVED\s+DENIED\s+READY\s+ISSUER\s+REQUESTER\s+AGE/);
  });

  it("explain describes certificate.spec.privateKey", async () => {
    const { stdout } = await kubectl("explain", "certificate.spec.privateKey");
    expect(stdout).toMatch(/algorithm\s+<string>/);
    expect(stdout).toMatch(/rotationPolicy\s+<string>/);
    expect(stdout).toMatch(/encoding\s+<string>/);
    expect(stdout).toMatch(/RSA|ECDSA|Ed25519/);
  });

  it("the cert-manager category lists every kind", async () => {
    const { stdout } = await kubectl("get", "cert-manager", "-A");
    for (const kind of [
      "certificate.cert-manager.io/c",
      "certificaterequest.cert-manager.io/cr",
      "issuer.cert-manager.io/i",
      "clusterissuer.cert-manager.io/ci",
      "order.acme.cert-manager.io/o",
      "challenge.acme.cert-manager.io/ch",
    ]) {
      expect(stdout).toContain(kind);
    }
  });
});
