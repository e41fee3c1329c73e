/**
 * Condition types, condition reasons and the fixed condition messages of the cert-manager API.
 * Reasons are part of the API: users and tools match on them, so they never change spelling.
 */

/** Condition types. */
export const ConditionType = {
  /** Certificate: the Secret holds an up-to-date, valid certificate. CertificateRequest: signed. Issuer: usable. */
  Ready: "Ready",
  /** Certificate: a (re-)issuance is in progress. */
  Issuing: "Issuing",
  /** CertificateRequest: an approver allowed the request to be signed (only ever True). */
  Approved: "Approved",
  /** CertificateRequest: an approver refused the request; terminal (only ever True). */
  Denied: "Denied",
  /** CertificateRequest: the signer refuses the request as invalid; terminal. */
  InvalidRequest: "InvalidRequest",
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

/** Condition status values. */
export const ConditionStatusValue = {
  /** The condition holds. */
  True: "True",
  /** The condition does not hold. */
  False: "False",
  /** It is not known whether the condition holds. */
  Unknown: "Unknown",
} as const;

/** Reasons on Certificate Ready and Issuing conditions (the trigger and readiness policy chains). */
export const CertificateReason = {
  /** Ready=True: the certificate is valid and matches the spec. */
  Ready: "Ready",
  /** The target Secret does not exist. */
  DoesNotExist: "DoesNotExist",
  /** The target Secret lacks data, tls.crt or tls.key. */
  MissingData: "MissingData",
  /** The private key cannot be decoded or does not match the certificate. */
  InvalidKeyPair: "InvalidKeyPair",
  /** The certificate cannot be decoded, or an issued certificate failed verification. */
  InvalidCertificate: "InvalidCertificate",
  /** The current CertificateRequest cannot be decoded. */
  InvalidCertificateRequest: "InvalidCertificateRequest",
  /** The stored key or certificate does not match the spec or the current request. */
  SecretMismatch: "SecretMismatch",
  /** The Secret was issued by a different issuer than spec.issuerRef. */
  IncorrectIssuer: "IncorrectIssuer",
  /** The Secret belongs to another Certificate. */
  IncorrectCertificate: "IncorrectCertificate",
  /** The spec changed since the current CertificateRequest was made. */
  RequestChanged: "RequestChanged",
  /** Ready=False: the certificate has expired. */
  Expired: "Expired",
  /** Renewal windows could not be evaluated; renewal proceeds without them. */
  WindowError: "WindowError",
  /** Issuing=True: the renewal time has been reached. */
  Renewing: "Renewing",
  /** Issuing=True set by a user or tool (cmctl renew). */
  ManuallyTriggered: "ManuallyTriggered",
  /** Issuing=False after success (server-side apply mode). */
  Issued: "Issued",
  /** Issuing=False: the CertificateRequest failed. */
  Failed: "Failed",
  /** Issuing=False: the CertificateRequest was denied. */
  Denied: "Denied",
} as const;

/** Reasons on CertificateRequest conditions. */
export const CertificateRequestReason = {
  /** Ready=False: waiting for the issuer to sign. */
  Pending: "Pending",
  /** Ready=False: signing failed; terminal, sets failureTime. */
  Failed: "Failed",
  /** Ready=True: the certificate has been issued. */
  Issued: "Issued",
  /** Ready=False: the request was denied; terminal, sets failureTime. */
  Denied: "Denied",
  /** Approved=True set by cert-manager's internal approver. */
  ApprovedByCertManager: "cert-manager.io",
  /** Default reason cmctl approve/deny use. */
  KubectlCertManager: "KubectlCertManager",
  /** Pending: the referenced issuer does not exist. */
  IssuerNotFound: "IssuerNotFound",
  /** Pending: the referenced issuer is not Ready. */
  IssuerNotReady: "IssuerNotReady",
  /** Pending: the issuer has no type configured. */
  IssuerTypeMissing: "IssuerTypeMissing",
  /** Pending (CA): the CA Secret does not exist. */
  SecretMissing: "SecretMissing",
  /** Pending (CA): the CA Secret holds invalid data. */
  SecretInvalidData: "SecretInvalidData",
  /** Pending (CA): reading the CA Secret failed. */
  SecretGetError: "SecretGetError",
  /** Pending (ACME): an Order was created. */
  OrderCreated: "OrderCreated",
  /** Pending (ACME): waiting for the Order to complete. */
  OrderPending: "OrderPending",
  /** Pending (ACME): creating the Order failed. */
  OrderCreatingError: "OrderCreatingError",
  /** Pending (ACME): reading the Order failed. */
  OrderGetError: "OrderGetError",
  /** Failed: the CSR could not be parsed. */
  RequestParsingError: "RequestParsingError",
  /** Failed (ACME): the request cannot become a valid Order (e.g. CN not among the SANs). */
  InvalidOrder: "InvalidOrder",
  /** Failed (ACME): the Order reached a failed state. */
  OrderFailed: "OrderFailed",
  /** Failed: the signer returned an error. */
  SigningError: "SigningError",
  /** Failed: the signed certificate could not be decoded. */
  DecodeError: "DecodeError",
  /** Failed (SelfSigned): the private-key-secret-name annotation is missing. */
  MissingAnnotation: "MissingAnnotation",
  /** Failed (SelfSigned): the referenced private key does not match the CSR. */
  ErrorKeyMatch: "ErrorKeyMatch",
} as const;

/** Reasons on Issuer and ClusterIssuer Ready conditions. */
export const IssuerReason = {
  /** ACME: the account is registered and verified. */
  ACMEAccountRegistered: "ACMEAccountRegistered",
  /** ACME: registering the account failed. */
  ErrRegisterACMEAccount: "ErrRegisterACMEAccount",
  /** ACME: verifying the existing account failed. */
  ErrVerifyACMEAccount: "ErrVerifyACMEAccount",
  /** ACME: updating the account contact failed. */
  ErrUpdateACMEAccount: "ErrUpdateACMEAccount",
  /** The issuer configuration is invalid. */
  InvalidConfig: "InvalidConfig",
  /** ACME: the server URL is invalid. */
  InvalidURL: "InvalidURL",
  /** CA: the signing key pair is present and the certificate is a CA. */
  KeyPairVerified: "KeyPairVerified",
  /** CA: the key pair Secret could not be read. */
  ErrGetKeyPair: "ErrGetKeyPair",
  /** CA: the key pair is invalid or the certificate is not a CA. */
  ErrInvalidKeyPair: "ErrInvalidKeyPair",
  /** SelfSigned: always ready. */
  IsReady: "IsReady",
  /** Vault: the server is initialized, unsealed and the credentials work. */
  VaultVerified: "VaultVerified",
  /** Vault: the server or the credentials could not be verified. */
  VaultError: "VaultError",
  /** Venafi: the client connected successfully (reason and message are the same text). */
  VenafiStarted: "Certificate Manager issuer started",
  /** Venafi: authentication failed. */
  AuthFailed: "AuthFailed",
  /** Venafi: setting up the client failed. */
  ErrorSetup: "ErrorSetup",
  /** Event reason when issuer setup fails. */
  ErrInitIssuer: "ErrInitIssuer",
} as const;

/** Fixed condition messages. */
export const ConditionMessage = {
  /** Certificate Ready=True. */
  CertificateUpToDate: "Certificate is up to date and has not expired",
  /** CertificateRequest Ready=True/Issued. */
  CertificateIssued: "Certificate fetched from issuer successfully",
  /** CertificateRequest Approved=True by the internal approver. */
  ApprovedByCertManager: "Certificate request has been approved by cert-manager.io",
  /** CertificateRequest Ready=False/Denied. */
  RequestDenied: "The CertificateRequest was denied by an approval controller",
  /** Certificate Issuing=True/ManuallyTriggered (cmctl renew). */
  ManuallyTriggered: "Certificate re-issuance manually triggered",
  /** Prefix of the Certificate Issuing=False message after a failed request; the cause follows. */
  IssuanceFailedPrefix: "The certificate request has failed to complete and will be retried: ",
  /** Issuer Ready=True/KeyPairVerified. */
  SigningCAVerified: "Signing CA verified",
  /** Issuer Ready=True for Venafi. */
  VenafiStarted: "Certificate Manager issuer started",
  /** Event message when a Certificate was issued. */
  CertificateIssuedEvent: "The certificate has been successfully issued",
} as const;
