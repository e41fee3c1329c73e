/**
 * The acme-solver error catalogue. Each error has a stable `code` and a `status`; the bus carries
 * both to the caller in service error headers (`Certkeeper-Error-Code`, `Nats-Service-Error-Code`).
 * Callers branch on `code`, never on the message.
 */
export abstract class SolverError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A DNS-01 challenge was sent here; DNS-01 (RFC2136 first) is not implemented by this solver yet. */
export class Dns01NotSupportedError extends SolverError {
  readonly code = "CK_SOLVER_DNS01_UNSUPPORTED";
  readonly status = 501;
}

/** The challenge cannot be served over HTTP-01: a token that is not base64url, or a wildcard name. */
export class InvalidChallengeError extends SolverError {
  readonly code = "CK_SOLVER_CHALLENGE_INVALID";
  readonly status = 400;
}

/** The token store (JetStream KV) could not be written. Retry: commands are idempotent. */
export class TokenStoreUnavailableError extends SolverError {
  readonly code = "CK_SOLVER_STORE_UNAVAILABLE";
  readonly status = 503;
}
