import { isIPv4, isIPv6 } from "node:net";
import * as der from "./der.ts";
import { SubjectError } from "./errors.ts";
import type {
  CertificateSpecLike,
  NameConstraintItemsLike,
  NameConstraintsLike,
  OtherNameLike,
} from "./spec.ts";

const OID = {
  C: "2.5.4.6",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  CN: "2.5.4.3",
  SERIALNUMBER: "2.5.4.5",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  STREET: "2.5.4.9",
  POSTALCODE: "2.5.4.17",
  DC: "0.9.2342.19200300.100.1.25",
  UID: "0.9.2342.19200300.100.1.1",
} as const;

/** Attribute types accepted in literalSubject (cert-manager's list: no POSTALCODE). */
const LITERAL_TYPES: Readonly<Record<string, string>> = {
  C: OID.C,
  O: OID.O,
  OU: OID.OU,
  CN: OID.CN,
  SERIALNUMBER: OID.SERIALNUMBER,
  L: OID.L,
  ST: OID.ST,
  STREET: OID.STREET,
  DC: OID.DC,
  UID: OID.UID,
};
/** Short names Go prints in Name.String(); anything else prints as OID=#hex. */
const STRING_NAMES: ReadonlyMap<string, string> = new Map([
  [OID.C, "C"],
  [OID.O, "O"],
  [OID.OU, "OU"],
  [OID.CN, "CN"],
  [OID.SERIALNUMBER, "SERIALNUMBER"],
  [OID.L, "L"],
  [OID.ST, "ST"],
  [OID.STREET, "STREET"],
  [OID.POSTALCODE, "POSTALCODE"],
]);

// ---------------------------------------------------------------- subject encoding

/** PrintableString when the value fits its alphabet, else UTF8String (Go's default for strings). */
export function directoryString(value: string): Buffer {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? der.printable(value) : der.utf8(value);
}

const atv = (oid: string, value: string): Buffer => der.seq(der.oid(oid), directoryString(value));

/**
 * Subject DER for a spec: literalSubject parsed as RFC 4514, else the fields in Go's
 * pkix.Name.ToRDNSequence order (C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER), each
 * field one (possibly multi-valued) RDN.
 */
export function subjectDER(spec: CertificateSpecLike, useLiteral = true): Buffer {
  if (useLiteral && spec.literalSubject) return der.seq(...parseLiteralSubject(spec.literalSubject));
  const s = spec.subject ?? {};
  const fields: [string, readonly string[] | undefined][] = [
    [OID.C, s.countries],
    [OID.ST, s.provinces],
    [OID.L, s.localities],
    [OID.STREET, s.streetAddresses],
    [OID.POSTALCODE, s.postalCodes],
    [OID.O, s.organizations],
    [OID.OU, s.organizationalUnits],
    [OID.CN, spec.commonName ? [spec.commonName] : undefined],
    [OID.SERIALNUMBER, s.serialNumber ? [s.serialNumber] : undefined],
  ];
  const rdns = fields
    .filter(([, v]) => v && v.length > 0)
    .map(([oid, v]) => der.setOf(v!.map((x) => atv(oid, x))));
  return der.seq(...rdns);
}

/** RFC 4514 string → RDN SETs in ASN.1 order (the string lists the last RDN first). */
export function parseLiteralSubject(text: string): Buffer[] {
  const fail = (why: string): never => {
    throw new SubjectError(`invalid literalSubject "${text}": ${why}`);
  };
  if (text.includes("=#")) fail("hex-encoded (=#) values are not supported");
  const c = [...text]; // code points, so escapes never split a surrogate pair
  const rdns: Buffer[] = [];
  let atvs: Buffer[] = [];
  let i = 0;
  const skipSpaces = (): void => {
    while (c[i] === " ") i++;
  };
  while (i < c.length) {
    const eq = c.indexOf("=", i);
    if (eq < 0) fail("attribute without '='");
    const typeName = c.slice(i, eq).join("").trim();
    const oid = LITERAL_TYPES[typeName.toUpperCase()] ?? fail(`unknown attribute type "${typeName}"`);
    i = eq + 1;
    skipSpaces();
    const bytes: number[] = [];
    let keep = 0; // length of `bytes` without unescaped trailing spaces
    if (c[i] === '"') {
      for (i++; i < c.length && c[i] !== '"'; i++) {
        if (c[i] === "\\") i++;
        bytes.push(...Buffer.from(c[i] ?? "", "utf8"));
      }
      if (c[i] !== '"') fail("unterminated quoted value");
      i++;
      skipSpaces();
      keep = bytes.length;
    } else {
      for (; i < c.length && !",+;".includes(c[i]!); i++) {
        const hex = c.slice(i + 1, i + 3).join("");
        if (c[i] === "\\" && /^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          i += 2;
        } else if (c[i] === "\\") {
          if (++i >= c.length) fail("dangling escape");
          bytes.push(...Buffer.from(c[i]!, "utf8"));
        } else {
          bytes.push(...Buffer.from(c[i]!, "utf8"));
          if (c[i] === " ") continue;
        }
        keep = bytes.length;
      }
    }
    const sep = c[i];
    if (sep !== undefined && !",+;".includes(sep)) fail(`unexpected "${sep}" after a quoted value`);
    atvs.push(atv(oid, Buffer.from(bytes.slice(0, keep)).toString("utf8")));
    i++;
    if (sep !== "+") {
      rdns.unshift(der.setOf(atvs));
      atvs = [];
    }
    if (sep !== undefined && i >= c.length) fail("trailing separator");
  }
  return rdns;
}

// ---------------------------------------------------------------- subject decoding

export interface ParsedName {
  /** DER of the Name, for exact comparison. */
  readonly der: Buffer;
  /** Go's pkix.Name.String() form, e.g. "CN=foo,O=bar". */
  readonly text: string;
  readonly commonName: string;
  readonly serialNumber: string;
  readonly countries: string[];
  readonly organizations: string[];
  readonly organizationalUnits: string[];
  readonly localities: string[];
  readonly provinces: string[];
  readonly streetAddresses: string[];
  readonly postalCodes: string[];
}

/** Escaping as Go's RDNSequence.String() does it. */
function escapeValue(v: string): string {
  const chars = [...v];
  return chars
    .map((c, k) => {
      const escape =
        ',+"\\<>;'.includes(c) ||
        (c === " " && (k === 0 || k === chars.length - 1)) ||
        (c === "#" && k === 0);
      return escape ? `\\${c}` : c;
    })
    .join("");
}

export function parseName(node: der.Node): ParsedName {
  const n: ParsedName = {
    der: Buffer.from(der.raw(node)),
    text: "",
    commonName: "",
    serialNumber: "",
    countries: [],
    organizations: [],
    organizationalUnits: [],
    localities: [],
    provinces: [],
    streetAddresses: [],
    postalCodes: [],
  };
  const lists: Record<string, string[]> = {
    [OID.C]: n.countries,
    [OID.O]: n.organizations,
    [OID.OU]: n.organizationalUnits,
    [OID.L]: n.localities,
    [OID.ST]: n.provinces,
    [OID.STREET]: n.streetAddresses,
    [OID.POSTALCODE]: n.postalCodes,
  };
  const parts: string[] = [];
  let cn = "";
  let serial = "";
  for (const rdn of der.children(der.expect(node, 0x30, "Name"))) {
    const items: string[] = [];
    for (const pair of der.children(der.expect(rdn, 0x31, "RelativeDistinguishedName"))) {
      const [typeNode, valueNode] = der.children(der.expect(pair, 0x30, "AttributeTypeAndValue"));
      const oid = der.readOID(typeNode!);
      let value: string | undefined;
      try {
        value = der.readString(valueNode!);
      } catch {
        value = undefined;
      }
      const short = STRING_NAMES.get(oid);
      items.push(
        short && value !== undefined
          ? `${short}=${escapeValue(value)}`
          : `${oid}=#${der.raw(valueNode!).toString("hex")}`,
      );
      if (value === undefined) continue;
      if (oid === OID.CN) cn = value;
      else if (oid === OID.SERIALNUMBER) serial = value;
      else lists[oid]?.push(value);
    }
    parts.unshift(items.join("+"));
  }
  return { ...n, text: parts.join(","), commonName: cn, serialNumber: serial };
}

export const isEmptyName = (nameDER: Buffer): boolean => nameDER.length === 2 && nameDER[0] === 0x30;

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
