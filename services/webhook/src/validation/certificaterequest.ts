/**
 * CertificateRequest validation, following cert-manager: on create the issuerRef, the CSR and its
 * usages, and the approval conditions; on update the spec and every cert-manager.io / acme annotation
 * are immutable, and Approved/Denied may not change once set.
 */
import {
  ACME_GROUP,
  CERT_MANAGER_GROUP,
  DEFAULT_USAGES,
  type CertificateRequest,
  type CertificateRequestCondition,
  type CertificateRequestSpec,
} from "@certkeeper/api";
import { parseCSR, type ParsedCSR } from "@certkeeper/pki";
import { validateIssuerRef } from "./certificate.ts";
import { equalUnsorted, jsonEqual } from "./equal.ts";
import {
  child,
  forbidden,
  formatFieldError,
  invalid,
  required,
  type FieldError,
  type ValidationResult,
} from "./field.ts";

const APPROVED = "Approved";
const DENIED = "Denied";

/** "signing" and "digital signature" are the same bit; count it once, as "digital signature". */
function normaliseUsages(usages: readonly string[]): string[] {
  const out: string[] = [];
  let signing = false;
  for (const u of usages) {
    if (u === "signing" || u === "digital signature") {
      if (!signing) out.push("digital signature");
      signing = true;
    } else {
      out.push(u);
    }
  }
  return out;
}

const usagesEqual = (a: readonly string[], b: readonly string[]): boolean =>
  equalUnsorted(normaliseUsages(a), normaliseUsages(b));

/** The shape of the Go pretty.Diff output cert-manager puts into the message. */
function usageDiff(csr: readonly string[], spec: readonly string[]): string {
  const a = normaliseUsages(csr);
  const b = normaliseUsages(spec);
  if (a.length !== b.length)
    return `[[]certmanager.KeyUsage[${a.length}] != []certmanager.KeyUsage[${b.length}]]`;
  const diffs = a.flatMap((u, i) =>
    u === b[i] ? [] : [`[${i}]: ${JSON.stringify(u)} != ${JSON.stringify(b[i])}`],
  );
  return `[${diffs.join(" ")}]`;
}

function decodeCSR(request: string): ParsedCSR {
  const bytes = Buffer.from(request, "base64");
  if (!bytes.toString("latin1").includes("-----BEGIN")) {
    throw new Error("error decoding certificate request PEM block");
  }
  return parseCSR(bytes);
}

/** ValidateCertificateRequestSpec (create only: the CSR content is checked against the spec). */
export function validateCertificateRequestSpec(spec: CertificateRequestSpec, p = "spec"): FieldError[] {
  const errs: FieldError[] = [...validateIssuerRef(spec.issuerRef, p)];
  const requestPath = child(p, "request");
  if (!spec.request) {
    errs.push(required(requestPath, "must be specified"));
    return errs;
  }
  let csr: ParsedCSR;
  try {
    csr = decodeCSR(spec.request);
  } catch (err) {
    errs.push(invalid(requestPath, undefined, `failed to decode csr: ${(err as Error).message}`));
    return errs;
  }
  const isCA = spec.isCA ?? false;
  if (csr.basicConstraints && csr.basicConstraints.isCA !== isCA) {
    errs.push(
      invalid(
        requestPath,
        undefined,
        `csr basic constraints isCA (${csr.basicConstraints.isCA}) does not match spec.isCA (${isCA})`,
      ),
    );
  }
  // Usages are compared only when both sides state them and the spec is not just the defaults.
  const specUsages = spec.usages ?? [];
  if (specUsages.length > 0 && csr.extensions.length > 0 && !jsonEqual(specUsages, DEFAULT_USAGES)) {
    const wanted: string[] =
      isCA && !specUsages.includes("cert sign") ? [...specUsages, "cert sign"] : [...specUsages];
    const inCSR: string[] = [...csr.keyUsages, ...csr.extKeyUsages];
    if (inCSR.length > 0 && !usagesEqual(inCSR, wanted) && !usagesEqual(inCSR, DEFAULT_USAGES)) {
      errs.push(
        invalid(
          requestPath,
          undefined,
          `csr key usages do not match specified usages, these should match if both are set: ${usageDiff(inCSR, wanted)}`,
        ),
      );
    }
  }
  return errs;
}

/** Approved/Denied: at most one of each, status True only, never both. */
export function validateApprovalConditions(
  conditions: readonly CertificateRequestCondition[] | undefined,
  p = "status.conditions",
): FieldError[] {
  const errs: FieldError[] = [];
  const approved = (conditions ?? []).filter((c) => c.type === APPROVED);
  const denied = (conditions ?? []).filter((c) => c.type === DENIED);
  for (const [type, found] of [
    [APPROVED, approved],
    [DENIED, denied],
  ] as const) {
    if (found.length === 0) continue;
    if (found.length > 1) {
      errs.push(forbidden(p, `multiple ${JSON.stringify(type)} conditions present`));
      continue;
    }
    if (found[0]!.status !== "True") {
      errs.push(
        invalid(
          child(p, type),
          found[0]!.status,
          `${JSON.stringify(type)} condition may only be set to True`,
        ),
      );
    }
  }
  if (approved.length > 0 && denied.length > 0) {
    errs.push(forbidden(p, "both 'Denied' and 'Approved' conditions cannot coexist"));
  }
  return errs;
}

const findCondition = (conds: readonly CertificateRequestCondition[] | undefined, type: string) =>
  (conds ?? []).find((c) => c.type === type);

/** Approved/Denied may not be modified or removed once set; the new set must still be valid. */
export function validateApprovalConditionsUpdate(
  oldConds: readonly CertificateRequestCondition[] | undefined,
  newConds: readonly CertificateRequestCondition[] | undefined,
  p = "status.conditions",
): FieldError[] {
  const errs: FieldError[] = [];
  for (const type of [APPROVED, DENIED]) {
    const before = findCondition(oldConds, type);
    if (before && !jsonEqual(before, findCondition(newConds, type))) {
      errs.push(forbidden(p, `'${type}' condition may not be modified once set`));
    }
  }
  return [...errs, ...validateApprovalConditions(newConds, p)];
}

const isProtectedAnnotation = (k: string): boolean =>
  k.startsWith(CERT_MANAGER_GROUP) || k.startsWith(ACME_GROUP);

/** Every cert-manager annotation of `a` must be present, unchanged, in `b`. */
function annotationChanges(a: Record<string, string>, b: Record<string, string>): FieldError[] {
  return Object.keys(a)
    .sort()
    .filter((k) => isProtectedAnnotation(k) && (!Object.hasOwn(b, k) || a[k] !== b[k]))
    .map((k) =>
      forbidden(child("metadata.annotations", k), "cannot change cert-manager annotation after creation"),
    );
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const m = formatFieldError(e);
    if (seen.has(m)) return false;
    seen.add(m);
    return true;
  });
}

export function validateCertificateRequest(
  obj: CertificateRequest,
  oldObj?: CertificateRequest,
): ValidationResult {
  if (!oldObj) {
    return {
      errors: [
        ...validateCertificateRequestSpec(obj.spec),
        ...validateApprovalConditions(obj.status?.conditions),
      ],
      warnings: [],
    };
  }
  const oldAnn = oldObj.metadata.annotations ?? {};
  const newAnn = obj.metadata.annotations ?? {};
  const errors = [
    ...annotationChanges(oldAnn, newAnn),
    ...annotationChanges(newAnn, oldAnn),
    ...validateApprovalConditionsUpdate(oldObj.status?.conditions, obj.status?.conditions),
  ];
  if (!jsonEqual(oldObj.spec, obj.spec)) errors.push(forbidden("spec", "cannot change spec after creation"));
  return { errors: dedupe(errors), warnings: [] };
}
