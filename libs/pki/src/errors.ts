/**
 * Error catalogue of @certkeeper/pki. Callers branch with `instanceof` (or on `code`), never on
 * the message. Codes are stable:
 *
 * | code                          | class                  | meaning                                                   |
 * |-------------------------------|------------------------|-----------------------------------------------------------|
 * | CK_PKI_KEY_SPEC_UNSUPPORTED   | KeySpecError           | algorithm/size/signature algorithm not supported          |
 * | CK_PKI_PRIVATE_KEY_INVALID    | PrivateKeyDecodeError  | tls.key / key PEM cannot be decoded                        |
 * | CK_PKI_KEY_MISMATCH           | KeyMismatchError       | a private key does not belong to the CSR / certificate    |
 * | CK_PKI_SUBJECT_INVALID        | SubjectError           | literalSubject / names / SANs cannot be encoded           |
 * | CK_PKI_CSR_INVALID            | CSRError               | CSR undecodable, bad signature, or disagrees with request |
 * | CK_PKI_CERTIFICATE_INVALID    | CertificateDecodeError | certificate PEM/DER cannot be decoded                     |
 * | CK_PKI_SIGNING_FAILED         | SigningError           | a certificate could not be issued (e.g. empty validity)   |
 * | CK_PKI_CHAIN_INVALID          | ChainError             | bundle holds a certificate that does not chain            |
 * | CK_PKI_KEYSTORE_FAILED        | KeystoreError          | PKCS#12 / JKS could not be built                          |
 */
export abstract class PKIError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class KeySpecError extends PKIError {
  readonly code = "CK_PKI_KEY_SPEC_UNSUPPORTED";
}
export class PrivateKeyDecodeError extends PKIError {
  readonly code = "CK_PKI_PRIVATE_KEY_INVALID";
}
export class KeyMismatchError extends PKIError {
  readonly code = "CK_PKI_KEY_MISMATCH";
}
export class SubjectError extends PKIError {
  readonly code = "CK_PKI_SUBJECT_INVALID";
}
export class CSRError extends PKIError {
  readonly code = "CK_PKI_CSR_INVALID";
}
export class CertificateDecodeError extends PKIError {
  readonly code = "CK_PKI_CERTIFICATE_INVALID";
}
export class SigningError extends PKIError {
  readonly code = "CK_PKI_SIGNING_FAILED";
}
export class ChainError extends PKIError {
  readonly code = "CK_PKI_CHAIN_INVALID";
}
export class KeystoreError extends PKIError {
  readonly code = "CK_PKI_KEYSTORE_FAILED";
}

/** Runs a keystore encoder; any failure that is not already a KeystoreError becomes one. */
export function encodingKeystore<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KeystoreError) throw err;
    throw new KeystoreError(`error encoding ${what}: ${(err as Error).message}`, { cause: err });
  }
}
