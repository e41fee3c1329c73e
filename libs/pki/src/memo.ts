/**
 * Parsed results keyed by the exact bytes they were parsed from. The controller meets the same
 * key, CSR and certificate many times per issuance (next-key Secret, request, issued Secret,
 * each in several reconcilers), and OpenSSL's decoders cost 100-350 µs per key: decoding each
 * distinct input once is most of the CPU a CA issuance needs. Bounded, least recently used
 * first out. Only successful results are kept; inputs that fail are decoded (and fail) again.
 */
export class BytesMemo<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  /** `tag` separates inputs whose bytes mean different things (e.g. a PEM block type). */
  static key(bytes: Uint8Array, tag = ""): string {
    return tag + "\0" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): V {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return value;
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * Freezes a parsed result and everything in it but its byte buffers (typed arrays cannot be
 * frozen): shared results must not be changed by one reader under another.
 */
export function freezeParsed<T>(value: T): T {
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value) || Object.isFrozen(value))
    return value;
  for (const v of Object.values(value)) freezeParsed(v);
  return Object.freeze(value);
}
