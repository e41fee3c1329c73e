import { describe, expect, it } from "vitest";
import {
  formatGoDuration,
  formatGoDurationNanos,
  InvalidDurationError,
  isGoDuration,
  parseGoDuration,
  parseGoDurationNanos,
} from "./duration.ts";
import { GO_DURATION_PATTERN } from "./schemas/common.ts";

const NS = 1n;
const US = 1_000n;
const MS = 1_000_000n;
const S = 1_000_000_000n;
const M = 60n * S;
const H = 60n * M;

// Cases mirror the behaviour of Go's time.ParseDuration.
const valid: [string, bigint][] = [
  ["0", 0n],
  ["-0", 0n],
  ["+0", 0n],
  ["5s", 5n * S],
  ["30s", 30n * S],
  ["1478s", 1478n * S],
  ["-5s", -5n * S],
  ["+5s", 5n * S],
  ["-0s", 0n],
  ["5.0s", 5n * S],
  ["5.6s", 5n * S + 600n * MS],
  ["5.s", 5n * S],
  [".5s", 500n * MS],
  ["1.004s", 1n * S + 4n * MS],
  ["1.0040s", 1n * S + 4n * MS],
  ["100.00100s", 100n * S + 1n * MS],
  ["10ns", 10n * NS],
  ["11us", 11n * US],
  ["12\u00b5s", 12n * US],
  ["12\u03bcs", 12n * US],
  ["13ms", 13n * MS],
  ["15m", 15n * M],
  ["16h", 16n * H],
  ["3h30m", 3n * H + 30n * M],
  ["10.5s4m", 4n * M + 10n * S + 500n * MS],
  ["-2m3.4s", -(2n * M + 3n * S + 400n * MS)],
  ["1h2m3s4ms5us6ns", H + 2n * M + 3n * S + 4n * MS + 5n * US + 6n * NS],
  ["39h9m14.425s", 39n * H + 9n * M + 14n * S + 425n * MS],
  ["52763797000ns", 52763797000n * NS],
  ["0.3333333333333333333h", 20n * M],
  ["2160h", 2160n * H],
  ["2160h0m0s", 2160n * H],
  ["9223372036854775807ns", (1n << 63n) - 1n],
  ["-9223372036854775808ns", -(1n << 63n)],
];

const invalid = [
  "",
  "3",
  "-",
  "+",
  "s",
  ".",
  "-.",
  ".s",
  "+.s",
  "1d",
  "1.5",
  "0.0",
  "1h 2m",
  "h1",
  "5 s",
  "90d",
  "9223372036854775808ns",
];

describe("parseGoDuration", () => {
  it.each(valid)("parses %j", (input, ns) => {
    expect(parseGoDurationNanos(input)).toBe(ns);
    expect(parseGoDuration(input)).toBeCloseTo(Number(ns) / 1e6, 6);
    expect(isGoDuration(input)).toBe(true);
  });

  it.each(invalid)("rejects %j", (input) => {
    expect(() => parseGoDurationNanos(input)).toThrow(InvalidDurationError);
    expect(isGoDuration(input)).toBe(false);
  });

  it("uses Go's error wording and a stable code", () => {
    const err = (s: string) => {
      try {
        parseGoDuration(s);
      } catch (e) {
        return e as InvalidDurationError;
      }
      throw new Error("expected an error");
    };
    expect(err("1").message).toBe('time: missing unit in duration "1"');
    expect(err("1d").message).toBe('time: unknown unit "d" in duration "1d"');
    expect(err("abc").message).toBe('time: invalid duration "abc"');
    expect(err("abc").code).toBe("CK_INVALID_DURATION");
  });
});

describe("GO_DURATION_PATTERN", () => {
  const re = new RegExp(GO_DURATION_PATTERN);
  it.each(valid)("accepts %j", (input) => expect(re.test(input)).toBe(true));
  // Overflow is a range check the pattern cannot express; everything else agrees with the parser.
  it.each(invalid.filter((s) => s !== "9223372036854775808ns"))("rejects %j", (input) => {
    expect(re.test(input)).toBe(false);
  });
});

describe("formatGoDuration", () => {
  const table: [bigint, string][] = [
    [0n, "0s"],
    [1n * NS, "1ns"],
    [1100n * NS, "1.1\u00b5s"],
    [2200n * US, "2.2ms"],
    [1n * MS, "1ms"],
    [3300n * MS, "3.3s"],
    [4n * M + 5n * S, "4m5s"],
    [4n * M + 5001n * MS, "4m5.001s"],
    [5n * H + 6n * M + 7001n * MS, "5h6m7.001s"],
    [8n * M + 1n * NS, "8m0.000000001s"],
    [2160n * H, "2160h0m0s"],
    [1n * H, "1h0m0s"],
    [30n * M, "30m0s"],
    [90n * S, "1m30s"],
    [-1n * S, "-1s"],
    [-1n * MS, "-1ms"],
    [(1n << 63n) - 1n, "2562047h47m16.854775807s"],
    [-(1n << 63n), "-2562047h47m16.854775808s"],
  ];
  it.each(table)("formats %s ns as %j", (ns, text) => {
    expect(formatGoDurationNanos(ns)).toBe(text);
    expect(parseGoDurationNanos(text)).toBe(ns);
  });

  it.each([
    [0, "0s"],
    [1, "1ms"],
    [1.5, "1.5ms"],
    [0.001, "1\u00b5s"],
    [1000, "1s"],
    [90_000, "1m30s"],
    [3_600_000, "1h0m0s"],
    [1_800_000, "30m0s"],
    [2160 * 3_600_000, "2160h0m0s"],
    [-5000, "-5s"],
  ])("formats %d ms as %j", (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
    expect(parseGoDuration(text)).toBe(ms);
  });

  it("rejects non-finite input", () => {
    expect(() => formatGoDuration(Number.NaN)).toThrow(RangeError);
    expect(() => formatGoDuration(Infinity)).toThrow(RangeError);
  });
});
