import { describe, expect, it } from "vitest";
import {
  cachedTimeZones,
  CronSyntaxError,
  cronError,
  MAX_CACHED_TIME_ZONES,
  isValidTimeZone,
  nextFiring,
  parseCron,
  UnknownTimeZoneError,
} from "./cron.ts";

const at = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe("cron syntax (robfig/cron v3 messages)", () => {
  it.each([
    ["0 2 * * *", undefined],
    ["*/15 0-6 1,15 JAN-MAR mon-fri", undefined],
    ["@daily", undefined],
    ["@every 90m", undefined],
    ["*-5 * * * *", undefined], // robfig ignores what follows a `*`
    ["1,,2 * * * *", undefined], // empty list items are skipped
    ["+5 * * * *", undefined], // strconv.Atoi takes a sign
    ["", "empty spec string"],
    ["0 24 * * *", "end of range (24) above maximum (23): 24"],
    ["0 0 0 * *", "beginning of range (0) below minimum (1): 0"],
    ["0 0 * * 7", "end of range (7) above maximum (6): 7"],
    ["5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"],
    ["*/0 * * * *", "step of range should be a positive number: */0"],
    ["70/0 * * * *", "beginning of range (70) beyond end of range (59): 70/0"],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
    ["1/2/3 * * * *", "too many slashes: 1/2/3"],
    ["x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ["-5 * * * *", 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'],
    [
      "99999999999999999999 * * * *",
      'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range',
    ],
    ["61 2 * *", "expected exactly 5 fields, found 4: [61 2 * *]"],
    ["@sometimes", "unrecognized descriptor: @sometimes"],
    ["@every soon", 'failed to parse duration @every soon: time: invalid duration "soon"'],
  ])("%j", (spec, want) => expect(cronError(spec)).toBe(want));

  it("throws a coded error", () => {
    const err = (() => {
      try {
        parseCron("bad");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CronSyntaxError);
    expect((err as CronSyntaxError).code).toBe("CK_CRON_INVALID");
  });
});

describe("time zones", () => {
  it.each([
    ["", true],
    ["UTC", true],
    ["Local", true],
    ["Europe/Berlin", true],
    ["Mars/Olympus", false],
  ])("%j valid: %s", (tz, ok) => expect(isValidTimeZone(tz)).toBe(ok));

  it("keeps a bounded number of zone formatters, however many spellings of a zone it is shown", () => {
    // ICU matches zone names case-insensitively and a formatter holds ~30 KB of native memory:
    // kept per distinct spelling, a client sending "eUrOpe/bERlin"-style variants (the webhook
    // validates whatever it is sent) grew the process by that much per request, for good.
    const base = "america/argentina/buenos_aires";
    for (let i = 0; i < 2 * MAX_CACHED_TIME_ZONES + 10; i++) {
      const spelling = [...base].map((c, j) => ((i >> j) & 1 ? c.toUpperCase() : c)).join("");
      expect(isValidTimeZone(spelling)).toBe(true);
    }
    expect(cachedTimeZones()).toBeLessThanOrEqual(MAX_CACHED_TIME_ZONES);
    expect(iso(nextFiring(parseCron("0 9 * * *"), at("2025-06-01T00:00:00Z"), "Europe/Berlin"))).toBe(
      "2025-06-01T07:00:00.000Z",
    );
  });

  it("an unknown zone fails the search with a coded error", () => {
    expect(() => nextFiring(parseCron("@daily"), 0, "Mars/Olympus")).toThrow(UnknownTimeZoneError);
    expect(() => nextFiring(parseCron("@daily"), 0, "Mars/Olympus")).toThrow(
      'unknown time zone "Mars/Olympus"',
    );
  });
});

describe("next firing", () => {
  const cases: Array<[name: string, spec: string, zone: string, from: string, want: string | undefined]> = [
    ["at `from` itself", "0 2 * * *", "UTC", "2026-05-01T02:00:00Z", "2026-05-01T02:00:00.000Z"],
    ["just after a firing", "0 2 * * *", "UTC", "2026-05-01T02:00:00.001Z", "2026-05-02T02:00:00.000Z"],
    ["@hourly", "@hourly", "UTC", "2026-05-01T10:20:00Z", "2026-05-01T11:00:00.000Z"],
    ["@yearly wraps the year", "@yearly", "UTC", "2026-05-01T00:00:00Z", "2027-01-01T00:00:00.000Z"],
    [
      "month names and steps",
      "*/20 9 1 FEB,aug *",
      "UTC",
      "2026-03-01T00:00:00Z",
      "2026-08-01T09:00:00.000Z",
    ],
    // 2026-05-02 is a Saturday.
    ["weekday only", "0 2 * * MON-FRI", "UTC", "2026-05-02T12:00:00Z", "2026-05-04T02:00:00.000Z"],
    // Both restricted: the 15th (a Friday in May 2026) OR any Monday, whichever comes first.
    ["dom OR dow", "0 0 15 * MON", "UTC", "2026-05-12T00:00:00Z", "2026-05-15T00:00:00.000Z"],
    ["dom OR dow, Monday first", "0 0 15 * MON", "UTC", "2026-05-16T00:00:00Z", "2026-05-18T00:00:00.000Z"],
    // Day-of-week given with `*` in dom: both must match (AND), so the 15th is not enough.
    ["dom * AND dow", "0 0 * * MON", "UTC", "2026-05-12T00:00:00Z", "2026-05-18T00:00:00.000Z"],
    // `*/2` is a restriction, not a star: OR applies.
    ["dom step is restricted", "0 0 */10 * SUN", "UTC", "2026-05-02T00:00:00Z", "2026-05-03T00:00:00.000Z"],
    ["leap day", "0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"],
    ["never (30 February) → gives up", "0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z", undefined],
    [
      "Berlin winter (UTC+1)",
      "0 2 * * *",
      "Europe/Berlin",
      "2026-01-10T12:00:00Z",
      "2026-01-11T01:00:00.000Z",
    ],
    [
      "Berlin summer (UTC+2)",
      "0 2 * * *",
      "Europe/Berlin",
      "2026-07-10T12:00:00Z",
      "2026-07-11T00:00:00.000Z",
    ],
    // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not happen and fires at 03:00 CEST (01:00Z).
    [
      "DST gap fires at its end",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-03-28T12:00:00Z",
      "2026-03-29T01:00:00.000Z",
    ],
    [
      "gap end at `from` itself",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-03-29T01:00:00Z",
      "2026-03-29T01:00:00.000Z",
    ],
    [
      "the day after the gap",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-03-29T01:00:01Z",
      "2026-03-30T00:30:00.000Z",
    ],
    // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens twice and fires the first time (00:30Z).
    [
      "repeated hour, first pass",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-10-24T12:00:00Z",
      "2026-10-25T00:30:00.000Z",
    ],
    [
      "repeated hour, second pass skipped",
      "30 2 * * *",
      "Europe/Berlin",
      "2026-10-25T01:00:00Z",
      "2026-10-26T01:30:00.000Z",
    ],
    [
      "hourly through the repeated hour",
      "0 * * * *",
      "Europe/Berlin",
      "2026-10-25T00:30:00Z",
      "2026-10-25T02:00:00.000Z",
    ],
    ["New York", "0 9 * * *", "America/New_York", "2026-01-10T00:00:00Z", "2026-01-10T14:00:00.000Z"],
    [
      "Kathmandu (UTC+5:45)",
      "0 0 * * *",
      "Asia/Kathmandu",
      "2026-01-10T00:00:00Z",
      "2026-01-10T18:15:00.000Z",
    ],
    ["Local is UTC", "0 2 * * *", "Local", "2026-05-01T00:00:00Z", "2026-05-01T02:00:00.000Z"],
    // 493,776 hours since the epoch at 2026-05-01T00:00Z: 3 past a multiple of 7.
    [
      "@every is anchored at the epoch",
      "@every 7h",
      "UTC",
      "2026-05-01T00:00:00Z",
      "2026-05-01T04:00:00.000Z",
    ],
  ];
  it.each(cases)("%s", (_name, spec, zone, from, want) => {
    expect(iso(nextFiring(parseCron(spec), at(from), zone))).toBe(want);
  });

  it("stops at `before`", () => {
    const s = parseCron("0 2 * * *");
    expect(nextFiring(s, at("2026-05-01T03:00:00Z"), "UTC", at("2026-05-02T02:00:00Z"))).toBeUndefined();
    expect(iso(nextFiring(s, at("2026-05-01T03:00:00Z"), "UTC", at("2026-05-02T02:00:01Z")))).toBe(
      "2026-05-02T02:00:00.000Z",
    );
  });

  it("is fast for sparse and impossible specs", () => {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      nextFiring(parseCron("0 0 30 2 *"), at("2026-01-01T00:00:00Z"), "Europe/Berlin");
      nextFiring(parseCron("59 23 31 12 SUN"), at("2026-01-01T00:00:00Z"), "Europe/Berlin");
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
