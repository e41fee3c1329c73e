/** Certificate subject and subject alternative names: the identity rules of ValidateCertificateSpec. */
import { MAX_COMMON_NAME_LENGTH, type CertificateSpec } from "@certkeeper/api";
import { child, index, invalid, required, tooLong, type FieldError } from "./field.ts";
import { emailAddressError, isCommonNameType, isDottedOID, isGoIP, parseLiteralSubject } from "./formats.ts";

function hasSubjectFields(s: CertificateSpec["subject"]): boolean {
  if (!s) return false;
  const lists = [
    s.organizations,
    s.countries,
    s.organizationalUnits,
    s.localities,
    s.provinces,
    s.streetAddresses,
    s.postalCodes,
  ];
  return lists.some((l) => (l?.length ?? 0) > 0) || (s.serialNumber ?? "").length > 0;
}
/** commonName, literalSubject and the "at least one identity" rule. */
export function validateSubject(spec: CertificateSpec, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let commonName = spec.commonName ?? "";
  if (spec.literalSubject) {
    if (commonName.length !== 0) {
      errs.push(
        invalid(
          child(p, "commonName"),
          commonName,
          "When providing a `LiteralSubject` no `commonName` may be provided.",
        ),
      );
    }
    if (hasSubjectFields(spec.subject)) {
      errs.push(
        invalid(
          child(p, "subject"),
          spec.subject ?? null,
          "When providing a `LiteralSubject` no `Subject` properties may be provided.",
        ),
      );
    }
    try {
      for (const atv of parseLiteralSubject(spec.literalSubject)) {
        if (isCommonNameType(atv.type)) commonName = atv.value;
        if (!atv.known) {
          errs.push(
            invalid(
              child(p, "literalSubject"),
              spec.literalSubject,
              `Literal subject contains unrecognized key with value [${atv.value}]`,
            ),
          );
        }
      }
    } catch (err) {
      errs.push(invalid(child(p, "literalSubject"), spec.literalSubject, (err as Error).message));
    }
  }
  const none = (l: readonly unknown[] | undefined): boolean => (l?.length ?? 0) === 0;
  if (
    commonName.length === 0 &&
    none(spec.dnsNames) &&
    none(spec.uris) &&
    none(spec.emailAddresses) &&
    none(spec.ipAddresses) &&
    none(spec.otherNames)
  ) {
    errs.push(
      invalid(
        p,
        "",
        "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailSANs, ipAddresses, otherNames, or uriSANs must be set",
      ),
    );
  }
  // The limit is in bytes (Go's len of a UTF-8 string), not characters.
  if (Buffer.byteLength(commonName, "utf8") > MAX_COMMON_NAME_LENGTH) {
    errs.push(tooLong(child(p, "commonName"), MAX_COMMON_NAME_LENGTH));
  }
  return errs;
}
export function validateSANs(spec: CertificateSpec, p: string): FieldError[] {
  const errs: FieldError[] = [];
  (spec.ipAddresses ?? []).forEach((ip, i) => {
    if (!isGoIP(ip)) errs.push(invalid(index(child(p, "ipAddresses"), i), ip, "invalid IP address"));
  });
  (spec.emailAddresses ?? []).forEach((email, i) => {
    const msg = emailAddressError(email);
    if (msg) errs.push(invalid(index(child(p, "emailAddresses"), i), email, msg));
  });
  (spec.otherNames ?? []).forEach((on, i) => {
    const path = index(child(p, "otherNames"), i);
    if (!on.oid) errs.push(required(child(path, "oid"), "must be specified"));
    if (!isDottedOID(on.oid ?? ""))
      errs.push(invalid(child(path, "oid"), on.oid ?? "", "invalid oid syntax"));
    // A lone surrogate has no UTF-8 encoding: Go would see invalid UTF-8 there.
    if (!on.utf8Value || /\p{Surrogate}/u.test(on.utf8Value)) {
      errs.push(required(child(path, "utf8Value"), "must be set to a valid non-empty UTF8 string"));
    }
  });
  return errs;
}
