/**
 * The approval guard: a `certificaterequests/status` UPDATE that adds an Approved or Denied
 * condition is allowed only if the requesting user may `approve` the signer in group cert-manager.io
 * (resource `signers`), named `<resource>.<group>/*` or `<resource>.<group>/[<namespace>.]<name>`.
 *
 *   added Approved/Denied? ─no─▶ allow
 *        │ yes
 *   issuer kind → resource (static for cert-manager.io, discovery otherwise) ─unknown─▶ deny (spec.issuerRef)
 *        │
 *   SubjectAccessReview per signer name, first "allowed" wins ─none─▶ deny (status.conditions)
 */
import {
  CERT_MANAGER_GROUP,
  type CertificateRequest,
  type CertificateRequestCondition,
} from "@certkeeper/api";
import type { UserInfo } from "../admission/review.ts";
import { forbidden, type FieldError } from "../validation/field.ts";

export interface SignerResource {
  /** Plural resource name, e.g. "issuers". */
  readonly resource: string;
  readonly namespaced: boolean;
}

/** Maps an issuer group/kind to its API resource; undefined when no such kind is served. */
export interface SignerResolver {
  resolve(group: string, kind: string): Promise<SignerResource | undefined>;
}

export interface ResourceAttributes {
  readonly verb: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly name: string;
}

/** Asks the API server whether `user` may do `attrs` (a SubjectAccessReview). Throws on failure. */
export interface AccessReviewer {
  allowed(user: UserInfo, attrs: ResourceAttributes): Promise<boolean>;
}

export interface ApprovalDeps {
  readonly signers: SignerResolver;
  readonly reviewer: AccessReviewer;
}

const has = (conds: readonly CertificateRequestCondition[] | undefined, type: string): boolean =>
  (conds ?? []).some((c) => c.type === type);

/** True if the update adds an Approved or a Denied condition. */
export function approvalConditionsAdded(oldCR: CertificateRequest, cr: CertificateRequest): boolean {
  const before = oldCR.status?.conditions;
  const after = cr.status?.conditions;
  return (
    (!has(before, "Approved") && has(after, "Approved")) || (!has(before, "Denied") && has(after, "Denied"))
  );
}

/** The signer names a user may hold `approve` on to approve requests for this issuer. */
export function signerNames(
  name: string,
  namespace: string,
  group: string,
  signer: SignerResource,
): string[] {
  const base = `${signer.resource}.${group}`;
  return [`${base}/*`, signer.namespaced ? `${base}/${namespace}.${name}` : `${base}/${name}`];
}

/** Go's %v of an IssuerReference struct: `{name kind group}`. */
const issuerRefText = (ref: CertificateRequest["spec"]["issuerRef"]): string =>
  `{${ref.name ?? ""} ${ref.kind ?? ""} ${ref.group ?? ""}}`;

/** Errors for an unauthorised approval; [] when allowed or when no approval condition is added. */
export async function checkApproval(
  oldCR: CertificateRequest,
  cr: CertificateRequest,
  user: UserInfo,
  deps: ApprovalDeps,
): Promise<FieldError[]> {
  if (!approvalConditionsAdded(oldCR, cr)) return [];
  const ref = cr.spec.issuerRef;
  const group = ref.group || CERT_MANAGER_GROUP;
  const kind = ref.kind || "Issuer";
  const signer = await deps.signers.resolve(group, kind);
  if (!signer) {
    return [forbidden("spec.issuerRef", `referenced signer resource does not exist: ${issuerRefText(ref)}`)];
  }
  for (const name of signerNames(ref.name, cr.metadata.namespace ?? "", group, signer)) {
    let ok = false;
    try {
      ok = await deps.reviewer.allowed(user, {
        verb: "approve",
        group: CERT_MANAGER_GROUP,
        version: "*",
        resource: "signers",
        name,
      });
    } catch {
      // As cert-manager: an authorizer failure counts as "not allowed" (fail closed).
      ok = false;
    }
    if (ok) return [];
  }
  return [
    forbidden(
      "status.conditions",
      `user ${JSON.stringify(user.username ?? "")} does not have permissions to set approved/denied conditions for issuer ${issuerRefText(ref)}`,
    ),
  ];
}
