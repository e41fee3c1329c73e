import type { KeyObject } from "node:crypto";
import * as der from "./der.ts";
import { CSRError, PKIError } from "./errors.ts";
import {
  decodeExtensions,
  encodeBasicConstraints,
  encodeExtension,
  EXT,
  readExtensions,
  type DecodedExtensions,
  type RawExtension,
} from "./extensions.ts";
import {
  signatureAlgorithmFor,
  signatureAlgorithmIdentifier,
  signatureAlgorithmName,
  signsForOwnPublicKey,
  signWith,
  spkiDER,
  verifySignature,
} from "./keys.ts";
import { isEmptyName, parseName, subjectDER, type ParsedName } from "./names.ts";
import { encodeNameConstraints, encodeSANs } from "./sans.ts";
import { BytesMemo, freezeParsed } from "./memo.ts";
import { asText, decodePEM, encodePEM } from "./pem.ts";
import { decodeSPKI } from "./spki.ts";
import type { CertificateSpecLike } from "./spec.ts";
import { encodeExtKeyUsage, encodeKeyUsage, keyUsagesFor } from "./usages.ts";

const OID_EXTENSION_REQUEST = "1.2.840.113549.1.9.14";

export interface BuildCSROptions {
  /** Put BasicConstraints into the CSR. Default: only when spec.isCA (cert-manager gates it; off there by default). */
  readonly encodeBasicConstraints?: boolean;
  /** Honour spec.literalSubject (gate LiteralCertificateSubject, on by default). */
  readonly literalSubject?: boolean;
  /** Encode spec.otherNames (gate OtherNames, on by default). */
  readonly otherNames?: boolean;
  /** Encode spec.nameConstraints (gate NameConstraints, on by default). */
  readonly nameConstraints?: boolean;
}

/**
 * Builds and signs the PKCS#10 request the requestmanager puts into a CertificateRequest:
 * subject, SANs (critical when the subject is empty), KeyUsage/ExtKeyUsage from usages
 * (unless encodeUsagesInRequest is false), BasicConstraints, NameConstraints.
 */
export function buildCSR(spec: CertificateSpecLike, key: KeyObject, opts: BuildCSROptions = {}): string {
  const sigAlg = signatureAlgorithmFor(key, spec.signatureAlgorithm);
  const useLiteral = (opts.literalSubject ?? true) && !!spec.literalSubject;
  const subject = subjectDER(spec, useLiteral);
  const sans = encodeSANs(spec, opts.otherNames ?? true);
  const commonName = useLiteral ? parseName(der.readAll(subject)).commonName : (spec.commonName ?? "");
  if (commonName === "" && !sans) {
    throw new CSRError(
      "at least one of commonName (from the commonName field or from a literalSubject), dnsNames, emailSANs, ipAddresses, otherNames, or uriSANs must be set",
    );
  }
  const exts: Buffer[] = [];
  if (sans) exts.push(encodeExtension(EXT.subjectAltName, isEmptyName(subject), sans));
  if (spec.encodeUsagesInRequest ?? true) {
    const { keyUsage, extKeyUsages } = keyUsagesFor(spec.usages, spec.isCA);
    if (keyUsage !== 0) exts.push(encodeExtension(EXT.keyUsage, true, encodeKeyUsage(keyUsage)));
    if (extKeyUsages.length > 0)
      exts.push(encodeExtension(EXT.extKeyUsage, false, encodeExtKeyUsage(extKeyUsages)));
  }
  if (opts.encodeBasicConstraints ?? spec.isCA ?? false) {
    exts.push(encodeExtension(EXT.basicConstraints, true, encodeBasicConstraints(spec.isCA ?? false)));
  }
  const nc = (opts.nameConstraints ?? true) ? encodeNameConstraints(spec.nameConstraints) : undefined;
  if (nc) exts.push(encodeExtension(EXT.nameConstraints, spec.nameConstraints?.critical ?? false, nc));

  const attributes =
    exts.length > 0 ? [der.seq(der.oid(OID_EXTENSION_REQUEST), der.set(der.seq(...exts)))] : ([] as Buffer[]);
  const info = der.seq(der.int(0), subject, spkiDER(key), der.tlv(0xa0, ...attributes));
  const signature = signWith(sigAlg, key, info);
  const csrDER = der.seq(info, signatureAlgorithmIdentifier(sigAlg), der.bitString(signature));
  // Signed just now with `key`: whoever parses it next (request manager, signer) needs no verify,
  // provided the key signs for the public key the CSR carries (a mismatched tls.key does not).
  parsedCSRs.set(BytesMemo.key(csrDER), freezeParsed(parseCSRDER(csrDER, signsForOwnPublicKey(key))));
  return encodePEM("CERTIFICATE REQUEST", csrDER);
}

export interface ParsedCSR extends DecodedExtensions {
  readonly der: Buffer;
  readonly subject: ParsedName;
  /** SubjectPublicKeyInfo DER. */
  readonly publicKey: Buffer;
  readonly publicKeyAlgorithm: "RSA" | "ECDSA" | "Ed25519" | "unknown";
  readonly publicKeySize: number;
  /** cert-manager name ("ECDSAWithSHA256", ...) or the OID when unknown. */
  readonly signatureAlgorithm: string;
  readonly signatureValid: boolean;
  readonly extensions: readonly RawExtension[];
}

/** Decodes a PEM (or DER) PKCS#10 request into a plain object; never throws on a bad signature. */
export function parseCSR(input: string | Uint8Array): ParsedCSR {
  let bytes: Buffer;
  if (typeof input === "string" || asText(input).includes("-----BEGIN")) {
    const block = decodePEM(asText(input)).find((b) => b.type.endsWith("CERTIFICATE REQUEST"));
    if (!block) throw new CSRError("error decoding certificate request PEM block");
    bytes = block.der;
  } else {
    bytes = Buffer.from(input);
  }
  const memoKey = BytesMemo.key(bytes);
  return parsedCSRs.get(memoKey) ?? parsedCSRs.set(memoKey, freezeParsed(parseCSRDER(bytes)));
}

/** Decoded CSRs (signature checked once) by DER; results are frozen, as they are shared. */
const parsedCSRs = new BytesMemo<ParsedCSR>(2048);

/** `signedHere`: the signature was made by this process with the CSR's own key. */
function parseCSRDER(bytes: Buffer, signedHere = false): ParsedCSR {
  try {
    const root = der.readAll(bytes);
    const [info, algId, sig] = der.children(der.expect(root, 0x30, "CertificationRequest"));
    const [, subjectNode, spkiNode, attrs] = der.children(der.expect(info, 0x30, "CertificationRequestInfo"));
    const spki = Buffer.from(der.raw(der.expect(spkiNode, 0x30, "SubjectPublicKeyInfo")));
    const sigOid = der.readOID(der.children(der.expect(algId, 0x30, "AlgorithmIdentifier"))[0]!);
    let extensions: RawExtension[] = [];
    for (const attr of attrs && attrs.tag === 0xa0 ? der.children(attrs) : []) {
      const [typeNode, values] = der.children(attr);
      if (der.readOID(typeNode!) !== OID_EXTENSION_REQUEST) continue;
      const first = der.children(der.expect(values, 0x31, "attribute values"))[0];
      if (first) extensions = readExtensions(first);
    }
    const key = decodeSPKI(spki);
    return {
      der: bytes,
      subject: parseName(subjectNode!),
      publicKey: spki,
      publicKeyAlgorithm: key.algorithm,
      publicKeySize: key.size,
      signatureAlgorithm: signatureAlgorithmName(sigOid),
      signatureValid:
        signedHere || verifySignature(sigOid, spki, der.raw(info!), der.readBitString(sig!).bytes),
      extensions,
      ...decodeExtensions(extensions),
    };
  } catch (err) {
    if (err instanceof PKIError) throw err;
    throw new CSRError(`error decoding certificate request: ${(err as Error).message}`, { cause: err });
  }
}
