/**
 * Minimal DER writer and reader: just what X.509, PKCS#10, PKCS#12 and JKS need.
 *
 * Hand-rolled on purpose: the signing hot path builds a handful of small structures and
 * a generic ASN.1 object model costs more than the signature itself (see scripts/bench.ts).
 * Only single-byte tags and definite lengths are supported, which covers DER.
 */

export class DerError extends Error {}

// ---------------------------------------------------------------- writer

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}

/** One TLV with a single-byte tag. */
export function tlv(tag: number, ...content: readonly Uint8Array[]): Buffer {
  const body = content.length === 1 ? Buffer.from(content[0]!) : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const seq = (...items: readonly Uint8Array[]): Buffer => tlv(0x30, ...items);
export const set = (...items: readonly Uint8Array[]): Buffer => tlv(0x31, ...items);
/** SET OF with its elements sorted by encoding, as DER requires. */
export const setOf = (items: readonly Uint8Array[]): Buffer =>
  tlv(0x31, ...[...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
export const nul = (): Buffer => Buffer.from([0x05, 0x00]);
export const bool = (v: boolean): Buffer => Buffer.from([0x01, 0x01, v ? 0xff : 0x00]);
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
export const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, "latin1"));
export const ia5 = (s: string): Buffer => tlv(0x16, Buffer.from(s, "latin1"));
export const bitString = (b: Uint8Array, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), b);
/** [n] EXPLICIT (constructed, context-specific). */
export const explicit = (n: number, ...content: readonly Uint8Array[]): Buffer => tlv(0xa0 | n, ...content);
/** [n] IMPLICIT primitive (context-specific). */
export const implicitPrimitive = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content);

/** BMPString content: UTF-16 big-endian code units. */
export function bmpBytes(s: string): Buffer {
  const out = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) out.writeUInt16BE(s.charCodeAt(i), i * 2);
  return out;
}
export const bmp = (s: string): Buffer => tlv(0x1e, bmpBytes(s));

/** INTEGER from a number, a bigint or an unsigned big-endian magnitude. */
export function int(v: number | bigint | Uint8Array): Buffer {
  let mag: Buffer;
  if (v instanceof Uint8Array) {
    mag = Buffer.from(v);
  } else {
    const n = BigInt(v);
    if (n < 0n) throw new DerError("negative INTEGER not supported");
    const hex = n.toString(16);
    mag = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  }
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  mag = mag.subarray(i);
  if (mag.length === 0) mag = Buffer.from([0]);
  return tlv(0x02, (mag[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), mag]) : mag);
}

const oidCache = new Map<string, Buffer>();
export function oid(dotted: string): Buffer {
  const hit = oidCache.get(dotted);
  if (hit) return hit;
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new DerError(`invalid object identifier "${dotted}"`);
  const arcs = dotted.split(".").map((a) => BigInt(a));
  if (arcs[0]! < 2n && arcs[1]! > 39n) throw new DerError(`invalid object identifier "${dotted}"`);
  const bytes: number[] = [];
  const first = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  for (const arc of first) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  const out = tlv(0x06, Buffer.from(bytes));
  oidCache.set(dotted, out);
  return out;
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5); seconds precision. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, "latin1"))
    : tlv(0x18, Buffer.from(`${digits}Z`, "latin1"));
}

// ---------------------------------------------------------------- reader

/** A decoded TLV; `buf` is the whole input, offsets point into it (no copies). */
export interface Node {
  readonly tag: number;
  readonly buf: Buffer;
  readonly start: number;
  readonly headerLength: number;
  readonly length: number;
}

export function read(buf: Buffer, offset = 0, end = buf.length): Node {
  if (offset + 2 > end) throw new DerError("truncated DER");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
  let length = buf[offset + 1]!;
  let headerLength = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new DerError("unsupported DER length");
    if (offset + 2 + n > end) throw new DerError("truncated DER");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
    headerLength += n;
  }
  if (offset + headerLength + length > end) throw new DerError("truncated DER");
  return { tag, buf, start: offset, headerLength, length };
}

/** Reads exactly one TLV spanning the whole buffer. */
export function readAll(buf: Buffer): Node {
  const node = read(buf);
  if (node.headerLength + node.length !== buf.length) throw new DerError("trailing data after DER value");
  return node;
}

export const content = (n: Node): Buffer =>
  n.buf.subarray(n.start + n.headerLength, n.start + n.headerLength + n.length);
export const raw = (n: Node): Buffer => n.buf.subarray(n.start, n.start + n.headerLength + n.length);

export function children(n: Node): Node[] {
  const out: Node[] = [];
  const end = n.start + n.headerLength + n.length;
  for (let off = n.start + n.headerLength; off < end;) {
    const child = read(n.buf, off, end);
    out.push(child);
    off = child.start + child.headerLength + child.length;
  }
  return out;
}

export function expect(n: Node | undefined, tag: number, what: string): Node {
  if (!n || n.tag !== tag) throw new DerError(`expected ${what}`);
  return n;
}

export function readOID(n: Node): string {
  expect(n, 0x06, "OBJECT IDENTIFIER");
  const b = content(n);
  if (b.length === 0) throw new DerError("empty OBJECT IDENTIFIER");
  const arcs: bigint[] = [];
  let v = 0n;
  for (const byte of b) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift()!;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join(".");
}

/** Unsigned magnitude of an INTEGER (leading zero bytes stripped). */
export function readIntBytes(n: Node): Buffer {
  let b = content(expect(n, 0x02, "INTEGER"));
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return b;
}
export const readInt = (n: Node): number => Number.parseInt(readIntBytes(n).toString("hex") || "0", 16);

export function readBool(n: Node): boolean {
  return content(expect(n, 0x01, "BOOLEAN"))[0] !== 0;
}

/** BIT STRING payload without the unused-bits byte. */
export function readBitString(n: Node): { bytes: Buffer; unusedBits: number } {
  const b = content(expect(n, 0x03, "BIT STRING"));
  if (b.length === 0) throw new DerError("empty BIT STRING");
  return { bytes: b.subarray(1), unusedBits: b[0]! };
}

/** Decodes any of the usual string types. */
export function readString(n: Node): string {
  const b = content(n);
  switch (n.tag) {
    case 0x0c: // UTF8String
      return b.toString("utf8");
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
    case 0x14: // T61String (treated as Latin-1)
      return b.toString("latin1");
    case 0x1e: {
      // BMPString
      let s = "";
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b.readUInt16BE(i));
      return s;
    }
    case 0x1c: {
      // UniversalString
      let s = "";
      for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(b.readUInt32BE(i));
      return s;
    }
    default:
      throw new DerError(`unsupported string type 0x${n.tag.toString(16)}`);
  }
}

export function readTime(n: Node): Date {
  const s = content(n).toString("latin1");
  const m =
    n.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
      : n.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
        : null;
  if (!m) throw new DerError(`invalid time "${s}"`);
  let year = Number(m[1]);
  if (n.tag === 0x17) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}
