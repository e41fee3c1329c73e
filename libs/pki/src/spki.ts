/**
 * SubjectPublicKeyInfo ⇄ JWK, by hand. OpenSSL 3's DER encoders/decoders cost ~150 µs per key
 * object in Node 20, against a few µs through JWK; on the issuance path that is most of the time.
 */
import type { JsonWebKey } from "node:crypto";
import * as der from "./der.ts";

const OID_RSA = "1.2.840.113549.1.1.1";
const OID_EC = "1.2.840.10045.2.1";
const OID_ED25519 = "1.3.101.112";
const CURVES: readonly { crv: string; oid: string; bits: number; bytes: number }[] = [
  { crv: "P-256", oid: "1.2.840.10045.3.1.7", bits: 256, bytes: 32 },
  { crv: "P-384", oid: "1.3.132.0.34", bits: 384, bytes: 48 },
  { crv: "P-521", oid: "1.3.132.0.35", bits: 521, bytes: 66 },
];

const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? "", "base64url");

/** DER SubjectPublicKeyInfo of a public JWK (RSA, EC P-256/384/521, Ed25519), as OpenSSL writes it. */
export function spkiFromJWK(jwk: JsonWebKey): Buffer {
  if (jwk.kty === "RSA") {
    const key = der.seq(der.int(b64u(jwk.n)), der.int(b64u(jwk.e)));
    return der.seq(der.seq(der.oid(OID_RSA), der.nul()), der.bitString(key));
  }
  if (jwk.kty === "EC") {
    const curve = CURVES.find((c) => c.crv === jwk.crv);
    if (!curve) throw new Error(`unsupported curve ${jwk.crv ?? "(none)"}`);
    const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
    return der.seq(der.seq(der.oid(OID_EC), der.oid(curve.oid)), der.bitString(point));
  }
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519")
    return der.seq(der.seq(der.oid(OID_ED25519)), der.bitString(b64u(jwk.x)));
  throw new Error(`unsupported key type ${jwk.kty ?? "(none)"}`);
}

export type SPKIAlgorithm = "RSA" | "ECDSA" | "Ed25519" | "unknown";

interface DecodedSPKI {
  readonly algorithm: SPKIAlgorithm;
  /** RSA modulus bits, EC curve bits, 0 otherwise. */
  readonly size: number;
  readonly jwk?: JsonWebKey;
}

/** Algorithm, size and (for supported keys) the public JWK of a SubjectPublicKeyInfo. */
export function decodeSPKI(spki: Buffer): DecodedSPKI {
  const [algId, keyBits] = der.children(der.readAll(spki));
  const [algOid, params] = der.children(der.expect(algId, 0x30, "AlgorithmIdentifier"));
  const { bytes } = der.readBitString(keyBits!);
  switch (der.readOID(algOid!)) {
    case OID_RSA: {
      const [n, e] = der.children(der.readAll(bytes)).map(der.readIntBytes);
      const size = n!.length * 8 - (Math.clz32(n![0]!) - 24);
      return {
        algorithm: "RSA",
        size,
        jwk: { kty: "RSA", n: n!.toString("base64url"), e: e!.toString("base64url") },
      };
    }
    case OID_EC: {
      const curve = CURVES.find((c) => params?.tag === 0x06 && c.oid === der.readOID(params));
      if (!curve || bytes.length !== 1 + 2 * curve.bytes || bytes[0] !== 4)
        return { algorithm: "ECDSA", size: curve?.bits ?? 0 };
      const x = bytes.subarray(1, 1 + curve.bytes).toString("base64url");
      const y = bytes.subarray(1 + curve.bytes).toString("base64url");
      return { algorithm: "ECDSA", size: curve.bits, jwk: { kty: "EC", crv: curve.crv, x, y } };
    }
    case OID_ED25519:
      return {
        algorithm: "Ed25519",
        size: 0,
        jwk: { kty: "OKP", crv: "Ed25519", x: bytes.toString("base64url") },
      };
    default:
      return { algorithm: "unknown", size: 0 };
  }
}
