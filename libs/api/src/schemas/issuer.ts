/** Issuer and ClusterIssuer (cert-manager.io/v1): same spec and status, different scope. */
import { Type, type Static } from "@sinclair/typebox";
import { ACMEIssuerSchema, ACMEIssuerStatusSchema } from "./acme-issuer.ts";
import {
  Bytes,
  Condition,
  Conditions,
  LocalObjectReference,
  SecretKeySelector,
  StringList,
} from "./common.ts";

export const CAIssuerSchema = Type.Object(
  {
    secretName: Type.String({
      description:
        "Secret with the signing CA: tls.crt (a CA certificate, optionally with its chain) and tls.key.",
    }),
    crlDistributionPoints: Type.Optional(
      StringList("CRL distribution point URLs put into issued certificates."),
    ),
    ocspServers: Type.Optional(StringList("OCSP responder URLs put into issued certificates.")),
    issuingCertificateURLs: Type.Optional(
      StringList(
        "URLs of the issuing CA certificate put into issued certificates (Authority Information Access).",
      ),
    ),
  },
  { description: "Sign certificates with a CA key pair stored in a Secret." },
);
export type CAIssuer = Static<typeof CAIssuerSchema>;

export const SelfSignedIssuerSchema = Type.Object(
  {
    crlDistributionPoints: Type.Optional(
      StringList("CRL distribution point URLs put into issued certificates."),
    ),
  },
  { description: "Sign each certificate with its own private key." },
);
export type SelfSignedIssuer = Static<typeof SelfSignedIssuerSchema>;

const ServiceAccountRef = (description: string) =>
  Type.Object(
    {
      name: Type.String({ description: "ServiceAccount to request a bound token for." }),
      audiences: Type.Optional(StringList("Extra audiences added to the default ones of the token.")),
    },
    { description },
  );

export const VaultAuthSchema = Type.Object(
  {
    tokenSecretRef: Type.Optional(
      SecretKeySelector("Secret entry (default key token) holding a Vault token."),
    ),
    appRole: Type.Optional(
      Type.Object(
        {
          path: Type.String({ description: "Mount path of the AppRole auth method, e.g. approle." }),
          roleId: Type.String({ description: "AppRole role ID." }),
          secretRef: SecretKeySelector("Secret entry holding the AppRole secret ID; key is required."),
        },
        { description: "Log in with the AppRole auth method." },
      ),
    ),
    clientCertificate: Type.Optional(
      Type.Object(
        {
          mountPath: Type.Optional(
            Type.String({
              description: "Login path prefix of the cert auth method; defaults to /v1/auth/cert.",
            }),
          ),
          secretName: Type.Optional(
            Type.String({ description: "kubernetes.io/tls Secret with the client certificate and key." }),
          ),
          name: Type.Optional(
            Type.String({ description: "Certificate role to log in as; any matching role if unset." }),
          ),
        },
        { description: "Log in with a TLS client certificate (HTTPS only)." },
      ),
    ),
    kubernetes: Type.Optional(
      Type.Object(
        {
          mountPath: Type.Optional(
            Type.String({
              description:
                "Login path prefix of the Kubernetes auth method; defaults to /v1/auth/kubernetes.",
            }),
          ),
          role: Type.String({ description: "Vault role to log in as." }),
          secretRef: Type.Optional(
            SecretKeySelector("Secret entry holding a ServiceAccount token. Not with serviceAccountRef."),
          ),
          serviceAccountRef: Type.Optional(
            ServiceAccountRef(
              "Request a short-lived bound token for this ServiceAccount. Not with secretRef.",
            ),
          ),
        },
        { description: "Log in with a Kubernetes ServiceAccount token." },
      ),
    ),
    aws: Type.Optional(
      Type.Object(
        {
          mountPath: Type.Optional(
            Type.String({
              description: "Login path prefix of the AWS auth method; defaults to /v1/auth/aws.",
            }),
          ),
          role: Type.String({ description: "Vault role to log in as." }),
          region: Type.Optional(Type.String({ description: "AWS region used for STS." })),
          serviceAccountRef: Type.Optional(
            ServiceAccountRef("ServiceAccount whose bound token is exchanged for AWS credentials."),
          ),
          iamRoleArn: Type.Optional(Type.String({ description: "IAM role to assume with the bound token." })),
          vaultHeaderValue: Type.Optional(
            Type.String({
              description: "Value of the X-Vault-AWS-IAM-Server-ID header, if Vault requires it.",
            }),
          ),
        },
        { description: "Log in with the AWS IAM auth method." },
      ),
    ),
  },
  {
    description:
      "How to authenticate with Vault. Set one of tokenSecretRef, appRole, clientCertificate, kubernetes and aws.",
  },
);
export type VaultAuth = Static<typeof VaultAuthSchema>;

export const VaultIssuerSchema = Type.Object(
  {
    server: Type.String({ description: "Vault address, e.g. https://vault.example.com:8200." }),
    path: Type.String({ description: "Path of the PKI sign endpoint, e.g. pki/sign/my-role." }),
    namespace: Type.Optional(Type.String({ description: "Vault Enterprise namespace." })),
    serverName: Type.Optional(
      Type.String({
        description: "Host name expected in Vault's TLS certificate, if it differs from server.",
      }),
    ),
    caBundle: Type.Optional(Bytes("PEM CA bundle (base64) for verifying Vault's TLS certificate.")),
    caBundleSecretRef: Type.Optional(
      SecretKeySelector("Secret entry (default key ca.crt) with the CA bundle. Not with caBundle."),
    ),
    clientCertSecretRef: Type.Optional(
      SecretKeySelector("Secret entry with a PEM client certificate for mTLS."),
    ),
    clientKeySecretRef: Type.Optional(SecretKeySelector("Secret entry with the PEM client key for mTLS.")),
    auth: VaultAuthSchema,
  },
  { description: "Sign certificates with a HashiCorp Vault (or OpenBao) PKI secrets engine." },
);
export type VaultIssuer = Static<typeof VaultIssuerSchema>;

export const VenafiIssuerSchema = Type.Object(
  {
    zone: Type.String({ description: "Policy zone that all requests from this issuer are subject to." }),
    tpp: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            description: "Base URL of the self-hosted API, e.g. https://tpp.example.com/vedsdk.",
          }),
          credentialsRef: LocalObjectReference(
            "Secret with access-token, or username and password, for the self-hosted API.",
          ),
          caBundle: Type.Optional(
            Bytes("PEM CA bundle (base64) for verifying the server's TLS certificate."),
          ),
          caBundleSecretRef: Type.Optional(
            SecretKeySelector("Secret entry with the CA bundle. Not with caBundle."),
          ),
        },
        { description: "Self-hosted Certificate Manager (TPP)." },
      ),
    ),
    cloud: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(
            Type.String({ description: "Base URL of the SaaS API; defaults to https://api.venafi.cloud/." }),
          ),
          apiTokenSecretRef: SecretKeySelector("Secret entry holding the SaaS API key."),
        },
        { description: "Certificate Manager SaaS (Venafi Cloud)." },
      ),
    ),
    ngts: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(Type.String({ description: "Base URL of the NGTS API." })),
          tokenEndpoint: Type.Optional(
            Type.String({ description: "OAuth token endpoint for the client credentials." }),
          ),
          tsgID: Type.Optional(Type.String({ description: "Tenant service group ID." })),
          credentialsRef: LocalObjectReference("Secret with client-id and client-secret."),
        },
        { description: "Next-generation trust service (NGTS)." },
      ),
    ),
  },
  {
    description:
      "Sign certificates with CyberArk (Venafi) Certificate Manager. Set exactly one of tpp, cloud and ngts.",
    "x-kubernetes-validations": [
      {
        rule: "(has(self.tpp) ? 1 : 0) + (has(self.cloud) ? 1 : 0) + (has(self.ngts) ? 1 : 0) == 1",
        message: "exactly one of tpp, cloud or ngts must be set",
      },
    ],
  },
);
export type VenafiIssuer = Static<typeof VenafiIssuerSchema>;

export const IssuerSpecSchema = Type.Object(
  {
    acme: Type.Optional(ACMEIssuerSchema),
    ca: Type.Optional(CAIssuerSchema),
    vault: Type.Optional(VaultIssuerSchema),
    selfSigned: Type.Optional(SelfSignedIssuerSchema),
    venafi: Type.Optional(VenafiIssuerSchema),
  },
  { description: "Issuer configuration: set exactly one of acme, ca, vault, selfSigned and venafi." },
);
export type IssuerSpec = Static<typeof IssuerSpecSchema>;

export const IssuerConditionSchema = Condition(["Ready"], true);
export type IssuerCondition = Static<typeof IssuerConditionSchema>;

export const IssuerStatusSchema = Type.Object(
  {
    conditions: Type.Optional(
      Conditions(IssuerConditionSchema, "Current conditions; the known type is Ready."),
    ),
    acme: Type.Optional(ACMEIssuerStatusSchema),
  },
  { description: "Observed state of the issuer, written by the controller." },
);
export type IssuerStatus = Static<typeof IssuerStatusSchema>;
