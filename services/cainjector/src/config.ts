/**
 * cainjector configuration: schema → defaults → file/env/flags → validate → freeze (libs/config),
 * then the cross-field checks a schema cannot express. Flag names follow cert-manager's cainjector
 * (`--namespace`, `--leader-elect`, `--enable-…-injectable`, `--metrics-listen-address`, …).
 */
import { parseGoDuration } from "@certkeeper/api";
import { ConfigError, loadConfig, type LoadOptions } from "@certkeeper/config";
import { Type, type Static } from "@sinclair/typebox";

export const ENV_PREFIX = "CERTKEEPER_CAINJECTOR";

/** The Lease cert-manager's cainjector uses; kept so a mixed install never runs two leaders. */
export const DEFAULT_LEASE_NAME = "cert-manager-cainjector-leader-election";

export const CAInjectorConfigSchema = Type.Object({
  kubeconfig: Type.Optional(
    Type.String({ description: "Path to a kubeconfig; KUBECONFIG / in-cluster when unset." }),
  ),
  namespace: Type.String({
    default: "",
    description: "Only read CA sources (Secrets, Certificates) in this namespace; empty = all namespaces.",
  }),
  ignoreNamespaces: Type.String({
    default: "",
    description: "Comma-separated namespaces whose Secrets and Certificates are never used as CA sources.",
  }),
  natsUrl: Type.Optional(
    Type.String({
      description: "NATS server URL(s), comma separated. Without it the cainjector uses watches only.",
    }),
  ),
  natsUser: Type.Optional(Type.String()),
  natsPassword: Type.Optional(Type.String()),
  leaderElect: Type.Boolean({
    default: true,
    description: "Run the injectors only while holding the Lease.",
  }),
  leaderElectionNamespace: Type.String({ default: "kube-system" }),
  leaderElectionLeaseName: Type.String({ default: DEFAULT_LEASE_NAME }),
  leaderElectionLeaseDuration: Type.String({ default: "60s" }),
  leaderElectionRenewDeadline: Type.String({ default: "40s" }),
  leaderElectionRetryPeriod: Type.String({ default: "15s" }),
  enableCertificatesDataSource: Type.Boolean({
    default: true,
    description: "Honour cert-manager.io/inject-ca-from (needs the Certificate CRD).",
  }),
  enableValidatingwebhookconfigurationsInjectable: Type.Boolean({ default: true }),
  enableMutatingwebhookconfigurationsInjectable: Type.Boolean({ default: true }),
  enableCustomresourcedefinitionsInjectable: Type.Boolean({ default: true }),
  enableApiservicesInjectable: Type.Boolean({ default: true }),
  featureGates: Type.String({ default: "", description: "K=V,… Known: CAInjectorMerging (default true)." }),
  resyncPeriod: Type.String({
    default: "10h",
    description: "Every target is re-checked this often (safety net).",
  }),
  concurrentWorkers: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 100,
    description: "Workers per injectable kind.",
  }),
  metricsListenAddress: Type.String({ default: "0.0.0.0:9402", description: "host:port; empty disables." }),
  healthzListenAddress: Type.String({
    default: "0.0.0.0:9403",
    description: "host:port of /livez and /healthz; empty disables.",
  }),
  logLevel: Type.String({ default: "info" }),
});
export type CAInjectorConfig = Static<typeof CAInjectorConfigSchema>;

/** Derived, parsed values the app uses (durations in ms, lists split). */
export interface Settings {
  ignoreNamespaces: string[];
  merging: boolean;
  resyncMs: number;
  lease: { durationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  metrics: { host: string; port: number } | undefined;
  healthz: { host: string; port: number } | undefined;
}

const KNOWN_GATES = new Set(["CAInjectorMerging"]);

/** Loads and checks the configuration; every problem is reported in one ConfigError. */
export function loadCAInjectorConfig(opts: LoadOptions): Readonly<CAInjectorConfig> {
  const config = loadConfig(CAInjectorConfigSchema, { envPrefix: ENV_PREFIX, ...opts });
  settingsOf(config);
  return config;
}

/** Parses the derived settings; throws ConfigError listing every problem. */
export function settingsOf(config: CAInjectorConfig): Settings {
  const problems: string[] = [];
  const duration = (flag: string, value: string): number => {
    try {
      const ms = parseGoDuration(value);
      if (ms > 0) return ms;
      problems.push(`--${flag}: must be positive, got "${value}"`);
    } catch {
      problems.push(`--${flag}: "${value}" is not a duration (e.g. 15s, 1m30s)`);
    }
    return 0;
  };
  const lease = {
    durationMs: duration("leader-election-lease-duration", config.leaderElectionLeaseDuration),
    renewDeadlineMs: duration("leader-election-renew-deadline", config.leaderElectionRenewDeadline),
    retryPeriodMs: duration("leader-election-retry-period", config.leaderElectionRetryPeriod),
  };
  if (config.leaderElect && lease.durationMs && lease.renewDeadlineMs && lease.retryPeriodMs) {
    if (!(lease.durationMs > lease.renewDeadlineMs && lease.renewDeadlineMs > lease.retryPeriodMs)) {
      problems.push("leader election needs lease-duration > renew-deadline > retry-period");
    }
  }
  const resyncMs = duration("resync-period", config.resyncPeriod);
  const gates = parseGates(config.featureGates, problems);
  const metrics = listenAddress("metrics-listen-address", config.metricsListenAddress, problems);
  const healthz = listenAddress("healthz-listen-address", config.healthzListenAddress, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ignoreNamespaces: splitList(config.ignoreNamespaces),
    merging: gates.get("CAInjectorMerging") ?? true,
    resyncMs,
    lease,
    metrics,
    healthz,
  };
}

/** The configuration as logged at start-up: no password. */
export function redacted(config: CAInjectorConfig): Record<string, unknown> {
  const { natsPassword, ...rest } = config;
  return natsPassword === undefined ? rest : { ...rest, natsPassword: "[redacted]" };
}

function splitList(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

function parseGates(s: string, problems: string[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const item of splitList(s)) {
    const [k, v] = item.split("=").map((x) => x.trim()) as [string, string | undefined];
    if (!KNOWN_GATES.has(k)) problems.push(`--feature-gates: unknown feature gate "${k}"`);
    else if (v !== "true" && v !== "false") problems.push(`--feature-gates: ${k} must be true or false`);
    else out.set(k, v === "true");
  }
  return out;
}

function listenAddress(
  flag: string,
  value: string,
  problems: string[],
): { host: string; port: number } | undefined {
  if (value === "") return undefined;
  const i = value.lastIndexOf(":");
  const host = i < 0 ? "" : value.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(i < 0 ? value : value.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`--${flag}: "${value}" is not host:port`);
    return undefined;
  }
  return { host: host || "0.0.0.0", port };
}
