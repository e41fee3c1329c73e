/**
 * The Certificate lifecycle against a real kube-apiserver + etcd and a real nats-server, with the
 * controller running in this process (see lifecycle-kill.test.ts for the out-of-process tests).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type Certificate, type CertificateRequest } from "@certkeeper/api";
import { containsKeyMaterial } from "@certkeeper/contracts";
import { CoreResources, type Secret } from "@certkeeper/kube";
import {
  buildCSR,
  encodePrivateKey,
  generatePrivateKey,
  parseCertificate,
  signCertificate,
} from "@certkeeper/pki";
import type { ControllerApp } from "../../../services/controller/src/app.ts";
import {
  allEvents,
  apply,
  createNamespace,
  eventsOf,
  isReady,
  startControllerInProcess,
  startWorld,
  waitForCertificate,
  type World,
} from "./world.ts";

let world: World;
let controller: ControllerApp;
const NS = "lifecycle";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

async function makeCA(cn: string, issuer?: { certPEM: string; keyPEM: string }) {
  const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const csr = buildCSR({ commonName: cn, isCA: true }, key);
  const certPEM = signCertificate({
    csr,
    issuerCert: issuer?.certPEM,
    issuerKey: issuer ? issuer.keyPEM : key,
    isCA: true,
    duration: 365 * 24 * 3600_000,
  });
  return { certPEM, keyPEM: encodePrivateKey(key, "PKCS8") };
}

function caSecret(name: string, tlsCrt: string, keyPEM: string): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: NS },
    type: "kubernetes.io/tls",
    data: { "tls.crt": b64(tlsCrt), "tls.key": b64(keyPEM) },
  };
}

function certificate(name: string, spec: Partial<Certificate["spec"]>): Certificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: NS },
    spec: {
      secretName: `${name}-tls`,
      issuerRef: { name: "intermediate", kind: "Issuer" },
      privateKey: { algorithm: "ECDSA" },
      dnsNames: [`${name}.example.com`],
      ...spec,
    },
  };
}

async function secretOf(name: string): Promise<Secret> {
  return world.client.get<Secret>(CoreResources.secrets, NS, `${name}-tls`);
}

let root: { certPEM: string; keyPEM: string };
let intermediate: { certPEM: string; keyPEM: string };

beforeAll(async () => {
  world = await startWorld();
  await createNamespace(world.client, NS);
  await createNamespace(world.client, "cert-manager");
  controller = await startControllerInProcess(world);
  root = await makeCA("Test Root CA");
  intermediate = await makeCA("Test Intermediate CA", root);
  await world.client.create(
    CoreResources.secrets,
    caSecret("intermediate-ca", intermediate.certPEM + root.certPEM, intermediate.keyPEM),
  );
  await apply(world.client, "Issuer", {
    apiVersion: "cert-manager.io/v1",
    kind: "Issuer",
    metadata: { name: "intermediate", namespace: NS },
    spec: { ca: { secretName: "intermediate-ca" } },
  });
});

afterAll(async () => {
  await controller?.stop();
  await world?.stop();
});

describe("CA issuer with an intermediate and its chain", () => {
  it("tls.crt = leaf + intermediate (root left out), ca.crt = root, and openssl verifies it", async () => {
    await apply(world.client, "Certificate", certificate("chain", {}));
    await waitForCertificate(world.client, NS, "chain", isReady);
    const s = await secretOf("chain");
    const crt = unb64(s.data!["tls.crt"]);
    const blocks = crt.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    expect(blocks).toHaveLength(2);
    expect(parseCertificate(crt).issuer.commonName).toBe("Test Intermediate CA");
    expect(crt).toContain(intermediate.certPEM.trim());
    expect(crt).not.toContain(root.certPEM.trim());
    expect(unb64(s.data!["ca.crt"]).trim()).toBe(root.certPEM.trim());
    const dir = mkdtempSync(join(tmpdir(), "chain-"));
    writeFileSync(join(dir, "ca.crt"), unb64(s.data!["ca.crt"]));
    writeFileSync(join(dir, "tls.crt"), crt);
    // The leaf verifies against the root with the intermediate from tls.crt as untrusted.
    expect(
      execFileSync("openssl", [
        "verify",
        "-CAfile",
        join(dir, "ca.crt"),
        "-untrusted",
        join(dir, "tls.crt"),
        join(dir, "tls.crt"),
      ]).toString(),
    ).toMatch(/OK/);
    expect(s.type).toBe("kubernetes.io/tls");
    expect(s.metadata.labels?.["controller.cert-manager.io/fao"]).toBe("true");
    expect(s.metadata.annotations).toMatchObject({
      "cert-manager.io/certificate-name": "chain",
      "cert-manager.io/issuer-name": "intermediate",
      "cert-manager.io/issuer-kind": "Issuer",
      "cert-manager.io/alt-names": "chain.example.com",
      "cert-manager.io/common-name": "",
      "cert-manager.io/ip-sans": "",
      "cert-manager.io/uri-sans": "",
    });
  });

  it("a chain holding an unrelated certificate fails the request with a clear message", async () => {
    const stranger = await makeCA("Unrelated CA");
    await world.client.create(
      CoreResources.secrets,
      caSecret("broken-ca", intermediate.certPEM + stranger.certPEM, intermediate.keyPEM),
    );
    await apply(world.client, "Issuer", {
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: "broken", namespace: NS },
      spec: { ca: { secretName: "broken-ca" } },
    });
    await apply(
      world.client,
      "Certificate",
      certificate("broken", { issuerRef: { name: "broken", kind: "Issuer" } }),
    );
    const cert = await waitForCertificate(
      world.client,
      NS,
      "broken",
      (c) =>
        !!c.status?.conditions?.some((x) => x.type === "Issuing" && x.status === "False") ||
        !!c.status?.conditions?.some((x) => x.type === "Ready" && x.reason === "IssuerNotReady"),
    ).catch(async () => world.client.get<Certificate>(Resources.Certificate, NS, "broken"));
    const crs = await world.client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS });
    const issuer = await world.client.get<
      { status?: { conditions?: Array<{ type: string; status: string; message?: string }> } } & Certificate
    >(Resources.Issuer, NS, "broken");
    const messages = [
      ...crs.items
        .filter((c) => c.metadata.name!.startsWith("broken"))
        .flatMap((c) => c.status?.conditions?.map((x) => x.message ?? "") ?? []),
      ...(issuer.status?.conditions?.map((x) => x.message ?? "") ?? []),
      ...(cert.status?.conditions?.map((x) => x.message ?? "") ?? []),
    ].join("\n");
    expect(messages).toMatch(/chain|unrelated|does not|issued by|not signed/i);
    expect(isReady(cert)).toBe(false);
  });
});

describe("key usages", () => {
  const cases: Array<{
    name: string;
    spec: Partial<Certificate["spec"]>;
    ku: string[];
    eku: string[];
    ca: boolean;
  }> = [
    { name: "usages-default", spec: {}, ku: ["digital signature", "key encipherment"], eku: [], ca: false },
    {
      name: "usages-ca",
      spec: { isCA: true },
      ku: ["digital signature", "key encipherment", "cert sign"],
      eku: [],
      ca: true,
    },
    {
      name: "usages-explicit",
      spec: { usages: ["digital signature", "server auth", "client auth"] },
      ku: ["digital signature"],
      eku: ["server auth", "client auth"],
      ca: false,
    },
  ];
  it.each(cases)("$name", async (c) => {
    await apply(world.client, "Certificate", certificate(c.name, c.spec));
    await waitForCertificate(world.client, NS, c.name, isReady);
    const leaf = parseCertificate(unb64((await secretOf(c.name)).data!["tls.crt"]));
    expect([...leaf.keyUsages].sort()).toEqual([...c.ku].sort());
    expect([...leaf.extKeyUsages].sort()).toEqual([...c.eku].sort());
    expect(leaf.hasExtKeyUsage).toBe(c.eku.length > 0);
    expect(leaf.isCA).toBe(c.ca);
  });
});

describe("private key encodings", () => {
  const cases: Array<{ name: string; key: Certificate["spec"]["privateKey"]; header: string }> = [
    { name: "key-rsa", key: { algorithm: "RSA", size: 2048 }, header: "RSA PRIVATE KEY" },
    { name: "key-ecdsa", key: { algorithm: "ECDSA", size: 384 }, header: "EC PRIVATE KEY" },
    { name: "key-ed25519", key: { algorithm: "Ed25519" }, header: "PRIVATE KEY" },
    {
      name: "key-rsa-pkcs8",
      key: { algorithm: "RSA", size: 2048, encoding: "PKCS8" },
      header: "PRIVATE KEY",
    },
    { name: "key-ecdsa-pkcs8", key: { algorithm: "ECDSA", encoding: "PKCS8" }, header: "PRIVATE KEY" },
  ];
  it.each(cases)("$name → $header", async (c) => {
    await apply(world.client, "Certificate", certificate(c.name, { privateKey: c.key }));
    await waitForCertificate(world.client, NS, c.name, isReady);
    const s = await secretOf(c.name);
    const keyPEM = unb64(s.data!["tls.key"]);
    expect(keyPEM.startsWith(`-----BEGIN ${c.header}-----`)).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "key-"));
    writeFileSync(join(dir, "k"), keyPEM);
    writeFileSync(join(dir, "c"), unb64(s.data!["tls.crt"]));
    const fromKey = execFileSync("openssl", ["pkey", "-in", join(dir, "k"), "-pubout"]).toString();
    const fromCert = execFileSync("openssl", ["x509", "-in", join(dir, "c"), "-pubkey", "-noout"]).toString();
    expect(fromKey).toBe(fromCert);
  });
});

describe("re-issuance triggers", () => {
  const name = "reissue";
  let uid: string;
  beforeAll(async () => {
    await apply(world.client, "Certificate", certificate(name, { revisionHistoryLimit: 1 }));
    uid = (await waitForCertificate(world.client, NS, name, (c) => isReady(c) && c.status?.revision === 1))
      .metadata.uid!;
  });

  async function reissuedWith(reason: string, act: () => Promise<void>): Promise<void> {
    const before = (await world.client.get<Certificate>(Resources.Certificate, NS, name)).status!.revision!;
    await act();
    const after = await waitForCertificate(
      world.client,
      NS,
      name,
      (c) => isReady(c) && c.status?.revision === before + 1,
    );
    expect(after.status?.revision).toBe(before + 1);
    const issuing = (await eventsOf(world, uid)).filter((e) => e.subject.endsWith(".issuing"));
    expect(issuing.at(-1)?.envelope.data.reason).toBe(reason);
    expect(issuing.at(-1)?.envelope.data.revision).toBe(before + 1);
    // No extra requests remain beyond revisionHistoryLimit (1) once Ready.
    await waitForCertificate(world.client, NS, name, () => true);
    const crs = await world.client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS });
    const owned = crs.items.filter((c) => c.metadata.ownerReferences?.some((o) => o.uid === uid));
    await expect
      .poll(
        async () =>
          (
            await world.client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS })
          ).items.filter((c) => c.metadata.ownerReferences?.some((o) => o.uid === uid)).length,
        { timeout: 10_000 },
      )
      .toBe(1);
    expect(owned.length).toBeGreaterThanOrEqual(1);
  }

  it("deleting the Secret → DoesNotExist", async () => {
    await reissuedWith("DoesNotExist", () =>
      world.client.delete(CoreResources.secrets, NS, `${name}-tls`).then(() => undefined),
    );
  });

  it("removing tls.key → MissingData", async () => {
    // A kubernetes.io/tls Secret must keep the tls.key entry, so it is emptied rather than removed.
    await reissuedWith("MissingData", () =>
      world.client
        .patch(CoreResources.secrets, NS, `${name}-tls`, { data: { "tls.key": "" } }, { type: "merge" })
        .then(() => undefined),
    );
  });

  it("swapping in a different key → InvalidKeyPair", async () => {
    const other = encodePrivateKey(await generatePrivateKey({ algorithm: "ECDSA", size: 256 }), "PKCS1");
    await reissuedWith("InvalidKeyPair", () =>
      world.client
        .patch(
          CoreResources.secrets,
          NS,
          `${name}-tls`,
          { data: { "tls.key": b64(other) } },
          { type: "merge" },
        )
        .then(() => undefined),
    );
  });

  it("adding a dnsName → RequestChanged", async () => {
    await reissuedWith("RequestChanged", () =>
      apply(
        world.client,
        "Certificate",
        certificate(name, {
          revisionHistoryLimit: 1,
          dnsNames: [`${name}.example.com`, "extra.example.com"],
        }),
      ).then(() => undefined),
    );
    const leaf = parseCertificate(unb64((await secretOf(name)).data!["tls.crt"]));
    expect(leaf.dnsNames).toEqual(expect.arrayContaining(["extra.example.com"]));
  });

  it("changing the issuerRef → IncorrectIssuer", async () => {
    await apply(world.client, "Issuer", {
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: "intermediate-2", namespace: NS },
      spec: { ca: { secretName: "intermediate-ca" } },
    });
    await reissuedWith("IncorrectIssuer", () =>
      apply(
        world.client,
        "Certificate",
        certificate(name, {
          revisionHistoryLimit: 1,
          dnsNames: [`${name}.example.com`, "extra.example.com"],
          issuerRef: { name: "intermediate-2", kind: "Issuer" },
        }),
      ).then(() => undefined),
    );
    const s = await secretOf(name);
    expect(s.metadata.annotations?.["cert-manager.io/issuer-name"]).toBe("intermediate-2");
  });
});

describe("NATS lifecycle events", () => {
  it("the Certificate's timeline is ordered and complete, and no message anywhere holds key material", async () => {
    const cert = await world.client.get<Certificate>(Resources.Certificate, NS, "chain");
    const names = (await eventsOf(world, cert.metadata.uid!)).map((e) => e.subject.split(".").at(-1));
    expect(names.slice(0, 4)).toEqual(["issuing", "key-generated", "request-created", "issued"]);
    expect(names).toContain("renewal-scheduled");
    const all = await allEvents(world);
    expect(all.length).toBeGreaterThan(20);
    for (const ev of all) expect(containsKeyMaterial(JSON.stringify(ev.envelope))).toBe(false);
    const kinds = new Set(all.map((e) => e.subject.split(".")[3]));
    expect(kinds).toEqual(new Set(["certificate", "certificaterequest", "issuer"]));
  });
});

describe("the CLI against the real controller", () => {
  const cli = async (argv: string[], signal?: AbortSignal) => {
    const { memoryOutput, run } = await import("../../../services/cli/src/index.ts");
    const io = memoryOutput();
    const done = run([...argv, "--kubeconfig", world.cp.kubeconfigPath, "--nats-url", world.nats.url], {
      out: io,
      env: {},
      signal,
    });
    return { io, done };
  };

  it("events prints a Certificate's lifecycle in order after the fact, and --follow shows a renewal by `renew`", async () => {
    const after = await cli(["events", "certificate/chain", "-n", NS]);
    expect(await after.done).toBe(0);
    const names = after.io.stdout.map((l) => l.split(/\s{2,}/)[1]);
    expect(names.slice(0, 4)).toEqual([
      "certificate.issuing",
      "certificate.key-generated",
      "certificate.request-created",
      "certificate.issued",
    ]);

    const abort = new AbortController();
    const follow = await cli(["events", "certificate/chain", "-n", NS, "--follow"], abort.signal);
    const stored = after.io.stdout.length;
    await expect.poll(() => follow.io.stdout.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(stored);
    const renew = await cli(["renew", "chain", "-n", NS]);
    expect(await renew.done).toBe(0);
    await expect
      .poll(() => follow.io.stdout.slice(stored).map((l) => l.split(/\s{2,}/)[1]), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(["certificate.issuing", "certificate.issued"]));
    expect(follow.io.stdout.slice(stored).find((l) => l.includes("certificate.issuing"))).toContain(
      "reason=ManuallyTriggered",
    );
    abort.abort();
    expect(await follow.done).toBe(0);
    const cert = await waitForCertificate(
      world.client,
      NS,
      "chain",
      (c) => isReady(c) && (c.status?.revision ?? 0) >= 2,
    );
    expect(cert.status?.revision).toBeGreaterThanOrEqual(2);
  });
});
