/**
 * Generates charts/certkeeper/values.schema.json: the chart's own values described here, and each
 * service's `config` block taken from that service's TypeBox configuration schema
 * (services/<name>/src/config.ts, the exported `…ConfigSchema`), so a `helm install` with a
 * misspelt or mistyped setting fails before any pod starts.
 *
 * Wired into scripts/gen.ts as the generator `valuesSchemaFiles`.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { GeneratedFile } from "@certkeeper/api";

export const VALUES_SCHEMA_PATH = "charts/certkeeper/values.schema.json";

type Schema = Record<string, unknown>;

/** Where each service's settings live in values.yaml (the controller's at the top level). */
export const SERVICE_CONFIGS = [
  { service: "controller", valuesKey: undefined },
  { service: "webhook", valuesKey: "webhook" },
  { service: "cainjector", valuesKey: "cainjector" },
  { service: "acme-solver", valuesKey: "acmeSolver" },
] as const;

/** Settings the chart wires itself (NATS credentials come from Secrets, the kubeconfig is in-cluster). */
const CHART_MANAGED = new Set(["kubeconfig", "natsUrl", "natsUser", "natsPassword"]);

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: "object",
  additionalProperties: false,
  properties,
  ...extra,
});
const anyObject = (description?: string): Schema => ({
  type: "object",
  ...(description ? { description } : {}),
});
const str: Schema = { type: "string" };
const bool: Schema = { type: "boolean" };
const list = (items: Schema = {}): Schema => ({ type: "array", items });
const int = (minimum?: number, maximum?: number): Schema => ({
  type: "integer",
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});

const image = obj({
  registry: str,
  repository: str,
  tag: str,
  digest: str,
  pullPolicy: { enum: ["Always", "IfNotPresent", "Never"] },
});
const probe = obj({
  enabled: bool,
  initialDelaySeconds: int(0),
  periodSeconds: int(1),
  timeoutSeconds: int(1),
  successThreshold: int(1),
  failureThreshold: int(1),
});
const pdb = obj({
  enabled: bool,
  minAvailable: { type: ["integer", "string"] },
  maxUnavailable: { type: ["integer", "string"] },
});
const serviceAccount = obj({
  create: bool,
  name: str,
  annotations: anyObject(),
  labels: anyObject(),
  automountServiceAccountToken: bool,
});

/** Keys every service block has (the controller's sit at the top level). */
function componentProperties(config: Schema): Record<string, Schema> {
  return {
    replicaCount: int(0),
    strategy: anyObject(),
    podDisruptionBudget: pdb,
    image,
    serviceAccount,
    automountServiceAccountToken: bool,
    config,
    extraArgs: list(str),
    extraEnv: list(anyObject()),
    resources: anyObject(),
    securityContext: anyObject(),
    containerSecurityContext: anyObject(),
    volumes: list(anyObject()),
    volumeMounts: list(anyObject()),
    deploymentAnnotations: anyObject(),
    podAnnotations: anyObject(),
    podLabels: anyObject(),
    serviceAnnotations: anyObject(),
    serviceLabels: anyObject(),
    nodeSelector: anyObject(),
    affinity: anyObject(),
    tolerations: list(anyObject()),
    topologySpreadConstraints: list(anyObject()),
    livenessProbe: probe,
    readinessProbe: probe,
  };
}

const natsUser = (withEnabled: boolean): Schema =>
  obj({
    ...(withEnabled ? { enabled: bool } : {}),
    username: { type: "string", minLength: 1 },
    password: str,
    existingSecret: str,
    permissions: obj({ publish: list(str), subscribe: list(str) }),
  });

const nats = obj({
  enabled: bool,
  url: str,
  image,
  jetstream: obj({
    maxFileStore: { type: ["string", "integer"] },
    maxMemoryStore: { type: ["string", "integer"] },
  }),
  persistence: obj({ enabled: bool, size: str, storageClassName: str }),
  maxPayload: int(1),
  resources: anyObject(),
  securityContext: anyObject(),
  containerSecurityContext: anyObject(),
  podAnnotations: anyObject(),
  nodeSelector: anyObject(),
  affinity: anyObject(),
  tolerations: list(anyObject()),
  auth: obj({
    enabled: bool,
    users: obj({
      controller: natsUser(false),
      webhook: natsUser(false),
      cainjector: natsUser(false),
      acmeSolver: natsUser(false),
      viewer: natsUser(true),
    }),
  }),
});

/** A service's TypeBox schema as the `config` block: every key optional, nothing unknown. */
export function configBlock(serviceSchema: Schema | undefined, service: string): Schema {
  if (!serviceSchema) {
    return anyObject(`Settings of the ${service} (its config schema is not available yet).`);
  }
  // JSON round trip drops TypeBox's symbol keys and gives a plain, detached copy.
  const plain = JSON.parse(JSON.stringify(serviceSchema)) as { properties?: Record<string, Schema> };
  const properties: Record<string, Schema> = {};
  for (const [key, value] of Object.entries(plain.properties ?? {})) {
    if (!CHART_MANAGED.has(key)) properties[key] = value;
  }
  return obj(properties, {
    description: `Settings of the ${service}, passed as flags (key fooBar → --foo-bar). From services/${service}/src/config.ts.`,
  });
}

/** The whole values schema, given each service's config schema (undefined = not available). */
export function valuesSchema(configs: Record<string, Schema | undefined>): Schema {
  const block = (service: string) => configBlock(configs[service], service);
  const controller = componentProperties(block("controller"));
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $comment: "Code generated by scripts/gen.ts (scripts/gen-values-schema.ts). DO NOT EDIT.",
    title: "certkeeper Helm chart values",
    ...obj({
      global: obj({
        imagePullSecrets: list(anyObject()),
        commonLabels: anyObject(),
        priorityClassName: str,
        rbac: obj({ create: bool, aggregateClusterRoles: bool }),
        logLevel: { enum: ["fatal", "error", "warn", "info", "debug", "trace", "silent"] },
        leaderElection: obj({ namespace: { type: "string", minLength: 1 } }),
      }),
      namespace: str,
      fullnameOverride: str,
      crds: obj({ enabled: bool, keep: bool }),
      imageRegistry: str,
      imageNamespace: str,
      ...controller,
      featureGates: str,
      clusterResourceNamespace: str,
      disableAutoApproval: bool,
      enableCertificateOwnerRef: bool,
      approveSignerNames: list(str),
      prometheus: obj({
        enabled: bool,
        servicemonitor: obj({
          enabled: bool,
          prometheusInstance: str,
          targetPort: { type: ["string", "integer"] },
          path: str,
          interval: str,
          scrapeTimeout: str,
          labels: anyObject(),
          annotations: anyObject(),
          honorLabels: bool,
          endpointAdditionalProperties: anyObject(),
        }),
      }),
      webhook: obj({
        ...componentProperties(block("webhook")),
        featureGates: str,
        timeoutSeconds: int(1, 30),
        securePort: int(1, 65535),
        healthzPort: int(1, 65535),
        hostNetwork: bool,
        serviceType: { enum: ["ClusterIP", "NodePort", "LoadBalancer"] },
        loadBalancerIP: str,
        url: obj({ host: str }),
        validatingWebhookConfiguration: obj({ namespaceSelector: anyObject() }),
        mutatingWebhookConfiguration: obj({ namespaceSelector: anyObject() }),
      }),
      cainjector: obj({ enabled: bool, ...componentProperties(block("cainjector")), featureGates: str }),
      acmeSolver: obj({
        enabled: bool,
        ...componentProperties(block("acme-solver")),
        service: obj({ type: { enum: ["ClusterIP", "NodePort", "LoadBalancer"] }, port: int(1, 65535) }),
        listenPort: int(1, 65535),
      }),
      nats,
      extraObjects: list({ type: ["object", "string"] }),
    }),
  };
}

/** The `…ConfigSchema` export of services/<service>/src/config.ts, if that file exists yet. */
async function loadServiceSchema(service: string): Promise<Schema | undefined> {
  const file = join(ROOT, "services", service, "src", "config.ts");
  if (!existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const names = Object.keys(mod)
    .filter((k) => k.endsWith("ConfigSchema"))
    .sort();
  if (names.length !== 1) {
    throw new Error(`${file}: expected one export named …ConfigSchema, found ${names.join(", ") || "none"}`);
  }
  return mod[names[0]!] as Schema;
}

/** Generator for scripts/gen.ts. Formatted with the repository's prettier settings, so format:check agrees. */
export async function valuesSchemaFiles(): Promise<GeneratedFile[]> {
  const configs: Record<string, Schema | undefined> = {};
  for (const { service } of SERVICE_CONFIGS) configs[service] = await loadServiceSchema(service);
  const { format, resolveConfig } = await import("prettier");
  const path = join(ROOT, VALUES_SCHEMA_PATH);
  const content = await format(JSON.stringify(valuesSchema(configs)), {
    ...((await resolveConfig(path)) ?? {}),
    filepath: path,
  });
  return [{ path: VALUES_SCHEMA_PATH, content }];
}
