/**
 * The NATS subject grammar. This module is the only place subject strings are built or parsed;
 * services call these functions and never hand-write subjects (STYLE.md rule 7).
 *
 *   events   cm.v1.evt.<kind>.<uid>.<event>     facts, past tense, stored in the CM_EVENTS stream
 *   commands cm.v1.cmd.<kind>.<uid>.<verb>      request/reply through the NATS services framework
 */

export const SUBJECT_ROOT = "cm";
export const CONTRACT_VERSION = "v1";

/** Kinds as they appear in subjects: lower-case, no group. */
export const SUBJECT_KINDS = [
  "certificate",
  "certificaterequest",
  "issuer",
  "clusterissuer",
  "order",
  "challenge",
  "injectable",
  "admission",
] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** Every event name per kind. Adding one here is how a new event becomes part of the contract. */
export const EVENTS = {
  certificate: [
    "issuing",
    "key-generated",
    "request-created",
    "issued",
    "failed",
    "renewal-scheduled",
    "ready",
    "not-ready",
  ],
  certificaterequest: ["approved", "denied", "signed", "failed", "pending"],
  issuer: ["ready", "not-ready"],
  clusterissuer: ["ready", "not-ready"],
  order: ["created", "ready", "valid", "invalid", "errored"],
  challenge: ["scheduled", "presented", "valid", "invalid", "errored", "cleaned-up"],
  injectable: ["injected"],
  admission: ["denied"],
} as const satisfies Record<SubjectKind, readonly string[]>;

export type EventName<K extends SubjectKind = SubjectKind> = (typeof EVENTS)[K][number];

export const COMMANDS = {
  challenge: ["present", "cleanup"],
  certificate: ["renew"],
} as const;
export type CommandKind = keyof typeof COMMANDS;
export type CommandVerb<K extends CommandKind = CommandKind> = (typeof COMMANDS)[K][number];

const TOKEN = /^[A-Za-z0-9_-]+$/;

export class SubjectError extends Error {
  readonly code = "CK_SUBJECT_INVALID";
}

function token(value: string, what: string): string {
  if (!TOKEN.test(value)) {
    throw new SubjectError(
      `${what} ${JSON.stringify(value)} is not a valid subject token (allowed: A-Z a-z 0-9 _ -)`,
    );
  }
  return value;
}

export function eventSubject<K extends SubjectKind>(kind: K, uid: string, event: EventName<K>): string {
  if (!(EVENTS[kind] as readonly string[]).includes(event)) {
    throw new SubjectError(`event ${JSON.stringify(event)} is not defined for kind ${kind}`);
  }
  return `${SUBJECT_ROOT}.${CONTRACT_VERSION}.evt.${kind}.${token(uid, "uid")}.${event}`;
}

export function commandSubject<K extends CommandKind>(kind: K, uid: string, verb: CommandVerb<K>): string {
  return `${SUBJECT_ROOT}.${CONTRACT_VERSION}.cmd.${kind}.${token(uid, "uid")}.${verb}`;
}

/** Filters for subscribers. `*` / `>` are NATS wildcards. */
export const filters = {
  allEvents: () => `${SUBJECT_ROOT}.${CONTRACT_VERSION}.evt.>`,
  /** Every event about one object, whatever its kind: `cm.v1.evt.*.<uid>.>`. */
  eventsOf: (uid: string) => `${SUBJECT_ROOT}.${CONTRACT_VERSION}.evt.*.${token(uid, "uid")}.>`,
  /** One event of one kind across all objects, e.g. every issuance. */
  eventOfKind: <K extends SubjectKind>(kind: K, event: EventName<K> | "*") =>
    `${SUBJECT_ROOT}.${CONTRACT_VERSION}.evt.${kind}.*.${event}`,
  /** All commands of one verb, for a service endpoint: `cm.v1.cmd.challenge.*.present`. */
  command: <K extends CommandKind>(kind: K, verb: CommandVerb<K>) =>
    `${SUBJECT_ROOT}.${CONTRACT_VERSION}.cmd.${kind}.*.${verb}`,
};

export interface ParsedSubject {
  type: "evt" | "cmd";
  kind: string;
  uid: string;
  name: string;
}

export function parseSubject(subject: string): ParsedSubject {
  const parts = subject.split(".");
  if (parts.length !== 6 || parts[0] !== SUBJECT_ROOT || parts[1] !== CONTRACT_VERSION) {
    throw new SubjectError(
      `subject ${JSON.stringify(subject)} is not a certkeeper ${CONTRACT_VERSION} subject`,
    );
  }
  const [, , type, kind, uid, name] = parts as [string, string, string, string, string, string];
  if (type !== "evt" && type !== "cmd") {
    throw new SubjectError(`subject ${JSON.stringify(subject)} is neither an event nor a command`);
  }
  return { type, kind, uid, name };
}
