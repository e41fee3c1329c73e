/**
 * Go `time.Duration` strings, as used by every duration field of the API ("2160h0m0s", "30m", "1.5h").
 * Parsing follows Go's time.ParseDuration; formatting follows Duration.String, so values written by
 * certkeeper read exactly like values written by cert-manager. Arithmetic is done in integer
 * nanoseconds (BigInt) to keep Go's range and rounding.
 */

export class InvalidDurationError extends Error {
  readonly code = "CK_INVALID_DURATION";
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`time: ${detail} duration ${JSON.stringify(input)}`);
    this.name = "InvalidDurationError";
  }
}

const NS_PER_MS = 1_000_000n;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // micro sign
  "\u03bcs": 1_000n, // Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const LIMIT = 1n << 63n;

/** Reads leading digits like Go's leadingFraction: digits beyond int64 precision are dropped. */
function leadingFraction(digits: string): { f: bigint; scale: number } {
  let f = 0n;
  let scale = 1;
  let overflow = false;
  for (const c of digits) {
    if (overflow) continue;
    if (f > (LIMIT - 1n) / 10n) {
      overflow = true;
      continue;
    }
    const y = f * 10n + BigInt(c);
    if (y > LIMIT) {
      overflow = true;
      continue;
    }
    f = y;
    scale *= 10;
  }
  return { f, scale };
}

/** Parses a Go duration string into integer nanoseconds, with Go's rounding. Throws InvalidDurationError. */
export function parseGoDurationNanos(input: string): bigint {
  let s = input;
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw new InvalidDurationError(input, "invalid");
  let total = 0n;
  while (s !== "") {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const intPart = m[1]!;
    const fracPart = m[2];
    if (intPart === "" && (fracPart === undefined || fracPart === "")) {
      throw new InvalidDurationError(input, "invalid");
    }
    s = s.slice(m[0].length);
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (!unitMatch) throw new InvalidDurationError(input, "missing unit in");
    const unit = unitMatch[0];
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw new InvalidDurationError(input, `unknown unit ${JSON.stringify(unit)} in`);
    s = s.slice(unit.length);
    const whole = BigInt(intPart === "" ? "0" : intPart);
    if (whole > LIMIT / scale) throw new InvalidDurationError(input, "invalid");
    let value = whole * scale;
    if (fracPart) {
      // Go adds the fraction in float64 and truncates: 0.3333333333333333333h is exactly 20m.
      const { f, scale: fracScale } = leadingFraction(fracPart);
      if (f > 0n) value += BigInt(Math.trunc(Number(f) * (Number(scale) / fracScale)));
      if (value > LIMIT) throw new InvalidDurationError(input, "invalid");
    }
    total += value;
    if (total > LIMIT) throw new InvalidDurationError(input, "invalid");
  }
  if (neg) return -total;
  if (total > LIMIT - 1n) throw new InvalidDurationError(input, "invalid");
  return total;
}

/** Parses a Go duration string ("2160h", "1h30m", "500ms") into milliseconds. */
export function parseGoDuration(input: string): number {
  const ns = parseGoDurationNanos(input);
  return Number(ns) / Number(NS_PER_MS);
}

/** True if `input` is a valid Go duration string. */
export function isGoDuration(input: string): boolean {
  try {
    parseGoDurationNanos(input);
    return true;
  } catch {
    return false;
  }
}

/** `v / 10^prec` as "int[.frac]" with trailing zeros of the fraction dropped, like Go's fmtFrac+fmtInt. */
function fixed(v: bigint, prec: number): string {
  const div = 10n ** BigInt(prec);
  const whole = (v / div).toString();
  const frac = (v % div).toString().padStart(prec, "0").replace(/0+$/, "");
  return frac === "" ? whole : `${whole}.${frac}`;
}

/** Formats integer nanoseconds like Go's Duration.String: "2160h0m0s", "1m30s", "1.5s", "500ms", "0s". */
export function formatGoDurationNanos(ns: bigint): string {
  if (ns === 0n) return "0s";
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1_000n) out = `${fixed(u, 0)}ns`;
    else if (u < 1_000_000n) out = `${fixed(u, 3)}\u00b5s`;
    else out = `${fixed(u, 6)}ms`;
  } else {
    const seconds = u % 60_000_000_000n;
    const totalMinutes = u / 60_000_000_000n;
    out = `${fixed(seconds, 9)}s`;
    if (totalMinutes > 0n) {
      out = `${totalMinutes % 60n}m${out}`;
      const hours = totalMinutes / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** Formats milliseconds like Go's Duration.String (sub-millisecond parts are rounded to nanoseconds). */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format ${ms} ms as a duration`);
  const whole = Math.trunc(ms);
  const ns = BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  return formatGoDurationNanos(ns);
}
