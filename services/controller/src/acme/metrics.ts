/**
 * ACME client metrics with cert-manager's names and labels:
 *
 *   certmanager_http_acme_client_request_count{scheme,host,action,method,status}        counter
 *   certmanager_http_acme_client_request_duration_seconds{scheme,host,action,method,status}  summary
 *
 * One observation per HTTP attempt (retries included); status is "999" when no response came.
 * The app registers them on the controller's registry with registerAcmeClientMetrics(registry).
 *
 * Also `certmanager_certificate_challenge_status{status,domain,reason,processing,name,namespace,type}`,
 * read from the Challenge cache at scrape time: one series per state, 1 for the current one.
 */
import type { Challenge } from "@certkeeper/api";
import { Counter, Gauge, Summary, type Registry } from "prom-client";

/** cert-manager's action label values. */
export const AcmeAction = {
  acceptChallenge: "accept_challenge",
  authorizeOrder: "authorize_order",
  createOrderCert: "create_order_cert",
  discover: "discover",
  fetchCert: "fetch_cert",
  finalizeOrder: "finalize_order",
  getAuthorization: "get_authorization",
  getCert: "get_cert",
  getChallenge: "get_challenge",
  getDirectory: "get_directory",
  getOrder: "get_order",
  getRegistration: "get_registration",
  getRenewalInfo: "get_renewal_info",
  listCertAlternates: "list_cert_alternates",
  registerAccount: "register_account",
  updateRegistration: "update_registration",
  waitAuthorization: "wait_authorization",
  waitOrder: "wait_order",
  unnamed: "unnamed_action",
} as const;
export type AcmeActionName = (typeof AcmeAction)[keyof typeof AcmeAction];

export interface AcmeRequestObservation {
  scheme: string;
  host: string;
  action: string;
  method: string;
  status: string;
  seconds: number;
}

export interface AcmeClientMetrics {
  observe(o: AcmeRequestObservation): void;
}

const LABELS = ["scheme", "host", "action", "method", "status"] as const;

/** Creates both metrics on `registry` and returns the recorder the ACME clients report to. */
export function registerAcmeClientMetrics(registry: Registry): AcmeClientMetrics {
  const count = new Counter({
    name: "certmanager_http_acme_client_request_count",
    help: "The number of requests made by the ACME client.",
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Summary({
    name: "certmanager_http_acme_client_request_duration_seconds",
    help: "The HTTP request latencies in seconds for the ACME client.",
    labelNames: LABELS,
    percentiles: [0.5, 0.9, 0.99],
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers: [registry],
  });
  return {
    observe(o) {
      const labels = { scheme: o.scheme, host: o.host, action: o.action, method: o.method, status: o.status };
      count.inc(labels);
      duration.observe(labels, o.seconds);
    },
  };
}

/** scheme/host labels of a request URL. */
export function urlLabels(url: string | undefined): { scheme: string; host: string } {
  try {
    const u = new URL(url ?? "");
    return { scheme: u.protocol.replace(/:$/, ""), host: u.host };
  } catch {
    return { scheme: "", host: "" };
  }
}

const CHALLENGE_STATES = [
  "valid",
  "ready",
  "pending",
  "processing",
  "invalid",
  "expired",
  "errored",
] as const;

/** certmanager_certificate_challenge_status, computed from the Challenge cache on each scrape. */
export function registerChallengeStatusMetric(registry: Registry, challenges: { list(): Challenge[] }): void {
  new Gauge({
    name: "certmanager_certificate_challenge_status",
    help: "The status of certificate challenges",
    labelNames: ["status", "domain", "reason", "processing", "name", "namespace", "type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const ch of challenges.list()) {
        for (const status of CHALLENGE_STATES) {
          this.set(
            {
              status,
              domain: ch.spec.dnsName,
              reason: ch.status?.reason ?? "",
              processing: String(ch.status?.processing ?? false),
              name: ch.metadata.name ?? "",
              namespace: ch.metadata.namespace ?? "",
              type: ch.spec.type,
            },
            ch.status?.state === status ? 1 : 0,
          );
        }
      }
    },
  });
}
