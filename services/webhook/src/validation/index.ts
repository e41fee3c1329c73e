/** The pure validators, one per kind: `(obj, oldObj?) → { errors, warnings }` (oldObj on UPDATE). */
import type { KindName, ObjectsByKind } from "@certkeeper/api";
import { validateChallenge, validateOrder } from "./acme.ts";
import { validateCertificate } from "./certificate.ts";
import { validateCertificateRequest } from "./certificaterequest.ts";
import type { ValidationResult } from "./field.ts";
import { validateClusterIssuer, validateIssuer } from "./issuer.ts";

export type Validator<K extends KindName> = (
  obj: ObjectsByKind[K],
  oldObj?: ObjectsByKind[K],
) => ValidationResult;

export const VALIDATORS: { readonly [K in KindName]: Validator<K> } = {
  Certificate: validateCertificate,
  CertificateRequest: validateCertificateRequest,
  Issuer: validateIssuer,
  ClusterIssuer: validateClusterIssuer,
  Order: validateOrder,
  Challenge: validateChallenge,
};

export * from "./field.ts";
export { validateCertificate, validateCertificateSpec, validateDuration } from "./certificate.ts";
export {
  validateCertificateRequest,
  validateApprovalConditions,
  validateApprovalConditionsUpdate,
} from "./certificaterequest.ts";
export { validateIssuer, validateClusterIssuer, validateIssuerSpec } from "./issuer.ts";
export { validateOrder, validateChallenge } from "./acme.ts";
export { DEPRECATED_EAB_KEY_ALGORITHM_WARNING } from "./acme-issuer.ts";
