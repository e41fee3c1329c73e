/**
 * Builds the cainjector (no sockets, no env, no signals until start()):
 *
 *   informers (always, also on standbys, so a new leader starts warm)
 *     targets ×4 (metadata only, indexed by source) ─┐
 *     Secrets (SecretCache)   ── source keys ────────┼─► injector queues (one Controller per kind)
 *     Certificates (indexed by secretName) ──────────┘          │ workers run only while leading
 *   NATS certificate.*.issued ── source keys, read live ───────►┘ (Lease, or always with
 *                                                                 --leader-elect=false)
 *   HTTP: /metrics, /livez, /healthz
 *
 * Losing the Lease ends the app (`died` resolves): like controller-runtime, the process exits and a
 * restart campaigns afresh, rather than resuming with caches and queues of unknown age.
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { KubeConfig } from "@kubernetes/client-node";
import { Resources, type Certificate } from "@certkeeper/api";
import {
  Controller,
  Informer,
  KubeClient,
  KubeEventRecorder,
  LeaderElector,
  SecretCache,
  SyncCounters,
  systemClock,
  type Clock,
  type KubeObject,
  type PartialObjectMetadata,
} from "@certkeeper/kube";
import type { Logger } from "@certkeeper/logging";
import { settingsOf, type CAInjectorConfig } from "./config.ts";
import {
  EVENT_COMPONENT,
  InjectorStats,
  SECRET_NAME_INDEX,
  SOURCE_INDEX,
  certificateSecretIndex,
  injectorReconcile,
  sourceKeysForCertificate,
  sourceKeysForSecret,
  type Injection,
} from "./controller.ts";
import { buildHealthServer, buildMetricsServer, buildRegistry } from "./http.ts";
import { INJECTABLES, type Injectable } from "./injectables.ts";
import { NatsLink } from "./nats.ts";
import { indexValues, wantsInjection } from "./sources.ts";

export interface BuildOptions {
  config: CAInjectorConfig;
  kubeConfig: KubeConfig;
  log: Logger;
  clock?: Clock;
  /** Leader election identity (default: hostname + random suffix). */
  identity?: string;
}

export interface CAInjectorApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves if the app stops on its own (leadership lost); the process should exit. */
  readonly died: Promise<Error>;
  readonly stats: InjectorStats;
  readonly counters: SyncCounters;
  readonly client: KubeClient;
  /** Controller names of the enabled injectors (metrics labels). */
  readonly controllers: readonly string[];
  isLeader(): boolean;
  natsConnected(): boolean;
  /** Listening addresses once started, e.g. { metrics: "127.0.0.1:41234" }. */
  addresses(): { metrics?: string; healthz?: string };
}

interface Injector {
  injectable: Injectable;
  targets: Informer<PartialObjectMetadata>;
  controller: Controller;
  fresh: Set<string>;
}

const ENABLED_BY: Record<keyof typeof INJECTABLES, keyof CAInjectorConfig> = {
  mutatingWebhookConfiguration: "enableMutatingwebhookconfigurationsInjectable",
  validatingWebhookConfiguration: "enableValidatingwebhookconfigurationsInjectable",
  apiService: "enableApiservicesInjectable",
  customResourceDefinition: "enableCustomresourcedefinitionsInjectable",
};

export function build(opts: BuildOptions): CAInjectorApp {
  const { config, log } = opts;
  const settings = settingsOf(config);
  const clock = opts.clock ?? systemClock;
  const client = new KubeClient(opts.kubeConfig, { userAgent: "certkeeper-cainjector" });
  const namespace = config.namespace || undefined;
  const counters = new SyncCounters();
  const stats = new InjectorStats();
  const recorder = new KubeEventRecorder({ client, component: EVENT_COMPONENT, clock, log });
  const secrets = new SecretCache({ client, namespace, clock, log });
  const certificates = config.enableCertificatesDataSource
    ? new Informer<Certificate>({
        client,
        resource: Resources.Certificate,
        namespace,
        indexers: { [SECRET_NAME_INDEX]: certificateSecretIndex },
        clock,
        log,
      })
    : undefined;
  const scope = {
    namespace: config.namespace,
    ignoreNamespaces: settings.ignoreNamespaces,
    certificatesEnabled: config.enableCertificatesDataSource,
  };
  const apiserverCA = readAPIServerCA(opts.kubeConfig, log);
  let nats: NatsLink | undefined;
  const onInjected = (i: Injection) => nats?.publishInjected(i);

  const injectors: Injector[] = (Object.keys(INJECTABLES) as Array<keyof typeof INJECTABLES>)
    .filter((k) => config[ENABLED_BY[k]] === true)
    .map((k) => {
      const injectable: Injectable = INJECTABLES[k];
      const targets = new Informer<PartialObjectMetadata>({
        client,
        resource: injectable.resource,
        metadataOnly: true,
        indexers: { [SOURCE_INDEX]: (o) => indexValues(o.metadata.annotations) },
        resyncPeriodMs: settings.resyncMs,
        clock,
        log,
      });
      const fresh = new Set<string>();
      const deps = {
        injectable,
        client,
        targets,
        secrets,
        certificates,
        apiserverCA,
        scope,
        merging: settings.merging,
      };
      const reconcile = injectorReconcile({ ...deps, recorder, clock, fresh, stats, onInjected });
      const controller = new Controller({
        name: injectable.controller,
        reconcile,
        workers: config.concurrentWorkers,
        queue: { clock },
        counters,
        log,
      });
      return { injectable, targets, controller, fresh };
    });

  // ---- event wiring: every change becomes target names on the injector queues ----------------
  const enqueueSources = (keys: string[], fresh = false): number => {
    let n = 0;
    for (const inj of injectors) {
      for (const key of keys) {
        for (const t of inj.targets.byIndex(SOURCE_INDEX, key)) {
          const name = t.metadata.name!;
          if (fresh) inj.fresh.add(name);
          inj.controller.enqueue(name);
          n++;
        }
      }
    }
    return n;
  };
  for (const inj of injectors) {
    const onTarget = (o: PartialObjectMetadata) => {
      if (wantsInjection(o.metadata.annotations)) inj.controller.enqueue(o.metadata.name!);
    };
    inj.targets.onAdd(onTarget);
    inj.targets.onUpdate((_old, o) => onTarget(o));
  }
  const onSecret = (s: KubeObject) => void enqueueSources(sourceKeysForSecret(s, certificates));
  secrets.onAdd(onSecret);
  secrets.onUpdate((_old, s) => onSecret(s));
  secrets.onDelete(onSecret);
  if (certificates) {
    const onCert = (c: Certificate) =>
      void enqueueSources(
        sourceKeysForCertificate({ namespace: c.metadata.namespace!, name: c.metadata.name! }, certificates),
      );
    certificates.onAdd(onCert);
    // Status churn during issuance does not change the source; the Secret's own events cover data.
    certificates.onUpdate((old, c) => {
      if (old.spec?.secretName !== c.spec?.secretName) onCert(c);
    });
    certificates.onDelete(onCert);
  }

  // ---- leadership ------------------------------------------------------------------------------
  const stopper = new AbortController();
  let leading = false;
  let stopping = false;
  let die: (err: Error) => void = () => {};
  const died = new Promise<Error>((resolve) => (die = resolve));
  const informersSynced = () => injectors.every((i) => i.targets.hasSynced()) && secrets.hasSynced();

  const runInjectors = async (signal: AbortSignal) => {
    const synced = await Promise.all([
      ...injectors.map((i) => i.targets.waitForSync(signal)),
      secrets.waitForSync(signal),
    ]);
    if (signal.aborted || !synced.every(Boolean)) return;
    leading = true;
    log.info(
      { injectors: injectors.map((i) => i.injectable.controller) },
      "caches synced; starting injectors",
    );
    for (const inj of injectors) void inj.controller.start();
    signal.addEventListener(
      "abort",
      () => {
        leading = false;
        void Promise.all(injectors.map((i) => i.controller.stop()));
      },
      { once: true },
    );
  };
  const elector = config.leaderElect
    ? new LeaderElector({
        client,
        namespace: config.leaderElectionNamespace,
        name: config.leaderElectionLeaseName,
        leaseDurationMs: settings.lease.durationMs,
        renewDeadlineMs: settings.lease.renewDeadlineMs,
        retryPeriodMs: settings.lease.retryPeriodMs,
        ...(opts.identity ? { identity: opts.identity } : {}),
        onStartedLeading: runInjectors,
        onStoppedLeading: () => {
          leading = false;
          if (!stopping) die(new Error("leader election lost"));
        },
        onNewLeader: (identity) => log.info({ leader: identity }, "another replica leads"),
        clock,
        log,
      })
    : undefined;

  if (config.natsUrl) {
    nats = new NatsLink({
      servers: config.natsUrl
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      user: config.natsUser,
      pass: config.natsPassword,
      log,
      onIssued: (ref) => {
        if (!leading) return;
        const n = enqueueSources(sourceKeysForCertificate(ref, certificates), true);
        stats.natsTriggers += n;
        if (n > 0)
          log.debug(
            { certificate: `${ref.namespace}/${ref.name}`, targets: n },
            "certificate issued; re-checking targets",
          );
      },
    });
  }

  // ---- HTTP ------------------------------------------------------------------------------------
  const controllers = injectors.map((i) => i.injectable.controller);
  const servers: Array<{
    name: "metrics" | "healthz";
    app: FastifyInstance;
    at: { host: string; port: number };
  }> = [];
  if (settings.metrics) {
    const registry = buildRegistry({ counters, controllers, stats, isLeader: () => leading });
    servers.push({ name: "metrics", app: buildMetricsServer(registry), at: settings.metrics });
  }
  if (settings.healthz) {
    const problems = () => [
      ...injectors
        .filter((i) => !i.targets.hasSynced())
        .map((i) => `${i.injectable.controller} cache not synced`),
      ...(secrets.hasSynced() ? [] : ["secret cache not synced"]),
    ];
    servers.push({ name: "healthz", app: buildHealthServer({ problems }), at: settings.healthz });
  }
  const listening: { metrics?: string; healthz?: string } = {};

  return {
    died,
    stats,
    counters,
    client,
    controllers,
    isLeader: () => leading,
    natsConnected: () => nats?.isConnected() ?? false,
    addresses: () => ({ ...listening }),

    async start() {
      for (const s of servers) {
        await s.app.listen({ host: s.at.host, port: s.at.port });
        const addr = s.app.server.address();
        listening[s.name] = typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr);
      }
      for (const inj of injectors) inj.targets.start();
      secrets.start();
      certificates?.start();
      nats?.start();
      if (elector) void elector.run();
      else void runInjectors(stopper.signal);
      log.info(
        { leader_elect: config.leaderElect, nats: Boolean(nats), synced: informersSynced() },
        "cainjector started",
      );
    },

    async stop() {
      if (stopping) return;
      stopping = true;
      stopper.abort();
      await elector?.stop();
      await Promise.all(injectors.map((i) => i.controller.stop()));
      leading = false;
      await Promise.all([...injectors.map((i) => i.targets.stop()), secrets.stop(), certificates?.stop()]);
      await nats?.stop();
      await recorder.flush();
      await Promise.all(servers.map((s) => s.app.close()));
      await client.close();
    },
  };
}

/** The CA the cainjector itself trusts the API server with (inline data or file), as PEM. */
function readAPIServerCA(kc: KubeConfig, log: Logger): string | undefined {
  const cluster = kc.getCurrentCluster();
  try {
    if (cluster?.caData) return Buffer.from(cluster.caData, "base64").toString("utf8");
    if (cluster?.caFile) return readFileSync(cluster.caFile, "utf8");
  } catch (err) {
    log.warn(
      { err },
      "cannot read the API server CA from the kubeconfig; inject-apiserver-ca will be refused",
    );
  }
  return undefined;
}
