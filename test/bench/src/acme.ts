/**
 * ACME issuance against Pebble, and certbot against the same Pebble, in one run (issue 5).
 *
 *   Pebble VA ─┐                          ┌─▶ acme-solver #1
 *              ├─▶ router 127.0.0.1:<p> ──┤
 *   self-check ┘                          └─▶ acme-solver #2
 *
 * All real parts on loopback: kube-apiserver + etcd, nats-server, Pebble (PEBBLE_VA_NOSLEEP=1,
 * PEBBLE_AUTHZREUSE=0 so every name is validated) with pebble-challtestsrv as its DNS (every name →
 * 127.0.0.1), two acme-solver processes, a router standing in for the ingress, and the controller
 * (ACME built in, configured through its own flags) in this process.
 *
 * Per controller run (`--modes tuned,defaults`): an ACME ClusterIssuer against Pebble, then `count`
 * Certificates applied at once, one name each (`n<i>.bench.test`). Reports the time until all are
 * Ready, per-certificate latency (create → Ready) p50/p99, ACME requests by action (from the
 * controller's certmanager_http_acme_client_request_count), self-check passes and Pebble VA
 * requests (seen by the router), the median time spent in each stage, and the intervals in effect.
 *   tuned:    --http01-self-check-passes/-interval/-timeout and --dns01-check-retry-period from
 *             the flags below (default 2 passes × 500 ms, 5 s timeout, 2 s retry period)
 *   defaults: cert-manager's values (5 passes × 2 s, 10 s timeout, 10 s retry period)
 *
 * Then the router is stopped and `certbot certonly --standalone` obtains the same names from the
 * same Pebble, one after another (standalone mode binds Pebble's one HTTP-01 port), after an
 * untimed `certbot register` (our account registration is not timed either).
 *
 * Flags: --count 50 --out bench-results/acme.json --modes tuned,defaults --no-certbot
 *        --self-check-passes 2 --self-check-interval 500ms --self-check-timeout 5s
 *        --check-retry-period 2s --workers 5 (controller --concurrent-workers)
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  Resources,
  type Certificate,
  type CertificateRequest,
  type Challenge,
  type ClusterIssuer,
  type Order,
} from "@certkeeper/api";
import { loadConfig, parseFlags } from "@certkeeper/config";
import { Informer, type KubeObject } from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { startPebble, waitFor, type PebbleHandle } from "@certkeeper/testing";
import { buildController, type ControllerApp } from "../../../services/controller/src/app.ts";
import { ControllerConfigSchema } from "../../../services/controller/src/config.ts";
import { certbotRun } from "./acme-certbot.ts";
import {
  certificate,
  pebbleIssuer,
  Router,
  startSolver,
  type SolverReplica,
} from "../../e2e/src/acme-harness.ts";
import {
  apply,
  controllerArgs,
  createNamespace,
  isReady,
  ROOT,
  startWorld,
  type World,
} from "../../integration/src/world.ts";

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
const median = (xs: number[]) =>
  pct(
    [...xs].sort((a, b) => a - b),
    50,
  );
const round = (n: number, d = 0) => Number(n.toFixed(d));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.end();
  });
}

/** certmanager_http_acme_client_request_count summed by action and by "action status". */
async function acmeRequestCounts(metricsPort: number): Promise<Record<string, number>> {
  const text = await httpText(metricsPort, "/metrics");
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("certmanager_http_acme_client_request_count{")) continue;
    const action = /action="([^"]*)"/.exec(line)?.[1] ?? "?";
    const status = /status="([^"]*)"/.exec(line)?.[1] ?? "?";
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    out[action] = (out[action] ?? 0) + v;
    out[`${action} ${status}`] = (out[`${action} ${status}`] ?? 0) + v;
  }
  return out;
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

/** When each stage was first seen (Date.now() ms) for one name. */
interface Timeline {
  created?: number;
  request?: number;
  order?: number;
  challenge?: number;
  processing?: number;
  firstSelfCheck?: number;
  lastSelfCheck?: number;
  firstValidation?: number;
  challengeValid?: number;
  orderValid?: number;
  ready?: number;
}

/** Stage → [from, to]; the median of (to - from) over the names is reported. */
const STAGES: Array<[string, keyof Timeline, keyof Timeline]> = [
  ["create → CertificateRequest", "created", "request"],
  ["CertificateRequest → Order", "request", "order"],
  ["Order → Challenge", "order", "challenge"],
  ["Challenge → scheduled (processing)", "challenge", "processing"],
  // status.presented is written together with the self-check's outcome, so the present itself
  // (acme-solver over NATS + Ingress) is measured up to the first self-check request.
  ["scheduled → first self-check request (present)", "processing", "firstSelfCheck"],
  ["first → last self-check request", "firstSelfCheck", "lastSelfCheck"],
  ["last self-check → Pebble VA request (accept)", "lastSelfCheck", "firstValidation"],
  ["Pebble VA → Challenge valid (authorization poll + write)", "firstValidation", "challengeValid"],
  ["Challenge valid → Order valid (finalize + poll + fetch)", "challengeValid", "orderValid"],
  ["Order valid → Certificate Ready", "orderValid", "ready"],
];

function watch<T extends KubeObject>(
  world: World,
  kind: keyof typeof Resources,
  ns: string,
  seen: (o: T) => void,
) {
  const inf = new Informer<T>({
    client: world.client,
    resource: Resources[kind],
    namespace: ns,
    log: silentLogger(),
  });
  inf.onAdd(seen);
  inf.onUpdate((_o, n) => seen(n));
  return inf;
}

interface Parts {
  world: World;
  pebble: PebbleHandle;
  router: Router;
}

interface ModeOptions {
  label: string;
  passes: number;
  interval: string;
  timeout: string;
  retry: string;
  workers: number;
}

async function startController(
  world: World,
  extra: string[],
): Promise<{ app: ControllerApp; metricsPort: number }> {
  const config = loadConfig(ControllerConfigSchema, { argv: controllerArgs(world, extra) });
  const app = buildController({ config, kubeConfig: world.cp.kubeConfig(), log: silentLogger() });
  const ports = await app.start();
  return { app, metricsPort: ports.metricsPort! };
}

/** One controller run: issuer, `count` Certificates at once, figures. */
async function ourRun(parts: Parts, count: number, mode: ModeOptions) {
  const { world, pebble, router } = parts;
  const ns = `bench-${mode.label}`;
  await createNamespace(world.client, ns);
  const flags = [
    "--http01-self-check-address",
    `127.0.0.1:${router.port}`,
    "--http01-self-check-passes",
    String(mode.passes),
    "--http01-self-check-interval",
    mode.interval,
    "--http01-self-check-timeout",
    mode.timeout,
    "--dns01-check-retry-period",
    mode.retry,
    "--concurrent-workers",
    String(mode.workers),
    "--log-level",
    "warn",
  ];
  console.log(
    `\n[${mode.label}] controller flags: ${flags
      .filter((f) => !f.startsWith("127."))
      .join(" ")
      .replace(/--http01-self-check-address/, "--http01-self-check-address <router>")}`,
  );
  const { app, metricsPort } = await startController(world, flags);
  const informers: Array<Informer<KubeObject>> = [];
  try {
    const issuerName = `pebble-${mode.label}`;
    await apply(world.client, "ClusterIssuer", pebbleIssuer(issuerName, pebble));
    await waitFor(
      `ClusterIssuer ${issuerName} Ready`,
      async () =>
        isReady(
          await world.client
            .get<ClusterIssuer>(Resources.ClusterIssuer, undefined, issuerName)
            .catch(() => undefined),
        )
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // Let the start-up reconciles of older objects settle before timing.
    await sleep(2000);

    const names = Array.from({ length: count }, (_, i) => ({ cert: `c${i}`, dns: `n${i}.bench.test` }));
    const dnsOf = new Map(names.map((n) => [n.cert, n.dns]));
    const tl = new Map<string, Timeline>(names.map((n) => [n.dns, {}]));
    const mark = (dns: string | undefined, stage: keyof Timeline, when = Date.now()) => {
      const t = dns ? tl.get(dns) : undefined;
      if (t && t[stage] === undefined) t[stage] = when;
    };
    informers.push(
      watch<Certificate>(
        world,
        "Certificate",
        ns,
        (c) => isReady(c) && mark(dnsOf.get(c.metadata.name!), "ready"),
      ) as unknown as Informer<KubeObject>,
      watch<CertificateRequest>(world, "CertificateRequest", ns, (cr) =>
        mark(
          dnsOf.get(
            cr.metadata.ownerReferences?.[0]?.name ??
              cr.metadata.annotations?.["cert-manager.io/certificate-name"] ??
              "",
          ),
          "request",
        ),
      ) as unknown as Informer<KubeObject>,
      watch<Order>(world, "Order", ns, (o) => {
        const dns = o.spec.dnsNames?.[0];
        mark(dns, "order");
        if (o.status?.state === "valid") mark(dns, "orderValid");
      }) as unknown as Informer<KubeObject>,
      watch<Challenge>(world, "Challenge", ns, (ch) => {
        const dns = ch.spec.dnsName;
        mark(dns, "challenge");
        if (ch.status?.processing) mark(dns, "processing");
        if (ch.status?.state === "valid") mark(dns, "challengeValid");
      }) as unknown as Informer<KubeObject>,
    );
    for (const inf of informers) inf.start();
    for (const inf of informers) await inf.waitForSync();

    const before = await acmeRequestCounts(metricsPort);
    const routerFrom = router.log.length;
    const t0 = Date.now();
    await Promise.all(
      names.map(async (n) => {
        mark(n.dns, "created");
        await world.client.create(Resources.Certificate, certificate(ns, n.cert, [n.dns], issuerName));
      }),
    );
    const tCreated = Date.now();
    const limitMs = Math.min(15 * 60_000, 120_000 + count * 5000);
    const readyCount = () => names.filter((n) => tl.get(n.dns)!.ready !== undefined).length;
    await waitFor("all Certificates Ready", async () => (readyCount() >= count ? true : undefined), {
      timeoutMs: limitMs,
      intervalMs: 50,
    }).catch(async (err: unknown) => {
      const chs = await world.client.list<Challenge>(Resources.Challenge, { namespace: ns });
      const reasons = [
        ...new Set(chs.items.map((c) => `${c.status?.state ?? "-"}: ${c.status?.reason ?? ""}`)),
      ].slice(0, 5);
      throw new Error(
        `${(err as Error).message}: ${readyCount()}/${count} Ready after ${limitMs / 1000} s; challenge states: ${reasons.join(" | ")}`,
        { cause: err },
      );
    });
    const tDone = Date.now();
    const after = await acmeRequestCounts(metricsPort);

    // What went through the router for our names during the run.
    const routed = router.log.slice(routerFrom);
    let selfChecks = 0;
    let validations = 0;
    for (const r of routed) {
      const t = tl.get(r.host);
      if (!t) continue;
      if (r.userAgent.includes("Pebble")) {
        validations++;
        mark(r.host, "firstValidation", r.at);
      } else {
        selfChecks++;
        mark(r.host, "firstSelfCheck", r.at);
        t.lastSelfCheck = Math.max(t.lastSelfCheck ?? 0, r.at);
      }
    }

    const lat = names.map((n) => tl.get(n.dns)!.ready! - tl.get(n.dns)!.created!).sort((a, b) => a - b);
    const stages: Record<string, number> = {};
    for (const [label, from, to] of STAGES) {
      const ds = [...tl.values()]
        .filter((t) => t[from] !== undefined && t[to] !== undefined)
        .map((t) => t[to]! - t[from]!);
      stages[label] = Math.round(median(ds));
    }
    const requests = diff(before, after);
    const byAction = Object.fromEntries(Object.entries(requests).filter(([k]) => !k.includes(" ")));
    const totalRequests = Object.values(byAction).reduce((a, b) => a + b, 0);
    const s = app.acme!.deps.settings;
    const result = {
      mode: mode.label,
      certificates: count,
      wallSeconds: round((tDone - t0) / 1000, 2),
      secondsToCreateAll: round((tCreated - t0) / 1000, 2),
      latencyMs: {
        p50: Math.round(pct(lat, 50)),
        p99: Math.round(pct(lat, 99)),
        min: Math.round(lat[0]!),
        max: Math.round(lat.at(-1)!),
      },
      acmeRequests: {
        total: totalRequests,
        perCertificate: round(totalRequests / count, 1),
        byAction,
        byActionAndStatus: Object.fromEntries(Object.entries(requests).filter(([k]) => k.includes(" "))),
      },
      selfCheckRequests: { total: selfChecks, perCertificate: round(selfChecks / count, 2) },
      pebbleValidationRequests: { total: validations, perCertificate: round(validations / count, 2) },
      medianStageMs: stages,
      settingsInEffect: {
        http01SelfCheckPasses: s.http01SelfCheckPasses,
        http01SelfCheckIntervalMs: s.http01SelfCheckIntervalMs,
        http01SelfCheckTimeoutMs: s.http01SelfCheckTimeoutMs,
        checkRetryPeriodMs: s.checkRetryPeriodMs,
        schedulerIntervalMs: s.schedulerIntervalMs,
        schedulerBatch: s.schedulerBatch,
        maxConcurrentChallenges: s.maxConcurrentChallenges,
        orderRequeueMs: s.orderRequeueMs,
        acmePollBackoffMs: "250 → 2000 (×2) while an authorization is pending or an order processing",
        queueBackoffMs: "1000 → 30000 on errors",
        concurrentWorkers: mode.workers,
      },
    };
    return { result, cleanup: () => removeRun(parts.world, ns) };
  } finally {
    for (const inf of informers) await inf.stop();
    await app.stop();
  }
}

/** Deletes a finished run's objects so the next controller does not re-reconcile them while timed. */
async function removeRun(world: World, ns: string): Promise<void> {
  for (const kind of ["Certificate", "CertificateRequest", "Order"] as const) {
    const list = await world.client.list<KubeObject>(Resources[kind], { namespace: ns });
    await Promise.all(
      list.items.map((o) =>
        world.client.delete(Resources[kind], ns, o.metadata.name!).catch(() => undefined),
      ),
    );
  }
}

export async function run(argv: string[]): Promise<void> {
  const flags = parseFlags(argv);
  const count = Number(flags.count ?? 50);
  const out = flags.out ?? join(ROOT, "bench-results/acme.json");
  const modes = String(flags.modes ?? "tuned,defaults")
    .split(",")
    .filter(Boolean);
  const withCertbot = flags.certbot !== "false";
  const workers = Number(flags.workers ?? 5);
  const tuned: ModeOptions = {
    label: "tuned",
    passes: Number(flags["self-check-passes"] ?? 2),
    interval: String(flags["self-check-interval"] ?? "500ms"),
    timeout: String(flags["self-check-timeout"] ?? "5s"),
    retry: String(flags["check-retry-period"] ?? "2s"),
    workers,
  };
  const defaults: ModeOptions = {
    label: "defaults",
    passes: 5,
    interval: "2s",
    timeout: "10s",
    retry: "10s",
    workers,
  };
  const known: Record<string, ModeOptions> = { tuned, defaults };
  for (const m of modes) if (!known[m]) throw new Error(`--modes: unknown mode "${m}" (tuned, defaults)`);
  if (!(count >= 1 && count <= 1000)) throw new Error("--count: 1..1000");

  if (withCertbot) {
    const probe = spawnSync("certbot", ["--version"]);
    if (probe.error || probe.status !== 0) {
      throw new Error(
        "certbot not found on PATH: install Debian's `certbot` package (apt-get install -y certbot), or pass --no-certbot",
      );
    }
  }

  console.log(
    `ACME benchmark: ${count} Certificates (one name each, ECDSA P-256) through Pebble, modes: ${modes.join(", ")}${withCertbot ? "; then certbot" : ""}`,
  );
  const workDir = await mkdtemp(join(tmpdir(), "ck-bench-acme-"));
  let world: World | undefined;
  let pebble: PebbleHandle | undefined;
  let router: Router | undefined;
  let solvers: SolverReplica[] = [];
  try {
    world = await startWorld();
    await createNamespace(world.client, "cert-manager");
    solvers = await Promise.all([
      startSolver(world.nats.url, workDir, "solver-1"),
      startSolver(world.nats.url, workDir, "solver-2"),
    ]);
    const live = solvers;
    router = new Router(() => live.filter((s) => !s.proc.exited()).map((s) => s.port));
    const routerPort = await router.start();
    pebble = await startPebble({ httpPort: routerPort, authzReuse: 0 });
    const parts: Parts = { world, pebble, router };

    const runs = [];
    for (const m of modes) {
      const { result, cleanup } = await ourRun(parts, count, known[m]!);
      console.log(JSON.stringify(result, null, 2));
      runs.push(result);
      await cleanup();
    }

    let certbot: Awaited<ReturnType<typeof certbotRun>> | undefined;
    if (withCertbot) {
      // certbot's standalone server takes over Pebble's HTTP-01 port.
      await router.stop();
      router = undefined;
      certbot = await certbotRun(pebble, count, workDir);
      const { perCertificateMsInOrder: _omit, ...shown } = certbot;
      console.log(JSON.stringify(shown, null, 2));
    }

    const main = runs[0];
    const comparison =
      main && certbot
        ? {
            ours: `${main.mode}: ${main.wallSeconds} s for ${count} concurrently (p50 ${main.latencyMs.p50} ms, p99 ${main.latencyMs.p99} ms)`,
            certbot: `${certbot.wallSeconds} s for ${count} one after another (p50 ${certbot.perCertificateMs.p50} ms per certificate)`,
            certbotWallOverOurs: round(certbot.wallSeconds / main.wallSeconds, 2),
            ourP50OverCertbotP50: round(main.latencyMs.p50 / certbot.perCertificateMs.p50, 2),
            ...Object.fromEntries(
              runs
                .slice(1)
                .map((r) => [`certbotWallOver_${r.mode}`, round(certbot.wallSeconds / r.wallSeconds, 2)]),
            ),
          }
        : undefined;
    const result = {
      benchmark: "acme",
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      pebble: { env: "PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0" },
      runs,
      ...(certbot ? { certbot } : {}),
      ...(comparison ? { comparison } : {}),
    };

    console.log("\nsummary");
    for (const r of runs) {
      const top = Object.entries(r.medianStageMs)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([k, v]) => `${k} ${v} ms`);
      console.log(
        `  ours [${r.mode}]: ${r.wallSeconds} s wall for ${count}; p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms; ` +
          `${r.acmeRequests.perCertificate} ACME requests/cert, ${r.selfCheckRequests.perCertificate} self-check requests/cert; ` +
          `largest median stages: ${top.join(", ")}`,
      );
    }
    if (certbot)
      console.log(
        `  certbot (sequential): ${certbot.wallSeconds} s wall; per cert p50 ${certbot.perCertificateMs.p50} ms, p99 ${certbot.perCertificateMs.p99} ms`,
      );
    if (comparison)
      console.log(
        `  certbot wall / ours [${main!.mode}] wall = ${comparison.certbotWallOverOurs}; our p50 / certbot p50 = ${comparison.ourP50OverCertbotP50}`,
      );

    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(result, null, 2) + "\n");
    console.log(`written to ${out}`);
  } finally {
    await router?.stop().catch(() => undefined);
    await Promise.all(solvers.map((s) => s.proc.stop(2000).catch(() => undefined)));
    await pebble?.stop().catch(() => undefined);
    await world?.stop().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}
