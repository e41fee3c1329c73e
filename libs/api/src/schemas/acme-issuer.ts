/** ACME issuer configuration (`spec.acme` of Issuer/ClusterIssuer) and the challenge solver type. */
import { Type, type Static } from "@sinclair/typebox";
import { ACMEChallengeSolverDNS01Schema } from "./acme-dns01.ts";
import { ACMEChallengeSolverHTTP01Schema } from "./acme-http01.ts";
import { Bytes, Duration, SecretKeySelector, StringEnum, StringList, StringMap } from "./common.ts";

export const HMAC_KEY_ALGORITHMS = ["HS256", "HS384", "HS512"] as const;
export const RENEWAL_INFORMATION_SOURCES = ["ARI", "None"] as const;

export const CertificateDNSNameSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(StringMap("Only Certificates carrying all these labels use this solver.")),
    dnsNames: Type.Optional(
      StringList("Exact DNS names this solver handles; a dnsNames match beats any dnsZones match."),
    ),
    dnsZones: Type.Optional(
      StringList("DNS zones (and their subdomains) this solver handles; the longest matching zone wins."),
    ),
  },
  {
    description:
      "Chooses which names this solver handles. Without a selector the solver is the fallback used when no " +
      "more specific solver matches; ties go to the solver listed first.",
  },
);
export type CertificateDNSNameSelector = Static<typeof CertificateDNSNameSelectorSchema>;

export const ACMEChallengeSolverSchema = Type.Object(
  {
    selector: Type.Optional(CertificateDNSNameSelectorSchema),
    http01: Type.Optional(ACMEChallengeSolverHTTP01Schema),
    dns01: Type.Optional(ACMEChallengeSolverDNS01Schema),
    waitInsteadOfSelfCheck: Type.Optional(
      Duration("Skip the self check and wait this long after presenting before accepting the challenge."),
    ),
  },
  { description: "How to solve challenges for the selected names: set exactly one of http01 and dns01." },
);
export type ACMEChallengeSolver = Static<typeof ACMEChallengeSolverSchema>;

export const ACMEExternalAccountBindingSchema = Type.Object(
  {
    keyID: Type.String({ description: "Key ID given by the CA for the external account." }),
    keySecretRef: SecretKeySelector(
      "Secret entry holding the external account's MAC key, unpadded base64url encoded.",
    ),
    keyAlgorithm: Type.Optional(
      StringEnum(HMAC_KEY_ALGORITHMS, {
        description: "Deprecated and ignored: HS256 is always used. Setting it produces a warning.",
      }),
    ),
  },
  { description: "Bind the ACME account to an existing account at the CA (RFC 8555 7.3.4)." },
);
export type ACMEExternalAccountBinding = Static<typeof ACMEExternalAccountBindingSchema>;

export const ACMEIssuerSchema = Type.Object(
  {
    server: Type.String({
      description:
        "URL of the ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory. ACME v2 only.",
    }),
    email: Type.Optional(
      Type.String({ description: "Contact email registered with the ACME account. May be changed later." }),
    ),
    privateKeySecretRef: SecretKeySelector(
      "Secret holding the ACME account private key (entry tls.key unless key is set). Generated if missing.",
    ),
    preferredChain: Type.Optional(
      Type.String({
        description:
          "Pick the offered chain whose top certificate was issued by a CA with this common name. Best effort.",
        maxLength: 64,
      }),
    ),
    caBundle: Type.Optional(
      Bytes(
        "PEM CA bundle (base64) for verifying the ACME server's TLS certificate. Not with skipTLSVerify.",
      ),
    ),
    skipTLSVerify: Type.Optional(
      Type.Boolean({
        description: "INSECURE: do not verify the ACME server's TLS certificate. Not with caBundle.",
      }),
    ),
    externalAccountBinding: Type.Optional(ACMEExternalAccountBindingSchema),
    disableAccountKeyGeneration: Type.Optional(
      Type.Boolean({ description: "Never generate an account key; the Secret must already hold one." }),
    ),
    enableDurationFeature: Type.Optional(
      Type.Boolean({
        description:
          "Ask the server for a notAfter matching the requested duration (not all servers support it).",
      }),
    ),
    profile: Type.Optional(
      Type.String({ description: "Certificate profile to request, as listed in the server's directory." }),
    ),
    renewalInformationSource: Type.Optional(
      StringEnum(RENEWAL_INFORMATION_SOURCES, {
        description:
          "ARI (default) uses the server's ACME Renewal Information to schedule renewals; None ignores it.",
        default: "ARI",
      }),
    ),
    solvers: Type.Optional(
      Type.Array(ACMEChallengeSolverSchema, {
        description: "Challenge solvers; the most specific match for each name is used.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
  },
  { description: "Obtain certificates from an RFC 8555 ACME server such as Let's Encrypt." },
);
export type ACMEIssuer = Static<typeof ACMEIssuerSchema>;

export const ACMEIssuerStatusSchema = Type.Object(
  {
    uri: Type.Optional(Type.String({ description: "URL of the registered ACME account." })),
    lastRegisteredEmail: Type.Optional(
      Type.String({ description: "Email last registered with the account; a change triggers an update." }),
    ),
    lastPrivateKeyHash: Type.Optional(
      Type.String({
        description: "Hash of the account key last registered; a change triggers re-registration.",
      }),
    ),
  },
  { description: "ACME account status; set only for ACME issuers." },
);
export type ACMEIssuerStatus = Static<typeof ACMEIssuerStatusSchema>;
