/**
 * CertificateRequest identity: on CREATE the mutating webhook stamps spec.username/uid/groups/extra
 * from the requesting user (whatever the user wrote there is overwritten); the validating webhook
 * then checks they match the requester on CREATE and never change on UPDATE.
 */
import type { CertificateRequest } from "@certkeeper/api";
import type { JsonPatchOp, UserInfo } from "../admission/review.ts";
import { equalUnsorted, jsonEqual } from "../validation/equal.ts";
import { forbidden, type FieldError } from "../validation/field.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON Patch that writes the requester's identity into spec (CREATE of a CertificateRequest). */
export function identityPatch(obj: unknown, user: UserInfo): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const spec = isObject(obj) ? obj.spec : undefined;
  if (!isObject(spec)) ops.push({ op: "add", path: "/spec", value: {} });
  ops.push({ op: "add", path: "/spec/uid", value: user.uid ?? "" });
  ops.push({ op: "add", path: "/spec/username", value: user.username ?? "" });
  ops.push({ op: "add", path: "/spec/groups", value: [...(user.groups ?? [])] });
  if (isObject(spec) && spec.extra !== undefined) ops.push({ op: "remove", path: "/spec/extra" });
  if (user.extra && Object.keys(user.extra).length > 0)
    ops.push({ op: "add", path: "/spec/extra", value: user.extra });
  return ops;
}

const emptyToUndefined = <T extends object>(m: T | undefined): T | undefined =>
  m && Object.keys(m).length > 0 ? m : undefined;

function extrasMatch(
  a: Record<string, string[]> | undefined,
  b: Record<string, string[]> | undefined,
): boolean {
  const x = a ?? {};
  const y = b ?? {};
  if (Object.keys(x).length !== Object.keys(y).length) return false;
  return Object.entries(x).every(([k, v]) => Object.hasOwn(y, k) && equalUnsorted(v, y[k]!));
}

/** CREATE: the identity in spec must be exactly the requester's. */
export function validateIdentityCreate(cr: CertificateRequest, user: UserInfo): FieldError[] {
  const errs: FieldError[] = [];
  const s = cr.spec;
  if ((s.uid ?? "") !== (user.uid ?? ""))
    errs.push(forbidden("spec.uid", "uid identity must be that of the requester"));
  if ((s.username ?? "") !== (user.username ?? "")) {
    errs.push(forbidden("spec.username", "username identity must be that of the requester"));
  }
  if (!equalUnsorted(s.groups ?? [], user.groups ?? [])) {
    errs.push(forbidden("spec.groups", "groups identity must be that of the requester"));
  }
  if (!extrasMatch(s.extra, user.extra))
    errs.push(forbidden("spec.extra", "extra identity must be that of the requester"));
  return errs;
}

/** UPDATE: the identity never changes. */
export function validateIdentityUpdate(oldCR: CertificateRequest, cr: CertificateRequest): FieldError[] {
  const errs: FieldError[] = [];
  if ((oldCR.spec.uid ?? "") !== (cr.spec.uid ?? ""))
    errs.push(forbidden("spec.uid", "uid identity cannot be changed once set"));
  if ((oldCR.spec.username ?? "") !== (cr.spec.username ?? "")) {
    errs.push(forbidden("spec.username", "username identity cannot be changed once set"));
  }
  if (!equalUnsorted(oldCR.spec.groups ?? [], cr.spec.groups ?? [])) {
    errs.push(forbidden("spec.groups", "groups identity cannot be changed once set"));
  }
  if (!jsonEqual(emptyToUndefined(oldCR.spec.extra), emptyToUndefined(cr.spec.extra))) {
    errs.push(forbidden("spec.extra", "extra identity cannot be changed once set"));
  }
  return errs;
}
