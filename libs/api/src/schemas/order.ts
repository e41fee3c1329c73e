/** Order (acme.cert-manager.io/v1): one ACME order, created for one CertificateRequest. */
import { Type, type Static } from "@sinclair/typebox";
import { Bytes, Duration, IssuerReferenceSchema, StringEnum, StringList, Time } from "./common.ts";

/** ACME object states. "" (unset) means unknown. Final: valid, invalid, expired, errored. */
export const ACME_STATES = [
  "valid",
  "ready",
  "pending",
  "processing",
  "invalid",
  "expired",
  "errored",
] as const;
export type State = (typeof ACME_STATES)[number];

export function StateSchema(description: string) {
  return StringEnum(ACME_STATES, { description });
}

/** Like IssuerReference, but the API server fills in group (as cert-manager's Order CRD does). */
const OrderIssuerReferenceSchema = Type.Object(
  {
    ...IssuerReferenceSchema.properties,
    group: Type.Optional(
      Type.String({
        description: "API group of the issuer; defaults to cert-manager.io.",
        default: "cert-manager.io",
      }),
    ),
  },
  { description: "The ACME Issuer or ClusterIssuer the order is placed with." },
);

export const OrderSpecSchema = Type.Object(
  {
    request: Bytes("The CSR to finalize the order with (PEM; DER accepted), base64 in JSON."),
    issuerRef: OrderIssuerReferenceSchema,
    commonName: Type.Optional(
      Type.String({ description: "Common name of the CSR; must also be in dnsNames or ipAddresses." }),
    ),
    dnsNames: Type.Optional(StringList("DNS identifiers to order; must match the CSR.")),
    ipAddresses: Type.Optional(StringList("IP identifiers to order; must match the CSR.")),
    duration: Type.Optional(
      Duration("Requested lifetime, sent as notAfter; only when the issuer enables the duration feature."),
    ),
    profile: Type.Optional(
      Type.String({ description: "Certificate profile requested from the ACME server." }),
    ),
    replaces: Type.Optional(
      Type.String({ description: "ARI certificate ID of the certificate this order replaces." }),
    ),
  },
  { description: "What to order. Immutable after creation." },
);
export type OrderSpec = Static<typeof OrderSpecSchema>;

export const ACMEChallengeSchema = Type.Object(
  {
    url: Type.String({ description: "URL of the challenge on the ACME server." }),
    token: Type.String({ description: "Challenge token from the ACME server." }),
    type: Type.String({
      description: "Challenge type as sent by the server, e.g. http-01 or dns-01; other types are ignored.",
    }),
  },
  { description: "A challenge the ACME server offers for an authorization." },
);
export type ACMEChallenge = Static<typeof ACMEChallengeSchema>;

export const ACMEAuthorizationSchema = Type.Object(
  {
    url: Type.String({ description: "URL of the authorization on the ACME server." }),
    identifier: Type.Optional(
      Type.String({ description: "Name being authorized (without the *. of a wildcard)." }),
    ),
    wildcard: Type.Optional(
      Type.Boolean({ description: "True if the authorization is for a wildcard name." }),
    ),
    initialState: Type.Optional(
      StateSchema("State when first fetched; valid authorizations (reused) get no Challenge."),
    ),
    challenges: Type.Optional(
      Type.Array(ACMEChallengeSchema, {
        description: "Challenges offered by the server for this authorization.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
  },
  { description: "An authorization that must be satisfied before the order can be finalized." },
);
export type ACMEAuthorization = Static<typeof ACMEAuthorizationSchema>;

export const OrderStatusSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({ description: "URL of the order on the ACME server; immutable once set." }),
    ),
    finalizeURL: Type.Optional(
      Type.String({ description: "URL to POST the CSR to when the order is ready." }),
    ),
    authorizations: Type.Optional(
      Type.Array(ACMEAuthorizationSchema, {
        description: "Authorizations of the order as returned by the server.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
    certificate: Type.Optional(Bytes("PEM certificate chain, set once the order is valid (base64 in JSON).")),
    state: Type.Optional(StateSchema("State of the order; valid, invalid, expired and errored are final.")),
    reason: Type.Optional(Type.String({ description: "Why the order is in its current state." })),
    failureTime: Type.Optional(Time("When the order failed; used for backoff and garbage collection.")),
  },
  { description: "Observed state of the order, written by the controller." },
);
export type OrderStatus = Static<typeof OrderStatusSchema>;
