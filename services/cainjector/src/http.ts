/**
 * The cainjector's two small HTTP servers:
 *
 *   metrics  GET /metrics   Prometheus text: certmanager_controller_sync_call_count{controller},
 *                           certmanager_controller_sync_error_count{controller} (cert-manager's
 *                           names), certkeeper_cainjector_* counters, process/Node collectors
 *   health   GET /livez     200 while the process serves requests
 *            GET /healthz   200 once the target and Secret caches have synced, else 503 + why
 *
 * Values are read from the live counters at scrape time; nothing is kept per object.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { SyncCounters } from "@certkeeper/kube";
import type { InjectorStats } from "./controller.ts";

export interface MetricsDeps {
  counters: SyncCounters;
  controllers: readonly string[];
  stats: InjectorStats;
  isLeader: () => boolean;
}

export function buildRegistry(deps: MetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const perController = (
    name: string,
    help: string,
    pick: (c: { calls: number; errors: number }) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames: ["controller"],
      registers: [registry],
      collect() {
        this.reset();
        for (const controller of deps.controllers)
          this.inc({ controller }, pick(deps.counters.get(controller)));
      },
    });
  perController(
    "certmanager_controller_sync_call_count",
    "The number of sync() calls made by a controller.",
    (c) => c.calls,
  );
  perController(
    "certmanager_controller_sync_error_count",
    "The number of sync() errors by a controller.",
    (c) => c.errors,
  );
  new Counter({
    name: "certkeeper_cainjector_injections_total",
    help: "caBundle writes made.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.stats.injections);
    },
  });
  new Counter({
    name: "certkeeper_cainjector_skips_total",
    help: "Reconciles that injected nothing, by reason (refused or nothing to inject yet).",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of deps.stats.skips) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: "certkeeper_cainjector_nats_triggers_total",
    help: "Targets re-checked because a certificate issued event arrived on NATS.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.stats.natsTriggers);
    },
  });
  new Gauge({
    name: "certkeeper_cainjector_leader",
    help: "1 while this replica runs the injectors (holds the Lease or runs without election).",
    registers: [registry],
    collect() {
      this.set(deps.isLeader() ? 1 : 0);
    },
  });
  return registry;
}

export function buildMetricsServer(registry: Registry): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_req, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
  return app;
}

export interface HealthDeps {
  /** Problems that make the replica not ready; [] when healthy. */
  problems: () => string[];
}

export function buildHealthServer(deps: HealthDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get("/livez", async (_req, reply) => reply.type("text/plain").send("ok\n"));
  app.get("/healthz", async (_req, reply) => {
    const problems = deps.problems();
    if (problems.length === 0) return reply.type("text/plain").send("ok\n");
    return reply
      .code(503)
      .type("text/plain")
      .send(`${problems.join("\n")}\n`);
  });
  return app;
}
