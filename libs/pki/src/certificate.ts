import { createHash, type KeyObject } from "node:crypto";
import * as der from "./der.ts";
import { CertificateDecodeError, ChainError, PKIError } from "./errors.ts";
import { decodeExtensions, readExtensions, type DecodedExtensions } from "./extensions.ts";
import { signatureAlgorithmName, spkiDER, verifySignature } from "./keys.ts";
import { parseName, type ParsedName } from "./names.ts";
import { BytesMemo, freezeParsed } from "./memo.ts";
import { asText, decodePEM, encodePEM } from "./pem.ts";
import { decodeSPKI } from "./spki.ts";
import { CERT_SIGN_BIT } from "./usages.ts";

export interface ParsedCertificate extends DecodedExtensions {
  readonly der: Buffer;
  /** 1 or 3. */
  readonly version: number;
  /** Lower-case hex, no leading zeros. */
  readonly serialNumber: string;
  readonly subject: ParsedName;
  readonly issuer: ParsedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  readonly publicKey: Buffer;
  readonly publicKeyAlgorithm: "RSA" | "ECDSA" | "Ed25519" | "unknown";
  readonly publicKeySize: number;
  /** cert-manager name ("ECDSAWithSHA256", ...) or the OID when unknown. */
  readonly signatureAlgorithm: string;
  /** SHA-256 of the DER, lower-case hex. */
  readonly fingerprintSHA256: string;
  readonly signatureAlgorithmOID: string;
  readonly tbs: Buffer;
  readonly signature: Buffer;
}

/** Decodes one certificate from PEM (first CERTIFICATE block) or DER. */
export function parseCertificate(input: string | Uint8Array): ParsedCertificate {
  const text = asText(input);
  if (typeof input === "string" || text.includes("-----BEGIN")) {
    const block = decodePEM(text).find((b) => b.type === "CERTIFICATE");
    if (!block) throw new CertificateDecodeError("error decoding certificate PEM block");
    return parseCertificateDER(block.der);
  }
  return parseCertificateDER(Buffer.from(input));
}

/** Decoded certificates by DER; results are frozen, as they are shared. */
const parsedCertificates = new BytesMemo<ParsedCertificate>(4096);

function parseCertificateDER(bytes: Buffer): ParsedCertificate {
  const memoKey = BytesMemo.key(bytes);
  return (
    parsedCertificates.get(memoKey) ??
    parsedCertificates.set(memoKey, freezeParsed(parseCertificateDERUncached(bytes)))
  );
}

function parseCertificateDERUncached(bytes: Buffer): ParsedCertificate {
  try {
    const [tbsNode, algId, sig] = der.children(der.expect(der.readAll(bytes), 0x30, "Certificate"));
    const fields = der.children(der.expect(tbsNode, 0x30, "TBSCertificate"));
    const version = fields[0]?.tag === 0xa0 ? der.readInt(der.children(fields.shift()!)[0]!) + 1 : 1;
    const [serialNode, , issuerNode, validity, subjectNode, spkiNode, ...rest] = fields;
    const [nb, na] = der.children(der.expect(validity, 0x30, "Validity"));
    const extsNode = rest.find((n) => n.tag === 0xa3);
    const extensions = extsNode ? readExtensions(der.children(extsNode)[0]!) : [];
    const spki = Buffer.from(der.raw(der.expect(spkiNode, 0x30, "SubjectPublicKeyInfo")));
    const sigOid = der.readOID(der.children(der.expect(algId, 0x30, "AlgorithmIdentifier"))[0]!);
    const key = decodeSPKI(spki);
    return {
      der: bytes,
      version,
      serialNumber: der
        .readIntBytes(serialNode!)
        .toString("hex")
        .replace(/^0+(?=.)/, ""),
      subject: parseName(subjectNode!),
      issuer: parseName(issuerNode!),
      notBefore: der.readTime(nb!),
      notAfter: der.readTime(na!),
      publicKey: spki,
      publicKeyAlgorithm: key.algorithm,
      publicKeySize: key.size,
      signatureAlgorithm: signatureAlgorithmName(sigOid),
      signatureAlgorithmOID: sigOid,
      fingerprintSHA256: createHash("sha256").update(bytes).digest("hex"),
      tbs: Buffer.from(der.raw(tbsNode!)),
      signature: der.readBitString(sig!).bytes,
      ...decodeExtensions(extensions),
    };
  } catch (err) {
    if (err instanceof PKIError) throw err;
    throw new CertificateDecodeError(`error decoding certificate: ${(err as Error).message}`, { cause: err });
  }
}

function bundleDERs(pem: string | Uint8Array): Buffer[] {
  const blocks = decodePEM(asText(pem));
  const bad = blocks.find((b) => b.type !== "CERTIFICATE");
  if (bad)
    throw new CertificateDecodeError(`unexpected PEM block of type "${bad.type}" in certificate bundle`);
  if (blocks.length === 0)
    throw new CertificateDecodeError("error decoding certificate PEM block: no certificates found");
  return blocks.map((b) => b.der);
}

/** Every CERTIFICATE block of a bundle, re-encoded in canonical PEM. Other block types are an error. */
export const splitPEMBundle = (pem: string | Uint8Array): string[] =>
  bundleDERs(pem).map((d) => encodePEM("CERTIFICATE", d));

/** DER of every certificate in a PEM bundle (each must parse); with `unique`, repeats are dropped. */
export function certificateDERs(pem: string | Uint8Array, unique = true): Buffer[] {
  const ders = bundleDERs(pem).map((d) => parseCertificateDER(d).der);
  if (!unique) return ders;
  const seen = new Set<string>();
  return ders.filter((d) => {
    const k = d.toString("base64");
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** True when `key` (private or public) holds the key pair of `cert`'s public key. */
export function keyMatchesCertificate(key: KeyObject, cert: string | ParsedCertificate): boolean {
  const parsed = typeof cert === "string" ? parseCertificate(cert) : cert;
  return spkiDER(key).equals(parsed.publicKey);
}

// ---------------------------------------------------------------- chains

/**
 * Whether `child` was issued by `parent`, with the checks of Go's CheckSignatureFrom: names
 * match, the parent may sign certificates (v3 needs CA:TRUE; KeyUsage, if any, has certSign),
 * and the signature verifies.
 */
export function isIssuedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  if (!child.issuer.der.equals(parent.subject.der)) return false;
  if (parent.version === 3 && !parent.isCA) return false;
  if (parent.hasKeyUsage && (parent.keyUsageMask & CERT_SIGN_BIT) === 0) return false;
  // Chain building asks the same question more than once (and of the same CA every issuance).
  const memoKey = `${child.fingerprintSHA256}<${parent.fingerprintSHA256}`;
  const known = verifiedIssuance.get(memoKey);
  if (known !== undefined) return known;
  return verifiedIssuance.set(
    memoKey,
    verifySignature(child.signatureAlgorithmOID, parent.publicKey, child.tbs, child.signature),
  );
}

/** Signature checks by (child, parent) fingerprints. */
const verifiedIssuance = new BytesMemo<boolean>(4096);

/**
 * Records that `childDER` carries a valid signature of `parent`'s key: for a certificate signed
 * here with a key checked against `parent`, so building its chain needs no signature check.
 */
export function rememberSignedBy(childDER: Buffer, parent: ParsedCertificate): void {
  const child = createHash("sha256").update(childDER).digest("hex");
  verifiedIssuance.set(`${child}<${parent.fingerprintSHA256}`, true);
}

export const isSelfSigned = (cert: ParsedCertificate): boolean => isIssuedBy(cert, cert);

export interface PEMBundle {
  /** Leaf first, then intermediates; a self-signed root is left out. */
  readonly chainPEM: string;
  /** The root, or the top-most certificate; undefined for a lone certificate that is not self-signed. */
  readonly caPEM: string | undefined;
}

/**
 * Orders a set of certificates into one chain the way cert-manager's ParseSingleCertificateChain
 * does (duplicates dropped, any input order). Fails with ChainError when the certificates do not
 * form exactly one chain, e.g. when an unrelated certificate is in the bundle.
 */
export function buildChain(input: {
  leaf: string | Uint8Array;
  candidates?: readonly (string | Uint8Array)[];
}): PEMBundle {
  return orderChain([input.leaf, ...(input.candidates ?? [])].flatMap(splitInput));
}

/** Chain + CA of a PEM bundle such as a CA issuer Secret's tls.crt (leaf-or-CA first, then its chain). */
export function parseCAChain(tlsCrt: string | Uint8Array): PEMBundle {
  return orderChain(splitInput(tlsCrt));
}

function splitInput(v: string | Uint8Array): ParsedCertificate[] {
  const text = asText(v);
  if (typeof v !== "string" && !text.includes("-----BEGIN")) return [parseCertificateDER(Buffer.from(v))];
  return bundleDERs(text).map(parseCertificateDER);
}

function orderChain(input: ParsedCertificate[]): PEMBundle {
  const unique = [...new Map(input.map((c) => [c.fingerprintSHA256, c])).values()];
  if (unique.length === 0) throw new ChainError("certificate chain is empty");
  if (unique.length > 1000)
    throw new ChainError("certificate chain is too long, must be less than 1000 certificates");
  // Each chain is leaf-first. Repeatedly glue the last chain onto another whose end issued its
  // head, or which it issued; one pass without a merge means the bundle is not a single chain.
  const chains = unique.map((c) => [c]);
  while (chains.length > 1) {
    const last = chains.pop()!;
    const i = chains.findIndex(
      (other) =>
        isIssuedBy(other[other.length - 1]!, last[0]!) || isIssuedBy(last[last.length - 1]!, other[0]!),
    );
    if (i < 0) {
      const orphan = last[0]!.subject.text || last[0]!.serialNumber;
      throw new ChainError(
        `certificate chain is malformed or broken: "${orphan}" does not chain with the other certificates`,
      );
    }
    const other = chains[i]!;
    chains[i] = isIssuedBy(other[other.length - 1]!, last[0]!) ? [...other, ...last] : [...last, ...other];
  }
  const chain = chains[0]!;
  const top = chain[chain.length - 1]!;
  const topSelfSigned = isSelfSigned(top);
  const body = chain.length > 1 && topSelfSigned ? chain.slice(0, -1) : chain;
  const pem = (certs: ParsedCertificate[]): string =>
    certs.map((c) => encodePEM("CERTIFICATE", c.der)).join("");
  if (chain.length === 1) return { chainPEM: pem(chain), caPEM: topSelfSigned ? pem(chain) : undefined };
  return { chainPEM: pem(body), caPEM: pem([top]) };
}
