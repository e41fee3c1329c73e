/**
 * The CLI against a real kube-apiserver, no controller needed: `status certificate` of a
 * Certificate whose status is set by hand through the status subresource (with its Secret,
 * CertificateRequest and an Event), `renew`, `approve`/`deny` and `inspect secret`, in-process and
 * once as a process, as users type it. `check api` is in cli-check-api.test.ts, `events` in
 * cli-events.test.ts.
 */
import { Buffer } from "node:buffer";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type KindName } from "@certkeeper/api";
import { CoreResources, KubeClient, type KubeObject, type ResourceType } from "@certkeeper/kube";
import { buildCSR, encodePrivateKey, generatePrivateKey, signCertificate } from "@certkeeper/pki";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import { applyCrds } from "../../../scripts/lib/crds.ts";
import { memoryOutput, run } from "../../../services/cli/src/index.ts";
import { ROOT } from "../../integration/src/world.ts";

const exec = promisify(execFile);
const NS = "apps";
const rt = (kind: KindName): ResourceType => ({ ...Resources[kind], kind });

let cp: ControlPlane;
let admin: KubeClient;
let caPEM: string;
let leaf: { certPEM: string; keyPEM: string; csrPEM: string };

async function cli(...argv: string[]) {
  const io = memoryOutput();
  const code = await run([...argv, "--kubeconfig", cp.kubeconfigPath], { out: io, env: {} });
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") };
}

/** A CA and a leaf for web.example it signed (the Secret and CSR fixtures). */
async function pki() {
  const usages = ["digital signature", "key encipherment", "server auth"];
  const caKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const ca = signCertificate({
    csr: buildCSR({ commonName: "Example CA", isCA: true }, caKey),
    issuerKey: caKey,
    isCA: true,
  });
  const leafKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const csrPEM = buildCSR({ dnsNames: ["web.example"], usages }, leafKey);
  const certPEM = signCertificate({ csr: csrPEM, issuerCert: ca, issuerKey: caKey, usages });
  return { caPEM: ca, leaf: { certPEM, keyPEM: encodePrivateKey(leafKey, "PKCS8"), csrPEM } };
}

beforeAll(async () => {
  cp = await startControlPlane();
  await applyCrds(cp.kubeConfig());
  admin = new KubeClient(cp.kubeConfig());
  ({ caPEM, leaf } = await pki());
  await admin.create(CoreResources.namespaces, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS },
  });
});

afterAll(async () => {
  await admin?.close();
  await cp?.stop();
});

describe("status, renew, approve, deny, inspect", () => {
  let certUID: string;
  beforeAll(async () => {
    await admin.create(rt("Issuer"), {
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: "ca", namespace: NS },
      spec: { ca: { secretName: "ca-key-pair" } },
    } as KubeObject);
    const cert = await admin.create(rt("Certificate"), {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "web", namespace: NS, labels: { app: "web" } },
      spec: { secretName: "web-tls", dnsNames: ["web.example"], issuerRef: { name: "ca" } },
    } as KubeObject);
    certUID = cert.metadata.uid!;
    await admin.updateStatus(rt("Certificate"), {
      ...cert,
      status: {
        conditions: [
          {
            type: "Ready",
            status: "True",
            reason: "Ready",
            message: "Certificate is up to date and has not expired",
            lastTransitionTime: "2026-01-01T00:00:00Z",
          },
        ],
        revision: 1,
        notAfter: "2030-01-01T00:00:00Z",
        renewalTime: "2029-12-01T00:00:00Z",
      },
    } as KubeObject);
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    await admin.create(CoreResources.secrets, {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: {
        name: "web-tls",
        namespace: NS,
        annotations: { "cert-manager.io/certificate-name": "web" },
      },
      data: { "tls.crt": b64(leaf.certPEM), "tls.key": b64(leaf.keyPEM), "ca.crt": b64(caPEM) },
    });
    for (const name of ["web-1", "manual-1", "manual-2"]) {
      await admin.create(rt("CertificateRequest"), {
        apiVersion: "cert-manager.io/v1",
        kind: "CertificateRequest",
        metadata: {
          name,
          namespace: NS,
          ...(name === "web-1"
            ? {
                annotations: { "cert-manager.io/certificate-revision": "1" },
                ownerReferences: [
                  {
                    apiVersion: "cert-manager.io/v1",
                    kind: "Certificate",
                    name: "web",
                    uid: certUID,
                    controller: true,
                  },
                ],
              }
            : {}),
        },
        spec: { request: b64(leaf.csrPEM), issuerRef: { name: "ca" } },
      } as KubeObject);
    }
    await admin.create(CoreResources.events, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.issued", namespace: NS },
      involvedObject: {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        name: "web",
        namespace: NS,
        uid: certUID,
      },
      type: "Normal",
      reason: "Issuing",
      message: "The certificate has been successfully issued",
      source: { component: "cert-manager-certificates-issuing" },
      firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      count: 1,
    } as KubeObject);
  });

  it("status certificate shows conditions, issuer, decoded Secret, request and events", async () => {
    const r = await cli("status", "certificate", "web", "-n", NS);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const line of [
      "Name: web",
      "  Ready: True, Reason: Ready, Message: Certificate is up to date and has not expired",
      "- web.example",
      "  Kind: Issuer",
      "  Name: web-tls",
      "Not After: 2030-01-01T00:00:00Z",
      "Renewal Time: 2029-12-01T00:00:00Z",
      "CertificateRequest:",
      "  Name: web-1",
    ]) {
      expect(r.stdout.split("\n")).toContain(line);
    }
    expect(r.stdout).toMatch(
      /Normal\s+Issuing\s+\d+s\s+cert-manager-certificates-issuing\s+The certificate has been successfully issued/,
    );
    expect(r.stdout).toMatch(/DNS names:\s+web\.example/);
    expect((await cli("status", "certificate", "nope", "-n", NS)).stderr).toBe(
      "error: Certificate apps/nope not found",
    );
  });

  it("renew sets Issuing=True/ManuallyTriggered through the status subresource", async () => {
    expect(await cli("renew", "web", "-n", NS)).toMatchObject({
      code: 0,
      stdout: "Manually triggered issuance of Certificate apps/web",
    });
    const cert = await admin.get<KubeObject & { status: { conditions: { type: string }[] } }>(
      rt("Certificate"),
      NS,
      "web",
    );
    expect(cert.status.conditions.find((c) => c.type === "Issuing")).toMatchObject({
      status: "True",
      reason: "ManuallyTriggered",
      message: "Certificate re-issuance manually triggered",
    });
    expect(await cli("renew", "-l", "app=web", "-n", NS)).toMatchObject({
      code: 0,
      stdout: "Manually triggered issuance of Certificate apps/web",
    });
    expect(await cli("renew", "--all", "-n", "default")).toMatchObject({
      code: 0,
      stderr: "No Certificates found in default namespace.",
    });
    expect((await cli("renew", "web", "--all", "-n", NS)).code).toBe(2);
  });

  it("approve and deny set the final condition once", async () => {
    expect(await cli("approve", "manual-1", "-n", NS)).toMatchObject({
      code: 0,
      stdout: "Approved CertificateRequest 'apps/manual-1'",
    });
    expect(await cli("approve", "manual-1", "-n", NS)).toMatchObject({
      code: 1,
      stderr: "error: CertificateRequest is already approved",
    });
    expect(
      await cli("deny", "manual-2", "-n", NS, "--reason", "Policy", "--message", "not for this team"),
    ).toMatchObject({ code: 0 });
    const denied = await admin.get<KubeObject & { status: { conditions: object[] } }>(
      rt("CertificateRequest"),
      NS,
      "manual-2",
    );
    expect(denied.status.conditions).toContainEqual(
      expect.objectContaining({
        type: "Denied",
        status: "True",
        reason: "Policy",
        message: "not for this team",
      }),
    );
    const approved = await admin.get<KubeObject & { status: { conditions: object[] } }>(
      rt("CertificateRequest"),
      NS,
      "manual-1",
    );
    expect(approved.status.conditions).toContainEqual(
      expect.objectContaining({
        type: "Approved",
        reason: "KubectlCertManager",
        message: 'manually approved by "certkeeper"',
      }),
    );
  });

  it("inspect secret decodes the chain and checks the key", async () => {
    const r = await cli("inspect", "secret", "web-tls", "-n", NS);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Private key: matches the certificate");
    expect(r.stdout).toMatch(/DNS names:\s+web\.example/);
    expect(r.stdout).toMatch(/ca\.crt \[1\/1\]:\n\s+Subject:\s+CN=Example CA/);
  });

  it("inspect secret prints what it can and fails on a Secret that does not decode", async () => {
    await admin.create(CoreResources.secrets, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "garbage-tls", namespace: NS },
      data: {
        "tls.crt": Buffer.from("garbage").toString("base64"),
        "tls.key": Buffer.from("garbage").toString("base64"),
      },
    });
    const r = await cli("inspect", "secret", "garbage-tls", "-n", NS);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Certificate: cannot be decoded");
    expect(r.stderr).toContain(`Secret ${NS}/garbage-tls does not hold a decodable certificate and key`);
  });

  it("runs as a process, as users type it", async () => {
    const { stdout } = await exec(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "services/cli/src/main.ts"),
        "status",
        "certificate",
        "web",
        "-n",
        NS,
        "--kubeconfig",
        cp.kubeconfigPath,
      ],
      { cwd: ROOT },
    );
    expect(stdout).toMatch(/^Name: web$/m);
  });
});
