import * as der from "./der.ts";
import { CSRError } from "./errors.ts";

/** The 23 usage strings cert-manager accepts. */
export type KeyUsageName =
  | "signing"
  | "digital signature"
  | "content commitment"
  | "key encipherment"
  | "key agreement"
  | "data encipherment"
  | "cert sign"
  | "crl sign"
  | "encipher only"
  | "decipher only"
  | "any"
  | "server auth"
  | "client auth"
  | "code signing"
  | "email protection"
  | "s/mime"
  | "ipsec end system"
  | "ipsec tunnel"
  | "ipsec user"
  | "timestamping"
  | "ocsp signing"
  | "microsoft sgc"
  | "netscape sgc";

/** KeyUsage bit numbers (RFC 5280 4.2.1.3); bit n is `1 << n` in our masks. */
const KU_BITS: Readonly<Record<string, number>> = {
  signing: 0,
  "digital signature": 0,
  "content commitment": 1,
  "key encipherment": 2,
  "data encipherment": 3,
  "key agreement": 4,
  "cert sign": 5,
  "crl sign": 6,
  "encipher only": 7,
  "decipher only": 8,
};
/** Canonical name per bit, used when decoding. */
const KU_NAMES: readonly KeyUsageName[] = [
  "digital signature",
  "content commitment",
  "key encipherment",
  "data encipherment",
  "key agreement",
  "cert sign",
  "crl sign",
  "encipher only",
  "decipher only",
];

const EKU_OIDS: Readonly<Record<string, string>> = {
  any: "2.5.29.37.0",
  "server auth": "1.3.6.1.5.5.7.3.1",
  "client auth": "1.3.6.1.5.5.7.3.2",
  "code signing": "1.3.6.1.5.5.7.3.3",
  "email protection": "1.3.6.1.5.5.7.3.4",
  "s/mime": "1.3.6.1.5.5.7.3.4",
  "ipsec end system": "1.3.6.1.5.5.7.3.5",
  "ipsec tunnel": "1.3.6.1.5.5.7.3.6",
  "ipsec user": "1.3.6.1.5.5.7.3.7",
  timestamping: "1.3.6.1.5.5.7.3.8",
  "ocsp signing": "1.3.6.1.5.5.7.3.9",
  "microsoft sgc": "1.3.6.1.4.1.311.10.3.3",
  "netscape sgc": "2.16.840.1.113730.4.1",
};
const EKU_NAMES = new Map<string, KeyUsageName>();
for (const [name, oid] of Object.entries(EKU_OIDS)) {
  if (!EKU_NAMES.has(oid)) EKU_NAMES.set(oid, name as KeyUsageName);
}

export const DEFAULT_USAGES: readonly KeyUsageName[] = ["digital signature", "key encipherment"];
export const CERT_SIGN_BIT = 1 << 5;

export interface KeyUsages {
  /** KeyUsage bit mask, bit n = `1 << n`. */
  readonly keyUsage: number;
  /** Extended key usage OIDs in request order (duplicates kept, as Go does). */
  readonly extKeyUsages: readonly string[];
}

/**
 * KeyUsage + ExtKeyUsage for a Certificate/CertificateRequest: defaults to digital signature +
 * key encipherment when no usages are given; isCA always adds cert sign.
 */
export function keyUsagesFor(usages: readonly string[] | undefined, isCA: boolean | undefined): KeyUsages {
  let keyUsage = isCA ? CERT_SIGN_BIT : 0;
  const extKeyUsages: string[] = [];
  const unknown: string[] = [];
  for (const u of usages && usages.length > 0 ? usages : DEFAULT_USAGES) {
    const bit = KU_BITS[u];
    const eku = EKU_OIDS[u];
    if (bit !== undefined) keyUsage |= 1 << bit;
    else if (eku !== undefined) extKeyUsages.push(eku);
    else unknown.push(u);
  }
  if (unknown.length > 0) throw new CSRError(`unknown key usages: [${unknown.join(" ")}]`);
  return { keyUsage, extKeyUsages };
}

/** KeyUsage extension value: a named-bit BIT STRING with trailing zero bits dropped. */
export function encodeKeyUsage(mask: number): Buffer {
  const bytes = [0, 0];
  let last = -1;
  for (let bit = 0; bit < 9; bit++) {
    if (mask & (1 << bit)) {
      bytes[bit >> 3]! |= 0x80 >> (bit & 7);
      last = bit;
    }
  }
  const len = last >= 8 ? 2 : 1;
  return der.bitString(Buffer.from(bytes.slice(0, len)), last < 0 ? 0 : len * 8 - (last + 1));
}

export function decodeKeyUsage(value: Buffer): number {
  const { bytes } = der.readBitString(der.readAll(value));
  let mask = 0;
  for (let bit = 0; bit < Math.min(bytes.length * 8, 16); bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) mask |= 1 << bit;
  }
  return mask;
}

export const encodeExtKeyUsage = (oids: readonly string[]): Buffer => der.seq(...oids.map((o) => der.oid(o)));

export const decodeExtKeyUsage = (value: Buffer): string[] =>
  der.children(der.readAll(value)).map(der.readOID);

export const keyUsageNames = (mask: number): KeyUsageName[] => KU_NAMES.filter((_, bit) => mask & (1 << bit));

/** Splits EKU OIDs into cert-manager names and OIDs cert-manager has no name for. */
export function extKeyUsageNames(oids: readonly string[]): { known: KeyUsageName[]; unknown: string[] } {
  const known: KeyUsageName[] = [];
  const unknown: string[] = [];
  for (const o of oids) {
    const name = EKU_NAMES.get(o);
    if (name) known.push(name);
    else unknown.push(o);
  }
  return { known, unknown };
}
