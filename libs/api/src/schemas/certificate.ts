/** Certificate (cert-manager.io/v1): spec and status. */
import { Type, type Static } from "@sinclair/typebox";
import {
  Condition,
  Conditions,
  Duration,
  Int32,
  IssuerReferenceSchema,
  KeyUsages,
  SecretKeySelector,
  StringEnum,
  StringList,
  StringMap,
  Time,
} from "./common.ts";

export const PRIVATE_KEY_ALGORITHMS = ["RSA", "ECDSA", "Ed25519"] as const;
export const PRIVATE_KEY_ENCODINGS = ["PKCS1", "PKCS8"] as const;
export const PRIVATE_KEY_ROTATION_POLICIES = ["Never", "Always"] as const;
export const SIGNATURE_ALGORITHMS = [
  "SHA256WithRSA",
  "SHA384WithRSA",
  "SHA512WithRSA",
  "ECDSAWithSHA256",
  "ECDSAWithSHA384",
  "ECDSAWithSHA512",
  "PureEd25519",
] as const;
export const PKCS12_PROFILES = ["LegacyRC2", "LegacyDES", "Modern2023", "Modern2026"] as const;
export const ADDITIONAL_OUTPUT_FORMAT_TYPES = ["DER", "CombinedPEM"] as const;
export const RENEWAL_POLICIES = ["RenewBefore", "Disabled"] as const;

export type PrivateKeyAlgorithm = (typeof PRIVATE_KEY_ALGORITHMS)[number];
export type PrivateKeyEncoding = (typeof PRIVATE_KEY_ENCODINGS)[number];
export type PrivateKeyRotationPolicy = (typeof PRIVATE_KEY_ROTATION_POLICIES)[number];
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];
export type PKCS12Profile = (typeof PKCS12_PROFILES)[number];
export type AdditionalOutputFormatType = (typeof ADDITIONAL_OUTPUT_FORMAT_TYPES)[number];
export type RenewalPolicy = (typeof RENEWAL_POLICIES)[number];

export const X509SubjectSchema = Type.Object(
  {
    organizations: Type.Optional(StringList("Organization (O) attribute values.")),
    countries: Type.Optional(StringList("Country (C) attribute values.")),
    organizationalUnits: Type.Optional(StringList("Organizational unit (OU) attribute values.")),
    localities: Type.Optional(StringList("Locality / city (L) attribute values.")),
    provinces: Type.Optional(StringList("State or province (ST) attribute values.")),
    streetAddresses: Type.Optional(StringList("Street address attribute values.")),
    postalCodes: Type.Optional(StringList("Postal code attribute values.")),
    serialNumber: Type.Optional(Type.String({ description: "Subject serialNumber attribute value." })),
  },
  {
    description:
      "Subject attributes of the certificate other than the common name. Not allowed together with literalSubject.",
  },
);
export type X509Subject = Static<typeof X509SubjectSchema>;

/** Both fields are required (cert-manager enforces this in its webhook; here the API server does). */
export const OtherNameSchema = Type.Object(
  {
    oid: Type.String({
      description: "Object identifier of the otherName in dotted form, e.g. 1.3.6.1.4.1.311.20.2.3.",
    }),
    utf8Value: Type.String({ description: "Value of the otherName, encoded as a UTF8String." }),
  },
  { description: "An otherName subject alternative name with a UTF-8 string value." },
);
export type OtherName = Static<typeof OtherNameSchema>;

const NameConstraintItemSchema = (description: string) =>
  Type.Object(
    {
      dnsDomains: Type.Optional(StringList("DNS domains.")),
      ipRanges: Type.Optional(StringList("IP ranges in CIDR notation.")),
      emailAddresses: Type.Optional(StringList("Email addresses or domains.")),
      uriDomains: Type.Optional(StringList("URI domains.")),
    },
    { description },
  );

export const NameConstraintsSchema = Type.Object(
  {
    critical: Type.Optional(Type.Boolean({ description: "Mark the name constraints extension critical." })),
    permitted: Type.Optional(NameConstraintItemSchema("Names issued below this CA must fall inside these.")),
    excluded: Type.Optional(
      NameConstraintItemSchema("Names issued below this CA must not match these, whatever permitted says."),
    ),
  },
  {
    description:
      "X.509 name constraints extension (RFC 5280 4.2.1.10). Only valid on CA certificates (isCA: true).",
  },
);
export type NameConstraints = Static<typeof NameConstraintsSchema>;

export const CertificatePrivateKeySchema = Type.Object(
  {
    rotationPolicy: Type.Optional(
      StringEnum(PRIVATE_KEY_ROTATION_POLICIES, {
        description:
          "Always (default): a new private key is generated for every issuance. Never: the key in the " +
          "target Secret is reused when it matches algorithm and size; otherwise a warning is raised.",
      }),
    ),
    encoding: Type.Optional(
      StringEnum(PRIVATE_KEY_ENCODINGS, {
        description: "PEM encoding of the private key stored in the Secret: PKCS1 (default) or PKCS8.",
      }),
    ),
    algorithm: Type.Optional(
      StringEnum(PRIVATE_KEY_ALGORITHMS, {
        description: "Private key algorithm: RSA (default), ECDSA or Ed25519.",
      }),
    ),
    size: Type.Optional(
      Type.Integer({
        description:
          "Key size in bits. RSA: 2048 (default), 4096 or 8192. ECDSA: 256 (default), 384 or 521. " +
          "Ignored for Ed25519.",
      }),
    ),
  },
  { description: "How the private key is generated, encoded and rotated." },
);
export type CertificatePrivateKey = Static<typeof CertificatePrivateKeySchema>;

const PasswordFields = (format: string) => ({
  passwordSecretRef: Type.Optional(
    SecretKeySelector(`Secret entry holding the password that encrypts the ${format} keystore.`),
  ),
  password: Type.Optional(
    Type.String({
      description: `Literal password that encrypts the ${format} keystore; mutually exclusive with passwordSecretRef.`,
    }),
  ),
});

export const JKSKeystoreSchema = Type.Object(
  {
    create: Type.Boolean({
      description: "Write keystore.jks (and truststore.jks when the CA is known) into the Secret.",
    }),
    alias: Type.Optional(
      Type.String({ description: 'Alias of the key entry in the keystore. Defaults to "certificate".' }),
    ),
    ...PasswordFields("JKS"),
  },
  { description: "Java KeyStore output in the target Secret." },
);
export type JKSKeystore = Static<typeof JKSKeystoreSchema>;

export const PKCS12KeystoreSchema = Type.Object(
  {
    create: Type.Boolean({
      description: "Write keystore.p12 (and truststore.p12 when the CA is known) into the Secret.",
    }),
    profile: Type.Optional(
      StringEnum(PKCS12_PROFILES, {
        description:
          "Encryption and MAC algorithms of the PKCS#12 file. LegacyRC2 (default) for old clients, " +
          "LegacyDES for wide compatibility, Modern2023 or Modern2026 for current algorithms.",
      }),
    ),
    ...PasswordFields("PKCS#12"),
  },
  { description: "PKCS#12 output in the target Secret." },
);
export type PKCS12Keystore = Static<typeof PKCS12KeystoreSchema>;

export const CertificateKeystoresSchema = Type.Object(
  {
    jks: Type.Optional(JKSKeystoreSchema),
    pkcs12: Type.Optional(PKCS12KeystoreSchema),
  },
  { description: "Extra keystore formats written into the target Secret." },
);
export type CertificateKeystores = Static<typeof CertificateKeystoresSchema>;

export const CertificateAdditionalOutputFormatSchema = Type.Object(
  {
    type: StringEnum(ADDITIONAL_OUTPUT_FORMAT_TYPES, {
      description:
        "DER writes key.der (the private key in DER); CombinedPEM writes tls-combined.pem (key then chain).",
    }),
  },
  { description: "One additional output format written into the target Secret." },
);
export type CertificateAdditionalOutputFormat = Static<typeof CertificateAdditionalOutputFormatSchema>;

export const CertificateSecretTemplateSchema = Type.Object(
  {
    annotations: Type.Optional(StringMap("Annotations to set on the target Secret.")),
    labels: Type.Optional(StringMap("Labels to set on the target Secret.")),
  },
  {
    description:
      "Labels and annotations kept on the target Secret. They are added and removed as the template changes " +
      "and never override the ones cert-manager sets itself.",
  },
);
export type CertificateSecretTemplate = Static<typeof CertificateSecretTemplateSchema>;

export const RenewalWindowSchema = Type.Object(
  {
    cron: Type.String({ description: "Five-field cron expression for when each window opens." }),
    windowDuration: Duration("How long each window stays open, e.g. 30m."),
    timezone: Type.Optional(
      Type.String({ description: "IANA time zone the cron expression is evaluated in. Defaults to UTC." }),
    ),
  },
  { description: "A recurring time window in which renewal may start." },
);
export type RenewalWindow = Static<typeof RenewalWindowSchema>;

export const CertificateRenewalSchema = Type.Object(
  {
    policy: Type.Optional(
      StringEnum(RENEWAL_POLICIES, {
        description: "RenewBefore (default) renews automatically; Disabled never renews automatically.",
      }),
    ),
    windows: Type.Optional(
      Type.Array(RenewalWindowSchema, {
        description:
          "If set, renewal is delayed to the next open window after the computed renewal time. " +
          "Not allowed with policy Disabled.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
  },
  { description: "Controls when, and whether, the certificate is renewed automatically." },
);
export type CertificateRenewal = Static<typeof CertificateRenewalSchema>;

export const CertificateSpecSchema = Type.Object(
  {
    secretName: Type.String({
      description:
        "Name of the Secret, in the Certificate's namespace, that receives the private key and signed certificate.",
    }),
    issuerRef: IssuerReferenceSchema,
    commonName: Type.Optional(
      Type.String({
        description:
          "Subject common name (at most 64 characters). TLS clients ignore it when any subject alternative " +
          "name is present. Not allowed with literalSubject.",
      }),
    ),
    literalSubject: Type.Optional(
      Type.String({
        description:
          "Complete subject as an RFC 4514 string, e.g. CN=foo,DC=example,DC=com, used verbatim and in order. " +
          "Not allowed with commonName or subject.",
      }),
    ),
    subject: Type.Optional(X509SubjectSchema),
    dnsNames: Type.Optional(StringList("DNS subject alternative names.")),
    ipAddresses: Type.Optional(StringList("IP address subject alternative names.")),
    uris: Type.Optional(StringList("URI subject alternative names.")),
    emailAddresses: Type.Optional(StringList("Email subject alternative names (bare addresses).")),
    otherNames: Type.Optional(
      Type.Array(OtherNameSchema, {
        description: "otherName subject alternative names with UTF-8 string values, e.g. a Microsoft UPN.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
    duration: Type.Optional(
      Duration(
        "Requested lifetime of the certificate as a Go duration (e.g. 2160h). Defaults to 90 days; at least 1h. " +
          "Issuers may ignore it.",
      ),
    ),
    renewBefore: Type.Optional(
      Duration(
        "How long before expiry to renew, as a Go duration. At least 5m and less than the lifetime. Defaults " +
          "to a third of the issued certificate's actual lifetime. Not allowed with renewBeforePercentage.",
      ),
    ),
    renewBeforePercentage: Type.Optional(
      Int32(
        "Like renewBefore, but as a percentage (exclusive range 0-100) of the issued certificate's lifetime. " +
          "Not allowed with renewBefore.",
      ),
    ),
    renewal: Type.Optional(CertificateRenewalSchema),
    isCA: Type.Optional(
      Type.Boolean({
        description: "Request a CA certificate (basic constraints CA=true); also adds the cert sign usage.",
      }),
    ),
    usages: Type.Optional(
      KeyUsages(
        "Requested key usages and extended key usages. Defaults to digital signature and key encipherment.",
      ),
    ),
    privateKey: Type.Optional(CertificatePrivateKeySchema),
    signatureAlgorithm: Type.Optional(
      StringEnum(SIGNATURE_ALGORITHMS, {
        description:
          "Signature algorithm of the CSR; must match the key algorithm. Defaults from the key: RSA by size " +
          "(SHA256/384/512WithRSA), ECDSA by curve (ECDSAWithSHA256/384/512), Ed25519 PureEd25519.",
      }),
    ),
    encodeUsagesInRequest: Type.Optional(
      Type.Boolean({
        description:
          "Put the key usage extensions into the CSR (default true). Disable only for issuers that reject them.",
      }),
    ),
    revisionHistoryLimit: Type.Optional(
      Int32("How many CertificateRequest revisions to keep; at least 1. Defaults to 1."),
    ),
    secretTemplate: Type.Optional(CertificateSecretTemplateSchema),
    additionalOutputFormats: Type.Optional(
      Type.Array(CertificateAdditionalOutputFormatSchema, {
        description:
          "Extra encodings of the key and chain written into the target Secret; types must be unique.",
        "x-kubernetes-list-type": "atomic",
      }),
    ),
    keystores: Type.Optional(CertificateKeystoresSchema),
    nameConstraints: Type.Optional(NameConstraintsSchema),
  },
  { description: "Desired state of the Certificate." },
);
export type CertificateSpec = Static<typeof CertificateSpecSchema>;

export const CertificateConditionSchema = Condition(["Ready", "Issuing"], true);
export type CertificateCondition = Static<typeof CertificateConditionSchema>;

export const ACMERenewalInfoSchema = Type.Object(
  {
    suggestedWindow: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(Time("Start of the window suggested by the ACME server.")),
          end: Type.Optional(Time("End of the window suggested by the ACME server.")),
        },
        { description: "Renewal window suggested by the ACME server." },
      ),
    ),
    explanationURL: Type.Optional(
      Type.String({ description: "Page from the ACME server explaining the suggested window." }),
    ),
    lastChecked: Type.Optional(Time("When renewal information was last fetched.")),
    nextCheck: Type.Optional(Time("When renewal information will next be fetched.")),
    lastError: Type.Optional(Type.String({ description: "Error of the last failed fetch, if any." })),
  },
  { description: "ACME Renewal Information (RFC 9773) for the current certificate." },
);
export type ACMERenewalInfo = Static<typeof ACMERenewalInfoSchema>;

export const CertificateStatusSchema = Type.Object(
  {
    conditions: Type.Optional(
      Conditions(CertificateConditionSchema, "Current conditions; known types are Ready and Issuing."),
    ),
    lastFailureTime: Type.Optional(
      Time("When the latest issuance failed. Unset after a successful issuance; drives the retry backoff."),
    ),
    notBefore: Type.Optional(Time("Start of validity of the certificate in the target Secret.")),
    notAfter: Type.Optional(Time("Expiry of the certificate in the target Secret.")),
    renewalTime: Type.Optional(
      Time("When the certificate will next be renewed. Unset if no renewal is scheduled."),
    ),
    revision: Type.Optional(
      Type.Integer({
        description:
          "Revision of the issued certificate. New CertificateRequests carry revision+1 in the " +
          "cert-manager.io/certificate-revision annotation; on success this field takes that value.",
      }),
    ),
    nextPrivateKeySecretName: Type.Optional(
      Type.String({
        description: "Secret holding the private key for the next issuance; set only while Issuing is True.",
      }),
    ),
    failedIssuanceAttempts: Type.Optional(
      Type.Integer({
        description:
          "Consecutive failed issuances; the retry delay is 1h * 2^(attempts-1). Reset on success.",
      }),
    ),
    acme: Type.Optional(
      Type.Object(
        { ari: Type.Optional(ACMERenewalInfoSchema) },
        { description: "ACME specific status of the certificate." },
      ),
    ),
  },
  { description: "Observed state of the Certificate, written by the controller." },
);
export type CertificateStatus = Static<typeof CertificateStatusSchema>;
