/**
 * Prometheus metrics. The request metrics use controller-runtime's names and labels, which is what
 * cert-manager's webhook exposes, so existing dashboards keep working.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface WebhookMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"webhook" | "code">;
  readonly latency: Histogram<"webhook">;
  readonly inFlight: Gauge<"webhook">;
  readonly denials: Counter<"kind" | "operation">;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: "controller_runtime_webhook_requests_total",
      help: "Total number of admission requests by HTTP status code.",
      labelNames: ["webhook", "code"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "controller_runtime_webhook_latency_seconds",
      help: "Histogram of the latency of processing admission requests",
      labelNames: ["webhook"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "controller_runtime_webhook_requests_in_flight",
      help: "Current number of admission requests being served.",
      labelNames: ["webhook"],
      registers: [registry],
    }),
    denials: new Counter({
      name: "certkeeper_webhook_admission_denials_total",
      help: "Admission requests denied by validation, by kind and operation.",
      labelNames: ["kind", "operation"],
      registers: [registry],
    }),
  };
}
