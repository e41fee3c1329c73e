/**
 * The admission chain shared by /validate and /mutate, in cert-manager's order:
 *   1. CertificateRequest identity (mutate: stamp the requester; validate: must match / never change)
 *   2. CertificateRequest approval guard (status updates that add Approved/Denied; SubjectAccessReview)
 *   3. resource validation of the six kinds (pure validators)
 * Every error of every step is collected into one denial (403) whose message is the aggregate of
 * the field errors; warnings travel separately. Unreadable requests get a 400 AdmissionReview.
 */
import type { KindName, ObjectsByKind } from "@certkeeper/api";
import type { Logger } from "@certkeeper/logging";
import { DecodeError, kindForResource, type Decoder } from "./admission/decode.ts";
import {
  BadReviewError,
  allowed,
  denied,
  errored,
  parseAdmissionReview,
  patched,
  requestedResource,
  requestedSubResource,
  review,
  type AdmissionRequest,
  type AdmissionReview,
} from "./admission/review.ts";
import { checkApproval, type ApprovalDeps } from "./plugins/approval.ts";
import { identityPatch, validateIdentityCreate, validateIdentityUpdate } from "./plugins/identity.ts";
import { VALIDATORS, type Validator } from "./validation/index.ts";
import { aggregateMessage, formatFieldError, type FieldError } from "./validation/field.ts";

/** What a denial reports (to logs and NATS): names only, never object contents. */
export interface Denial {
  readonly requestUID: string;
  readonly operation: string;
  readonly kind: KindName;
  readonly namespace: string | undefined;
  readonly name: string;
  /** The object's uid when it has one (UPDATE; CREATE in the validating phase). */
  readonly objectUID: string | undefined;
  readonly resourceVersion: string | undefined;
  readonly user: string;
  readonly errors: readonly FieldError[];
  /** Errors that are not about one field (e.g. discovery failed). */
  readonly failures: readonly string[];
  readonly message: string;
}

export interface AdmissionDeps {
  readonly decoder: Decoder;
  readonly approval: ApprovalDeps;
  readonly log: Logger;
  /** Called once per denial; must not throw (the caller's errors are caught and logged). */
  readonly onDenied?: (d: Denial) => void;
}

type Outcome = { errors: FieldError[]; failures: string[]; warnings: string[] };

function parse(body: unknown): AdmissionRequest | AdmissionReview {
  try {
    return parseAdmissionReview(body);
  } catch (err) {
    const uid = err instanceof BadReviewError ? err.uid : "";
    return review(errored(uid, 400, (err as Error).message));
  }
}

const isReview = (v: AdmissionRequest | AdmissionReview): v is AdmissionReview => "response" in v;

async function runChain<K extends KindName>(
  kind: K,
  req: AdmissionRequest,
  obj: ObjectsByKind[K],
  oldObj: ObjectsByKind[K] | undefined,
  deps: AdmissionDeps,
): Promise<Outcome> {
  const out: Outcome = { errors: [], failures: [], warnings: [] };
  if (kind === "CertificateRequest") {
    const cr = obj as ObjectsByKind["CertificateRequest"];
    const oldCR = oldObj as ObjectsByKind["CertificateRequest"] | undefined;
    out.errors.push(
      ...(oldCR ? validateIdentityUpdate(oldCR, cr) : validateIdentityCreate(cr, req.userInfo)),
    );
    if (oldCR && requestedSubResource(req) === "status") {
      try {
        out.errors.push(...(await checkApproval(oldCR, cr, req.userInfo, deps.approval)));
      } catch (err) {
        out.failures.push((err as Error).message);
      }
    }
  }
  const result = (VALIDATORS[kind] as Validator<K>)(obj, oldObj);
  out.errors.push(...result.errors);
  out.warnings.push(...result.warnings);
  return out;
}

function report(deps: AdmissionDeps, d: Denial): void {
  deps.log.info(
    {
      resource_kind: d.kind,
      resource_namespace: d.namespace ?? "",
      resource_name: d.name,
      resource_uid: d.objectUID ?? "",
      request_uid: d.requestUID,
      operation: d.operation,
      user: d.user,
      errors: d.errors.length + d.failures.length,
    },
    "admission denied",
  );
  try {
    deps.onDenied?.(d);
  } catch (err) {
    deps.log.error({ err: (err as Error).message }, "could not report an admission denial");
  }
}

/** POST /validate. */
export async function validateReview(body: unknown, deps: AdmissionDeps): Promise<AdmissionReview> {
  const req = parse(body);
  if (isReview(req)) return req;
  if (req.operation !== "CREATE" && req.operation !== "UPDATE") return review(allowed(req.uid));
  const kind = kindForResource(requestedResource(req));
  if (!kind) return review(allowed(req.uid));
  let obj: ObjectsByKind[typeof kind];
  let oldObj: ObjectsByKind[typeof kind] | undefined;
  try {
    obj = deps.decoder.decode(kind, req.object);
    if (req.operation === "UPDATE") {
      if (req.oldObject === undefined)
        return review(errored(req.uid, 400, "UPDATE request has no oldObject"));
      oldObj = deps.decoder.decode(kind, req.oldObject);
    }
  } catch (err) {
    if (err instanceof DecodeError) return review(errored(req.uid, 400, err.message));
    throw err;
  }
  const out = await runChain(kind, req, obj, oldObj, deps);
  if (out.errors.length === 0 && out.failures.length === 0) return review(allowed(req.uid, out.warnings));
  const message = aggregateMessage([...out.errors.map(formatFieldError), ...out.failures]);
  report(deps, {
    requestUID: req.uid,
    operation: req.operation,
    kind,
    namespace: obj.metadata.namespace ?? req.namespace,
    name: obj.metadata.name || req.name || obj.metadata.generateName || "",
    objectUID: obj.metadata.uid,
    resourceVersion: obj.metadata.resourceVersion,
    user: req.userInfo.username ?? "",
    errors: out.errors,
    failures: out.failures,
    message,
  });
  return review(denied(req.uid, message, out.warnings));
}

/** POST /mutate: only CertificateRequest CREATE is changed (the requester's identity is stamped). */
export function mutateReview(body: unknown): AdmissionReview {
  const req = parse(body);
  if (isReview(req)) return req;
  if (req.operation !== "CREATE" || kindForResource(req.resource) !== "CertificateRequest") {
    return review(allowed(req.uid));
  }
  if (typeof req.object !== "object" || req.object === null || Array.isArray(req.object)) {
    return review(errored(req.uid, 400, "couldn't decode CertificateRequest: object is not a JSON object"));
  }
  return review(patched(req.uid, identityPatch(req.object, req.userInfo)));
}
