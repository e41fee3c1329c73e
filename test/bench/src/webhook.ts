/**
 * Admission latency of the webhook: Certificate validation over HTTPS on loopback at a fixed
 * request rate (open loop: requests are sent on schedule whether or not earlier ones returned, and
 * latency counts from the scheduled start). The webhook runs as its image runs it (the esbuild
 * bundle of docker/bundle.sh) in its own process pinned to one core (taskset -c 0). The load comes from test/bench/loadgen, a Go net/http client like the one
 * kube-apiserver calls webhooks with, pinned to the other core, so the figures carry no Node.js
 * event-loop or GC jitter of the caller. Every response must be HTTP 200 with `"allowed":true`.
 * Flags: --rate 1000 --seconds 10 --out bench-results/webhook.json --cpu-prof DIR
 *        --node-flags="--flag ..." --webhook-stdout FILE
 */
import { execFile, spawn } from "node:child_process";
import { openSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseFlags } from "@certkeeper/config";
import { CoreResources, KubeClient, type Secret } from "@certkeeper/kube";
import { freePort, startControlPlane, waitFor } from "@certkeeper/testing";
import { buildLoadgen, runLoadgen } from "./loadgen.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

function review(i: number): string {
  const cert = {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: `bench-${i}`, namespace: "default" },
    spec: {
      secretName: `bench-${i}-tls`,
      commonName: "bench.example.com",
      dnsNames: ["bench.example.com", `n${i}.bench.example.com`],
      duration: "2160h",
      renewBefore: "360h",
      privateKey: { algorithm: "ECDSA", size: 256 },
      usages: ["digital signature", "key encipherment", "server auth"],
      issuerRef: { name: "ca", kind: "Issuer" },
    },
  };
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`,
      kind: { group: "cert-manager.io", version: "v1", kind: "Certificate" },
      resource: { group: "cert-manager.io", version: "v1", resource: "certificates" },
      name: cert.metadata.name,
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "bench", groups: ["system:authenticated"] },
      object: cert,
      dryRun: false,
    },
  });
}

/** Distinct reviews the generator cycles through (names and uids differ; all are valid). */
const BODIES = 1000;

/**
 * The webhook as its image runs it (services/webhook/Dockerfile): one esbuild bundle, not the
 * TypeScript sources through tsx, whose loader thread and larger heap share the webhook's core.
 */
async function bundleWebhook(dir: string): Promise<string> {
  await promisify(execFile)("sh", [join(ROOT, "docker/bundle.sh"), "webhook", dir], {
    cwd: ROOT,
    env: { ...process.env, ESBUILD: join(ROOT, "node_modules/.bin/esbuild") },
  });
  return join(dir, "main.mjs");
}

/** One request from this process, to see that the webhook serves and allows a sample review. */
function allows(port: number, ca: Buffer, body: string): Promise<boolean> {
  return new Promise((resolveP) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/validate",
        method: "POST",
        ca,
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          try {
            const reply = JSON.parse(Buffer.concat(chunks).toString()) as {
              response?: { allowed?: boolean };
            };
            resolveP(res.statusCode === 200 && reply.response?.allowed === true);
          } catch {
            resolveP(false);
          }
        });
      },
    );
    req.on("error", () => resolveP(false));
    req.end(body);
  });
}

export async function run(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const rate = Number(flags.rate ?? 1000);
  const seconds = Number(flags.seconds ?? 10);
  const out = flags.out ?? join(ROOT, "bench-results/webhook.json");
  const loadgen = await buildLoadgen();
  const work = await mkdtemp(join(tmpdir(), "certkeeper-bench-webhook-"));
  const main = await bundleWebhook(join(work, "webhook"));
  const cp = await startControlPlane();
  const client = new KubeClient(cp.kubeConfig());
  const port = await freePort();
  const child = spawn(
    "taskset",
    [
      "-c",
      "0",
      process.execPath,
      // --cpu-prof DIR writes a V8 CPU profile of the webhook, to see where its time goes.
      ...(flags["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${flags["cpu-prof"]}`] : []),
      // --node-flags "..." adds Node.js flags to the webhook's command line, to try them out.
      ...(flags["node-flags"] ? flags["node-flags"].split(/\s+/).filter(Boolean) : []),
      "--enable-source-maps",
      main,
      "--kubeconfig",
      cp.kubeconfigPath,
      "--secure-port",
      String(port),
      "--healthz-port",
      String(await freePort()),
      "--metrics-port",
      String(await freePort()),
      "--dynamic-serving-dns-names",
      "127.0.0.1,localhost",
      "--log-level",
      "warn",
    ],
    // --webhook-stdout FILE keeps what the webhook prints (e.g. with --node-flags --trace-gc).
    {
      cwd: ROOT,
      stdio: [
        "ignore",
        flags["webhook-stdout"] ? openSync(flags["webhook-stdout"], "w") : "ignore",
        "inherit",
      ],
    },
  );
  try {
    await client.create(CoreResources.namespaces, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "cert-manager" },
    });
    const ca = await waitFor(
      "webhook CA",
      async () => {
        const s = await client
          .get<Secret>(CoreResources.secrets, "cert-manager", "cert-manager-webhook-ca")
          .catch(() => undefined);
        return s?.data?.["ca.crt"] ? Buffer.from(s.data["ca.crt"], "base64") : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const caFile = join(work, "ca.crt");
    const bodiesFile = join(work, "reviews.jsonl");
    await writeFile(caFile, ca);
    await writeFile(bodiesFile, Array.from({ length: BODIES }, (_, i) => review(i) + "\n").join(""));
    await waitFor("webhook serving", async () => ((await allows(port, ca, review(0))) ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    // One second of warm-up at the target rate, then the measured phase.
    const load = await runLoadgen(loadgen, {
      url: `https://127.0.0.1:${port}/validate`,
      caFile,
      bodiesFile,
      rate,
      seconds,
      warmupSeconds: 1,
      cpus: "1",
      watchPid: child.pid,
    });
    // CPU in the measured phase, in % of one core. "other" is what all other processes used (the
    // control plane included): on a shared machine it disturbs the figures, so it goes with them.
    const pctOf = (cpuSeconds: number) => Math.round((100 * cpuSeconds) / load.seconds);
    const cpu = {
      webhookPercent: pctOf(load.watchedCpuSeconds ?? 0),
      loadGeneratorPercent: pctOf(load.cpuSeconds),
      otherPercent: pctOf(load.otherCpuSeconds ?? 0),
    };
    const result = {
      benchmark: "webhook",
      at: new Date().toISOString(),
      loadGenerator: "go net/http (as kube-apiserver)",
      targetRatePerSecond: rate,
      achievedRatePerSecond: load.achievedRatePerSecond,
      requests: load.count,
      errors: load.errors,
      non2xx: load.non2xx,
      webhookCores: 1,
      connections: load.connections,
      latencyMs: load.latencyMs,
      scheduleLagMs: load.scheduleLagMs,
      cpuPercent: cpu,
    };
    console.log(JSON.stringify(result, null, 2));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(result, null, 2) + "\n");
    console.log(`written to ${out}`);
    if (cpu.otherPercent > 10) {
      console.log(
        `warning: other processes used ${cpu.otherPercent}% of a core during the run; the figures are disturbed`,
      );
    }
  } finally {
    child.kill("SIGTERM");
    await client.close();
    await cp.stop();
    await rm(work, { recursive: true, force: true });
  }
}
