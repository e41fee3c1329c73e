/** Distinguished names: the subject of a spec (fields or RFC 4514 literal) to DER, and DER back to fields. */
import * as der from "./der.ts";
import { SubjectError } from "./errors.ts";
import type { CertificateSpecLike } from "./spec.ts";

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
    // A dotted OID names its attribute type directly (RFC 4514 §3), as the webhook accepts.
    const oid =
      LITERAL_TYPES[typeName.toUpperCase()] ??
      (/^[0-2](\.(0|[1-9]\d*))+$/.test(typeName) ? typeName : fail(`unknown attribute type "${typeName}"`));
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
