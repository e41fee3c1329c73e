/**
 * Builds the controller service: caches, reconcilers, metrics and health, and the NATS
 * lifecycle publisher. Opening sockets, reading env and signals is main.ts's job.
 *
 *   informers ──events──▶ work queues ──keys──▶ reconcilers ──writes──▶ API server
 *                                                   └──after each write──▶ NATS lifecycle events
 */
import { createServer, type Server } from "node:http";
import { parseGoDuration } from "@certkeeper/api";
import { connectBus, ensureEventStream, EventPublisher, type Bus } from "@certkeeper/bus";
import {
  Controller,
  defaultIdentity,
  KubeClient,
  KubeEventRecorder,
  SyncCounters,
  systemClock,
  type Clock,
  type EventRecorder,
} from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";
import type { KubeConfig } from "@kubernetes/client-node";
import { acmeSettingsFromConfig, buildAcme, type Acme } from "./acme/index.ts";
import { allInformers, buildCaches } from "./caches.ts";
import { certificateControllers } from "./certificates/index.ts";
import { approverController } from "./certificaterequests/approver.ts";
import { ISSUING_FIELD_MANAGER } from "./caches.ts";
import { caRequestController, caSigner } from "./certificaterequests/ca.ts";
import { selfSignedRequestController, selfSignedSigner } from "./certificaterequests/selfsigned.ts";
import type { ControllerConfig } from "./config.ts";
import type { Deps } from "./context.ts";
import { clusterIssuerController, issuerController } from "./issuers/controller.ts";
import { DeferredLifecycle } from "./lifecycle.ts";
import { createMetrics } from "./metrics.ts";
import { Membership } from "./sharding.ts";
import type { ControllerRegistration } from "./registration.ts";

export interface ControllerAppOptions {
  config: Readonly<ControllerConfig>;
  kubeConfig: KubeConfig;
  log: Logger;
  clock?: Clock;
  /** Tests may pass an in-memory recorder. */
  recorder?: EventRecorder;
  /** Build without the ACME controllers (tests that run their own). */
  acme?: false;
}

export interface ControllerApp {
  deps: Deps;
  client: KubeClient;
  counters: SyncCounters;
  controllers: Controller[];
  lifecycle: DeferredLifecycle;
  acme: Acme | undefined;
  /** Starts informers, waits for their caches, starts every controller, metrics and health. */
  start(): Promise<{ metricsPort?: number; healthzPort?: number }>;
  stop(): Promise<void>;
}

function hostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(":");
  return { host: addr.slice(0, i) || "0.0.0.0", port: Number(addr.slice(i + 1)) };
}

export function buildController(opts: ControllerAppOptions): ControllerApp {
  const { config, log } = opts;
  const clock = opts.clock ?? systemClock;
  const client = new KubeClient(
    opts.kubeConfig,
    config.kubeApiQps > 0 ? { rateLimit: { qps: config.kubeApiQps, burst: config.kubeApiBurst } } : {},
  );
  const caches = buildCaches(client, clock, log);
  // Without NATS there is nobody to tell: keep nothing (a buffer would only hold objects in memory).
  const lifecycle = new DeferredLifecycle(config.natsUrl ? 10_000 : 0);
  const recorder = opts.recorder ?? new KubeEventRecorder({ client, component: "cert-manager", clock, log });
  const deps: Deps = {
    client,
    caches,
    clock,
    recorder,
    lifecycle,
    log,
    settings: {
      clusterResourceNamespace: config.clusterResourceNamespace,
      minBackoffMs: parseGoDuration(config.certificateRequestMinimumBackoffDuration),
      maxBackoffMs: parseGoDuration(config.certificateRequestMaximumBackoffDuration),
      fieldManager: ISSUING_FIELD_MANAGER,
      enableCertificateOwnerRef: config.enableCertificateOwnerRef,
      autoApprove: !config.disableAutoApproval,
    },
  };
  const counters = new SyncCounters();
  const metrics = createMetrics({ caches, counters });
  let bus: Bus | undefined;
  const acme =
    opts.acme === false
      ? undefined
      : buildAcme({
          deps,
          settings: acmeSettingsFromConfig(config),
          getBus: () => bus,
          metrics: metrics.registry,
        });
  const registrations: ControllerRegistration[] = [
    ...certificateControllers(deps),
    ...(config.disableAutoApproval
      ? []
      : [approverController(deps, { signers: { selfSigned: selfSignedSigner, ca: caSigner } })]),
    selfSignedRequestController(deps),
    caRequestController(deps),
    issuerController(deps),
    clusterIssuerController(deps),
    ...(acme?.registrations ?? []),
  ];
  // When ownership moves, every cached object is offered again; each replica keeps what it now owns.
  const membership = new Membership(defaultIdentity(), clock, log, () => {
    for (const inf of informers) inf.resync();
  });
  const controllers = registrations.map((r) => {
    const c = new Controller({
      name: r.name,
      reconcile: config.sharding
        ? (key, ctx) => (membership.owns(key) ? r.reconcile(key, ctx) : Promise.resolve())
        : r.reconcile,
      workers: r.workers ?? config.concurrentWorkers,
      queue: { clock, backoff: { baseMs: 1000, maxMs: 30_000 } },
      counters,
      log,
    });
    r.watches((key) => c.enqueue(key));
    return c;
  });
  const informers = [...allInformers(caches), ...(acme?.informers ?? [])];
  let publisher: EventPublisher | undefined;
  const abort = new AbortController();
  const servers: Server[] = [];

  async function connectNats(): Promise<void> {
    if (!config.natsUrl) return;
    try {
      bus = await connectBus({
        servers: config.natsUrl.split(","),
        name: "certkeeper-controller",
        user: config.natsUser,
        pass: config.natsPassword,
        logger: log,
        signal: abort.signal,
      });
      await ensureEventStream(bus);
      publisher = new EventPublisher(bus);
      lifecycle.attach(publisher);
      if (config.sharding) await membership.start(bus);
    } catch (err) {
      if (!abort.signal.aborted)
        log.error({ err }, "NATS unavailable; lifecycle events are buffered in memory");
    }
  }

  return {
    deps,
    client,
    counters,
    controllers,
    lifecycle,
    acme,
    async start() {
      void connectNats();
      for (const inf of informers) inf.start();
      for (const inf of informers) await inf.waitForSync(abort.signal);
      for (const c of controllers) void c.start();
      const out: { metricsPort?: number; healthzPort?: number } = {};
      if (config.metricsListenAddress) {
        const { host, port } = hostPort(config.metricsListenAddress);
        const m = await metrics.startServer(host, port);
        out.metricsPort = m.port;
        servers.push({
          close: (cb?: (err?: Error) => void) => void m.close().then(() => cb?.()),
        } as unknown as Server);
      }
      if (config.healthzListenAddress) {
        const { host, port } = hostPort(config.healthzListenAddress);
        const srv = createServer((req, res) => {
          const ok = req.url === "/livez" || req.url === "/healthz";
          res.writeHead(ok ? 200 : 404, { "content-type": "text/plain" }).end(ok ? "ok" : "not found");
        });
        await new Promise<void>((r) => srv.listen(port, host, r));
        out.healthzPort = (srv.address() as { port: number }).port;
        servers.push(srv);
      }
      log.info({ controllers: controllers.map((c) => c.name) }, "controller started");
      return out;
    },
    async stop() {
      abort.abort();
      await membership.stop().catch(() => undefined);
      await Promise.all(controllers.map((c) => c.stop()));
      await Promise.all(informers.map((i) => i.stop()));
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      if (publisher) {
        await publisher.flush({ timeoutMs: 3000 }).catch(() => {});
        publisher.close();
      }
      await bus?.close().catch(() => {});
      await client.close();
    },
  };
}
