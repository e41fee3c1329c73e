/** Input bytes a memo keeps by default: 16 MiB, thousands of ordinary keys or certificates. */
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Parsed results keyed by the exact bytes they were parsed from. The controller meets the same
 * key, CSR and certificate many times per issuance (next-key Secret, request, issued Secret,
 * each in several reconcilers), and OpenSSL's decoders cost 100-350 µs per key: decoding each
 * distinct input once is most of the CPU a CA issuance needs. Bounded by entries and by the
 * bytes of the inputs (the webhook parses what any client sends, and a parsed result holds about
 * three times its input), least recently used first out; an input larger than the whole byte
 * budget is not kept. Only successful results are kept; inputs that fail are decoded (and fail)
 * again.
 */
export class BytesMemo<V> {
  private readonly map = new Map<string, V>();
  private bytes = 0;

  constructor(
    private readonly max: number,
    private readonly maxBytes: number = DEFAULT_MAX_BYTES,
  ) {}

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
    if (this.map.delete(key)) this.bytes -= key.length;
    if (key.length > this.maxBytes) return value;
    this.map.set(key, value);
    this.bytes += key.length;
    while (this.map.size > this.max || this.bytes > this.maxBytes) {
      const oldest = this.map.keys().next().value!;
      this.map.delete(oldest);
      this.bytes -= oldest.length;
    }
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
