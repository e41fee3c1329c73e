import { SUBJECT_ROOT, CONTRACT_VERSION } from "./subjects.ts";

/** JetStream objects owned by the contract. Names are part of the public interface. */
export const EVENTS_STREAM = {
  name: "CM_EVENTS",
  subjects: [`${SUBJECT_ROOT}.${CONTRACT_VERSION}.evt.>`],
  /** Defaults; configurable per install. */
  maxAgeSeconds: 7 * 24 * 3600,
  maxBytes: 1024 * 1024 * 1024,
  /** Window in which a repeated Nats-Msg-Id is dropped. */
  duplicateWindowSeconds: 120,
} as const;

export const KV_BUCKETS = {
  /** HTTP-01 token → key authorization; entries expire. */
  http01Tokens: { name: "cm_http01_tokens", ttlSeconds: 2 * 3600 },
  /** Controller shard membership heartbeats. */
  controllerMembers: { name: "cm_controller_members", ttlSeconds: 15 },
} as const;

/** NATS services framework names (queue groups). */
export const SERVICES = {
  acmeSolver: { name: "certkeeper-acme-solver", version: "0.1.0", queue: "acme-solver" },
  controller: { name: "certkeeper-controller", version: "0.1.0", queue: "controller" },
} as const;
