/**
 * What the controllers need to know about an Issuer or ClusterIssuer regardless of which one it
 * is: its configured type, whether it is Ready, and where its Secrets live.
 */
import { CLUSTER_ISSUER_KIND, type ClusterIssuer, type Issuer, type IssuerSpec } from "@certkeeper/api";
import { getCondition } from "../status.ts";

export type IssuerKind = "Issuer" | "ClusterIssuer";

/** An issuer with the kind it was read as (cached objects may lack `kind`). */
export interface ResolvedIssuer {
  kind: IssuerKind;
  issuer: Issuer | ClusterIssuer;
}

export type IssuerType = "acme" | "ca" | "vault" | "selfSigned" | "venafi";

/** The order cert-manager picks a type in when several are set (NameForIssuer). */
const TYPE_ORDER: readonly IssuerType[] = ["acme", "ca", "vault", "selfSigned", "venafi"];

/** The order cert-manager's validation walks the types in (and so the order of its errors). */
const VALIDATION_ORDER: readonly IssuerType[] = ["acme", "ca", "selfSigned", "vault", "venafi"];

/** The configured issuer type, or undefined when none is set. */
export function issuerTypeOf(spec: IssuerSpec | undefined): IssuerType | undefined {
  return TYPE_ORDER.find((t) => spec?.[t] !== undefined && spec[t] !== null);
}

/**
 * cert-manager's field errors for the "exactly one type" rule, formatted as Kubernetes prints
 * them (`<path>: <type>: <detail>`). Empty when the spec is fine.
 */
export function issuerConfigErrors(spec: IssuerSpec | undefined): string[] {
  const set = VALIDATION_ORDER.filter((t) => spec?.[t] !== undefined && spec[t] !== null);
  if (set.length === 0) return ["spec: Required value: at least one issuer must be configured"];
  return set.slice(1).map((t) => `spec.${t}: Forbidden: may not specify more than one issuer type`);
}

/** Kubernetes' aggregate error text: one error as is, several as "[a, b]". */
export function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(", ")}]`;
}

/**
 * Ready=True for the issuer's current generation. A condition without observedGeneration (an
 * older writer) is accepted; one computed for an older generation is not.
 */
export function issuerIsReady(issuer: Issuer | ClusterIssuer): boolean {
  const ready = getCondition(issuer.status?.conditions, "Ready");
  if (ready?.status !== "True") return false;
  const gen = issuer.metadata.generation;
  return ready.observedGeneration === undefined || gen === undefined || ready.observedGeneration === gen;
}

/**
 * Where an issuer's Secrets are read from: the Issuer's own namespace, or the cluster resource
 * namespace for a ClusterIssuer.
 */
export function issuerSecretNamespace(r: ResolvedIssuer, clusterResourceNamespace: string): string {
  return r.kind === CLUSTER_ISSUER_KIND ? clusterResourceNamespace : (r.issuer.metadata.namespace ?? "");
}

/** "namespace/name" or "/name" as cert-manager prints an issuer in messages. */
export function issuerDisplayName(r: ResolvedIssuer): string {
  return `${r.issuer.metadata.namespace ?? ""}/${r.issuer.metadata.name ?? ""}`;
}
