/**
 * `certkeeper check api` against a real kube-apiserver through every stage of an install: no CRDs,
 * no webhook, the webhook's CA not injected, then ready — and `--wait` across the injection. The
 * admission webhook is a small stand-in with the real webhook's contract (identity mutation, CSR
 * validation) served over TLS from a CA that the test injects itself, as the cainjector would.
 */
import { Buffer } from "node:buffer";
import { createServer, type Server } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreResources, KubeClient, type KubeObject, type ResourceType } from "@certkeeper/kube";
import { buildCSR, encodePrivateKey, generatePrivateKey, signCertificate } from "@certkeeper/pki";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import { applyCrds } from "../../../scripts/lib/crds.ts";
import { memoryOutput, run } from "../../../services/cli/src/index.ts";

const NS = "apps";
const WEBHOOKS: ResourceType[] = [
  {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    namespaced: false,
    kind: "ValidatingWebhookConfiguration",
  },
  {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "mutatingwebhookconfigurations",
    namespaced: false,
    kind: "MutatingWebhookConfiguration",
  },
];

let cp: ControlPlane;
let admin: KubeClient;
let webhook: { server: Server; port: number; caPEM: string };

async function cli(...argv: string[]) {
  const io = memoryOutput();
  const code = await run([...argv, "--kubeconfig", cp.kubeconfigPath], { out: io, env: {} });
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") };
}

/** A CA, a serving certificate for 127.0.0.1, and a leaf for the Secret / CSR fixtures. */
async function pki() {
  const caKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const caPEM = signCertificate({
    csr: buildCSR({ commonName: "stand-in webhook CA", isCA: true }, caKey),
    issuerKey: caKey,
    isCA: true,
  });
  const servingKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const usages = ["digital signature", "key encipherment", "server auth"];
  const servingPEM = signCertificate({
    csr: buildCSR({ ipAddresses: ["127.0.0.1"], usages }, servingKey),
    issuerCert: caPEM,
    issuerKey: caKey,
    usages,
  });
  const leafKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
  const csrPEM = buildCSR({ dnsNames: ["web.example"], usages }, leafKey);
  const certPEM = signCertificate({ csr: csrPEM, issuerCert: caPEM, issuerKey: caKey, usages });
  return {
    caPEM,
    serving: { cert: servingPEM, key: encodePrivateKey(servingKey, "PKCS8") },
    leaf: { certPEM, keyPEM: encodePrivateKey(leafKey, "PKCS8"), csrPEM },
  };
}

interface Review {
  request: {
    uid: string;
    kind: { kind: string };
    subResource?: string;
    object?: { spec?: { request?: string } };
    userInfo: { username: string };
  };
}

/** /mutate records the caller as spec.username; /validate refuses a CertificateRequest whose spec.request is no CSR. */
function startWebhook(serving: { cert: string; key: string }): Promise<{ server: Server; port: number }> {
  const server = createServer(serving, (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const { request: r } = JSON.parse(body) as Review;
      const response: Record<string, unknown> = { uid: r.uid, allowed: true };
      const isCR = r.kind.kind === "CertificateRequest" && !r.subResource;
      if (req.url?.startsWith("/mutate") && isCR) {
        response.patchType = "JSONPatch";
        response.patch = Buffer.from(
          JSON.stringify([{ op: "add", path: "/spec/username", value: r.userInfo.username }]),
        ).toString("base64");
      }
      const csr = Buffer.from(r.object?.spec?.request ?? "", "base64").toString();
      if (req.url?.startsWith("/validate") && isCR && !csr.includes("BEGIN CERTIFICATE REQUEST")) {
        Object.assign(response, {
          allowed: false,
          status: { code: 400, message: "spec.request: Invalid value: failed to decode csr" },
        });
      }
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    ),
  );
}

function webhookConfig(kind: string, port: number, path: string): KubeObject {
  const rules =
    kind === "MutatingWebhookConfiguration"
      ? [
          {
            apiGroups: ["cert-manager.io"],
            apiVersions: ["v1"],
            operations: ["CREATE"],
            resources: ["certificaterequests"],
          },
        ]
      : [
          {
            apiGroups: ["cert-manager.io", "acme.cert-manager.io"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["*/*"],
          },
        ];
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind,
    metadata: { name: "certkeeper-webhook" },
    webhooks: [
      {
        name: "webhook.cert-manager.io",
        rules,
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Fail",
        timeoutSeconds: 10,
        clientConfig: { url: `https://127.0.0.1:${port}${path}` },
      },
    ],
  } as KubeObject;
}

async function injectCA(caPEM: string): Promise<void> {
  for (const type of WEBHOOKS) {
    const cfg = await admin.get<KubeObject & { webhooks: { clientConfig: { caBundle?: string } }[] }>(
      type,
      undefined,
      "certkeeper-webhook",
    );
    for (const w of cfg.webhooks) w.clientConfig.caBundle = Buffer.from(caPEM).toString("base64");
    await admin.replace(type, cfg);
  }
}

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new KubeClient(cp.kubeConfig());
  const p = await pki();
  webhook = { ...(await startWebhook(p.serving)), caPEM: p.caPEM };
  await admin.create(CoreResources.namespaces, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: NS },
  });
});

afterAll(async () => {
  webhook?.server.close();
  await admin?.close();
  await cp?.stop();
});

describe("check api", () => {
  it("walks through an install: no CRDs, no webhook, CA not injected, then ready after --wait", async () => {
    let r = await cli("check", "api", "-n", NS);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cert-manager CRDs are not installed \(missing: certificates\.cert-manager\.io/);

    await applyCrds(cp.kubeConfig());
    r = await cli("check", "api", "-n", NS);
    expect(r.stderr).toMatch(/mutating webhook did not set spec\.username/);

    await admin.create(
      WEBHOOKS[0]!,
      webhookConfig("ValidatingWebhookConfiguration", webhook.port, "/validate"),
    );
    await admin.create(WEBHOOKS[1]!, webhookConfig("MutatingWebhookConfiguration", webhook.port, "/mutate"));
    r = await cli("check", "api", "-n", NS);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the webhook's CA is not injected yet/);
    expect(r.stderr).toMatch(/x509: certificate signed by unknown authority/);

    const waiting = cli("check", "api", "-n", NS, "--wait", "60s", "--interval", "500ms");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await injectCA(webhook.caPEM);
    r = await waiting;
    expect(r.stderr).toMatch(/Not ready yet \(CK_CHECK_WEBHOOK_CA_NOT_INJECTED\)/);
    expect(r).toMatchObject({ code: 0, stdout: "The cert-manager API is ready" });
  });
});
