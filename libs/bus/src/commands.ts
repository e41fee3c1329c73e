/**
 * Commands are request/reply through the NATS services framework, so every service answers
 * `$SRV.PING|INFO|STATS` and shares work in a queue group.
 *
 *   request ─▶ parseEnvelope(bytes, schema) ─▶ subject UID == envelope UID ─▶ handler ─▶ JSON reply
 *                 └─ invalid: 400 CK_COMMAND_INVALID          handler throws: err.status|500, err.code
 *
 * Failures travel as service error headers — `Nats-Service-Error-Code` (numeric status),
 * `Nats-Service-Error` (one-line message) and `Certkeeper-Error-Code` (stable string code) —
 * never as stack traces. sendCommand() turns them, and transport failures, into CommandError.
 */
import { Value } from "@sinclair/typebox/value";
import type { Static, TSchema } from "@sinclair/typebox";
import {
  assertNoKeyMaterial,
  containsKeyMaterial,
  parseEnvelope,
  parseSubject,
  EnvelopeError,
  SubjectError,
  type Envelope,
} from "@certkeeper/contracts";
import {
  ClosedConnectionError,
  DrainingConnectionError,
  Empty,
  NoRespondersError,
  RequestError,
  TimeoutError,
  headers,
  type Msg,
  type NatsConnection,
} from "@nats-io/transport-node";
import { Svcm, ServiceErrorCodeHeader, ServiceErrorHeader, type ServiceMsg } from "@nats-io/services";
import type { Bus } from "./connection.ts";
import { BusUnavailableError, COMMAND_ERROR_CODES, CommandError, errorCode } from "./errors.ts";

/** Carries our stable string code next to the framework's numeric one. */
export const ERROR_CODE_HEADER = "Certkeeper-Error-Code";

export interface CommandEndpoint<S extends TSchema = TSchema> {
  /** From contracts, e.g. `filters.command("challenge", "present")`. */
  subject: string;
  /** Schema of `envelope.data`. */
  schema: S;
  /** The reply is sent as JSON. Throw to fail; an error's `code` and `status` (4xx/5xx) are kept. */
  handler(envelope: Envelope<Static<S>>, subject: string): Promise<unknown>;
}

export interface ServeCommandsOptions<E extends Record<string, TSchema>> {
  /** Service name as `$SRV.*.<name>` sees it, e.g. SERVICES.acmeSolver.name. */
  name: string;
  version: string;
  /** Queue group shared by the replicas. */
  queue: string;
  description?: string;
  /** Endpoint names must be simple tokens (letters, digits, `-`, `_`). */
  endpoints: { [K in keyof E]: CommandEndpoint<E[K]> };
}

export interface CommandService {
  /** Unique per instance (`$SRV.PING.<name>.<id>`). */
  readonly id: string;
  /** Unsubscribes (draining requests already received). */
  stop(): Promise<void>;
}

export async function serveCommands<E extends Record<string, TSchema>>(
  bus: Bus,
  opts: ServeCommandsOptions<E>,
): Promise<CommandService> {
  const log = bus.log.child({ service: opts.name });
  // @nats-io/services 3.0.0-25 is typed against an older @nats-io/nats-core than the transport;
  // the connection object is the same at runtime.
  const svc = await new Svcm(bus.nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
    name: opts.name,
    version: opts.version,
    queue: opts.queue,
    ...(opts.description !== undefined ? { description: opts.description } : {}),
  });
  for (const [name, ep] of Object.entries(opts.endpoints) as Array<[string, CommandEndpoint]>) {
    svc.addEndpoint(name, {
      subject: ep.subject,
      handler: (err, msg) => {
        if (err) {
          log.error({ err: err.message, endpoint: name }, "command endpoint failed");
          return;
        }
        handle(ep, msg, log).catch((e: unknown) => {
          // Only the reply itself can fail here (e.g. the connection closed meanwhile).
          log.error({ err: (e as Error).message, endpoint: name }, "could not reply to a command");
        });
      },
    });
  }
  // Round-trip to the server so the endpoints' subscriptions are registered when this returns:
  // a command sent right after (from any connection) then finds a responder.
  await bus.nc.flush().catch(() => undefined);
  return {
    id: svc.info().id,
    async stop() {
      await svc.stop();
    },
  };
}

async function handle(ep: CommandEndpoint, msg: ServiceMsg, log: Bus["log"]): Promise<void> {
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(msg.data, ep.schema);
    const uid = parseSubject(msg.subject).uid;
    if (envelope.resource.uid !== uid) {
      throw new EnvelopeError(`envelope is about uid ${envelope.resource.uid} but the subject names ${uid}`);
    }
  } catch (err) {
    log.warn({ subject: msg.subject, err: (err as Error).message }, "rejected an invalid command");
    respondError(msg, 400, COMMAND_ERROR_CODES.invalid, (err as Error).message);
    return;
  }
  try {
    const reply = await ep.handler(envelope, msg.subject);
    const payload = JSON.stringify(reply ?? null);
    assertNoKeyMaterial(payload);
    msg.respond(payload);
  } catch (err) {
    const status = statusOf(err);
    const logFn = status >= 500 ? log.error.bind(log) : log.warn.bind(log);
    logFn({ subject: msg.subject, err }, "command failed");
    respondError(msg, status, stableCode(err), (err as Error)?.message ?? String(err));
  }
}

type ServiceRespondOptions = Parameters<ServiceMsg["respondError"]>[3];

function respondError(msg: ServiceMsg, status: number, code: string, message: string): void {
  const h = headers();
  h.set(ERROR_CODE_HEADER, code);
  // Same version skew as in serveCommands: MsgHdrs of nats-core 3.4 vs 3.0 differ only in typing.
  msg.respondError(status, oneLine(message), Empty, { headers: h } as unknown as ServiceRespondOptions);
}

/** Only our catalogue's codes travel; a Node system code (ECONNRESET…) is not a contract. */
function stableCode(err: unknown): string {
  const code = errorCode(err);
  return code !== undefined && /^CK_[A-Z0-9_]+$/.test(code) ? code : COMMAND_ERROR_CODES.failed;
}

function statusOf(err: unknown): number {
  const s = err !== null && typeof err === "object" && "status" in err ? err.status : undefined;
  return typeof s === "number" && Number.isInteger(s) && s >= 400 && s <= 599 ? s : 500;
}

/** Header values are single lines; a message that looks like key material is not sent at all. */
function oneLine(message: string): string {
  if (containsKeyMaterial(message)) return "internal error (message withheld)";
  const flat = message.replace(/[\r\n]+/g, " ").trim();
  return flat.length > 500 ? `${flat.slice(0, 497)}...` : flat || "error";
}

export interface SendCommandOptions {
  /** Default 5000 ms. */
  timeoutMs?: number;
  /** When given, the reply must match it (else CommandError CK_COMMAND_BAD_REPLY). */
  replySchema?: TSchema;
}

/**
 * Sends one command and returns the handler's reply. Fails with CommandError (service error,
 * no responders, timeout, bad reply) or BusUnavailableError (connection closed or draining).
 * Throws SubjectError / EnvelopeError at once for a subject that is not a command subject or an
 * envelope carrying key material: contract violations, not conditions to retry.
 */
export async function sendCommand<R = unknown>(
  bus: Bus,
  subject: string,
  envelope: Envelope<unknown>,
  opts: SendCommandOptions = {},
): Promise<R> {
  if (parseSubject(subject).type !== "cmd") {
    throw new SubjectError(`${JSON.stringify(subject)} is not a command subject`);
  }
  assertNoKeyMaterial(envelope);
  let reply: Msg;
  try {
    reply = await bus.nc.request(subject, JSON.stringify(envelope), { timeout: opts.timeoutMs ?? 5000 });
  } catch (err) {
    throw transportError(err, subject, bus.nc);
  }
  const status = reply.headers?.get(ServiceErrorCodeHeader);
  if (status) {
    const code = reply.headers?.get(ERROR_CODE_HEADER) || COMMAND_ERROR_CODES.failed;
    throw new CommandError(
      code,
      Number(status) || 500,
      subject,
      reply.headers?.get(ServiceErrorHeader) || code,
    );
  }
  let value: unknown;
  try {
    value = reply.json();
  } catch (err) {
    throw new CommandError(COMMAND_ERROR_CODES.badReply, 502, subject, "reply is not JSON", { cause: err });
  }
  if (opts.replySchema && !Value.Check(opts.replySchema, value)) {
    const first = [...Value.Errors(opts.replySchema, value)][0];
    throw new CommandError(
      COMMAND_ERROR_CODES.badReply,
      502,
      subject,
      `unexpected reply: ${first ? `${first.path || "/"}: ${first.message}` : "schema mismatch"}`,
    );
  }
  return value as R;
}

function transportError(err: unknown, subject: string, nc: NatsConnection): Error {
  const noResponders =
    err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders());
  if (noResponders) {
    return new CommandError(COMMAND_ERROR_CODES.noResponders, 503, subject, `no service answers ${subject}`, {
      cause: err,
    });
  }
  if (err instanceof TimeoutError) {
    return new CommandError(COMMAND_ERROR_CODES.timeout, 504, subject, `no reply to ${subject} in time`, {
      cause: err,
    });
  }
  if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError || nc.isClosed()) {
    return new BusUnavailableError("the NATS connection is closed", { cause: err });
  }
  return new BusUnavailableError(`request to ${subject} failed: ${(err as Error).message}`, { cause: err });
}
