import { Type, type Static } from "@sinclair/typebox";

/** Command payloads (request/reply). Event payloads are free-form summaries validated by the envelope. */
export const PresentChallengeSchema = Type.Object({
  type: Type.Union([Type.Literal("HTTP-01"), Type.Literal("DNS-01")]),
  dnsName: Type.String({ minLength: 1 }),
  token: Type.String({ minLength: 1 }),
  /** HTTP-01 key authorization: public by design, the one secret-looking value allowed on NATS. */
  key: Type.String({ minLength: 1 }),
});
export type PresentChallenge = Static<typeof PresentChallengeSchema>;

export const CleanupChallengeSchema = Type.Object({
  type: Type.Union([Type.Literal("HTTP-01"), Type.Literal("DNS-01")]),
  dnsName: Type.String({ minLength: 1 }),
  token: Type.String({ minLength: 1 }),
});
export type CleanupChallenge = Static<typeof CleanupChallengeSchema>;

export const RenewCertificateSchema = Type.Object({
  requestedBy: Type.Optional(Type.String()),
});
export type RenewCertificate = Static<typeof RenewCertificateSchema>;

export const CommandReplySchema = Type.Object({
  ok: Type.Boolean(),
  message: Type.Optional(Type.String()),
});
export type CommandReply = Static<typeof CommandReplySchema>;
