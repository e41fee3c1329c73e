/**
 * Webhook configuration: flags (`--secure-port=6443`), env (`CERTKEEPER_WEBHOOK_SECURE_PORT`) or
 * defaults, validated against this schema at boot and frozen. Every problem is reported at once.
 */
import { ConfigError, loadConfig, type LoadOptions } from "@certkeeper/config";
import { isGoDuration, parseGoDuration } from "@certkeeper/api";
import { Type, type Static } from "@sinclair/typebox";
import { isIP } from "node:net";

const Port = (def: number, description: string) =>
  Type.Integer({ default: def, minimum: 0, maximum: 65535, description });

export const WebhookConfigSchema = Type.Object({
  securePort: Port(6443, "HTTPS port serving /validate and /mutate (the chart uses 10250)."),
  healthzPort: Port(6080, "HTTP port serving /healthz (readiness) and /livez (liveness)."),
  metricsPort: Port(9402, "HTTP port serving Prometheus /metrics."),
  listenHost: Type.String({
    default: "127.0.0.1",
    description: "Address every listener binds to: 127.0.0.1 for local runs, 0.0.0.0 in a cluster.",
  }),
  kubeconfig: Type.Optional(
    Type.String({ description: "kubeconfig file; else KUBECONFIG, in-cluster, ~/.kube/config." }),
  ),
  dynamicServingCaSecretNamespace: Type.String({ default: "cert-manager", minLength: 1 }),
  dynamicServingCaSecretName: Type.String({ default: "cert-manager-webhook-ca", minLength: 1 }),
  dynamicServingDnsNames: Type.String({
    default: "cert-manager-webhook,cert-manager-webhook.cert-manager,cert-manager-webhook.cert-manager.svc",
    description: "Comma-separated DNS names and IP addresses of the serving certificate.",
  }),
  dynamicServingLeafDuration: Type.String({ default: "168h", description: "Lifetime of each serving leaf." }),
  natsUrl: Type.Optional(
    Type.String({ description: "NATS servers (comma-separated); denials are published there." }),
  ),
  natsUser: Type.Optional(Type.String()),
  natsPassword: Type.Optional(Type.String()),
  logLevel: Type.String({ default: "info" }),
});

export type RawWebhookConfig = Static<typeof WebhookConfigSchema>;

/** The loaded configuration with the derived values split out. */
export interface WebhookConfig extends RawWebhookConfig {
  readonly servingDnsNames: readonly string[];
  readonly servingIpAddresses: readonly string[];
  readonly leafDurationMs: number;
}

export const ENV_PREFIX = "CERTKEEPER_WEBHOOK";

export function loadWebhookConfig(opts: LoadOptions = {}): Readonly<WebhookConfig> {
  const raw = loadConfig(WebhookConfigSchema, { envPrefix: ENV_PREFIX, ...opts });
  const names = raw.dynamicServingDnsNames
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const problems: string[] = [];
  if (names.length === 0)
    problems.push("--dynamic-serving-dns-names: at least one DNS name or IP address is required");
  if (!isGoDuration(raw.dynamicServingLeafDuration)) {
    problems.push(
      `--dynamic-serving-leaf-duration: ${JSON.stringify(raw.dynamicServingLeafDuration)} is not a duration`,
    );
  } else if (parseGoDuration(raw.dynamicServingLeafDuration) < 60_000) {
    problems.push("--dynamic-serving-leaf-duration: must be at least 1m");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    ...raw,
    servingDnsNames: Object.freeze(names.filter((n) => isIP(n) === 0)),
    servingIpAddresses: Object.freeze(names.filter((n) => isIP(n) !== 0)),
    leafDurationMs: parseGoDuration(raw.dynamicServingLeafDuration),
  });
}
