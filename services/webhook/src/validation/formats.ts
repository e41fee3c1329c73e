/**
 * Value formats the validators check the way cert-manager's Go code does: IP addresses
 * (net.ParseIP), bare email addresses (net/mail), dotted OIDs, RFC 4514 literal subjects, IANA time
 * zones. Pure functions; each returns an error message or undefined.
 */
import { isIP } from "node:net";

/** Go's net.ParseIP accepts IPv4 dotted quads and IPv6 (no zone, no brackets). */
export function isGoIP(value: string): boolean {
  return isIP(value) !== 0 && !value.includes("%");
}

/** One or more non-negative integers separated by dots, e.g. 1.3.6.1.4.1.311.20.2.3. */
export function isDottedOID(value: string): boolean {
  return /^[0-9]+(\.[0-9]+)*$/.test(value);
}

const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uFFFF";
const DOT_ATOM = new RegExp(`^[${ATEXT}]+(\\.[${ATEXT}]+)*$`);
const QUOTED = /^"([^"\\\r\n]|\\.)*"$/;
const DOMAIN_LITERAL = /^\[[^[\]\\]*\]$/;

function addrSpecError(spec: string): string | undefined {
  const at = spec.lastIndexOf("@");
  if (at < 0) return "mail: missing '@' or angle-addr";
  const local = spec.slice(0, at);
  const domain = spec.slice(at + 1);
  if (local === "" || !(DOT_ATOM.test(local) || QUOTED.test(local))) return "mail: invalid string";
  if (domain === "") return "mail: no domain in addr-spec";
  if (!(DOT_ATOM.test(domain) || DOMAIN_LITERAL.test(domain))) return "mail: invalid domain";
  return undefined;
}

/**
 * Checks `value` as cert-manager does: it must parse as an RFC 5322 address (net/mail) and be
 * nothing but the address itself (no display name, angle brackets or surrounding spaces).
 */
export function emailAddressError(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return "invalid email address: mail: no address";
  const angle = /^(.*)<([^<>]*)>$/s.exec(trimmed);
  const spec = angle ? angle[2]!.trim() : trimmed;
  const err = addrSpecError(spec);
  if (err) return `invalid email address: ${err}`;
  if (spec !== value) {
    return "invalid email address: make sure the supplied value only contains the email address itself";
  }
  return undefined;
}

export interface LiteralAttribute {
  /** The attribute type as written (e.g. "CN", "2.5.4.3"). */
  readonly type: string;
  /** True for the names cert-manager knows and for dotted OIDs. */
  readonly known: boolean;
  readonly value: string;
}

/** Attribute names cert-manager accepts in literalSubject (case-sensitive, as there). */
const LITERAL_TYPES = new Set(["C", "O", "OU", "CN", "SERIALNUMBER", "L", "ST", "STREET", "DC", "UID"]);
const COMMON_NAME_TYPES = new Set(["CN", "2.5.4.3"]);

export const isCommonNameType = (type: string): boolean => COMMON_NAME_TYPES.has(type);

/**
 * Parses an RFC 4514 distinguished name into its attributes (order kept). Hex values (`=#...`)
 * are refused as cert-manager refuses them. Throws Error with the reason on bad syntax.
 */
export function parseLiteralSubject(text: string): LiteralAttribute[] {
  if (text.includes("=#")) {
    throw new Error(
      `unsupported distinguished name (DN) ${JSON.stringify(text)}: notation does not support x509.subject identities containing "=#"`,
    );
  }
  const out: LiteralAttribute[] = [];
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error("DN ended with incomplete type, value pair");
    const type = text.slice(i, eq).trim();
    if (type === "" || /[,+;"\\]/.test(type)) throw new Error("incomplete type, value pair");
    i = eq + 1;
    const bytes: number[] = [];
    while (i < text.length && !",+;".includes(text[i]!)) {
      const ch = text[i]!;
      if (ch === "\\") {
        const hex = text.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(Number.parseInt(hex, 16));
          i += 3;
          continue;
        }
        if (i + 1 >= text.length) throw new Error("got corrupted escaped character");
        i++;
      }
      const cp = text.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(s, "utf8"));
      i += s.length;
    }
    const value = Buffer.from(bytes).toString("utf8").trim();
    out.push({ type, known: LITERAL_TYPES.has(type) || isDottedOID(type), value });
    if (i < text.length) {
      i++; // separator
      if (i >= text.length) throw new Error("DN ended with incomplete type, value pair");
    }
  }
  return out;
}
