/**
 * The webhook and cainjector as their own processes against a real kube-apiserver:
 * fresh start fails closed, the webhook makes its CA, cainjector injects it, and from then on
 * the API server calls the webhook; deleting the CA Secret heals itself with no manual step.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type Certificate } from "@certkeeper/api";
import { CoreResources, isNotFound, type KubeObject, type Secret } from "@certkeeper/kube";
import { freePort, waitFor } from "@certkeeper/testing";
import { createNamespace, ROOT, startWorld, type World } from "../../integration/src/world.ts";

const WEBHOOK_CONFIGS = {
  validating: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "validatingwebhookconfigurations",
    namespaced: false,
  },
  mutating: {
    group: "admissionregistration.k8s.io",
    version: "v1",
    plural: "mutatingwebhookconfigurations",
    namespaced: false,
  },
} as const;
type WebhookConfiguration = KubeObject & {
  webhooks: Array<{ name: string; clientConfig: { url?: string; caBundle?: string } }>;
};

let world: World;
let kubectlCache: string;
const procs: ChildProcess[] = [];
let webhookPort: number;

function service(name: string, args: string[]): ChildProcess {
  const log = createWriteStream(join(world.cp.workDir, `${name}.log`), { flags: "a" });
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, `services/${name}/src/main.ts`), ...args],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  procs.push(child);
  return child;
}

async function kubectlApply(yaml: string): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "kubectl",
      ["--kubeconfig", world.cp.kubeconfigPath, "--cache-dir", kubectlCache, "apply", "-f", "-"],
      (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}` }),
    );
    child.stdin!.end(yaml);
  });
}

const certificateYaml = (
  name: string,
  extra = '  dnsNames: ["a.example.com"]',
) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: ${name}, namespace: default}
spec:
  secretName: ${name}-tls
  issuerRef: {name: ca}
${extra}
`;

function webhookConfig(kind: "validating" | "mutating"): WebhookConfiguration {
  const path = kind === "validating" ? "validate" : "mutate";
  const rules =
    kind === "validating"
      ? [
          {
            apiGroups: ["cert-manager.io", "acme.cert-manager.io"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["*/*"],
          },
        ]
      : [
          {
            apiGroups: ["cert-manager.io"],
            apiVersions: ["v1"],
            operations: ["CREATE"],
            resources: ["certificaterequests"],
          },
        ];
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: kind === "validating" ? "ValidatingWebhookConfiguration" : "MutatingWebhookConfiguration",
    metadata: {
      name: "certkeeper-webhook",
      annotations: { "cert-manager.io/inject-ca-from-secret": "cert-manager/cert-manager-webhook-ca" },
    },
    webhooks: [
      {
        name: "webhook.cert-manager.io",
        clientConfig: { url: `https://127.0.0.1:${webhookPort}/${path}` },
        rules,
        failurePolicy: "Fail",
        sideEffects: "None",
        matchPolicy: "Equivalent",
        admissionReviewVersions: ["v1"],
        timeoutSeconds: 10,
      } as WebhookConfiguration["webhooks"][number],
    ],
  };
}

async function checkApi(...flags: string[]) {
  const { memoryOutput, run } = await import("../../../services/cli/src/index.ts");
  const io = memoryOutput();
  const code = await run(["check", "api", ...flags, "--kubeconfig", world.cp.kubeconfigPath], {
    out: io,
    env: {},
  });
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") };
}

const caBundleOf = async (kind: "validating" | "mutating") =>
  (await world.client.get<WebhookConfiguration>(WEBHOOK_CONFIGS[kind], undefined, "certkeeper-webhook"))
    .webhooks[0]!.clientConfig.caBundle ?? "";

beforeAll(async () => {
  world = await startWorld();
  kubectlCache = await mkdtemp(join(tmpdir(), "kubectl-"));
  await createNamespace(world.client, "cert-manager");
  webhookPort = await freePort();
  for (const kind of ["validating", "mutating"] as const)
    await world.client.create(WEBHOOK_CONFIGS[kind], webhookConfig(kind));
});

afterAll(async () => {
  for (const p of procs) p.kill("SIGTERM");
  await world?.stop();
});

describe("webhook + cainjector from a fresh start", () => {
  it("fails closed before the CA is injected, then admits without restarting anything", async () => {
    const before = await kubectlApply(certificateYaml("early"));
    expect(before.ok).toBe(false);
    expect(before.out).toMatch(/failed calling webhook "webhook.cert-manager.io"/);
    await expect(world.client.get(Resources.Certificate, "default", "early")).rejects.toSatisfy(isNotFound);

    const [healthz, metrics] = [await freePort(), await freePort()];
    service("webhook", [
      "--kubeconfig",
      world.cp.kubeconfigPath,
      "--secure-port",
      String(webhookPort),
      "--healthz-port",
      String(healthz),
      "--metrics-port",
      String(metrics),
      "--dynamic-serving-dns-names",
      "127.0.0.1,localhost",
      "--nats-url",
      world.nats.url,
    ]);

    const ca = await waitFor(
      "webhook CA Secret",
      async () =>
        world.client
          .get<Secret>(CoreResources.secrets, "cert-manager", "cert-manager-webhook-ca")
          .catch(() => undefined),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(ca.metadata.annotations?.["cert-manager.io/allow-direct-injection"]).toBe("true");
    // The webhook serves, but nothing has injected its CA yet: `check api` says exactly that.
    const notYet = await checkApi();
    expect(notYet.code).not.toBe(0);
    expect(notYet.stderr).toMatch(/CA is not injected yet/);
    service("cainjector", [
      "--kubeconfig",
      world.cp.kubeconfigPath,
      "--leader-elect=false",
      "--nats-url",
      world.nats.url,
      "--metrics-listen-address",
      "127.0.0.1:0",
      "--healthz-listen-address",
      "127.0.0.1:0",
    ]);
    await waitFor(
      "caBundle injected",
      async () =>
        (await caBundleOf("validating")) === ca.data!["ca.crt"] &&
        (await caBundleOf("mutating")) === ca.data!["ca.crt"]
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const passed = await checkApi("--wait", "60s");
    expect(passed.code, passed.stderr).toBe(0);
    const after = await waitFor(
      "apply admitted",
      async () => {
        const r = await kubectlApply(certificateYaml("early"));
        return r.ok ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(after.out).toMatch(/certificate.cert-manager.io\/early created/);
  });

  it("rejects bad Certificates with the field named, and accepts the edge cases", async () => {
    const cn65 = "a".repeat(65);
    const cases: Array<[string, string, RegExp | null]> = [
      ["cn65", `  commonName: ${cn65}\n  dnsNames: ["a.example.com"]`, /spec.commonName/],
      ["cn33x2", `  commonName: ${"é".repeat(33)}\n  dnsNames: ["a.example.com"]`, /spec.commonName/],
      ["short", `  duration: 30m\n  dnsNames: ["a.example.com"]`, /spec.duration/],
      ["renewbefore", `  renewBefore: 2160h\n  dnsNames: ["a.example.com"]`, /spec.renewBefore/],
      ["noidentity", ``, /at least one of commonName|spec/],
      ["cn64", `  commonName: ${"b".repeat(64)}\n  dnsNames: ["a.example.com"]`, null],
      ["longdns", `  dnsNames: ["${"x".repeat(60)}.${"y".repeat(60)}.example.com"]`, null],
    ];
    for (const [name, extra, rejected] of cases) {
      const r = await kubectlApply(certificateYaml(name, extra));
      if (rejected) {
        expect(r.ok, `${name}: ${r.out}`).toBe(false);
        expect(r.out).toMatch(/admission webhook "webhook.cert-manager.io" denied the request/);
        expect(r.out).toMatch(rejected);
      } else {
        expect(r.ok, `${name}: ${r.out}`).toBe(true);
      }
    }
  });

  it("a deleted CA Secret is recreated, re-injected and served with no manual step", async () => {
    const old = await caBundleOf("validating");
    await world.client.delete(CoreResources.secrets, "cert-manager", "cert-manager-webhook-ca");
    const ca = await waitFor(
      "new CA Secret",
      async () => {
        const s = await world.client
          .get<Secret>(CoreResources.secrets, "cert-manager", "cert-manager-webhook-ca")
          .catch(() => undefined);
        return s && s.data?.["ca.crt"] ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await waitFor(
      "new CA injected",
      async () => {
        const bundle = Buffer.from(await caBundleOf("validating"), "base64").toString();
        return bundle.includes(Buffer.from(ca.data!["ca.crt"]!, "base64").toString().trim())
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(await caBundleOf("validating")).not.toBe(old);
    const r = await waitFor(
      "apply admitted with the new CA",
      async () => {
        const res = await kubectlApply(certificateYaml("later"));
        return res.ok ? res : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    expect(r.out).toMatch(/later created/);
    const got = await world.client.get<Certificate>(Resources.Certificate, "default", "later");
    expect(got.metadata.name).toBe("later");
  });
});
