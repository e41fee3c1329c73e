/**
 * Issuance throughput through the whole pipeline: N Certificates (ECDSA P-256, CA issuer) applied
 * at once to a real kube-apiserver + etcd on this machine, with the controller as its own process.
 *
 * Reports: time until all are Ready, certificates per second, per-certificate latency p50/p99
 * (create → Ready=True seen by a watch), API requests and writes per issued certificate as
 * counted by the API server itself (apiserver_request_total, minus the benchmark's own), and the
 * controller's peak RSS (VmHWM). Flags: --count 500 --workers 25 --out bench-results/issuance.json
 */
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api } from "@kubernetes/client-node";
import { Resources, type Certificate } from "@certkeeper/api";
import { parseFlags } from "@certkeeper/config";
import { CoreResources, Informer, KubeClient, type Secret } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { buildCSR, encodePrivateKey, generatePrivateKey, signCertificate } from "@certkeeper/pki";
import { startControlPlane, startNats, waitFor, type ControlPlane } from "@certkeeper/testing";
import { applyCrds } from "../../../scripts/lib/crds.ts";
import { renderChart } from "../../chart/src/helm.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const NS = "bench";

/** Sums apiserver_request_total by verb from the API server's own metrics. */
async function requestTotals(client: KubeClient): Promise<Record<string, number>> {
  const { body: text } = await client.transport.request({
    method: "GET",
    path: "/metrics",
    verb: "get",
    resource: "metrics",
    accept: "text/plain",
  });
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? "?";
    const resource = /resource="([a-z]+)"/.exec(line)?.[1] ?? "";
    const sub = /subresource="([a-z]*)"/.exec(line)?.[1] ?? "";
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    out[verb] = (out[verb] ?? 0) + v;
    const key = `${verb} ${resource}${sub ? `/${sub}` : ""}`;
    out[key] = (out[key] ?? 0) + v;
  }
  return out;
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

/**
 * CPU seconds (user + system) used so far by each process below this one, keyed by its executable
 * name (kube-apiserver, etcd, nats-server, node for the controller), plus this benchmark itself.
 */
async function cpuByProcess(controllerPid: number): Promise<Record<string, number>> {
  const tick = 100; // USER_HZ on Linux
  const procs = new Map<number, { ppid: number; comm: string; cpu: number }>();
  for (const d of await readdir("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const stat = await readFile(`/proc/${d}/stat`, "utf8").catch(() => "");
    const m = /^\d+ \((.*)\) \S (\d+)((?: \S+){9}) (\d+) (\d+)/.exec(stat);
    if (!m) continue;
    procs.set(Number(d), { ppid: Number(m[2]), comm: m[1]!, cpu: (Number(m[4]) + Number(m[5])) / tick });
  }
  const below = (pid: number): boolean => {
    for (let p = procs.get(pid)?.ppid; p; p = procs.get(p)?.ppid) if (p === process.pid) return true;
    return false;
  };
  const out: Record<string, number> = {};
  for (const [pid, p] of procs) {
    if (!below(pid)) continue;
    const name = pid === controllerPid ? "controller" : p.comm;
    out[name] = (out[name] ?? 0) + p.cpu;
  }
  const self = process.cpuUsage();
  out.benchmark = (self.user + self.system) / 1e6;
  // Time the hypervisor gave this machine's CPUs to someone else: a noisy neighbour shows here.
  const cpu = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/);
  out["(steal, whole machine)"] = Number(cpu[8] ?? 0) / tick;
  return out;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
    srv.once("error", fail);
  });
}

/** The controller's certmanager_controller_sync_call_count, by controller. */
async function syncCalls(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^certmanager_controller_sync_call_count\{controller="([^"]+)"\} (\S+)$/gm)) {
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** `kubectl get --raw /debug/pprof/profile` into `file` (read it with `go tool pprof`). */
function profileApiServer(kubeconfig: string, file: string, seconds: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(
      "sh",
      [
        "-c",
        'kubectl --kubeconfig "$1" get --raw "/debug/pprof/profile?seconds=$2" > "$3"',
        "sh",
        kubeconfig,
        String(seconds),
        file,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    p.once("error", reject);
    p.once("exit", (code) => (code === 0 ? resolvePromise() : reject(new Error(`kubectl exited ${code}`))));
  });
}

/**
 * The controller as it runs in a cluster: its ServiceAccount (token via TokenRequest) bound to the
 * chart's own controller RBAC, rendered by `helm template` and applied with kubectl. (The admin
 * client certificate would make the API server verify a client certificate on every request and
 * skip RBAC, neither of which a deployed controller costs it.)
 */
async function controllerIdentity(cp: ControlPlane, namespace: string): Promise<string> {
  const docs = (await renderChart({}, { namespace })).filter(
    (d) =>
      ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(d.kind) &&
      (d.metadata as { labels?: Record<string, string> }).labels?.["app.kubernetes.io/component"] ===
        "controller",
  );
  const manifest = join(cp.workDir, "controller-rbac.json");
  await writeFile(manifest, JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }));
  await new Promise<void>((ok, fail) => {
    const p = spawn("kubectl", ["--kubeconfig", cp.kubeconfigPath, "apply", "-f", manifest], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    p.once("error", fail);
    p.once("exit", (code) => (code === 0 ? ok() : fail(new Error(`kubectl apply exited ${code}`))));
  });
  const sa = docs.find((d) => d.kind === "ServiceAccount")!.metadata.name;
  const core = cp.kubeConfig().makeApiClient(CoreV1Api);
  const res = await core.createNamespacedServiceAccountToken({
    name: sa,
    namespace,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { audiences: [], expirationSeconds: 7200 },
    },
  });
  return (await cp.tokenIdentity(sa, res.status!.token!)).kubeconfigPath;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function run(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const count = Number(flags.count ?? 500);
  const workers = Number(flags.workers ?? 25);
  const out = flags.out ?? join(ROOT, "bench-results/issuance.json");

  console.log(
    `issuance benchmark: ${count} Certificates (ECDSA P-256, CA issuer), controller workers=${workers}`,
  );
  const [cp, nats] = await Promise.all([startControlPlane(), startNats()]);
  const client = new KubeClient(cp.kubeConfig());
  const controller: { pid: number; kill: () => void; exited?: Promise<unknown> } = { pid: 0, kill: () => {} };
  try {
    await applyCrds(cp.kubeConfig());
    for (const ns of [NS, "cert-manager"]) {
      await client.create(CoreResources.namespaces, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
    }
    const caKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const caPEM = signCertificate({
      csr: buildCSR({ commonName: "bench CA", isCA: true }, caKey),
      issuerKey: caKey,
      isCA: true,
      duration: 365 * 86400_000,
    });
    await client.create<Secret>(CoreResources.secrets, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "bench-ca", namespace: NS },
      type: "kubernetes.io/tls",
      data: {
        "tls.crt": Buffer.from(caPEM).toString("base64"),
        "tls.key": Buffer.from(encodePrivateKey(caKey, "PKCS8")).toString("base64"),
      },
    });
    await client.create(Resources.Issuer, {
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: "ca", namespace: NS },
      spec: { ca: { secretName: "bench-ca" } },
    });

    const metricsPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...(flags["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${flags["cpu-prof"]}`] : []),
        "--import",
        "tsx",
        join(ROOT, "services/controller/src/main.ts"),
        "--kubeconfig",
        await controllerIdentity(cp, "cert-manager"),
        "--nats-url",
        nats.url,
        "--concurrent-workers",
        String(workers),
        "--metrics-listen-address",
        `127.0.0.1:${metricsPort}`,
        "--healthz-listen-address",
        "127.0.0.1:0",
        "--log-level",
        "warn",
      ],
      {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "inherit"],
        // --cpu-prof DIR writes a V8 CPU profile of the controller, to see where its time goes.
      },
    );
    controller.pid = child.pid!;
    controller.kill = () => child.kill("SIGTERM");
    controller.exited = new Promise((r) => child.once("exit", r));
    await waitFor(
      "CA Issuer Ready",
      async () => {
        const iss = await client.get<Certificate>(Resources.Issuer, NS, "ca");
        return iss.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    // A watch records when each Certificate turns Ready.
    const readyAt = new Map<string, number>();
    const watcher = new Informer<Certificate>({
      client,
      resource: Resources.Certificate,
      namespace: NS,
      log: silentLogger(),
    });
    const seen = (c: Certificate) => {
      if (
        !readyAt.has(c.metadata.name!) &&
        c.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True")
      ) {
        readyAt.set(c.metadata.name!, performance.now());
      }
    };
    watcher.onAdd(seen);
    watcher.onUpdate((_o, n) => seen(n));
    watcher.start();
    await watcher.waitForSync();

    const before = await requestTotals(client);
    const cpuBefore = await cpuByProcess(controller.pid);
    const createdAt = new Map<string, number>();
    // --apiserver-profile FILE: a CPU profile of kube-apiserver (its /debug/pprof) over the run.
    const apiserverProfile = flags["apiserver-profile"]
      ? profileApiServer(cp.kubeconfigPath, flags["apiserver-profile"], 8)
      : undefined;
    const t0 = performance.now();
    const names = Array.from({ length: count }, (_, i) => `bench-${i}`);
    const creator = new KubeClient(cp.kubeConfig());
    await Promise.all(
      Array.from({ length: 50 }, async (_, lane) => {
        for (let i = lane; i < count; i += 50) {
          const name = names[i]!;
          createdAt.set(name, performance.now());
          await creator.create(Resources.Certificate, {
            apiVersion: "cert-manager.io/v1",
            kind: "Certificate",
            metadata: { name, namespace: NS },
            spec: {
              secretName: `${name}-tls`,
              dnsNames: [`${name}.bench.example`],
              privateKey: { algorithm: "ECDSA", size: 256 },
              issuerRef: { name: "ca", kind: "Issuer" },
            },
          } as Certificate);
        }
      }),
    );
    const tCreated = performance.now();
    await waitFor("all Ready", async () => (readyAt.size >= count ? true : undefined), {
      timeoutMs: 30 * 60_000,
      intervalMs: 50,
    });
    const tDone = performance.now();
    const cpuAfter = await cpuByProcess(controller.pid);
    await apiserverProfile;
    // Let the controller finish its follow-up writes (next-key Secret deletion, history pruning).
    await new Promise((r) => setTimeout(r, 3000));
    const after = await requestTotals(client);
    const reconciles = await syncCalls(metricsPort);
    const status = await readFile(`/proc/${controller.pid}/status`, "utf8");
    const peakRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    await watcher.stop();
    await creator.close();

    const d = diff(before, after);
    const benchCreates = count; // the benchmark's own POSTs of Certificates
    // Server-side apply is counted by the API server under its own verb, APPLY.
    const writes =
      (d.POST ?? 0) + (d.PUT ?? 0) + (d.PATCH ?? 0) + (d.APPLY ?? 0) + (d.DELETE ?? 0) - benchCreates;
    const eventWrites = (d["POST events"] ?? 0) + (d["PATCH events"] ?? 0);
    const total =
      Object.entries(d)
        .filter(([k]) => !k.includes(" "))
        .reduce((a, [, v]) => a + v, 0) - benchCreates;
    const lat = names.map((n) => readyAt.get(n)! - createdAt.get(n)!).sort((a, b) => a - b);
    const wall = (tDone - t0) / 1000;
    const result = {
      benchmark: "issuance",
      at: new Date().toISOString(),
      machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
      certificates: count,
      workersPerController: workers,
      secondsToAllReady: Number(wall.toFixed(2)),
      secondsToCreateAll: Number(((tCreated - t0) / 1000).toFixed(2)),
      certificatesPerSecond: Number((count / wall).toFixed(1)),
      latencyMs: {
        p50: Math.round(pct(lat, 50)),
        p99: Math.round(pct(lat, 99)),
        max: Math.round(lat.at(-1)!),
      },
      apiRequestsPerCertificate: Number((total / count).toFixed(2)),
      apiWritesPerCertificate: Number((writes / count).toFixed(2)),
      apiWritesPerCertificateExcludingEvents: Number(((writes - eventWrites) / count).toFixed(2)),
      controllerPeakRssMiB: Number(peakRssMiB.toFixed(1)),
      // certmanager_controller_sync_call_count per controller, per certificate (whole run).
      reconcilesPerCertificate: Object.fromEntries(
        Object.entries(reconciles)
          .map(([k, v]) => [k, Number((v / count).toFixed(2))] as const)
          .sort((a, b) => b[1] - a[1]),
      ),
      // CPU seconds each process used between the first create and the last Ready.
      cpuSecondsDuringRun: Object.fromEntries(
        Object.entries(cpuAfter)
          .map(([k, v]) => [k, Number((v - (cpuBefore[k] ?? 0)).toFixed(2))] as const)
          .filter(([, v]) => v > 0)
          .sort((a, b) => b[1] - a[1]),
      ),
      requestsByVerbAndResource: Object.fromEntries(
        Object.entries(d)
          .filter(([k]) => k.includes(" "))
          .sort(),
      ),
    };
    console.log(JSON.stringify(result, null, 2));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(result, null, 2) + "\n");
    console.log(`written to ${out}`);
  } finally {
    controller.kill();
    await Promise.race([controller.exited, new Promise((r) => setTimeout(r, 5000))]);
    await client.close();
    await nats.stop();
    await cp.stop();
  }
}
