import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { promisify } from "node:util";
import * as der from "./der.ts";
import { KeyMismatchError, KeySpecError, PrivateKeyDecodeError } from "./errors.ts";
import { BytesMemo } from "./memo.ts";
import { asText, decodePEM, encodePEM } from "./pem.ts";
import { decodeSPKI, spkiFromJWK } from "./spki.ts";
import type { KeyAlgorithm, KeyEncoding, PrivateKeySpecLike, SignatureAlgorithmName } from "./spec.ts";

/** Private keys are Node KeyObjects; PEM/DER only at the edges. */
export type PrivateKey = KeyObject;

const generateKeyPairAsync = promisify(generateKeyPair);

const CURVES: Record<number, string> = { 256: "prime256v1", 384: "secp384r1", 521: "secp521r1" };
const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

function specAlgorithm(spec: PrivateKeySpecLike | undefined): KeyAlgorithm {
  return spec?.algorithm ?? "RSA";
}

/** Generates a key as cert-manager does: RSA 2048–8192 (default 2048), ECDSA P-256/384/521 (default 256), Ed25519. */
export async function generatePrivateKey(spec?: PrivateKeySpecLike): Promise<PrivateKey> {
  const key = await generate(spec);
  consistentKeys.add(key);
  return key;
}

async function generate(spec?: PrivateKeySpecLike): Promise<PrivateKey> {
  const algorithm = specAlgorithm(spec);
  const size = spec?.size ?? 0;
  switch (algorithm) {
    case "RSA": {
      const bits = size || 2048;
      if (!Number.isInteger(bits) || bits < 2048 || bits > 8192) {
        throw new KeySpecError(`unsupported RSA key size ${bits}: must be between 2048 and 8192`);
      }
      return (await generateKeyPairAsync("rsa", { modulusLength: bits, publicExponent: 65537 })).privateKey;
    }
    case "ECDSA": {
      const namedCurve = CURVES[size || 256];
      if (!namedCurve) throw new KeySpecError(`unsupported ECDSA key size ${size}: must be 256, 384 or 521`);
      return (await generateKeyPairAsync("ec", { namedCurve })).privateKey;
    }
    case "Ed25519":
      return (await generateKeyPairAsync("ed25519")).privateKey;
    default:
      throw new KeySpecError(`unsupported private key algorithm "${String(algorithm)}"`);
  }
}

// KeyObject getters cross into C++ and allocate on every call; keys are immutable, so memoise.
const described = new WeakMap<KeyObject, Readonly<{ algorithm: KeyAlgorithm; size: number }>>();

/** The key's algorithm and size in cert-manager terms (RSA modulus bits, ECDSA curve bits, Ed25519 0). */
export function describeKey(key: KeyObject): Readonly<{ algorithm: KeyAlgorithm; size: number }> {
  let d = described.get(key);
  if (!d) {
    d = describeUncached(key);
    described.set(key, d);
  }
  return d;
}

function describeUncached(key: KeyObject): Readonly<{ algorithm: KeyAlgorithm; size: number }> {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { algorithm: "RSA", size: details.modulusLength ?? 0 };
    case "ec": {
      const size = CURVE_BITS[details.namedCurve ?? ""];
      if (!size) throw new KeySpecError(`unsupported elliptic curve ${details.namedCurve ?? "(unknown)"}`);
      return { algorithm: "ECDSA", size };
    }
    case "ed25519":
      return { algorithm: "Ed25519", size: 0 };
    default:
      throw new KeySpecError(`unsupported key type ${key.asymmetricKeyType ?? "(none)"}`);
  }
}

/**
 * PEM as written to tls.key. PKCS1 means `RSA PRIVATE KEY` (RSA) / `EC PRIVATE KEY` (SEC 1);
 * PKCS8 means `PRIVATE KEY`; Ed25519 is always PKCS#8.
 */
export function encodePrivateKey(key: PrivateKey, encoding: KeyEncoding = "PKCS1"): string {
  const { algorithm } = describeKey(key);
  let type: "pkcs8" | "pkcs1" | "sec1";
  if (encoding === "PKCS8" || algorithm === "Ed25519") type = "pkcs8";
  else if (encoding !== "PKCS1")
    throw new KeySpecError(`unsupported private key encoding "${String(encoding)}"`);
  else type = algorithm === "RSA" ? "pkcs1" : "sec1";
  const der = key.export({ type, format: "der" });
  const label = PEM_LABEL[type];
  // What we encode is what we will read back (the next-key Secret, tls.key): remember the pair.
  parsedKeys.set(BytesMemo.key(der, label), key);
  return encodePEM(label, der);
}

const PEM_LABEL = { pkcs8: "PRIVATE KEY", pkcs1: "RSA PRIVATE KEY", sec1: "EC PRIVATE KEY" } as const;

/** Decoded private keys by PEM type and DER (see BytesMemo). */
const parsedKeys = new BytesMemo<KeyObject>(4096);

const KEY_LABELS = new Set(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]);

/** Decodes the first PEM block of tls.key (PKCS#1, SEC 1 or PKCS#8; RSA, ECDSA or Ed25519). */
export function parsePrivateKey(pem: string | Uint8Array): PrivateKey {
  const block = decodePEM(asText(pem))[0];
  if (!block) throw new PrivateKeyDecodeError("error decoding private key PEM block: no PEM data found");
  if (!KEY_LABELS.has(block.type)) {
    throw new PrivateKeyDecodeError(`unknown private key PEM block type "${block.type}"`);
  }
  const memoKey = BytesMemo.key(block.der, block.type);
  const known = parsedKeys.get(memoKey);
  if (known) return known;
  let key: KeyObject;
  try {
    const type = block.type === "PRIVATE KEY" ? "pkcs8" : block.type === "RSA PRIVATE KEY" ? "pkcs1" : "sec1";
    key = createPrivateKey({ key: block.der, format: "der", type });
  } catch (err) {
    throw new PrivateKeyDecodeError(`error parsing ${block.type}: ${(err as Error).message}`, { cause: err });
  }
  try {
    describeKey(key);
  } catch (err) {
    throw new PrivateKeyDecodeError((err as Error).message, { cause: err });
  }
  return parsedKeys.set(memoKey, key);
}

/** DER bytes of the first PEM block of tls.key, i.e. the Secret's `key.der` (same encoding as tls.key). */
export function keyDER(keyPEM: string | Uint8Array): Buffer {
  const block = decodePEM(asText(keyPEM))[0];
  if (!block) throw new PrivateKeyDecodeError("error decoding private key PEM block: no PEM data found");
  return block.der;
}

/**
 * Which of spec.privateKey's algorithm/size the key violates (empty = matches). Encoding is not
 * compared, as in cert-manager's SecretMismatch check.
 */
export function keySpecViolations(key: KeyObject, spec: PrivateKeySpecLike | undefined): string[] {
  const want = specAlgorithm(spec);
  const got = describeKey(key);
  if (got.algorithm !== want) return ["spec.privateKey.algorithm"];
  if (want === "RSA" && got.size !== (spec?.size || 2048)) return ["spec.privateKey.size"];
  if (want === "ECDSA" && got.size !== (spec?.size || 256)) return ["spec.privateKey.size"];
  return [];
}

export const keyMatchesSpec = (key: KeyObject, spec: PrivateKeySpecLike | undefined): boolean =>
  keySpecViolations(key, spec).length === 0;

const spkiCache = new WeakMap<KeyObject, Buffer>();

/** SubjectPublicKeyInfo DER of a private or public key (or an SPKI passed through). */
export function spkiDER(key: KeyObject | Uint8Array): Buffer {
  if (key instanceof Uint8Array) return Buffer.from(key);
  let spki = spkiCache.get(key);
  if (!spki) {
    const pub = key.type === "private" ? createPublicKey(key) : key;
    spki = spkiFromJWK(pub.export({ format: "jwk" }));
    spkiCache.set(key, spki);
  }
  return spki;
}

/** Compares SubjectPublicKeyInfo DER. Accepts private keys, public keys or SPKI bytes. */
export function publicKeysEqual(a: KeyObject | Uint8Array, b: KeyObject | Uint8Array): boolean {
  return spkiDER(a).equals(spkiDER(b));
}

// ---------------------------------------------------------------- signature algorithms

interface SigAlg {
  readonly name: SignatureAlgorithmName;
  readonly oid: string;
  readonly key: KeyAlgorithm;
  readonly hash: string | null;
}

const SIG_ALGS: readonly SigAlg[] = [
  { name: "SHA256WithRSA", oid: "1.2.840.113549.1.1.11", key: "RSA", hash: "sha256" },
  { name: "SHA384WithRSA", oid: "1.2.840.113549.1.1.12", key: "RSA", hash: "sha384" },
  { name: "SHA512WithRSA", oid: "1.2.840.113549.1.1.13", key: "RSA", hash: "sha512" },
  { name: "ECDSAWithSHA256", oid: "1.2.840.10045.4.3.2", key: "ECDSA", hash: "sha256" },
  { name: "ECDSAWithSHA384", oid: "1.2.840.10045.4.3.3", key: "ECDSA", hash: "sha384" },
  { name: "ECDSAWithSHA512", oid: "1.2.840.10045.4.3.4", key: "ECDSA", hash: "sha512" },
  { name: "PureEd25519", oid: "1.3.101.112", key: "Ed25519", hash: null },
];
const BY_NAME = new Map(SIG_ALGS.map((a) => [a.name, a]));
const BY_OID = new Map(SIG_ALGS.map((a) => [a.oid, a]));

/** cert-manager name for a signature OID, or the OID itself when unknown. */
export const signatureAlgorithmName = (oid: string): string => BY_OID.get(oid)?.name ?? oid;

/** Default signature algorithm for a key: RSA ≥4096→SHA512, ≥3072→SHA384, else SHA256; curve-matched SHA for ECDSA. */
export function defaultSignatureAlgorithm(key: KeyObject): SignatureAlgorithmName {
  const { algorithm, size } = describeKey(key);
  if (algorithm === "RSA")
    return size >= 4096 ? "SHA512WithRSA" : size >= 3072 ? "SHA384WithRSA" : "SHA256WithRSA";
  if (algorithm === "ECDSA")
    return size === 521 ? "ECDSAWithSHA512" : size === 384 ? "ECDSAWithSHA384" : "ECDSAWithSHA256";
  return "PureEd25519";
}

/** Resolves a requested (or the default) signature algorithm and checks it fits the key. */
export function signatureAlgorithmFor(
  key: KeyObject,
  requested?: SignatureAlgorithmName,
): SignatureAlgorithmName {
  if (!requested) return defaultSignatureAlgorithm(key);
  const alg = BY_NAME.get(requested);
  const { algorithm } = describeKey(key);
  if (!alg) throw new KeySpecError(`unsupported signature algorithm "${requested}"`);
  if (alg.key !== algorithm) {
    throw new KeySpecError(`signature algorithm ${requested} cannot be used with a ${algorithm} key`);
  }
  return requested;
}

/** AlgorithmIdentifier DER (RSA with NULL parameters, ECDSA/Ed25519 without). */
export function signatureAlgorithmIdentifier(name: SignatureAlgorithmName): Buffer {
  const alg = BY_NAME.get(name)!;
  return alg.key === "RSA" ? der.seq(der.oid(alg.oid), der.nul()) : der.seq(der.oid(alg.oid));
}

export function signWith(name: SignatureAlgorithmName, key: KeyObject, data: Buffer): Buffer {
  return sign(BY_NAME.get(name)!.hash, data, key);
}

/** Issuer keys verify many signatures, CSR keys a few each: keep them decoded. */
const publicKeys = new BytesMemo<KeyObject>(1024);

function publicKeyFromSPKI(spki: Buffer): KeyObject | undefined {
  const memoKey = BytesMemo.key(spki);
  let pub = publicKeys.get(memoKey);
  if (!pub) {
    const { jwk } = decodeSPKI(spki);
    if (!jwk) return undefined;
    pub = publicKeys.set(memoKey, createPublicKey({ key: jwk, format: "jwk" }));
  }
  return pub;
}

/** Verifies a signature made with `oid` by the key in `spki`. Unsupported algorithms (SHA-1, PSS) fail. */
export function verifySignature(oid: string, spki: Buffer, data: Buffer, signature: Buffer): boolean {
  const alg = BY_OID.get(oid);
  if (!alg) return false;
  try {
    const pub = publicKeyFromSPKI(spki);
    if (!pub || describeKey(pub).algorithm !== alg.key) return false;
    return verify(alg.hash, data, pub, signature);
  } catch {
    return false;
  }
}

/**
 * Keys known to make signatures their own public key verifies: generated here, or checked once
 * by signsForOwnPublicKey. (Keys are immutable, so the answer holds for the key's life.)
 */
const consistentKeys = new WeakSet<KeyObject>();

const PROBE = Buffer.from("certkeeper: does this private key sign for its public key?");

/**
 * Whether what `key` signs verifies with the public key it reports. Not a given for a key read
 * from elsewhere: an EC or Ed25519 key carries its public point alongside the private scalar,
 * and a corrupted or hand-assembled one can pair a scalar with another key's point. Such a key
 * passes every comparison of public keys, so trusting a signature because "the key matched"
 * needs this check first. One signature and one verification per distinct key.
 */
export function signsForOwnPublicKey(key: KeyObject): boolean {
  if (consistentKeys.has(key)) return true;
  let ok: boolean;
  try {
    const alg = BY_NAME.get(defaultSignatureAlgorithm(key))!;
    ok = verifySignature(alg.oid, spkiDER(key), PROBE, signWith(alg.name, key, PROBE));
  } catch {
    ok = false;
  }
  if (ok) consistentKeys.add(key);
  return ok;
}

/**
 * Throws KeyMismatchError unless `key` reports `spki` as its public key (see
 * signsForOwnPublicKey for whether its signatures then also verify).
 */
export function assertKeyMatches(key: KeyObject, spki: Buffer, what: string): void {
  if (!spkiDER(key).equals(spki))
    throw new KeyMismatchError(`private key does not match the public key of the ${what}`);
}
