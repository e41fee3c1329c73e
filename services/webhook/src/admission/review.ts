/**
 * AdmissionReview (admission.k8s.io/v1) in and out. Parsing never throws: a body that is not an
 * AdmissionReview still gets an AdmissionReview back (allowed: false, code 400), so the API server
 * always reads a valid reply and the webhook never answers 5xx to bad input.
 */

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionRequest {
  uid: string;
  kind?: { group: string; version: string; kind: string };
  resource?: GroupVersionResource;
  subResource?: string;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface AdmissionStatus {
  code: number;
  message?: string;
  reason?: string;
  status?: "Success" | "Failure";
  metadata: Record<string, never>;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patch?: string;
  patchType?: "JSONPatch";
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

/** The body is not an AdmissionReview v1 (no request, uid or known operation): answered with code 400. */
export class BadReviewError extends Error {
  readonly code = "CK_WEBHOOK_BAD_REVIEW";
  constructor(
    message: string,
    /** The request uid, when it could be read, so the reply can still echo it. */
    readonly uid: string,
  ) {
    super(message);
    this.name = "BadReviewError";
  }
}

const OPERATIONS: ReadonlySet<string> = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string");

function gvr(v: unknown): GroupVersionResource | undefined {
  if (!isObject(v)) return undefined;
  const { group, version, resource } = v;
  if (typeof resource !== "string") return undefined;
  return {
    group: typeof group === "string" ? group : "",
    version: typeof version === "string" ? version : "",
    resource,
  };
}

function userInfo(v: unknown): UserInfo {
  if (!isObject(v)) return {};
  const out: UserInfo = {};
  if (typeof v.username === "string") out.username = v.username;
  if (typeof v.uid === "string") out.uid = v.uid;
  if (isStringArray(v.groups)) out.groups = v.groups;
  if (isObject(v.extra)) {
    const extra: Record<string, string[]> = {};
    for (const [k, vals] of Object.entries(v.extra)) if (isStringArray(vals)) extra[k] = vals;
    out.extra = extra;
  }
  return out;
}

/** Reads the request out of an AdmissionReview body; throws BadReviewError. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new BadReviewError("request body is not an AdmissionReview object", "");
  const req = body.request;
  if (!isObject(req)) throw new BadReviewError("AdmissionReview has no request", "");
  const uid = typeof req.uid === "string" ? req.uid : "";
  if (body.apiVersion !== undefined && body.apiVersion !== ADMISSION_API_VERSION) {
    throw new BadReviewError(
      `unsupported AdmissionReview apiVersion ${JSON.stringify(body.apiVersion)}`,
      uid,
    );
  }
  if (uid === "") throw new BadReviewError("AdmissionReview request has no uid", "");
  if (typeof req.operation !== "string" || !OPERATIONS.has(req.operation)) {
    throw new BadReviewError(`unknown operation ${JSON.stringify(req.operation ?? "")}`, uid);
  }
  const out: AdmissionRequest = {
    uid,
    operation: req.operation as Operation,
    userInfo: userInfo(req.userInfo),
  };
  if (isObject(req.kind) && typeof req.kind.kind === "string") {
    out.kind = {
      group: typeof req.kind.group === "string" ? req.kind.group : "",
      version: typeof req.kind.version === "string" ? req.kind.version : "",
      kind: req.kind.kind,
    };
  }
  const resource = gvr(req.resource);
  if (resource) out.resource = resource;
  const requestResource = gvr(req.requestResource);
  if (requestResource) out.requestResource = requestResource;
  if (typeof req.subResource === "string") out.subResource = req.subResource;
  if (typeof req.requestSubResource === "string") out.requestSubResource = req.requestSubResource;
  if (typeof req.name === "string") out.name = req.name;
  if (typeof req.namespace === "string") out.namespace = req.namespace;
  if (req.object !== undefined && req.object !== null) out.object = req.object;
  if (req.oldObject !== undefined && req.oldObject !== null) out.oldObject = req.oldObject;
  if (typeof req.dryRun === "boolean") out.dryRun = req.dryRun;
  return out;
}

/** The resource as the user asked for it (matchPolicy Equivalent may have converted it). */
export const requestedResource = (r: AdmissionRequest): GroupVersionResource | undefined =>
  r.requestResource ?? r.resource;
export const requestedSubResource = (r: AdmissionRequest): string =>
  r.requestSubResource ?? r.subResource ?? "";

export function review(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}

const withWarnings = (r: AdmissionResponse, warnings: readonly string[]): AdmissionResponse =>
  warnings.length > 0 ? { ...r, warnings: [...warnings] } : r;

export function allowed(uid: string, warnings: readonly string[] = []): AdmissionResponse {
  return withWarnings({ uid, allowed: true, status: { code: 200, metadata: {} } }, warnings);
}

/** A denial as controller-runtime's `Denied`: 403 Forbidden with the message the user sees. */
export function denied(uid: string, message: string, warnings: readonly string[] = []): AdmissionResponse {
  return withWarnings(
    {
      uid,
      allowed: false,
      status: { code: 403, reason: "Forbidden", message, status: "Failure", metadata: {} },
    },
    warnings,
  );
}

/** A request the webhook could not read (controller-runtime's `Errored`). */
export function errored(uid: string, code: number, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code, message, status: "Failure", metadata: {} } };
}

export interface JsonPatchOp {
  op: "add" | "remove" | "replace";
  path: string;
  value?: unknown;
}

export function patched(uid: string, ops: readonly JsonPatchOp[]): AdmissionResponse {
  if (ops.length === 0) return allowed(uid);
  return {
    ...allowed(uid),
    patchType: "JSONPatch",
    patch: Buffer.from(JSON.stringify(ops)).toString("base64"),
  };
}
