/**
 * Certificate validation (create and update run the same checks), following cert-manager's
 * ValidateCertificateSpec: every problem is collected with its field path.
 */
import {
  CERT_MANAGER_GROUP,
  DEFAULT_CERTIFICATE_DURATION,
  KEY_USAGES,
  MAX_RSA_KEY_SIZE,
  MIN_RSA_KEY_SIZE,
  formatGoDurationNanos,
  parseGoDurationNanos,
  type Certificate,
  type CertificateSpec,
  type IssuerReference,
  type PrivateKeyAlgorithm,
  type SignatureAlgorithm,
} from "@certkeeper/api";
import { validateSANs, validateSubject } from "./certificate-identity.ts";
import { validateKeystores, validateRenewal, validateSecretTemplate } from "./certificate-output.ts";
import {
  Printed,
  child,
  duplicate,
  index,
  invalid,
  key,
  notSupported,
  required,
  type FieldError,
  type ValidationResult,
} from "./field.ts";
import { isDNS1123Subdomain } from "./meta.ts";

const HOUR_NS = 3_600_000_000_000n;
const MIN_DURATION_NS = HOUR_NS;
const MIN_RENEW_BEFORE_NS = 5n * 60_000_000_000n;

const ALLOWED_SIGNATURE_ALGORITHMS: Record<PrivateKeyAlgorithm, readonly SignatureAlgorithm[]> = {
  RSA: ["SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA"],
  ECDSA: ["ECDSAWithSHA256", "ECDSAWithSHA384", "ECDSAWithSHA512"],
  Ed25519: ["PureEd25519"],
};
const KNOWN_USAGES: ReadonlySet<string> = new Set(KEY_USAGES);

/** `issuerRef`: name required; for built-in issuers the kind must be Issuer or ClusterIssuer. */
export function validateIssuerRef(ref: Partial<IssuerReference> | undefined, specPath: string): FieldError[] {
  const errs: FieldError[] = [];
  const path = child(specPath, "issuerRef");
  if (!ref?.name) errs.push(required(child(path, "name"), "must be specified"));
  const group = ref?.group ?? "";
  const kind = ref?.kind ?? "";
  if (
    (group === "" || group === CERT_MANAGER_GROUP) &&
    kind !== "" &&
    kind !== "Issuer" &&
    kind !== "ClusterIssuer"
  ) {
    const kindPath = child(path, "kind");
    let msg = "must be one of Issuer or ClusterIssuer";
    if (group === "") msg += ` (did you forget to set ${child(kindPath, "group")}?)`;
    errs.push(invalid(kindPath, kind, msg));
  }
  return errs;
}

function validateKey(spec: CertificateSpec, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const pk = spec.privateKey;
  const size = pk?.size ?? 0;
  if (pk) {
    switch (pk.algorithm ?? "RSA") {
      case "RSA":
        if (size > 0 && (size < MIN_RSA_KEY_SIZE || size > MAX_RSA_KEY_SIZE)) {
          errs.push(
            invalid(
              child(p, "privateKey", "size"),
              size,
              `must be between ${MIN_RSA_KEY_SIZE} and ${MAX_RSA_KEY_SIZE} for rsa keyAlgorithm`,
            ),
          );
        }
        break;
      case "ECDSA":
        if (size > 0 && size !== 256 && size !== 384 && size !== 521) {
          errs.push(notSupported(child(p, "privateKey", "size"), size, ["256", "384", "521"]));
        }
        break;
      case "Ed25519":
        break;
      default:
        errs.push(
          invalid(
            child(p, "privateKey", "algorithm"),
            String(pk.algorithm),
            "must be either empty or one of rsa, ecdsa or ed25519",
          ),
        );
    }
  }
  if (spec.signatureAlgorithm) {
    const alg = (pk?.algorithm || "RSA") as PrivateKeyAlgorithm;
    const allowed = ALLOWED_SIGNATURE_ALGORITHMS[alg];
    if (allowed && !allowed.includes(spec.signatureAlgorithm)) {
      errs.push(
        invalid(
          child(p, "signatureAlgorithm"),
          spec.signatureAlgorithm,
          `for key algorithm ${alg} the allowed signature algorithms are [${allowed.join(" ")}]`,
        ),
      );
    }
  }
  return errs;
}

function nanos(value: string, path: string, errs: FieldError[]): bigint | undefined {
  try {
    return parseGoDurationNanos(value);
  } catch (err) {
    errs.push(invalid(path, value, (err as Error).message));
    return undefined;
  }
}

const fmt = (ns: bigint): string => formatGoDurationNanos(ns);

/** duration ≥ 1h (90 days when unset), renewBefore ≥ 5m and < duration, percentage bounds. */
export function validateDuration(spec: CertificateSpec, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const duration = nanos(spec.duration ?? DEFAULT_CERTIFICATE_DURATION, child(p, "duration"), errs);
  const renewBefore =
    spec.renewBefore === undefined ? undefined : nanos(spec.renewBefore, child(p, "renewBefore"), errs);
  const pct = spec.renewBeforePercentage;
  if (duration === undefined || (spec.renewBefore !== undefined && renewBefore === undefined)) return errs;
  if (duration < MIN_DURATION_NS) {
    errs.push(
      invalid(
        child(p, "duration"),
        new Printed(fmt(duration)),
        `certificate duration must be greater than ${fmt(MIN_DURATION_NS)}`,
      ),
    );
  }
  if (renewBefore !== undefined && pct !== undefined) {
    const msg = "renewBefore and renewBeforePercentage are mutually exclusive and cannot both be set";
    errs.push(invalid(child(p, "renewBefore"), new Printed(fmt(renewBefore)), msg));
    errs.push(invalid(child(p, "renewBeforePercentage"), pct, msg));
  }
  if (renewBefore !== undefined && renewBefore < MIN_RENEW_BEFORE_NS) {
    errs.push(
      invalid(
        child(p, "renewBefore"),
        new Printed(fmt(renewBefore)),
        `certificate renewBefore must be greater than ${fmt(MIN_RENEW_BEFORE_NS)}`,
      ),
    );
  }
  if (renewBefore !== undefined && renewBefore >= duration) {
    errs.push(
      invalid(
        child(p, "renewBefore"),
        new Printed(fmt(renewBefore)),
        `certificate duration ${fmt(duration)} must be greater than renewBefore ${fmt(renewBefore)}`,
      ),
    );
  }
  if (pct !== undefined) {
    // cert-manager derives the bound from (100 - percentage), in integer nanoseconds.
    const derived = (duration * BigInt(100 - Math.trunc(pct))) / 100n;
    if (derived < MIN_RENEW_BEFORE_NS) {
      errs.push(
        invalid(
          child(p, "renewBeforePercentage"),
          pct,
          `certificate renewBeforePercentage must result in a renewBefore greater than ${fmt(MIN_RENEW_BEFORE_NS)}`,
        ),
      );
    }
    if (derived >= duration) {
      errs.push(
        invalid(
          child(p, "renewBeforePercentage"),
          pct,
          "certificate renewBeforePercentage must result in a renewBefore less than duration",
        ),
      );
    }
  }
  return errs;
}

/** ValidateCertificateSpec: every rule, every error. */
export function validateCertificateSpec(spec: CertificateSpec, p = "spec"): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec.secretName) errs.push(required(child(p, "secretName"), "must be specified"));
  else
    for (const msg of isDNS1123Subdomain(spec.secretName))
      errs.push(invalid(child(p, "secretName"), spec.secretName, msg));
  errs.push(...validateIssuerRef(spec.issuerRef, p));
  errs.push(...validateSubject(spec, p));
  errs.push(...validateSANs(spec, p));
  errs.push(...validateKey(spec, p));
  if (
    spec.duration !== undefined ||
    spec.renewBefore !== undefined ||
    spec.renewBeforePercentage !== undefined
  ) {
    errs.push(...validateDuration(spec, p));
  }
  (spec.usages ?? []).forEach((u, i) => {
    if (!KNOWN_USAGES.has(u)) errs.push(invalid(index(child(p, "usages"), i), u, "unknown keyusage"));
  });
  if (spec.revisionHistoryLimit !== undefined && spec.revisionHistoryLimit < 1) {
    errs.push(
      invalid(child(p, "revisionHistoryLimit"), spec.revisionHistoryLimit, "must not be less than 1"),
    );
  }
  errs.push(...validateSecretTemplate(spec, p));
  if (spec.nameConstraints) {
    if (!spec.isCA)
      errs.push(
        invalid(
          child(p, "nameConstraints"),
          spec.nameConstraints,
          "isCa should be true when nameConstraints is set",
        ),
      );
    if (!spec.nameConstraints.permitted && !spec.nameConstraints.excluded) {
      errs.push(
        invalid(
          child(p, "nameConstraints"),
          spec.nameConstraints,
          "either permitted or excluded must be set",
        ),
      );
    }
  }
  const seen = new Set<string>();
  for (const f of spec.additionalOutputFormats ?? []) {
    if (seen.has(f.type)) errs.push(duplicate(key(child(p, "additionalOutputFormats"), "type"), f.type));
    seen.add(f.type);
  }
  errs.push(...validateKeystores(spec, p));
  errs.push(...validateRenewal(spec, p));
  return errs;
}

/** Create and update are validated alike; `oldObj` is accepted for a uniform signature. */
export function validateCertificate(obj: Certificate, _oldObj?: Certificate): ValidationResult {
  return { errors: validateCertificateSpec(obj.spec), warnings: [] };
}
