/**
 * Helpers for integration tests that run the webhook against a real API server (not exported from
 * index.ts): CRDs, namespaces, RBAC, webhook configurations as cert-manager's chart writes them,
 * an in-process webhook on a random loopback port, and `kubectl apply` from stdin.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACME_GROUP, CERT_MANAGER_GROUP, Labels } from "@certkeeper/api";
import { KubeClient } from "@certkeeper/kube";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "@certkeeper/logging";
import { build, type WebhookApps } from "./app.ts";
import { DiscoverySignerResolver, SubjectAccessReviewer } from "./authz.ts";
import type { DenialSink } from "./events.ts";
import { createMetrics } from "./metrics.ts";
import type { RbacObject } from "./rbac.ts";
import { DynamicServingTLS, type ServingCertificate } from "./tls/dynamic.ts";
import { ADMISSION, eventually } from "@certkeeper/testing";

export {
  ADMISSION,
  applyCrds as applyCertManagerCrds,
  ensureNamespace,
  eventually,
  sleep,
} from "@certkeeper/testing";

export async function applyAll(admin: KubeClient, objects: readonly RbacObject[]): Promise<void> {
  for (const { resource, object } of objects)
    await admin.apply(resource, object, { fieldManager: "webhook-itest" });
}

/** Validating + Mutating configurations as cert-manager's chart defines them, pointing at `baseUrl`. */
export function webhookConfigurations(
  baseUrl: string,
  caPEM: string,
  name = "certkeeper-webhook",
): RbacObject[] {
  const common = {
    admissionReviewVersions: ["v1"],
    failurePolicy: "Fail",
    sideEffects: "None",
    matchPolicy: "Equivalent",
    timeoutSeconds: 30,
  };
  const caBundle = Buffer.from(caPEM).toString("base64");
  return [
    {
      resource: ADMISSION.validating,
      object: {
        metadata: { name },
        webhooks: [
          {
            name: "webhook.cert-manager.io",
            ...common,
            namespaceSelector: {
              matchExpressions: [{ key: Labels.DisableValidation, operator: "NotIn", values: ["true"] }],
            },
            rules: [
              {
                apiGroups: [CERT_MANAGER_GROUP, ACME_GROUP],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["*/*"],
              },
            ],
            clientConfig: { url: `${baseUrl}/validate`, caBundle },
          },
        ],
      },
    },
    {
      resource: ADMISSION.mutating,
      object: {
        metadata: { name },
        webhooks: [
          {
            name: "webhook.cert-manager.io",
            ...common,
            rules: [
              {
                apiGroups: [CERT_MANAGER_GROUP],
                apiVersions: ["v1"],
                operations: ["CREATE"],
                resources: ["certificaterequests"],
              },
            ],
            clientConfig: { url: `${baseUrl}/mutate`, caBundle },
          },
        ],
      },
    },
  ];
}

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * `kubectl apply -f -` with the given manifest, as the user would type it. Asynchronous on purpose:
 * the API server calls back into the in-process webhook while kubectl waits.
 */
export function kubectlApply(
  kubeconfigPath: string,
  manifest: string,
  extra: string[] = [],
): Promise<KubectlResult> {
  const cacheDir = mkdtempSync(join(tmpdir(), "ck-kubectl-"));
  return new Promise<KubectlResult>((resolve, reject) => {
    const child = spawn(
      "kubectl",
      ["--kubeconfig", kubeconfigPath, "--cache-dir", cacheDir, "apply", "-f", "-", ...extra],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
    child.stdin.end(manifest, "utf8");
  }).finally(() => rmSync(cacheDir, { recursive: true, force: true }));
}

export interface InProcessWebhook {
  readonly apps: WebhookApps;
  readonly tls: DynamicServingTLS;
  readonly port: number;
  readonly url: string;
  /** Resolves with the next serving certificate that differs from `than` (or the first one). */
  nextCertificate(than?: ServingCertificate, timeoutMs?: number): Promise<ServingCertificate>;
  stop(): Promise<void>;
}

/** The webhook as main.ts runs it, but in this process, on 127.0.0.1 and a random port. */
export async function startWebhook(o: {
  kubeConfig: KubeConfig;
  namespace: string;
  caSecretName: string;
  log: Logger;
  denials?: DenialSink;
}): Promise<InProcessWebhook> {
  const client = new KubeClient(o.kubeConfig, { userAgent: "certkeeper-webhook" });
  const apps = build({
    log: o.log,
    approval: { reviewer: new SubjectAccessReviewer(client), signers: new DiscoverySignerResolver(client) },
    metrics: createMetrics({ defaultMetrics: false }),
    ...(o.denials ? { denials: o.denials } : {}),
  });
  const tls = new DynamicServingTLS({
    client,
    namespace: o.namespace,
    name: o.caSecretName,
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    leafDurationMs: 7 * 24 * 3600 * 1000,
    log: o.log,
    retryMs: 200,
  });
  tls.onChange((c) => apps.setServingCertificate(c));
  tls.start();
  await apps.webhook.listen({ host: "127.0.0.1", port: 0 });
  const address = apps.webhook.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    apps,
    tls,
    port,
    url: `https://127.0.0.1:${port}`,
    nextCertificate: (than, timeoutMs = 30_000) =>
      eventually(
        () => {
          const c = tls.current();
          return c && c.cert !== than?.cert ? c : undefined;
        },
        timeoutMs,
        "a new serving certificate",
      ),
    async stop() {
      await apps.close();
      await tls.stop();
      await client.close();
    },
  };
}
