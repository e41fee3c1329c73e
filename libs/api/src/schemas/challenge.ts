/** Challenge (acme.cert-manager.io/v1): one ACME challenge to present and validate. */
import { Type, type Static } from "@sinclair/typebox";
import { ACMEChallengeSolverSchema } from "./acme-issuer.ts";
import { IssuerReferenceSchema, StringEnum, Time } from "./common.ts";
import { StateSchema } from "./order.ts";

export const ACME_CHALLENGE_TYPES = ["HTTP-01", "DNS-01"] as const;
export type ACMEChallengeType = (typeof ACME_CHALLENGE_TYPES)[number];

export const ChallengeSpecSchema = Type.Object(
  {
    url: Type.String({ description: "URL of the challenge on the ACME server." }),
    authorizationURL: Type.String({ description: "URL of the authorization this challenge belongs to." }),
    dnsName: Type.String({ description: "Name being validated; for *.example.com this is example.com." }),
    wildcard: Type.Optional(Type.Boolean({ description: "True if the name being validated is a wildcard." })),
    type: StringEnum(ACME_CHALLENGE_TYPES, { description: "Challenge type: HTTP-01 or DNS-01." }),
    token: Type.String({ description: "Challenge token from the ACME server." }),
    key: Type.String({
      description:
        "Value to present. HTTP-01: the key authorization token.thumbprint. DNS-01: the base64url SHA-256 " +
        "digest of the key authorization, used as the TXT record.",
    }),
    solver: ACMEChallengeSolverSchema,
    issuerRef: IssuerReferenceSchema,
  },
  { description: "What to present. Immutable after creation." },
);
export type ChallengeSpec = Static<typeof ChallengeSpecSchema>;

export const ChallengeStatusSchema = Type.Object(
  {
    processing: Type.Optional(
      Type.Boolean({
        description: "Set by the scheduler when the challenge may be worked on; cleared when it is finished.",
      }),
    ),
    presented: Type.Optional(
      Type.Boolean({
        description: "True while the challenge response is in place (not that the self check passes).",
      }),
    ),
    presentedAt: Type.Optional(Time("When the challenge response was put in place.")),
    reason: Type.Optional(Type.String({ description: "Why the challenge is in its current state." })),
    state: Type.Optional(StateSchema("State of the challenge; unset means unknown.")),
  },
  { description: "Observed state of the challenge, written by the controller." },
);
export type ChallengeStatus = Static<typeof ChallengeStatusSchema>;
