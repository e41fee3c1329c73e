/**
 * The controller's Prometheus endpoint (`/metrics`, default :9402) with cert-manager's metric
 * names, labels and help texts, so existing alerts and dashboards keep working.
 *
 * Every resource metric is computed from the informer caches at scrape time (collect callbacks):
 * there is no per-object state to update or to clean up when an object goes away. Sync counts
 * come from the controllers' SyncCounters. Process and Node.js runtime collectors are included
 * (cert-manager registers the process and Go collectors).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Certificate, ClusterIssuer, Issuer } from "@certkeeper/api";
import { systemClock, type Clock, type SyncCounters } from "@certkeeper/kube";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

export const DEFAULT_METRICS_PORT = 9402;

const CONDITIONS = ["True", "False", "Unknown"] as const;

/** What the metrics read: anything that lists the cached objects (the informers do). */
export interface MetricsSources {
  certificates: { list(): Certificate[] };
  issuers: { list(): Issuer[] };
  clusterIssuers: { list(): ClusterIssuer[] };
}

export interface MetricsOptions {
  caches: MetricsSources;
  counters: Pick<SyncCounters, "snapshot">;
  clock?: Clock;
  /** Register process / Node.js collectors (default true). */
  defaultMetrics?: boolean;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export interface Metrics {
  registry: Registry;
  startServer(host: string, port?: number): Promise<MetricsServer>;
}

/** Seconds since the epoch of an RFC 3339 time, 0 when unset or unparsable (as cert-manager). */
function epochSeconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function readyOf(conditions: ReadonlyArray<{ type: string; status: string }> | undefined): string {
  return conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown";
}

/** Certificate labels: issuerRef values as written (kind/group are often ""), like cert-manager. */
function certLabels(c: Certificate) {
  return {
    name: c.metadata.name ?? "",
    namespace: c.metadata.namespace ?? "",
    issuer_name: c.spec.issuerRef?.name ?? "",
    issuer_kind: c.spec.issuerRef?.kind ?? "",
    issuer_group: c.spec.issuerRef?.group ?? "",
  };
}

const CERT_LABELS = ["name", "namespace", "issuer_name", "issuer_kind", "issuer_group"] as const;

export function createMetrics(opts: MetricsOptions): Metrics {
  const { caches, counters } = opts;
  const clock = opts.clock ?? systemClock;
  const registry = new Registry();
  const registers = [registry];

  new Gauge({
    name: "certmanager_certificate_ready_status",
    help: "The ready status of the certificate.",
    labelNames: ["name", "namespace", "condition", "issuer_name", "issuer_kind", "issuer_group"],
    registers,
    collect() {
      this.reset();
      for (const c of caches.certificates.list()) {
        const current = readyOf(c.status?.conditions);
        const { name, namespace, ...issuer } = certLabels(c);
        // Labels in cert-manager's order (name, namespace, condition, issuer_*).
        for (const condition of CONDITIONS)
          this.set({ name, namespace, condition, ...issuer }, current === condition ? 1 : 0);
      }
    },
  });

  const certTimestamp = (name: string, help: string, field: (c: Certificate) => string | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: CERT_LABELS,
      registers,
      collect() {
        this.reset();
        for (const c of caches.certificates.list()) this.set(certLabels(c), epochSeconds(field(c)));
      },
    });
  certTimestamp(
    "certmanager_certificate_expiration_timestamp_seconds",
    "The date after which the certificate expires. Expressed as a Unix Epoch Time.",
    (c) => c.status?.notAfter,
  );
  certTimestamp(
    "certmanager_certificate_not_after_timestamp_seconds",
    "The timestamp after which the certificate is invalid. Expressed as a Unix Epoch Time.",
    (c) => c.status?.notAfter,
  );
  certTimestamp(
    "certmanager_certificate_not_before_timestamp_seconds",
    "The timestamp before which the certificate is invalid. Expressed as a Unix Epoch Time.",
    (c) => c.status?.notBefore,
  );
  certTimestamp(
    "certmanager_certificate_renewal_timestamp_seconds",
    "The number of seconds before expiration time the certificate should renew.",
    (c) => c.status?.renewalTime,
  );

  new Gauge({
    name: "certmanager_issuer_ready_status",
    help: "The ready status of the issuer.",
    labelNames: ["name", "namespace", "condition"],
    registers,
    collect() {
      this.reset();
      for (const i of caches.issuers.list()) {
        const current = readyOf(i.status?.conditions);
        const base = { name: i.metadata.name ?? "", namespace: i.metadata.namespace ?? "" };
        for (const condition of CONDITIONS) this.set({ ...base, condition }, current === condition ? 1 : 0);
      }
    },
  });

  new Gauge({
    name: "certmanager_clusterissuer_ready_status",
    help: "The ready status of the cluster issuer.",
    labelNames: ["name", "condition"],
    registers,
    collect() {
      this.reset();
      for (const i of caches.clusterIssuers.list()) {
        const current = readyOf(i.status?.conditions);
        for (const condition of CONDITIONS)
          this.set({ name: i.metadata.name ?? "", condition }, current === condition ? 1 : 0);
      }
    },
  });

  new Counter({
    name: "certmanager_controller_sync_call_count",
    help: "The number of sync() calls made by a controller.",
    labelNames: ["controller"],
    registers,
    collect() {
      this.reset();
      for (const s of counters.snapshot()) this.inc({ controller: s.controller }, s.calls);
    },
  });

  new Counter({
    name: "certmanager_controller_sync_error_count",
    help: "The number of errors encountered during controller sync().",
    labelNames: ["controller"],
    registers,
    collect() {
      this.reset();
      for (const s of counters.snapshot()) this.inc({ controller: s.controller }, s.errors);
    },
  });

  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  new Gauge({
    name: "certmanager_clock_time_seconds_gauge",
    help: "The clock time given in seconds (from 1970/01/01 UTC).",
    registers,
    collect() {
      this.set(nowSeconds());
    },
  });
  // Deprecated upstream (a counter that can go backwards) but still exported there; kept for
  // dashboards that read it.
  new Counter({
    name: "certmanager_clock_time_seconds",
    help: "DEPRECATED: use clock_time_seconds_gauge instead. The clock time given in seconds (from 1970/01/01 UTC).",
    registers,
    collect() {
      this.reset();
      this.inc(nowSeconds());
    },
  });

  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (err) {
      res
        .writeHead(500, { "content-type": "text/plain" })
        .end(`error collecting metrics: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }

  return {
    registry,
    startServer(host, port = DEFAULT_METRICS_PORT) {
      const server = createServer((req, res) => void handle(req, res));
      return new Promise<MetricsServer>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve({
            port: (server.address() as AddressInfo).port,
            close: () =>
              new Promise<void>((done, fail) => {
                server.close((err) => (err ? fail(err) : done()));
                server.closeAllConnections();
              }),
          });
        });
      });
    },
  };
}
