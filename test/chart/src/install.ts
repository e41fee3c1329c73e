/**
 * Installs the chart with the real `helm` into a local control plane and hands back one
 * kubeconfig per service, authenticated as that service's ServiceAccount (a bound token from the
 * TokenRequest API). No pods run there, so the Deployments never start; tests run the services as
 * processes with these identities instead, which exercises exactly the RBAC the chart grants.
 *
 *   const chart = await installChart(cp, { webhook: { url: { host: "127.0.0.1:9443" } } });
 *   spawn controller with --kubeconfig chart.identities.controller.kubeconfigPath
 */
import { Buffer } from "node:buffer";
import { CoreV1Api } from "@kubernetes/client-node";
import type { ControlPlane, Identity, NatsUser } from "@certkeeper/testing";
import { CHART_DIR, helm, parseManifests, valuesFile, type Manifest } from "./helm.ts";

export const SERVICES = ["controller", "webhook", "cainjector", "acmeSolver"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** values.yaml component key → the name suffix the chart uses. */
const COMPONENT: Record<ServiceName, string> = {
  controller: "controller",
  webhook: "webhook",
  cainjector: "cainjector",
  acmeSolver: "acme-solver",
};

export interface InstallOptions {
  /** Default "certkeeper". */
  release?: string;
  /** Default "certkeeper"; created when missing. */
  namespace?: string;
  /** Lifetime of the ServiceAccount tokens; default 2 h (the API server's minimum is 10 min). */
  tokenTtlSeconds?: number;
}

export interface InstalledChart {
  release: string;
  namespace: string;
  /** A kubeconfig per service, authenticated as its ServiceAccount. */
  identities: Record<ServiceName, Identity>;
  /** ServiceAccount names, e.g. certkeeper-controller. */
  serviceAccounts: Record<ServiceName, string>;
  /** RBAC user names, e.g. system:serviceaccount:certkeeper:certkeeper-controller. */
  users: Record<ServiceName, string>;
  /** Name of the webhook's CA Secret (what the webhook configurations name for CA injection). */
  webhookCASecret: string;
  /** What helm installed (`helm get manifest`). */
  manifests: Manifest[];
  /**
   * The NATS users the chart configured (with the in-chart NATS): `users` for
   * `startNats({ users })`, and each service's credentials as its pod would read them.
   */
  nats:
    | {
        users: NatsUser[];
        credentials: Partial<Record<ServiceName | "viewer", { user: string; pass: string }>>;
      }
    | undefined;
  uninstall(): Promise<void>;
}

/**
 * `helm install` with the CRDs on (override with values), then a token per ServiceAccount.
 * `values` are merged over the chart's defaults by helm itself.
 */
export async function installChart(
  cp: ControlPlane,
  values: Record<string, unknown> = {},
  opts: InstallOptions = {},
): Promise<InstalledChart> {
  const release = opts.release ?? "certkeeper";
  const namespace = opts.namespace ?? "certkeeper";
  const kube = ["--kubeconfig", cp.kubeconfigPath, "--namespace", namespace];
  await helm(
    [
      "install",
      release,
      CHART_DIR,
      ...kube,
      "--create-namespace",
      "-f",
      valuesFile({ crds: { enabled: true } }),
      "-f",
      valuesFile(values),
      "--timeout",
      "2m",
    ],
    { timeoutMs: 180_000 },
  );
  const manifests = parseManifests(await helm(["get", "manifest", release, ...kube]));

  const core = cp.kubeConfig().makeApiClient(CoreV1Api);
  const identities = {} as Record<ServiceName, Identity>;
  const serviceAccounts = {} as Record<ServiceName, string>;
  const users = {} as Record<ServiceName, string>;
  for (const service of SERVICES) {
    const sa = serviceAccountName(manifests, release, service);
    const res = await core.createNamespacedServiceAccountToken({
      name: sa,
      namespace,
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { audiences: [], expirationSeconds: opts.tokenTtlSeconds ?? 7200 },
      },
    });
    const token = res.status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${sa} returned no token`);
    serviceAccounts[service] = sa;
    users[service] = `system:serviceaccount:${namespace}:${sa}`;
    identities[service] = await cp.tokenIdentity(`${release}-${COMPONENT[service]}`, token);
  }

  return {
    release,
    namespace,
    identities,
    nats: await natsAuth(core, namespace, manifests),
    serviceAccounts,
    users,
    webhookCASecret: injectedFrom(manifests),
    manifests,
    async uninstall() {
      await helm(["uninstall", release, ...kube, "--timeout", "2m"], { timeoutMs: 180_000 });
    },
  };
}

/** Reads back the chart's NATS server configuration and credential Secrets, when it made them. */
async function natsAuth(
  core: CoreV1Api,
  namespace: string,
  manifests: Manifest[],
): Promise<InstalledChart["nats"]> {
  const config = manifests.find((m) => m.kind === "Secret" && m.metadata.name.endsWith("-nats-config"));
  if (!config) return undefined;
  const read = async (name: string, key: string) => {
    const secret = await core.readNamespacedSecret({ name, namespace });
    return Buffer.from(secret.data?.[key] ?? "", "base64").toString("utf8");
  };
  const conf = JSON.parse(await read(config.metadata.name, "nats.conf")) as {
    authorization?: { users: { user: string; password: string; permissions: NatsUser["permissions"] }[] };
  };
  const users = (conf.authorization?.users ?? []).map((u) => ({
    user: u.user,
    pass: u.password,
    permissions: u.permissions,
  }));
  const credentials: NonNullable<InstalledChart["nats"]>["credentials"] = {};
  for (const service of [...SERVICES, "viewer"] as const) {
    const component = service === "viewer" ? "viewer" : COMPONENT[service];
    const secret = manifests.find(
      (m) =>
        m.kind === "Secret" &&
        m.metadata.labels?.["app.kubernetes.io/component"] === component &&
        m.metadata.name.endsWith(`-nats-${component}`),
    );
    if (secret)
      credentials[service] = {
        user: await read(secret.metadata.name, "username"),
        pass: await read(secret.metadata.name, "password"),
      };
  }
  return { users, credentials };
}

/** The ServiceAccount the chart made for a service (the chart's default naming unless overridden). */
function serviceAccountName(manifests: Manifest[], release: string, service: ServiceName): string {
  const component = COMPONENT[service];
  const sa = manifests.find(
    (m) => m.kind === "ServiceAccount" && m.metadata.labels?.["app.kubernetes.io/component"] === component,
  );
  if (!sa) throw new Error(`the chart installed no ServiceAccount for ${component} (release ${release})`);
  return sa.metadata.name;
}

/** "<ns>/<name>" of the webhook configurations' CA source, as the chart annotates them. */
function injectedFrom(manifests: Manifest[]): string {
  const vwc = manifests.find((m) => m.kind === "ValidatingWebhookConfiguration");
  const from = vwc?.metadata.annotations?.["cert-manager.io/inject-ca-from-secret"];
  if (!from)
    throw new Error("the chart installed no ValidatingWebhookConfiguration with inject-ca-from-secret");
  return from.slice(from.indexOf("/") + 1);
}
