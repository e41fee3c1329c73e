/**
 * Error catalogue of the Kubernetes client. Each class has a stable `code`; callers branch with
 * `instanceof` (or the is* helpers, which also look through `cause` chains), never on messages.
 *
 * | code                   | HTTP | meaning                                                    |
 * |------------------------|------|------------------------------------------------------------|
 * | CK_KUBE_NOT_FOUND      | 404  | the object (or its namespace / resource type) is missing   |
 * | CK_KUBE_ALREADY_EXISTS | 409  | create of a name that exists (reason AlreadyExists)        |
 * | CK_KUBE_CONFLICT       | 409  | stale resourceVersion / apply conflict: re-read and retry  |
 * | CK_KUBE_INVALID        | 422  | rejected by validation or admission; `causes` has fields   |
 * | CK_KUBE_FORBIDDEN      | 403  | RBAC, or admission denial reported as Forbidden            |
 * | CK_KUBE_GONE           | 410  | resourceVersion too old (watch/list): re-list              |
 * | CK_KUBE_API_ERROR      | any  | any other non-2xx answer from the API server               |
 * | CK_KUBE_TRANSPORT      | —    | no answer: connection refused/reset, TLS failure, timeout  |
 */

/** The API server's metav1.Status body, as far as we read it. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
}

export interface StatusCause {
  reason?: string;
  message?: string;
  /** e.g. "spec.dnsNames[0]" */
  field?: string;
}

export interface RequestInfo {
  verb: string;
  path: string;
}

export class KubeApiError extends Error {
  readonly code: string = "CK_KUBE_API_ERROR";
  override name = "KubeApiError";
  constructor(
    /** HTTP status code. */
    readonly statusCode: number,
    /** The API server's Status, or a synthetic one when the body was not a Status. */
    readonly status: ApiStatus,
    readonly request: RequestInfo,
    options?: ErrorOptions,
  ) {
    super(
      `${request.verb} ${request.path}: ${statusCode} ${status.reason ?? ""}: ${status.message ?? ""}`,
      options,
    );
  }
  /** The API server's own message, unprefixed. */
  get apiMessage(): string {
    return this.status.message ?? "";
  }
}

export class NotFoundError extends KubeApiError {
  override readonly code = "CK_KUBE_NOT_FOUND";
  override name = "NotFoundError";
}

export class AlreadyExistsError extends KubeApiError {
  override readonly code = "CK_KUBE_ALREADY_EXISTS";
  override name = "AlreadyExistsError";
}

export class ConflictError extends KubeApiError {
  override readonly code = "CK_KUBE_CONFLICT";
  override name = "ConflictError";
}

export class InvalidError extends KubeApiError {
  override readonly code = "CK_KUBE_INVALID";
  override name = "InvalidError";
  /** Field paths and messages from `details.causes`. */
  get causes(): StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

export class ForbiddenError extends KubeApiError {
  override readonly code = "CK_KUBE_FORBIDDEN";
  override name = "ForbiddenError";
}

export class GoneError extends KubeApiError {
  override readonly code = "CK_KUBE_GONE";
  override name = "GoneError";
}

/** The request never got an HTTP answer. */
export class TransportError extends Error {
  readonly code = "CK_KUBE_TRANSPORT";
  override name = "TransportError";
  constructor(
    readonly request: RequestInfo,
    options: ErrorOptions,
  ) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`${request.verb} ${request.path}: ${why}`, options);
  }
}

/** Maps an HTTP status + body to the catalogue. */
export function errorFromResponse(statusCode: number, body: string, request: RequestInfo): KubeApiError {
  let status: ApiStatus;
  try {
    const parsed = JSON.parse(body) as ApiStatus;
    status = parsed && typeof parsed === "object" ? parsed : { message: body };
  } catch {
    status = { message: body.slice(0, 1024) };
  }
  status.code ??= statusCode;
  switch (statusCode) {
    case 404:
      return new NotFoundError(statusCode, status, request);
    case 409:
      return status.reason === "AlreadyExists"
        ? new AlreadyExistsError(statusCode, status, request)
        : new ConflictError(statusCode, status, request);
    case 422:
      return new InvalidError(statusCode, status, request);
    case 403:
      return new ForbiddenError(statusCode, status, request);
    case 410:
      return new GoneError(statusCode, status, request);
    default:
      return new KubeApiError(statusCode, status, request);
  }
}

/** The first error of class `cls` in e's cause chain (e itself included). */
export function findError<E extends Error>(
  e: unknown,
  cls: abstract new (...args: never[]) => E,
): E | undefined {
  for (let cur = e, depth = 0; cur && depth < 10; depth++) {
    if (cur instanceof cls) return cur;
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return undefined;
}

export const isNotFound = (e: unknown): boolean => findError(e, NotFoundError) !== undefined;
export const isAlreadyExists = (e: unknown): boolean => findError(e, AlreadyExistsError) !== undefined;
export const isConflict = (e: unknown): boolean => findError(e, ConflictError) !== undefined;
export const isInvalid = (e: unknown): boolean => findError(e, InvalidError) !== undefined;
export const isForbidden = (e: unknown): boolean => findError(e, ForbiddenError) !== undefined;
export const isGone = (e: unknown): boolean => findError(e, GoneError) !== undefined;

/**
 * The object would not fit: the API server's request limit (413, 3 MiB) or etcd's (a 500 whose
 * message is gRPC ResourceExhausted / "request is too large", ~1.5 MiB). Retrying cannot help.
 */
export function isTooLarge(e: unknown): boolean {
  const err = findError(e, KubeApiError);
  if (!err) return false;
  if (err.statusCode === 413) return true;
  return (
    err.statusCode === 500 && /ResourceExhausted|request is too large|larger than max/i.test(err.apiMessage)
  );
}
