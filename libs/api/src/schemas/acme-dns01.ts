/** ACME DNS-01 solver configuration: one DNS provider per solver. */
import { Type, type Static } from "@sinclair/typebox";
import { AnyJSON, SecretKeySelector, StringEnum, StringList } from "./common.ts";

export const CNAME_STRATEGIES = ["None", "Follow"] as const;
export const AZURE_DNS_ENVIRONMENTS = [
  "AzurePublicCloud",
  "AzureChinaCloud",
  "AzureGermanCloud",
  "AzureUSGovernmentCloud",
] as const;
export const AZURE_DNS_ZONE_TYPES = ["AzurePublicZone", "AzurePrivateZone"] as const;
export const RFC2136_PROTOCOLS = ["TCP", "UDP"] as const;

export const ACMEIssuerDNS01ProviderAkamaiSchema = Type.Object(
  {
    serviceConsumerDomain: Type.String({ description: "Akamai EdgeGrid host of the API client." }),
    clientTokenSecretRef: SecretKeySelector("Secret entry holding the EdgeGrid client token."),
    clientSecretSecretRef: SecretKeySelector("Secret entry holding the EdgeGrid client secret."),
    accessTokenSecretRef: SecretKeySelector("Secret entry holding the EdgeGrid access token."),
  },
  { description: "Manage challenge records with the Akamai Edge DNS API." },
);

export const ACMEIssuerDNS01ProviderCloudDNSSchema = Type.Object(
  {
    project: Type.String({ description: "Google Cloud project that owns the DNS zone." }),
    serviceAccountSecretRef: Type.Optional(
      SecretKeySelector(
        "Secret entry holding a service account JSON key; ambient credentials are used if unset.",
      ),
    ),
    hostedZoneName: Type.Optional(
      Type.String({ description: "Cloud DNS managed zone to use; found automatically if unset." }),
    ),
  },
  { description: "Manage challenge records with Google Cloud DNS." },
);

export const ACMEIssuerDNS01ProviderCloudflareSchema = Type.Object(
  {
    email: Type.Optional(Type.String({ description: "Account email; needed only with apiKeySecretRef." })),
    apiKeySecretRef: Type.Optional(SecretKeySelector("Secret entry holding a global API key (legacy).")),
    apiTokenSecretRef: Type.Optional(
      SecretKeySelector("Secret entry holding a scoped API token (preferred)."),
    ),
  },
  {
    description:
      "Manage challenge records with the Cloudflare API. Set one of apiKeySecretRef and apiTokenSecretRef.",
  },
);

export const ACMEIssuerDNS01ProviderRoute53Schema = Type.Object(
  {
    region: Type.Optional(
      Type.String({ description: "AWS region hint for credentials; taken from AWS_REGION if unset." }),
    ),
    hostedZoneID: Type.Optional(
      Type.String({ description: "Use only this hosted zone instead of looking it up by name." }),
    ),
    role: Type.Optional(Type.String({ description: "ARN of an IAM role to assume before calling Route53." })),
    accessKeyID: Type.Optional(
      Type.String({ description: "AWS access key ID. Not allowed with accessKeyIDSecretRef." }),
    ),
    accessKeyIDSecretRef: Type.Optional(
      SecretKeySelector("Secret entry holding the AWS access key ID. Not allowed with accessKeyID."),
    ),
    secretAccessKeySecretRef: Type.Optional(
      SecretKeySelector(
        "Secret entry holding the AWS secret access key; ambient credentials are used if unset.",
      ),
    ),
    auth: Type.Optional(
      Type.Object(
        {
          kubernetes: Type.Object(
            {
              serviceAccountRef: Type.Object(
                {
                  name: Type.String({ description: "ServiceAccount to request a token for." }),
                  audiences: Type.Optional(StringList("Token audiences; defaults to sts.amazonaws.com.")),
                },
                { description: "ServiceAccount whose bound token is exchanged for AWS credentials." },
              ),
            },
            {
              description: "Authenticate with AssumeRoleWithWebIdentity using a bound ServiceAccount token.",
            },
          ),
        },
        { description: "How to authenticate with AWS." },
      ),
    ),
  },
  { description: "Manage challenge records with AWS Route53." },
);

export const ACMEIssuerDNS01ProviderAzureDNSSchema = Type.Object(
  {
    subscriptionID: Type.String({ description: "Azure subscription that holds the DNS zone." }),
    resourceGroupName: Type.String({ description: "Resource group of the DNS zone." }),
    hostedZoneName: Type.Optional(Type.String({ description: "Name of the DNS zone." })),
    environment: Type.Optional(
      StringEnum(AZURE_DNS_ENVIRONMENTS, { description: "Azure cloud; defaults to AzurePublicCloud." }),
    ),
    clientID: Type.Optional(
      Type.String({
        description: "Service principal client ID; requires clientSecretSecretRef and tenantID.",
      }),
    ),
    clientSecretSecretRef: Type.Optional(
      SecretKeySelector("Secret entry holding the service principal secret."),
    ),
    tenantID: Type.Optional(Type.String({ description: "Service principal tenant ID." })),
    managedIdentity: Type.Optional(
      Type.Object(
        {
          clientID: Type.Optional(Type.String({ description: "Client ID of the managed identity." })),
          resourceID: Type.Optional(
            Type.String({ description: "Resource ID of the managed identity; not with clientID." }),
          ),
          tenantID: Type.Optional(Type.String({ description: "Tenant ID of the managed identity." })),
        },
        {
          description: "Use workload identity or managed service identity instead of a service principal.",
        },
      ),
    ),
    zoneType: Type.Optional(
      StringEnum(AZURE_DNS_ZONE_TYPES, { description: "Public (default) or private Azure DNS zone." }),
    ),
  },
  { description: "Manage challenge records with Azure DNS." },
);

export const ACMEIssuerDNS01ProviderDigitalOceanSchema = Type.Object(
  { tokenSecretRef: SecretKeySelector("Secret entry holding the DigitalOcean API token.") },
  { description: "Manage challenge records with the DigitalOcean DNS API." },
);

export const ACMEIssuerDNS01ProviderAcmeDNSSchema = Type.Object(
  {
    host: Type.String({ description: "URL of the acme-dns server." }),
    accountSecretRef: SecretKeySelector("Secret entry holding the acme-dns account JSON."),
  },
  { description: "Manage challenge records with an acme-dns server." },
);

export const ACMEIssuerDNS01ProviderRFC2136Schema = Type.Object(
  {
    nameserver: Type.String({
      description:
        "Authoritative server accepting dynamic updates, as host:port (IPv6 in brackets; port optional).",
    }),
    tsigKeyName: Type.Optional(Type.String({ description: "TSIG key name; requires tsigSecretSecretRef." })),
    tsigSecretSecretRef: Type.Optional(SecretKeySelector("Secret entry holding the TSIG secret.")),
    tsigAlgorithm: Type.Optional(
      Type.String({ description: "TSIG algorithm: HMACMD5 (default), HMACSHA1, HMACSHA256 or HMACSHA512." }),
    ),
    protocol: Type.Optional(
      StringEnum(RFC2136_PROTOCOLS, { description: "Transport for update queries: UDP (default) or TCP." }),
    ),
  },
  { description: "Manage challenge records with RFC 2136 dynamic DNS updates." },
);

export const ACMEIssuerDNS01ProviderWebhookSchema = Type.Object(
  {
    groupName: Type.String({ description: "API group served by the webhook solver." }),
    solverName: Type.String({ description: "Name of the solver within the webhook." }),
    config: Type.Optional(AnyJSON("Arbitrary JSON passed to the webhook solver. Do not put secrets here.")),
  },
  { description: "Delegate challenge records to an external webhook solver (aggregated API)." },
);

export const ACMEChallengeSolverDNS01Schema = Type.Object(
  {
    cnameStrategy: Type.Optional(
      StringEnum(CNAME_STRATEGIES, {
        description:
          "Follow CNAMEs of _acme-challenge records to find the zone to update (Follow) or not (None).",
      }),
    ),
    nameservers: Type.Optional(
      StringList(
        "DNS servers (host:port or DNS-over-HTTPS URL) used for the propagation check instead of the " +
          "authoritative servers.",
      ),
    ),
    akamai: Type.Optional(ACMEIssuerDNS01ProviderAkamaiSchema),
    cloudDNS: Type.Optional(ACMEIssuerDNS01ProviderCloudDNSSchema),
    cloudflare: Type.Optional(ACMEIssuerDNS01ProviderCloudflareSchema),
    route53: Type.Optional(ACMEIssuerDNS01ProviderRoute53Schema),
    azureDNS: Type.Optional(ACMEIssuerDNS01ProviderAzureDNSSchema),
    digitalocean: Type.Optional(ACMEIssuerDNS01ProviderDigitalOceanSchema),
    acmeDNS: Type.Optional(ACMEIssuerDNS01ProviderAcmeDNSSchema),
    rfc2136: Type.Optional(ACMEIssuerDNS01ProviderRFC2136Schema),
    webhook: Type.Optional(ACMEIssuerDNS01ProviderWebhookSchema),
  },
  { description: "Solve challenges with DNS-01 TXT records. Configure exactly one provider." },
);
export type ACMEChallengeSolverDNS01 = Static<typeof ACMEChallengeSolverDNS01Schema>;
