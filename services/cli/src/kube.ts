/**
 * Kubernetes access for the CLI: a client from the usual kubeconfig sources (flag → $KUBECONFIG →
 * in-cluster → ~/.kube/config), the namespace kubectl would use, and the cert-manager kinds by the
 * names users type (`certificate`, `cert`, `cr`, ...).
 */
import { Resources, type KindName } from "@certkeeper/api";
import { KubeClient, loadKubeConfig, type ResourceType } from "@certkeeper/kube";
import { CliError } from "./errors.ts";

export interface Globals {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  allNamespaces: boolean;
  natsUrl?: string | undefined;
  natsUser?: string | undefined;
  natsPassword?: string | undefined;
  natsCa?: string | undefined;
}

export interface KubeSession {
  client: KubeClient;
  /** -n, else the kubeconfig context's namespace, else "default". */
  namespace: string;
  close(): Promise<void>;
}

export function openKube(g: Globals, env: Record<string, string | undefined>): KubeSession {
  let kc;
  try {
    kc = loadKubeConfig({ kubeconfig: g.kubeconfig, context: g.context, env });
  } catch (err) {
    throw new CliError(`cannot load a kubeconfig: ${(err as Error).message}`, { cause: err });
  }
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const client = new KubeClient(kc);
  return {
    client,
    namespace: g.namespace ?? (contextNamespace || "default"),
    close: () => client.close(),
  };
}

export function resourceType(kind: KindName): ResourceType {
  const r = Resources[kind];
  return { group: r.group, version: r.version, plural: r.plural, namespaced: r.namespaced, kind: r.kind };
}

export const CM = {
  certificates: resourceType("Certificate"),
  certificateRequests: resourceType("CertificateRequest"),
  issuers: resourceType("Issuer"),
  clusterIssuers: resourceType("ClusterIssuer"),
  orders: resourceType("Order"),
  challenges: resourceType("Challenge"),
} as const;

/** The cert-manager kind a user means by `word` (kind, singular, plural or short name; any case). */
export function resolveKind(word: string): KindName | undefined {
  const w = word.toLowerCase();
  const dot = w.indexOf(".");
  const [name, group] = dot >= 0 ? [w.slice(0, dot), w.slice(dot + 1)] : [w, undefined];
  for (const r of Object.values(Resources)) {
    if (group !== undefined && group !== r.group) continue;
    const names = [r.kind.toLowerCase(), r.singular, r.plural, ...r.shortNames];
    if (names.includes(name)) return r.kind;
  }
  return undefined;
}

/** Splits `kind/name`; throws a CliError naming the accepted kinds otherwise. */
export function parseKindName(ref: string): { kind: KindName; name: string } {
  const slash = ref.indexOf("/");
  if (slash <= 0 || slash === ref.length - 1) {
    throw new CliError(`expected <kind>/<name>, e.g. certificate/my-cert, got "${ref}"`);
  }
  const kind = resolveKind(ref.slice(0, slash));
  if (!kind) {
    const known = Object.values(Resources)
      .map((r) => r.singular)
      .join(", ");
    throw new CliError(`unknown kind "${ref.slice(0, slash)}" (one of: ${known})`);
  }
  return { kind, name: ref.slice(slash + 1) };
}
