/**
 * The slice of the Certificate spec this library reads. Structural on purpose: the API package's
 * Certificate spec type is assignable to it without this package importing the API.
 */

export type KeyAlgorithm = "RSA" | "ECDSA" | "Ed25519";
export type KeyEncoding = "PKCS1" | "PKCS8";
export type SignatureAlgorithmName =
  | "SHA256WithRSA"
  | "SHA384WithRSA"
  | "SHA512WithRSA"
  | "ECDSAWithSHA256"
  | "ECDSAWithSHA384"
  | "ECDSAWithSHA512"
  | "PureEd25519";

export interface PrivateKeySpecLike {
  /** Default "RSA". */
  readonly algorithm?: KeyAlgorithm | undefined;
  /** RSA: bits (default 2048, 2048–8192); ECDSA: 256 (default) | 384 | 521; ignored for Ed25519. */
  readonly size?: number | undefined;
  /** Default "PKCS1"; Ed25519 is always PKCS#8. */
  readonly encoding?: KeyEncoding | undefined;
}

export interface X509SubjectLike {
  readonly organizations?: readonly string[] | undefined;
  readonly countries?: readonly string[] | undefined;
  readonly organizationalUnits?: readonly string[] | undefined;
  readonly localities?: readonly string[] | undefined;
  readonly provinces?: readonly string[] | undefined;
  readonly streetAddresses?: readonly string[] | undefined;
  readonly postalCodes?: readonly string[] | undefined;
  readonly serialNumber?: string | undefined;
}

export interface NameConstraintItemsLike {
  readonly dnsDomains?: readonly string[] | undefined;
  /** CIDRs, e.g. "10.0.0.0/8". */
  readonly ipRanges?: readonly string[] | undefined;
  readonly emailAddresses?: readonly string[] | undefined;
  readonly uriDomains?: readonly string[] | undefined;
}

export interface NameConstraintsLike {
  readonly critical?: boolean | undefined;
  readonly permitted?: NameConstraintItemsLike | undefined;
  readonly excluded?: NameConstraintItemsLike | undefined;
}

export interface OtherNameLike {
  readonly oid: string;
  readonly utf8Value: string;
}

export interface CertificateSpecLike {
  readonly commonName?: string | undefined;
  /** RFC 4514 string used verbatim (order preserved); excludes commonName and subject. */
  readonly literalSubject?: string | undefined;
  readonly subject?: X509SubjectLike | undefined;
  readonly dnsNames?: readonly string[] | undefined;
  readonly ipAddresses?: readonly string[] | undefined;
  readonly uris?: readonly string[] | undefined;
  readonly emailAddresses?: readonly string[] | undefined;
  readonly otherNames?: readonly OtherNameLike[] | undefined;
  /** cert-manager usage strings ("digital signature", "server auth", ...). */
  readonly usages?: readonly string[] | undefined;
  readonly isCA?: boolean | undefined;
  readonly nameConstraints?: NameConstraintsLike | undefined;
  readonly privateKey?: PrivateKeySpecLike | undefined;
  readonly signatureAlgorithm?: SignatureAlgorithmName | undefined;
  /** Go duration string ("2160h", "1h30m") or milliseconds; default 90 days. */
  readonly duration?: string | number | undefined;
  /** Default true: put KeyUsage/ExtendedKeyUsage into the CSR. */
  readonly encodeUsagesInRequest?: boolean | undefined;
}

/** cert-manager's default certificate duration (2160h). */
export const DEFAULT_DURATION_MS = 90 * 24 * 3600 * 1000;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Parses a Go `time.Duration` string ("2160h0m0s", "1.5h", "90m") into milliseconds. */
export function durationMs(d: string | number | undefined): number {
  if (d === undefined || d === "") return DEFAULT_DURATION_MS;
  if (typeof d === "number") return d;
  if (d === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(d); m; m = re.exec(d)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== d.length) throw new RangeError(`invalid duration "${d}"`);
  return total;
}
