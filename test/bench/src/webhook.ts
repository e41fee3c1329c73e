/**
 * Admission latency of the webhook: Certificate validation over HTTPS on loopback at a fixed
 * request rate (open loop: requests are sent on schedule whether or not earlier ones returned).
 * The webhook runs as its own process pinned to one core (taskset -c 0); the load generator runs
 * on the other. Flags: --rate 1000 --seconds 10 --out bench-results/webhook.json
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { Agent, request } from "node:https";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFlags } from "@certkeeper/config";
import { CoreResources, KubeClient, type Secret } from "@certkeeper/kube";
import { freePort, startControlPlane, waitFor } from "@certkeeper/testing";

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

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;

export async function run(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const rate = Number(flags.rate ?? 1000);
  const seconds = Number(flags.seconds ?? 10);
  const out = flags.out ?? join(ROOT, "bench-results/webhook.json");
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
      "--import",
      "tsx",
      join(ROOT, "services/webhook/src/main.ts"),
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
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
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
    const agent = new Agent({ keepAlive: true, maxSockets: 128, ca });
    const send = (i: number) =>
      new Promise<{ ms: number; ok: boolean }>((resolveP) => {
        const body = review(i);
        const t = performance.now();
        const req = request(
          {
            host: "127.0.0.1",
            port,
            path: "/validate",
            method: "POST",
            agent,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const ok =
                res.statusCode === 200 &&
                JSON.parse(Buffer.concat(chunks).toString()).response?.allowed === true;
              resolveP({ ms: performance.now() - t, ok });
            });
          },
        );
        req.on("error", () => resolveP({ ms: performance.now() - t, ok: false }));
        req.end(body);
      });
    // The load generator (this process, all its threads) runs on the other core.
    spawnSync("taskset", ["-a", "-p", "-c", "1", String(process.pid)], { stdio: "ignore" });
    await waitFor("webhook serving", async () => ((await send(0)).ok ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    // Warm-up: one second at the target rate.
    const phase = async (secs: number) => {
      const total = Math.round(rate * secs);
      const pending: Array<Promise<{ ms: number; ok: boolean }>> = [];
      const start = performance.now();
      let sent = 0;
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
        while (sent < due) pending.push(send(sent++));
        // Sleep to the next millisecond tick rather than spin: a busy generator delays reading
        // responses and would bill its own lag to the webhook.
        await new Promise((r) => setTimeout(r, 1));
      }
      const results = await Promise.all(pending);
      return { results, wall: (performance.now() - start) / 1000 };
    };
    await phase(1);
    const { results, wall } = await phase(seconds);
    const lat = results.map((r) => r.ms).sort((a, b) => a - b);
    const result = {
      benchmark: "webhook",
      at: new Date().toISOString(),
      targetRatePerSecond: rate,
      achievedRatePerSecond: Number((results.length / wall).toFixed(0)),
      requests: results.length,
      errors: results.filter((r) => !r.ok).length,
      webhookCores: 1,
      latencyMs: {
        p50: Number(pct(lat, 50).toFixed(2)),
        p90: Number(pct(lat, 90).toFixed(2)),
        p99: Number(pct(lat, 99).toFixed(2)),
        max: Number(lat.at(-1)!.toFixed(2)),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(result, null, 2) + "\n");
    console.log(`written to ${out}`);
    agent.destroy();
  } finally {
    child.kill("SIGTERM");
    await client.close();
    await cp.stop();
  }
}
