/**
 * The bus error catalogue. Every error has a stable `code` and keeps what caused it in `cause`;
 * callers branch with `instanceof` and `code`, never on messages.
 */
export abstract class BusError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** NATS cannot be reached (connect failed, connection closed, a flush did not finish in time). */
export class BusUnavailableError extends BusError {
  readonly code = "CK_BUS_UNAVAILABLE";
}

/** The server refused our credentials. Not retried: the configuration is wrong. */
export class BusAuthError extends BusError {
  readonly code = "CK_BUS_AUTH";
}

/** A JetStream stream or KV bucket could not be created or updated to the wanted configuration. */
export class BusSetupError extends BusError {
  readonly code = "CK_BUS_SETUP";
}

/**
 * Stable codes a command can fail with. A handler may also fail with its own error's `code`
 * when it is a catalogue code (`CK_…`), which travels to the caller unchanged.
 */
export const COMMAND_ERROR_CODES = {
  /** Nobody serves the subject (service down or not started). Retry later. */
  noResponders: "CK_COMMAND_NO_RESPONDERS",
  /** No reply within the timeout. The command may or may not have run: commands are idempotent. */
  timeout: "CK_COMMAND_TIMEOUT",
  /** The request failed validation at the service edge (envelope, payload schema, subject/UID). */
  invalid: "CK_COMMAND_INVALID",
  /** The handler failed without a code of its own. */
  failed: "CK_COMMAND_FAILED",
  /** The reply was not JSON or did not match the expected schema. */
  badReply: "CK_COMMAND_BAD_REPLY",
} as const;

/**
 * A command failed. `code` is one of COMMAND_ERROR_CODES or a handler error's own code;
 * `status` is the numeric NATS service error code (400 invalid, 500 failed, 503 no responders,
 * 504 timeout), as carried in the `Nats-Service-Error-Code` header.
 */
export class CommandError extends BusError {
  readonly code: string;
  readonly status: number;
  readonly subject: string;
  constructor(code: string, status: number, subject: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.subject = subject;
  }
}

/** The string `code` of an error, if it has one (our error classes and contracts' errors do). */
export function errorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === "object" && "code" in err && typeof err.code === "string") {
    return err.code;
  }
  return undefined;
}
