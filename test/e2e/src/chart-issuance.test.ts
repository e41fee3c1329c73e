/**
 * The chart as users install it, proven with the services' own identities: `helm install` into
 * the real control plane, then controller, webhook, cainjector and acme-solver run as processes
 * with their ServiceAccount tokens and their chart-configured NATS users. A Certificate issues
 * end to end through the webhook, and `certkeeper status certificate` shows it Ready.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Resources, type Certificate } from "@certkeeper/api";
import { KubeClient } from "@certkeeper/kube";
import {
  freePort,
  startControlPlane,
  startNats,
  waitFor,
  type ControlPlane,
  type NatsServerHandle,
} from "@certkeeper/testing";
import { installChart, type InstalledChart } from "../../chart/src/install.ts";
import { ROOT } from "../../integration/src/world.ts";

const run = promisify(execFile);
let cp: ControlPlane;
let nats: NatsServerHandle;
let chart: InstalledChart;
let admin: KubeClient;
const procs: ChildProcess[] = [];

function service(name: string, args: string[]): void {
  const log = createWriteStream(join(cp.workDir, `${name}.log`), { flags: "a" });
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, `services/${name}/src/main.ts`), ...args],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  procs.push(child);
}

beforeAll(async () => {
  cp = await startControlPlane();
  admin = new KubeClient(cp.kubeConfig());
  const webhookPort = await freePort();
  chart = await installChart(cp, {
    webhook: { url: { host: `127.0.0.1:${webhookPort}` } },
    nats: { enabled: true },
  });
  nats = await startNats({ users: chart.nats!.users });
  const creds = (s: "controller" | "webhook" | "cainjector" | "acmeSolver") => {
    const c = chart.nats!.credentials[s]!;
    return ["--nats-url", nats.url, "--nats-user", c.user, "--nats-password", c.pass];
  };
  const id = (s: "controller" | "webhook" | "cainjector" | "acmeSolver") => [
    "--kubeconfig",
    chart.identities[s].kubeconfigPath,
  ];
  service("webhook", [
    ...id("webhook"),
    ...creds("webhook"),
    "--secure-port",
    String(webhookPort),
    "--healthz-port",
    String(await freePort()),
    "--metrics-port",
    String(await freePort()),
    "--dynamic-serving-ca-secret-namespace",
    chart.namespace,
    "--dynamic-serving-ca-secret-name",
    chart.webhookCASecret,
    "--dynamic-serving-dns-names",
    "127.0.0.1",
  ]);
  service("cainjector", [
    ...id("cainjector"),
    ...creds("cainjector"),
    "--metrics-listen-address",
    "127.0.0.1:0",
    "--healthz-listen-address",
    "127.0.0.1:0",
    "--leader-election-lease-duration",
    "15s",
    "--leader-election-renew-deadline",
    "10s",
    "--leader-election-retry-period",
    "2s",
  ]);
  service("controller", [
    ...id("controller"),
    ...creds("controller"),
    "--cluster-resource-namespace",
    chart.namespace,
    "--metrics-listen-address",
    "127.0.0.1:0",
    "--healthz-listen-address",
    "127.0.0.1:0",
  ]);
  service("acme-solver", [...creds("acmeSolver"), "--listen-port", "0"]);
}, 600_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGTERM");
  await admin?.close();
  await nats?.stop();
  await cp?.stop();
});

describe("helm install + services under their own identities", () => {
  it("issues a Certificate end to end and the CLI shows it Ready", async () => {
    const kubectl = (yaml: string) =>
      new Promise<{ ok: boolean; out: string }>((resolve) => {
        const c = execFile(
          "kubectl",
          [
            "--kubeconfig",
            cp.kubeconfigPath,
            "--cache-dir",
            join(cp.workDir, "kubectl-cache"),
            "apply",
            "-f",
            "-",
          ],
          (err, so, se) => resolve({ ok: !err, out: so + se }),
        );
        c.stdin!.end(yaml);
      });
    // The webhook configurations fail closed until the cainjector has injected the webhook's CA.
    await waitFor(
      "webhook admitting",
      async () => {
        const r = await kubectl(`apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
`);
        return r.ok ? r : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    const applied = await kubectl(`apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: default}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  privateKey: {algorithm: ECDSA}
  issuerRef: {name: selfsigned, kind: ClusterIssuer}
`);
    expect(applied.ok, applied.out).toBe(true);
    await waitFor(
      "Certificate Ready",
      async () => {
        const c = await admin.get<Certificate>(Resources.Certificate, "default", "web");
        return c.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True") ? c : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "services/cli/src/main.ts"),
        "status",
        "certificate",
        "web",
        "-n",
        "default",
        "--kubeconfig",
        cp.kubeconfigPath,
      ],
      { cwd: ROOT },
    );
    expect(stdout).toMatch(/Ready/);
    expect(stdout).toMatch(/Certificate is up to date and has not expired/);
    expect(stdout).toMatch(/web-tls/);
  });
});
