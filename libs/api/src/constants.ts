/**
 * API names, annotation and label keys, finalizers and Secret keys of the cert-manager API.
 * Other packages import these instead of writing the strings themselves.
 */

export const CERT_MANAGER_GROUP = "cert-manager.io";
export const ACME_GROUP = "acme.cert-manager.io";
export const API_VERSION = "v1";
export const CERT_MANAGER_API_VERSION = `${CERT_MANAGER_GROUP}/${API_VERSION}` as const;
export const ACME_API_VERSION = `${ACME_GROUP}/${API_VERSION}` as const;

/** API group/version of the DNS-01 webhook solver payload (ChallengePayload). */
export const ACME_WEBHOOK_API_VERSION = "webhook.acme.cert-manager.io/v1alpha1";

export type KindName =
  "Certificate" | "CertificateRequest" | "Issuer" | "ClusterIssuer" | "Order" | "Challenge";

/** Naming and scope of one resource type, as served by the API server. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly kind: KindName;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly namespaced: boolean;
}

function info(
  group: string,
  kind: KindName,
  plural: string,
  shortNames: readonly string[],
  namespaced: boolean,
): ResourceInfo {
  const categories = group === ACME_GROUP ? ["cert-manager", "cert-manager-acme"] : ["cert-manager"];
  return {
    group,
    version: API_VERSION,
    apiVersion: `${group}/${API_VERSION}`,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    categories,
    namespaced,
  };
}

export const Resources: { readonly [K in KindName]: ResourceInfo } = {
  Certificate: info(CERT_MANAGER_GROUP, "Certificate", "certificates", ["cert", "certs"], true),
  CertificateRequest: info(
    CERT_MANAGER_GROUP,
    "CertificateRequest",
    "certificaterequests",
    ["cr", "crs"],
    true,
  ),
  Issuer: info(CERT_MANAGER_GROUP, "Issuer", "issuers", ["iss"], true),
  ClusterIssuer: info(CERT_MANAGER_GROUP, "ClusterIssuer", "clusterissuers", ["ciss"], false),
  Order: info(ACME_GROUP, "Order", "orders", [], true),
  Challenge: info(ACME_GROUP, "Challenge", "challenges", [], true),
};

export const ISSUER_KIND = "Issuer";
export const CLUSTER_ISSUER_KIND = "ClusterIssuer";

/** Annotation keys read or written by cert-manager components. */
export const Annotations = {
  // Certificate details written on the issued Secret (and certificate-name on CertificateRequests).
  CertificateName: "cert-manager.io/certificate-name",
  IssuerName: "cert-manager.io/issuer-name",
  IssuerKind: "cert-manager.io/issuer-kind",
  IssuerGroup: "cert-manager.io/issuer-group",
  CommonName: "cert-manager.io/common-name",
  AltNames: "cert-manager.io/alt-names",
  IPSANs: "cert-manager.io/ip-sans",
  URISANs: "cert-manager.io/uri-sans",
  EmailSANs: "cert-manager.io/email-sans",
  SubjectOrganizations: "cert-manager.io/subject-organizations",
  SubjectOrganizationalUnits: "cert-manager.io/subject-organizationalunits",
  SubjectCountries: "cert-manager.io/subject-countries",
  SubjectProvinces: "cert-manager.io/subject-provinces",
  SubjectLocalities: "cert-manager.io/subject-localities",
  SubjectPostalCodes: "cert-manager.io/subject-postalcodes",
  SubjectStreetAddresses: "cert-manager.io/subject-streetaddresses",
  SubjectSerialNumber: "cert-manager.io/subject-serialnumber",

  // CertificateRequest bookkeeping.
  CertificateRevision: "cert-manager.io/certificate-revision",
  PrivateKeySecretName: "cert-manager.io/private-key-secret-name",

  // User-set on a Certificate.
  IssueTemporaryCertificate: "cert-manager.io/issue-temporary-certificate",

  // cainjector.
  AllowDirectInjection: "cert-manager.io/allow-direct-injection",
  InjectCAFrom: "cert-manager.io/inject-ca-from",
  InjectCAFromSecret: "cert-manager.io/inject-ca-from-secret",
  InjectAPIServerCA: "cert-manager.io/inject-apiserver-ca",

  // ingress-shim / gateway-shim (IssuerKind, IssuerGroup, CommonName, AltNames, IPSANs, EmailSANs and
  // the Subject* keys above are read there too).
  Issuer: "cert-manager.io/issuer",
  ClusterIssuer: "cert-manager.io/cluster-issuer",
  Duration: "cert-manager.io/duration",
  RenewBefore: "cert-manager.io/renew-before",
  RenewBeforePercentage: "cert-manager.io/renew-before-percentage",
  Usages: "cert-manager.io/usages",
  RevisionHistoryLimit: "cert-manager.io/revision-history-limit",
  PrivateKeyAlgorithm: "cert-manager.io/private-key-algorithm",
  PrivateKeyEncoding: "cert-manager.io/private-key-encoding",
  PrivateKeySize: "cert-manager.io/private-key-size",
  PrivateKeyRotationPolicy: "cert-manager.io/private-key-rotation-policy",
  SecretTemplate: "cert-manager.io/secret-template",
  IgnoreTLSListeners: "cert-manager.io/ignore-tls-listeners",
  /** Default auto-certificate annotation (`--auto-certificate-annotations`). */
  TLSACME: "kubernetes.io/tls-acme",
  IngressClass: "kubernetes.io/ingress.class",

  // ACME HTTP-01 helpers (on Ingress/Gateway, copied to Certificate, read by the order controller).
  ACMEHTTP01EditInPlace: "acme.cert-manager.io/http01-edit-in-place",
  ACMEHTTP01IngressClass: "acme.cert-manager.io/http01-ingress-class",
  ACMEHTTP01IngressIngressClassName: "acme.cert-manager.io/http01-ingress-ingressclassname",
  ACMEHTTP01OverrideIngressName: "acme.cert-manager.io/http01-override-ingress-name",
  ACMEHTTP01OverrideIngressClass: "acme.cert-manager.io/http01-override-ingress-class",
  ACMEHTTP01OverrideIngressIngressClassName: "acme.cert-manager.io/http01-override-ingress-ingressclassname",
  ACMEHTTP01ParentRefName: "acme.cert-manager.io/http01-parentrefname",
  ACMEHTTP01ParentRefKind: "acme.cert-manager.io/http01-parentrefkind",
  ACMEHTTP01ParentRefNamespace: "acme.cert-manager.io/http01-parentrefnamespace",
  ACMEHTTP01ParentRefFallback: "acme.cert-manager.io/http01-parentreffallback",

  // Venafi.
  VenafiCustomFields: "venafi.cert-manager.io/custom-fields",
  VenafiPickupID: "venafi.cert-manager.io/pickup-id",

  // Experimental Kubernetes CertificateSigningRequest support.
  ExperimentalRequestDuration: "experimental.cert-manager.io/request-duration",
  ExperimentalRequestIsCA: "experimental.cert-manager.io/request-is-ca",
  ExperimentalPrivateKeySecretName: "experimental.cert-manager.io/private-key-secret-name",

  // Set on HTTP-01 solver pods, services and ingresses.
  IstioSidecarInject: "sidecar.istio.io/inject",
  ClusterAutoscalerSafeToEvict: "cluster-autoscaler.kubernetes.io/safe-to-evict",
  IstioAuthSolverPort: "auth.istio.io/8089",
  NginxWhitelistSourceRange: "nginx.ingress.kubernetes.io/whitelist-source-range",
} as const;

/** Annotation prefixes that may not be changed by users on CertificateRequests after creation. */
export const PROTECTED_ANNOTATION_PREFIXES = ["cert-manager.io/", "acme.cert-manager.io/"] as const;

/** Label keys read or written by cert-manager components. */
export const Labels = {
  /** "true" on Secrets the controller reads, so informers can filter to them. */
  ControllerFAO: "controller.cert-manager.io/fao",
  /** "true" on Secrets holding the private key for the next issuance. */
  NextPrivateKey: "cert-manager.io/next-private-key",
  /** On namespaces: "true" excludes them from the validating webhook. */
  DisableValidation: "cert-manager.io/disable-validation",
  /** adler32 of the challenge domain, on HTTP-01 solver resources. */
  ACMEHTTPDomain: "acme.cert-manager.io/http-domain",
  /** adler32 of the challenge token, on HTTP-01 solver resources. */
  ACMEHTTPToken: "acme.cert-manager.io/http-token",
  /** "true" on HTTP-01 solver resources. */
  ACMEHTTP01Solver: "acme.cert-manager.io/http01-solver",
  ManagedBy: "app.kubernetes.io/managed-by",
} as const;

/** Finalizer the challenge controller puts on Challenges, and its legacy spelling (migrated on sight). */
export const ACME_CHALLENGE_FINALIZER = "acme.cert-manager.io/finalizer";
export const LEGACY_ACME_CHALLENGE_FINALIZER = "finalizer.acme.cert-manager.io";

/** Data keys of the Secrets cert-manager writes and reads. */
export const SecretKeys = {
  TLSCert: "tls.crt",
  TLSKey: "tls.key",
  CACert: "ca.crt",
  KeyDER: "key.der",
  CombinedPEM: "tls-combined.pem",
  KeystoreJKS: "keystore.jks",
  TruststoreJKS: "truststore.jks",
  KeystorePKCS12: "keystore.p12",
  TruststorePKCS12: "truststore.p12",
  VaultToken: "token",
} as const;

export const SECRET_TYPE_TLS = "kubernetes.io/tls";
