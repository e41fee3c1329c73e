/**
 * Errors of the ACME layer, with stable codes (docs/errors.md). Callers use instanceof:
 *
 *   AcmeProblemError      the server answered with an RFC 7807 problem (status, type, detail)
 *   AcmeTransportError    no answer (DNS, TLS, connection refused, timeout)
 *   AuthorizationError    an authorization ended invalid/expired/deactivated/revoked
 *   AcmeTimeoutError      we gave up waiting for a server-side state change
 *   AcmeClientNotReadyError  the issuer has no usable, registered account yet
 */

/** RFC 8555 problem types we act on. */
export const ProblemType = {
  orderNotReady: "urn:ietf:params:acme:error:orderNotReady",
  malformed: "urn:ietf:params:acme:error:malformed",
  badNonce: "urn:ietf:params:acme:error:badNonce",
  accountDoesNotExist: "urn:ietf:params:acme:error:accountDoesNotExist",
  unauthorized: "urn:ietf:params:acme:error:unauthorized",
} as const;

/** Base class of the ACME layer's errors. */
export class AcmeError extends Error {
  readonly code: string = "CK_ACME_ERROR";
  override name = "AcmeError";
}

export interface Problem {
  type?: string;
  detail?: string;
  status?: number;
  subproblems?: Problem[];
}

/** Formats a problem as golang.org/x/crypto/acme does ("403 urn:…:unauthorized: detail"), which cert-manager's messages show. */
export function formatProblem(status: number, p: Problem | undefined): string {
  let s = `${status} ${p?.type ?? ""}: ${p?.detail ?? ""}`;
  if (p?.subproblems?.length) {
    s += "; subproblems:";
    for (const sp of p.subproblems) s += `\n\t${formatProblem(sp.status ?? status, sp)}`;
  }
  return s;
}

/** The ACME server answered with an RFC 7807 problem (status, type, detail); a 4xx marks the Order or Challenge errored. */
export class AcmeProblemError extends AcmeError {
  override readonly code = "CK_ACME_PROBLEM";
  override name = "AcmeProblemError";
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    readonly url: string | undefined,
  ) {
    super(formatProblem(status, problem));
  }
  get type(): string | undefined {
    return this.problem?.type;
  }
  /** A 4xx answer: retrying the same request will not help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** No answer from the ACME server (DNS, TLS, connection, timeout); retried with backoff. */
export class AcmeTransportError extends AcmeError {
  override readonly code = "CK_ACME_TRANSPORT";
  override name = "AcmeTransportError";
}

/** Gave up waiting for the ACME server to move an authorization or order out of pending/processing; retried. */
export class AcmeTimeoutError extends AcmeError {
  override readonly code = "CK_ACME_TIMEOUT";
  override name = "AcmeTimeoutError";
}

/** The issuer has no registered, usable ACME account yet (not Ready, or its key changed); retried until it has. */
export class AcmeClientNotReadyError extends AcmeError {
  override readonly code = "CK_ACME_CLIENT_NOT_READY";
  override name = "AcmeClientNotReadyError";
}

/** An authorization ended invalid, expired, deactivated or revoked; the Challenge becomes invalid with a Failed event. */
export class AuthorizationError extends AcmeError {
  override readonly code = "CK_ACME_AUTHORIZATION";
  override name = "AuthorizationError";
  constructor(
    readonly identifier: string,
    readonly status: string,
    readonly errors: string[],
  ) {
    super(`acme: authorization error for ${identifier}: ${errors.join("; ")}`);
  }
}

/** A 4xx problem from the server (cert-manager marks the object errored on these). */
export function isClientError(err: unknown): err is AcmeProblemError {
  return err instanceof AcmeProblemError && err.isClientError;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
