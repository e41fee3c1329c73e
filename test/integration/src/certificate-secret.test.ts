/**
 * The issued Secret beyond tls.crt/tls.key: output formats, keystores, secretTemplate reconciled in
 * place without re-issuing, rotationPolicy Never, and two Certificates naming one Secret.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Annotations, Resources, type Certificate, type CertificateRequest } from "@certkeeper/api";
import { CoreResources, type KubeObject, type Secret } from "@certkeeper/kube";
import { waitFor } from "@certkeeper/testing";
import type { ControllerApp } from "../../../services/controller/src/app.ts";
import {
  apply,
  isReady,
  selfSignedNamespace,
  startControllerInProcess,
  startWorld,
  waitForCertificate,
  type World,
} from "./world.ts";

const NS = "secrets";
let world: World;
let controller: ControllerApp;
const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64");

function certificate(name: string, spec: Partial<Certificate["spec"]> = {}): Certificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: NS },
    spec: {
      secretName: `${name}-tls`,
      issuerRef: { name: "selfsigned" },
      privateKey: { algorithm: "ECDSA" },
      dnsNames: [`${name}.example.com`],
      ...spec,
    },
  };
}
const secretOf = (name: string) => world.client.get<Secret>(CoreResources.secrets, NS, name);

beforeAll(async () => {
  world = await startWorld();
  await selfSignedNamespace(world, NS);
  controller = await startControllerInProcess(world);
  await world.client.create<Secret>(CoreResources.secrets, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "keystore-password", namespace: NS },
    data: { password: Buffer.from("changeit").toString("base64") },
  });
});

afterAll(async () => {
  await controller?.stop();
  await world?.stop();
});

describe("output formats and keystores", () => {
  it("writes key.der, tls-combined.pem, keystore.p12/truststore.p12 and keystore.jks/truststore.jks that openssl and keytool open", async () => {
    // A subject is needed: Java refuses a self-signed certificate whose issuer DN is empty.
    await apply(
      world.client,
      "Certificate",
      certificate("stores", {
        commonName: "stores.example.com",
        additionalOutputFormats: [{ type: "DER" }, { type: "CombinedPEM" }],
        keystores: {
          pkcs12: {
            create: true,
            profile: "Modern2023",
            passwordSecretRef: { name: "keystore-password", key: "password" },
          },
          jks: { create: true, passwordSecretRef: { name: "keystore-password", key: "password" } },
        },
      }),
    );
    await waitForCertificate(world.client, NS, "stores", isReady);
    const s = await secretOf("stores-tls");
    expect(Object.keys(s.data!).sort()).toEqual(
      [
        "ca.crt",
        "keystore.jks",
        "keystore.p12",
        "key.der",
        "tls-combined.pem",
        "tls.crt",
        "tls.key",
        "truststore.jks",
        "truststore.p12",
      ].sort(),
    );
    const keyPEM = unb64(s.data!["tls.key"]).toString();
    expect(unb64(s.data!["tls-combined.pem"]).toString()).toBe(
      `${keyPEM}\n${unb64(s.data!["tls.crt"]).toString()}`,
    );
    const dir = mkdtempSync(join(tmpdir(), "stores-"));
    for (const k of ["keystore.p12", "keystore.jks", "key.der"])
      writeFileSync(join(dir, k), unb64(s.data![k]));
    expect(
      execFileSync(
        "openssl",
        ["pkcs12", "-in", join(dir, "keystore.p12"), "-passin", "pass:changeit", "-nodes", "-info"],
        { stdio: ["ignore", "pipe", "pipe"] },
      ).toString(),
    ).toMatch(/BEGIN CERTIFICATE/);
    expect(
      execFileSync("openssl", ["pkey", "-inform", "DER", "-in", join(dir, "key.der"), "-noout"]).toString(),
    ).toBe("");
    expect(
      execFileSync("keytool", [
        "-list",
        "-keystore",
        join(dir, "keystore.jks"),
        "-storepass",
        "changeit",
      ]).toString(),
    ).toMatch(/certificate, .*PrivateKeyEntry/);
  });
});

describe("Secret metadata reconciled in place", () => {
  it("secretTemplate labels and annotations follow the spec without a new revision", async () => {
    await apply(
      world.client,
      "Certificate",
      certificate("tmpl", {
        secretTemplate: { labels: { team: "a" }, annotations: { "example.com/owner": "x" } },
      }),
    );
    await waitForCertificate(world.client, NS, "tmpl", (c) => isReady(c) && c.status?.revision === 1);
    expect((await secretOf("tmpl-tls")).metadata.labels?.team).toBe("a");
    await apply(
      world.client,
      "Certificate",
      certificate("tmpl", {
        secretTemplate: { labels: { team: "b", tier: "web" }, annotations: { "example.com/owner": "x" } },
      }),
    );
    const s = await waitFor(
      "template applied",
      async () => {
        const got = await secretOf("tmpl-tls");
        return got.metadata.labels?.team === "b" && got.metadata.labels?.tier === "web" ? got : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(s.metadata.annotations?.["example.com/owner"]).toBe("x");
    // Dropping a label and the annotation from the template removes them from the Secret; a
    // label someone else put on the Secret stays.
    await world.client.patch(
      CoreResources.secrets,
      NS,
      "tmpl-tls",
      { metadata: { labels: { "other.example.com/keep": "yes" } } },
      { type: "merge" },
    );
    await apply(
      world.client,
      "Certificate",
      certificate("tmpl", { secretTemplate: { labels: { team: "b" } } }),
    );
    const shrunk = await waitFor(
      "template keys removed",
      async () => {
        const got = await secretOf("tmpl-tls");
        return got.metadata.labels?.tier === undefined &&
          got.metadata.annotations?.["example.com/owner"] === undefined
          ? got
          : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(shrunk.metadata.labels).toMatchObject({ team: "b", "other.example.com/keep": "yes" });
    expect(shrunk.metadata.annotations?.[Annotations.CertificateName]).toBe("tmpl");
    const cert = await world.client.get<Certificate>(Resources.Certificate, NS, "tmpl");
    expect(cert.status?.revision).toBe(1);
  });

  it("adding an output format later writes it without re-issuing", async () => {
    await apply(world.client, "Certificate", certificate("aof"));
    await waitForCertificate(world.client, NS, "aof", (c) => isReady(c) && c.status?.revision === 1);
    const before = await secretOf("aof-tls");
    await apply(
      world.client,
      "Certificate",
      certificate("aof", { additionalOutputFormats: [{ type: "DER" }] }),
    );
    const after = await waitFor(
      "key.der written",
      async () => {
        const got = await secretOf("aof-tls");
        return got.data?.["key.der"] ? got : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(after.data!["tls.crt"]).toBe(before.data!["tls.crt"]);
    expect((await world.client.get<Certificate>(Resources.Certificate, NS, "aof")).status?.revision).toBe(1);
  });
});

describe("private key rotation", () => {
  it("rotationPolicy Never keeps the key across re-issuance; Always (default) replaces it", async () => {
    for (const [name, policy] of [
      ["never", "Never"],
      ["always", "Always"],
    ] as const) {
      await apply(
        world.client,
        "Certificate",
        certificate(name, { privateKey: { algorithm: "ECDSA", rotationPolicy: policy } }),
      );
      await waitForCertificate(world.client, NS, name, (c) => isReady(c) && c.status?.revision === 1);
      const k1 = (await secretOf(`${name}-tls`)).data!["tls.key"];
      await apply(
        world.client,
        "Certificate",
        certificate(name, {
          privateKey: { algorithm: "ECDSA", rotationPolicy: policy },
          dnsNames: [`${name}.example.com`, "more.example.com"],
        }),
      );
      await waitForCertificate(world.client, NS, name, (c) => isReady(c) && c.status?.revision === 2);
      const k2 = (await secretOf(`${name}-tls`)).data!["tls.key"];
      if (policy === "Never") expect(k2).toBe(k1);
      else expect(k2).not.toBe(k1);
    }
  });
});

describe("two Certificates naming one Secret", () => {
  it("only the older one issues into it", async () => {
    await apply(world.client, "Certificate", certificate("first", { secretName: "shared-tls" }));
    await waitForCertificate(world.client, NS, "first", isReady);
    await apply(
      world.client,
      "Certificate",
      certificate("second", { secretName: "shared-tls", dnsNames: ["second.example.com"] }),
    );
    await new Promise((r) => setTimeout(r, 3000));
    const s = await secretOf("shared-tls");
    expect(s.metadata.annotations?.["cert-manager.io/certificate-name"]).toBe("first");
    const crs = (await world.client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS }))
      .items;
    expect(crs.filter((c) => c.metadata.name!.startsWith("second-"))).toHaveLength(0);
    expect(isReady(await world.client.get<Certificate>(Resources.Certificate, NS, "first"))).toBe(true);
  });
});

describe("failures a user must see", () => {
  it("a missing keystore password Secret becomes a Warning Event naming it", async () => {
    await apply(
      world.client,
      "Certificate",
      certificate("nopw", {
        keystores: { jks: { create: true, passwordSecretRef: { name: "missing-pw", key: "password" } } },
      }),
    );
    const events = await waitFor(
      "KeystorePasswordError event",
      async () => {
        const list = await world.client.list<
          KubeObject & { reason?: string; message?: string; type?: string }
        >(CoreResources.events, { namespace: NS });
        const hit = list.items.filter((e) => e.reason === "KeystorePasswordError");
        return hit.length > 0 ? hit : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(events[0]!.type).toBe("Warning");
    expect(events[0]!.message).toBe(
      `Cannot write the keystores: keystore password Secret ${NS}/missing-pw not found`,
    );
    await expect(secretOf("nopw-tls")).rejects.toThrow(/not found/i);
  });
});
