/**
 * Parts for the ACME end-to-end tests: acme-solver replicas as processes, a loopback HTTP
 * router standing in for the cluster's ingress (Pebble's VA and our self-check both go through
 * it), and the ACME controllers run next to an in-process controller.
 *
 *   Pebble VA ─┐                          ┌─▶ acme-solver #1 (first one alive)
 *              ├─▶ router 127.0.0.1:<p> ──┤
 *   self-check ┘   rules per Host/UA      └─▶ acme-solver #2
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import {
  Resources,
  type ACMEIssuer,
  type Certificate,
  type CertificateRequest,
  type Challenge,
  type ClusterIssuer,
  type Order,
} from "@certkeeper/api";
import { connectBus, type Bus } from "@certkeeper/bus";
import {
  Controller,
  CoreResources,
  type KubeClient,
  type KubeObject,
  type Secret,
  type SyncCounters,
} from "@certkeeper/kube";
import { silentLogger } from "@certkeeper/logging";
import { freePort, startProcess, waitFor, type ManagedProcess } from "@certkeeper/testing";
import type { PebbleHandle } from "../../../libs/testing/src/pebble.ts";
import type { ControllerApp } from "../../../services/controller/src/app.ts";
import { buildAcme, type Acme, type BuildAcmeOptions } from "../../../services/controller/src/acme/index.ts";
import { ROOT } from "../../integration/src/world.ts";

export interface SolverReplica {
  port: number;
  proc: ManagedProcess;
  logPath: string;
}

export async function startSolver(natsUrl: string, workDir: string, name: string): Promise<SolverReplica> {
  const port = await freePort();
  const logPath = join(workDir, `${name}.log`);
  const proc = startProcess(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "services/acme-solver/src/main.ts"),
      "--nats-url",
      natsUrl,
      "--listen-host",
      "127.0.0.1",
      "--listen-port",
      String(port),
    ],
    { logPath, cwd: ROOT },
  );
  await waitFor(
    `${name} /healthz`,
    async () =>
      (await httpGet(port, "/healthz", "localhost").catch(() => undefined))?.status === 200
        ? true
        : undefined,
    {
      timeoutMs: 30_000,
      intervalMs: 100,
      abortIf: () => (proc.exited() ? `${name} exited; see ${logPath}` : undefined),
    },
  );
  return { port, proc, logPath };
}

export function httpGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { Host: host }, agent: false, timeout: 3000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

export type RouteDecision = "forward" | "404" | "refuse";
export interface RoutedRequest {
  host: string;
  path: string;
  userAgent: string;
  decision: RouteDecision;
  at: number;
}

/** The "ingress": forwards to the first live solver unless a rule says otherwise; logs every request. */
export class Router {
  readonly log: RoutedRequest[] = [];
  rule: (host: string, userAgent: string) => RouteDecision = () => "forward";
  private server: Server | undefined;
  port = 0;

  constructor(private readonly targets: () => number[]) {}

  async start(): Promise<number> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    const userAgent = req.headers["user-agent"] ?? "";
    const decision = this.rule(host, userAgent);
    this.log.push({ host, path: req.url ?? "", userAgent, decision, at: Date.now() });
    if (decision === "refuse") return void req.socket.destroy();
    if (decision === "404")
      return void res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found\n");
    void this.forward(req, res, [...this.targets()]);
  }

  private async forward(req: IncomingMessage, res: ServerResponse, ports: number[]): Promise<void> {
    for (const port of ports) {
      const ok = await new Promise<boolean>((resolve) => {
        const up = request(
          { host: "127.0.0.1", port, path: req.url, method: req.method, headers: req.headers, agent: false },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
            resolve(true);
          },
        );
        up.on("error", () => resolve(false));
        up.end();
      });
      if (ok) return;
    }
    res.writeHead(502).end("no solver alive\n");
  }

  requestsFor(host: string, since = 0): RoutedRequest[] {
    return this.log.filter((r) => r.host === host && r.at >= since);
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export interface RunningAcme {
  acme: Acme;
  bus: Bus;
  controllers: Controller[];
  stop(): Promise<void>;
}

/**
 * Runs the ACME controllers next to `app` (until the app wires them itself: then the app's own
 * are used and only `acme` is built for its caches and settings).
 */
export async function startAcme(
  app: ControllerApp,
  natsUrl: string,
  opts: Omit<BuildAcmeOptions, "deps" | "getBus">,
): Promise<RunningAcme> {
  const bus = await connectBus({ servers: natsUrl, name: "acme-e2e-controller", logger: silentLogger() });
  const acme = buildAcme({ ...opts, deps: app.deps, getBus: () => bus });
  const counters: SyncCounters = app.counters;
  const controllers = acme.registrations.map((r) => {
    const c = new Controller({
      name: r.name,
      reconcile: r.reconcile,
      workers: r.workers ?? 5,
      queue: { backoff: { baseMs: 500, maxMs: 10_000 } },
      counters,
      log: app.deps.log,
    });
    r.watches((key) => c.enqueue(key));
    return c;
  });
  for (const inf of acme.informers) inf.start();
  for (const inf of acme.informers) await inf.waitForSync();
  for (const c of controllers) void c.start();
  return {
    acme,
    bus,
    controllers,
    async stop() {
      await Promise.all(controllers.map((c) => c.stop()));
      await Promise.all(acme.informers.map((i) => i.stop()));
      await bus.close().catch(() => undefined);
    },
  };
}

// ---- objects and queries ------------------------------------------------------------------

export const b64 = (s: string) => Buffer.from(s).toString("base64");
export const unb64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");

export const ready = (o: { status?: { conditions?: Array<{ type: string; status: string }> } } | undefined) =>
  !!o?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");

export function certificate(ns: string, name: string, dnsNames: string[], issuer = "pebble"): Certificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: ns },
    spec: {
      secretName: `${name}-tls`,
      dnsNames,
      issuerRef: { name: issuer, kind: "ClusterIssuer" },
      privateKey: { algorithm: "ECDSA", size: 256 },
    },
  };
}

export function pebbleIssuer(
  name: string,
  pebble: PebbleHandle,
  acme: Partial<ACMEIssuer> = {},
): ClusterIssuer {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name },
    spec: {
      acme: {
        server: pebble.directoryUrl,
        caBundle: b64(pebble.caPEM),
        privateKeySecretRef: { name: `${name}-account` },
        solvers: [{ http01: { ingress: {} } }],
        ...acme,
      },
    },
  };
}

type Event = KubeObject & { reason?: string; message?: string; type?: string };
type Ingress = KubeObject & { spec: { rules: unknown[] } };
const INGRESSES = { group: "networking.k8s.io", version: "v1", plural: "ingresses", namespaced: true };

/** Reads from the API server (not the controller's caches) in one namespace. */
export class Queries {
  constructor(
    private readonly client: KubeClient,
    private readonly ns: string,
  ) {}

  get<T extends KubeObject>(kind: keyof typeof Resources, name: string, ns: string | undefined = this.ns) {
    return this.client.get<T>(Resources[kind], ns, name).catch(() => undefined);
  }

  async list<T extends KubeObject>(kind: keyof typeof Resources): Promise<T[]> {
    return (await this.client.list<T>(Resources[kind], { namespace: this.ns })).items;
  }

  async requestsOf(cert: string): Promise<CertificateRequest[]> {
    const crs = await this.list<CertificateRequest>("CertificateRequest");
    return crs.filter((cr) => cr.metadata.ownerReferences?.some((o) => o.name === cert));
  }

  async ordersOf(cert: string): Promise<Order[]> {
    const crs = new Set((await this.requestsOf(cert)).map((cr) => cr.metadata.uid));
    return (await this.list<Order>("Order")).filter((o) =>
      o.metadata.ownerReferences?.some((r) => crs.has(r.uid)),
    );
  }

  async challengeFor(dnsName: string): Promise<Challenge | undefined> {
    return (await this.list<Challenge>("Challenge")).find((c) => c.spec.dnsName === dnsName);
  }

  async events(): Promise<Event[]> {
    return (await this.client.list<Event>(CoreResources.events, { namespace: this.ns })).items;
  }

  async ingresses(labelSelector?: string): Promise<Ingress[]> {
    return (
      await this.client.list<Ingress>(INGRESSES, {
        namespace: this.ns,
        ...(labelSelector ? { labelSelector } : {}),
      })
    ).items;
  }

  async secretData(name: string, key: string, ns = this.ns): Promise<string> {
    return unb64((await this.client.get<Secret>(CoreResources.secrets, ns, name)).data?.[key]);
  }
}

/** `openssl verify` of a leaf-first chain against a root; returns openssl's output. */
export function opensslVerify(chain: string[], rootPEM: string, dir: string): string {
  const d = mkdtempSync(join(dir, "verify-"));
  writeFileSync(join(d, "root.pem"), rootPEM);
  writeFileSync(join(d, "chain.pem"), chain.slice(1).join(""));
  writeFileSync(join(d, "leaf.pem"), chain[0]!);
  const args = [
    "verify",
    "-CAfile",
    join(d, "root.pem"),
    "-untrusted",
    join(d, "chain.pem"),
    join(d, "leaf.pem"),
  ];
  return execFileSync("openssl", args).toString();
}
