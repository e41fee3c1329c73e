/**
 * The webhook as a real admission webhook of a real kube-apiserver: in-process (build() + listen on
 * 127.0.0.1), under exactly the RBAC services/webhook/src/rbac.ts grants, registered with
 * Validating/MutatingWebhookConfigurations by URL (failurePolicy Fail) and the CA it made itself.
 * Users go through the real `kubectl` and client-certificate identities.
 */
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type CertificateRequest } from "@certkeeper/api";
import { CoreResources, KubeClient, type Secret } from "@certkeeper/kube";
import { createLogger } from "@certkeeper/logging";
import { buildCSR, generatePrivateKey } from "@certkeeper/pki";
import { startControlPlane, type ControlPlane } from "@certkeeper/testing";
import type { DenialSink } from "../../../services/webhook/src/events.ts";
import {
  applyAll,
  applyCertManagerCrds,
  ensureNamespace,
  eventually,
  kubectlApply,
  startWebhook,
  webhookConfigurations,
  type InProcessWebhook,
} from "../../../services/webhook/src/itest.ts";
import { RbacResources, webhookRbac } from "../../../services/webhook/src/rbac.ts";
import { DynamicServingTLS } from "../../../services/webhook/src/tls/dynamic.ts";

const CA_NS = "cert-manager";
const CA_SECRET = "cert-manager-webhook-ca";
const NS = "webhook-it";
const WEBHOOK_USER = "certkeeper-webhook";
const log = createLogger({ service: "webhook", level: process.env.WEBHOOK_TEST_LOG ?? "silent" });

let cp: ControlPlane;
let admin: KubeClient;
let hook: InProcessWebhook;
const denials: Parameters<DenialSink["publish"]>[] = [];

const certificate = (name: string, spec: string): string => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  secretName: ${name}-tls
  issuerRef:
    name: ca
${spec}`;

async function caPEM(): Promise<string> {
  const s = await admin.get<Secret>(CoreResources.secrets, CA_NS, CA_SECRET);
  return Buffer.from(s.data!["ca.crt"]!, "base64").toString("utf8");
}

/** The certificate the webhook's HTTPS listener presents right now (no restart between calls). */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on("error", reject);
  });
}

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new KubeClient(cp.kubeConfig());
  await applyCertManagerCrds(admin);
  await ensureNamespace(admin, CA_NS);
  await ensureNamespace(admin, NS);
  await applyAll(
    admin,
    webhookRbac({
      name: "cert-manager-webhook",
      namespace: CA_NS,
      caSecretName: CA_SECRET,
      subject: { kind: "User", name: WEBHOOK_USER },
    }),
  );
  const identity = await cp.identity(WEBHOOK_USER);
  hook = await startWebhook({
    kubeConfig: identity.kubeConfig(),
    namespace: CA_NS,
    caSecretName: CA_SECRET,
    log,
    denials: { publish: (...a) => void denials.push(a) },
  });
  await hook.nextCertificate();
  await applyAll(admin, webhookConfigurations(hook.url, await caPEM()));
  // The API server picks up new webhook configurations asynchronously.
  await eventually(
    async () =>
      (
        await kubectlApply(
          cp.kubeconfigPath,
          certificate("probe", "  duration: 30m\n  dnsNames: [p.example]\n"),
          ["--dry-run=server"],
        )
      ).stderr.includes("denied the request"),
    30_000,
    "the webhook to be called",
  );
}, 300_000);

afterAll(async () => {
  await hook?.stop();
  await admin?.close();
  await cp?.stop();
});

describe("the webhook's own CA", () => {
  it("is a kubernetes.io/tls Secret it created, labelled and annotated like cert-manager's", async () => {
    const s = await admin.get<Secret>(CoreResources.secrets, CA_NS, CA_SECRET);
    expect(s.type).toBe("kubernetes.io/tls");
    expect(s.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("cert-manager-webhook");
    expect(s.metadata.annotations?.["cert-manager.io/allow-direct-injection"]).toBe("true");
    expect(s.data?.["ca.crt"]).toBe(s.data?.["tls.crt"]);
  });
});

describe("kubectl apply of Certificates", () => {
  const rejected: [string, string, string][] = [
    [
      "65-byte commonName",
      `  commonName: ${"é".repeat(33)}\n`,
      "spec.commonName: Too long: may not be more than 64 bytes",
    ],
    [
      "duration 30m",
      "  duration: 30m\n  dnsNames: [a.example]\n",
      "spec.duration: Invalid value: 30m0s: certificate duration must be greater than 1h0m0s",
    ],
    [
      "renewBefore equal to the default duration",
      "  renewBefore: 2160h\n  dnsNames: [a.example]\n",
      "spec.renewBefore: Invalid value: 2160h0m0s: certificate duration 2160h0m0s must be greater than renewBefore 2160h0m0s",
    ],
    [
      "no identity",
      "",
      'spec: Invalid value: "": at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailSANs, ipAddresses, otherNames, or uriSANs must be set',
    ],
  ];
  it.each(rejected)("rejects %s and names the field", async (_name, spec, message) => {
    const r = await kubectlApply(cp.kubeconfigPath, certificate("bad", spec));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`admission webhook "webhook.cert-manager.io" denied the request: ${message}`);
  });

  it("accepts a 64-byte commonName and a long DNS name without commonName", async () => {
    const long = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.example.com`;
    const a = await kubectlApply(cp.kubeconfigPath, certificate("cn64", `  commonName: ${"é".repeat(32)}\n`));
    const b = await kubectlApply(cp.kubeconfigPath, certificate("longdns", `  dnsNames: [${long}]\n`));
    expect([a.status, a.stderr]).toEqual([0, ""]);
    expect([b.status, b.stderr]).toEqual([0, ""]);
    await admin.get(Resources.Certificate, NS, "cn64");
  });

  it("reported each denial with the field errors", () => {
    const paths = denials.map(([, , , data]) =>
      (data as { errors: { path: string }[] }).errors.map((e) => e.path),
    );
    expect(paths).toEqual(expect.arrayContaining([["spec.commonName"], ["spec.renewBefore"], ["spec"]]));
    // The validating phase of a CREATE already sees the uid the API server gave the object.
    for (const [, , resource] of denials) expect(resource.uid).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("CertificateRequests", () => {
  let request: string;

  beforeAll(async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    request = Buffer.from(buildCSR({ dnsNames: ["cr.example"] }, key)).toString("base64");
    await applyAll(admin, [
      {
        resource: RbacResources.roles,
        object: {
          metadata: { name: "cr-users", namespace: NS },
          rules: [
            { apiGroups: ["cert-manager.io"], resources: ["certificaterequests"], verbs: ["create", "get"] },
            {
              apiGroups: ["cert-manager.io"],
              resources: ["certificaterequests/status"],
              verbs: ["update", "patch"],
            },
          ],
        },
      },
      ...["bob", "alice", "carol"].map((u) => ({
        resource: RbacResources.roleBindings,
        object: {
          metadata: { name: `cr-users-${u}`, namespace: NS },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "cr-users" },
          subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: u }],
        },
      })),
    ]);
  });

  async function createAs(
    user: string,
    name: string,
  ): Promise<{ client: KubeClient; cr: CertificateRequest }> {
    const client = new KubeClient((await cp.identity(user, ["team-a"])).kubeConfig());
    const cr = await client.create<CertificateRequest>(Resources.CertificateRequest, {
      apiVersion: "cert-manager.io/v1",
      kind: "CertificateRequest",
      metadata: { name, namespace: NS },
      spec: { request, issuerRef: { name: "ca", kind: "Issuer" }, username: "someone-else" },
    });
    return { client, cr };
  }

  it("get the creator's identity stamped, whatever the creator wrote", async () => {
    const { client, cr } = await createAs("bob", "by-bob");
    expect(cr.spec.username).toBe("bob");
    expect(cr.spec.groups).toEqual(expect.arrayContaining(["team-a", "system:authenticated"]));
    await client.close();
  });

  const approve = (cr: CertificateRequest): CertificateRequest => ({
    ...cr,
    status: {
      conditions: [
        {
          type: "Approved",
          status: "True",
          reason: "ByHand",
          message: "approved in a test",
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        },
      ],
    } as CertificateRequest["status"],
  });

  it("cannot be approved by a user without approve on the signer", async () => {
    const { client, cr } = await createAs("alice", "by-alice");
    await expect(client.updateStatus(Resources.CertificateRequest, approve(cr))).rejects.toThrow(
      'admission webhook "webhook.cert-manager.io" denied the request: status.conditions: Forbidden: user "alice" does not have permissions to set approved/denied conditions for issuer {ca Issuer }',
    );
    await client.close();
  });

  it("can be approved by a user granted approve on signers", async () => {
    await applyAll(admin, [
      {
        resource: RbacResources.clusterRoles,
        object: {
          metadata: { name: "approve-ca" },
          rules: [
            {
              apiGroups: ["cert-manager.io"],
              resources: ["signers"],
              verbs: ["approve"],
              resourceNames: [`issuers.cert-manager.io/${NS}.ca`],
            },
          ],
        },
      },
      {
        resource: RbacResources.clusterRoleBindings,
        object: {
          metadata: { name: "approve-ca-carol" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "approve-ca" },
          subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "carol" }],
        },
      },
    ]);
    const { client, cr } = await createAs("carol", "by-carol");
    const updated = await client.updateStatus(Resources.CertificateRequest, approve(cr));
    expect(updated.status?.conditions?.map((c) => c.type)).toEqual(["Approved"]);
    await client.close();
  });
});

describe("serving certificate lifecycle", () => {
  it("gives replicas racing to create the CA the same CA, and renews short leaves on their own", async () => {
    const replicas = [0, 1].map(
      () =>
        new DynamicServingTLS({
          client: admin,
          namespace: CA_NS,
          name: "race-ca",
          dnsNames: ["localhost"],
          ipAddresses: [],
          leafDurationMs: 3000,
          log,
          retryMs: 200,
        }),
    );
    replicas.forEach((r) => r.start());
    try {
      const first = await Promise.all(replicas.map((r) => eventually(() => r.current(), 20_000, "a leaf")));
      const caNow = async () =>
        Buffer.from(
          (await admin.get<Secret>(CoreResources.secrets, CA_NS, "race-ca")).data!["ca.crt"]!,
          "base64",
        ).toString();
      expect(first[0]!.ca).toBe(first[1]!.ca);
      expect(first[0]!.ca).toBe(await caNow());
      // 2/3 of 3 s: each replica issues a new leaf within a few seconds, from the same CA.
      const renewed = await eventually(
        () => (replicas[0]!.current()!.cert !== first[0]!.cert ? replicas[0]!.current() : undefined),
        10_000,
        "a renewed leaf",
      );
      expect(renewed.ca).toBe(first[0]!.ca);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  });

  it("recreates a deleted CA Secret and hot-reloads the new leaf without a restart", async () => {
    const before = hook.tls.current()!;
    const servedBefore = await servedFingerprint(hook.port);
    await admin.delete(CoreResources.secrets, CA_NS, CA_SECRET);
    const after = await hook.nextCertificate(before);
    expect(after.ca).not.toBe(before.ca);
    expect(await caPEM()).toBe(after.ca);
    await eventually(
      async () => (await servedFingerprint(hook.port)) !== servedBefore,
      10_000,
      "the new leaf to be served",
    );
    // Until the new CA is injected the API server cannot call the webhook: creates fail closed.
    const closed = await kubectlApply(
      cp.kubeconfigPath,
      certificate("after-rotation", "  dnsNames: [r.example]\n"),
    );
    expect(closed.status).not.toBe(0);
    expect(closed.stderr).toContain("failed calling webhook");
    await applyAll(admin, webhookConfigurations(hook.url, after.ca));
    await eventually(
      async () =>
        (await kubectlApply(cp.kubeconfigPath, certificate("after-rotation", "  dnsNames: [r.example]\n")))
          .status === 0,
      30_000,
      "apply to succeed with the new CA",
    );
  });
});
