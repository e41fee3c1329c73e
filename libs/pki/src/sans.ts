/** SubjectAltName and NameConstraints encoding, and IP address bytes ⇄ text as Go handles them. */
import { isIPv4, isIPv6 } from "node:net";
import * as der from "./der.ts";
import { SubjectError } from "./errors.ts";
import type {
  CertificateSpecLike,
  NameConstraintItemsLike,
  NameConstraintsLike,
  OtherNameLike,
} from "./spec.ts";

// ---------------------------------------------------------------- IP addresses

/** Address bytes: 4 for IPv4 (and IPv4-mapped IPv6, as Go's To4), 16 for IPv6. Zones rejected. */
export function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split(".").map(Number));
  if (!isIPv6(ip) || ip.includes("%")) throw new SubjectError(`invalid IP address "${ip}"`);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split(".").map(Number);
    text = `${text.slice(0, v4.index)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  const mapped = out.subarray(0, 10).every((b) => b === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? Buffer.from(out.subarray(12)) : out;
}

/** Go's net.IP.String(): dotted IPv4 (also for IPv4-mapped), RFC 5952 IPv6. */
export function formatIP(b: Buffer): string {
  if (b.length === 4) return [...b].join(".");
  if (b.length !== 16) return `?${b.toString("hex")}`;
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return [...b.subarray(12)].join(".");
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

// ---------------------------------------------------------------- SANs and name constraints

export interface SubjectAltNames {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly uris: string[];
  readonly emailAddresses: string[];
  readonly otherNames: { oid: string; utf8Value?: string }[];
}

function ia5Bytes(value: string, what: string): Buffer {
  if ([...value].some((c) => c.charCodeAt(0) > 0x7f))
    throw new SubjectError(`${what} "${value}" cannot be encoded as an IA5String`);
  return Buffer.from(value, "latin1");
}

/** GeneralNames in Go's order: DNS, email, IP, URI, then otherNames (UTF8String values). */
export function encodeSANs(spec: CertificateSpecLike, includeOtherNames = true): Buffer | undefined {
  const names: Buffer[] = [
    ...(spec.dnsNames ?? []).map((v) => der.implicitPrimitive(2, ia5Bytes(v, "DNS name"))),
    ...(spec.emailAddresses ?? []).map((v) => der.implicitPrimitive(1, ia5Bytes(v, "email address"))),
    ...(spec.ipAddresses ?? []).map((v) => der.implicitPrimitive(7, ipBytes(v))),
    ...(spec.uris ?? []).map((v) => der.implicitPrimitive(6, ia5Bytes(v, "URI"))),
    ...(includeOtherNames ? (spec.otherNames ?? []) : []).map(encodeOtherName),
  ];
  return names.length > 0 ? der.seq(...names) : undefined;
}

function encodeOtherName(o: OtherNameLike): Buffer {
  try {
    return der.tlv(0xa0, der.oid(o.oid), der.explicit(0, der.utf8(o.utf8Value)));
  } catch (err) {
    throw new SubjectError(`invalid otherName oid "${o.oid}"`, { cause: err });
  }
}

export function decodeSANs(value: Buffer): SubjectAltNames {
  const out: SubjectAltNames = {
    dnsNames: [],
    ipAddresses: [],
    uris: [],
    emailAddresses: [],
    otherNames: [],
  };
  for (const gn of der.children(der.readAll(value))) {
    const body = der.content(gn);
    switch (gn.tag) {
      case 0x82:
        out.dnsNames.push(body.toString("latin1"));
        break;
      case 0x81:
        out.emailAddresses.push(body.toString("latin1"));
        break;
      case 0x86:
        out.uris.push(body.toString("latin1"));
        break;
      case 0x87:
        out.ipAddresses.push(formatIP(body));
        break;
      case 0xa0: {
        const [typeId, wrapped] = der.children(gn);
        const inner = wrapped && wrapped.tag === 0xa0 ? der.children(wrapped)[0] : undefined;
        out.otherNames.push({
          oid: der.readOID(typeId!),
          ...(inner?.tag === 0x0c ? { utf8Value: der.readString(inner) } : {}),
        });
        break;
      }
      default:
        break; // x400Address, directoryName, ediPartyName, registeredID: not modelled
    }
  }
  return out;
}

function ipRangeBytes(cidr: string): Buffer {
  const [ip, bitsText] = cidr.split("/");
  const addr = ipBytes(ip ?? "");
  const bits = Number(bitsText);
  if (bitsText === undefined || !Number.isInteger(bits) || bits < 0 || bits > addr.length * 8) {
    throw new SubjectError(`invalid CIDR "${cidr}"`);
  }
  const mask = Buffer.alloc(addr.length);
  for (let i = 0; i < bits; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  return Buffer.concat([addr.map((b, i) => b & mask[i]!), mask]);
}

function subtrees(items: NameConstraintItemsLike): Buffer[] {
  return [
    ...(items.dnsDomains ?? []).map((d) => der.implicitPrimitive(2, ia5Bytes(d, "DNS domain"))),
    ...(items.ipRanges ?? []).map((r) => der.implicitPrimitive(7, ipRangeBytes(r))),
    ...(items.emailAddresses ?? []).map((e) => der.implicitPrimitive(1, ia5Bytes(e, "email address"))),
    ...(items.uriDomains ?? []).map((u) => der.implicitPrimitive(6, ia5Bytes(u, "URI domain"))),
  ].map((gn) => der.seq(gn));
}

/** NameConstraints extension value (Go's layout), or undefined when nothing is constrained. */
export function encodeNameConstraints(nc: NameConstraintsLike | undefined): Buffer | undefined {
  if (!nc) return undefined;
  const permitted = subtrees(nc.permitted ?? {});
  const excluded = subtrees(nc.excluded ?? {});
  if (permitted.length === 0 && excluded.length === 0) return undefined;
  return der.seq(
    ...(permitted.length > 0 ? [der.explicit(0, ...permitted)] : []),
    ...(excluded.length > 0 ? [der.explicit(1, ...excluded)] : []),
  );
}
