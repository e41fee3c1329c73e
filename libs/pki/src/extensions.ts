import * as der from "./der.ts";
import { decodeSANs, type SubjectAltNames } from "./sans.ts";
import {
  decodeExtKeyUsage,
  decodeKeyUsage,
  extKeyUsageNames,
  keyUsageNames,
  type KeyUsageName,
} from "./usages.ts";

export const EXT = {
  subjectKeyId: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  crlDistributionPoints: "2.5.29.31",
  extKeyUsage: "2.5.29.37",
  authorityKeyId: "2.5.29.35",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
} as const;

export interface RawExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** extnValue contents (the DER inside the OCTET STRING). */
  readonly value: Buffer;
}

export function encodeExtension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.seq(der.oid(oid), der.bool(true), der.octets(value))
    : der.seq(der.oid(oid), der.octets(value));
}

export function readExtensions(seqNode: der.Node): RawExtension[] {
  return der.children(der.expect(seqNode, 0x30, "Extensions")).map((ext) => {
    const parts = der.children(der.expect(ext, 0x30, "Extension"));
    const critical = parts.length === 3 ? der.readBool(parts[1]!) : false;
    return {
      oid: der.readOID(parts[0]!),
      critical,
      value: Buffer.from(der.content(der.expect(parts[parts.length - 1], 0x04, "extnValue"))),
    };
  });
}

/** BasicConstraints value; Go omits cA=FALSE (DEFAULT) and an absent pathLen. */
export function encodeBasicConstraints(isCA: boolean, maxPathLen?: number): Buffer {
  return der.seq(
    ...(isCA ? [der.bool(true)] : []),
    ...(maxPathLen !== undefined ? [der.int(maxPathLen)] : []),
  );
}

/** What the controllers need to know about a CSR's or certificate's extensions. */
export interface DecodedExtensions extends SubjectAltNames {
  readonly keyUsages: KeyUsageName[];
  readonly extKeyUsages: KeyUsageName[];
  /** EKU OIDs cert-manager has no name for. */
  readonly unknownExtKeyUsages: string[];
  /** Raw KeyUsage mask (bit n = `1 << n`), 0 when absent. */
  readonly keyUsageMask: number;
  readonly extKeyUsageOIDs: string[];
  readonly hasKeyUsage: boolean;
  readonly hasExtKeyUsage: boolean;
  /** Present when the BasicConstraints extension is. */
  readonly basicConstraints?: { readonly isCA: boolean; readonly maxPathLen?: number };
  readonly isCA: boolean;
  readonly subjectKeyId?: Buffer;
  readonly authorityKeyId?: Buffer;
}

export function decodeExtensions(exts: readonly RawExtension[]): DecodedExtensions {
  let sans: SubjectAltNames = { dnsNames: [], ipAddresses: [], uris: [], emailAddresses: [], otherNames: [] };
  let keyUsageMask = 0;
  let ekuOIDs: string[] = [];
  let hasKeyUsage = false;
  let hasExtKeyUsage = false;
  let basicConstraints: { isCA: boolean; maxPathLen?: number } | undefined;
  let subjectKeyId: Buffer | undefined;
  let authorityKeyId: Buffer | undefined;
  for (const e of exts) {
    switch (e.oid) {
      case EXT.subjectAltName:
        sans = decodeSANs(e.value);
        break;
      case EXT.keyUsage:
        hasKeyUsage = true;
        keyUsageMask = decodeKeyUsage(e.value);
        break;
      case EXT.extKeyUsage:
        hasExtKeyUsage = true;
        ekuOIDs = decodeExtKeyUsage(e.value);
        break;
      case EXT.basicConstraints: {
        const parts = der.children(der.readAll(e.value));
        const isCA = parts[0]?.tag === 0x01 ? der.readBool(parts[0]) : false;
        const pathNode = parts.find((p) => p.tag === 0x02);
        basicConstraints = pathNode ? { isCA, maxPathLen: der.readInt(pathNode) } : { isCA };
        break;
      }
      case EXT.subjectKeyId:
        subjectKeyId = Buffer.from(der.content(der.readAll(e.value)));
        break;
      case EXT.authorityKeyId: {
        const keyId = der.children(der.readAll(e.value)).find((p) => p.tag === 0x80);
        if (keyId) authorityKeyId = Buffer.from(der.content(keyId));
        break;
      }
      default:
        break;
    }
  }
  const eku = extKeyUsageNames(ekuOIDs);
  return {
    ...sans,
    keyUsages: keyUsageNames(keyUsageMask),
    extKeyUsages: eku.known,
    unknownExtKeyUsages: eku.unknown,
    keyUsageMask,
    extKeyUsageOIDs: ekuOIDs,
    hasKeyUsage,
    hasExtKeyUsage,
    ...(basicConstraints ? { basicConstraints } : {}),
    isCA: basicConstraints?.isCA ?? false,
    ...(subjectKeyId ? { subjectKeyId } : {}),
    ...(authorityKeyId ? { authorityKeyId } : {}),
  };
}
