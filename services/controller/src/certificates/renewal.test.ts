import { describe, expect, it } from "vitest";
import type { CertificateSpec, RenewalWindow } from "@certkeeper/api";
import { baseRenewalTime, renewalSchedule } from "./renewal.ts";

const DAY = 24 * 3600 * 1000;

/** A 90-day certificate whose base renewal time (2/3 of its lifetime) is `t`. */
function certAround(t: string, expiresInDays = 30): { notBefore: Date; notAfter: Date } {
  const base = Date.parse(t);
  return {
    notBefore: new Date(base - 2 * expiresInDays * DAY),
    notAfter: new Date(base + expiresInDays * DAY),
  };
}

const w = (cron: string, windowDuration: string, timezone?: string): RenewalWindow => ({
  cron,
  windowDuration,
  ...(timezone !== undefined ? { timezone } : {}),
});

describe("renewal windows", () => {
  // 2026-06-30 is a Tuesday; 2026-07-04 a Saturday. Berlin is UTC+2 in summer, UTC+1 in winter.
  const cases: Array<{
    name: string;
    base: string;
    windows: RenewalWindow[];
    want: string;
    error?: string;
    expiresInDays?: number;
  }> = [
    {
      name: "base time inside an open window → base time",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 22 * * *", "4h")],
      want: "2026-06-30T00:00:00.000Z",
    },
    {
      name: "base time at the window's opening → base time",
      base: "2026-06-30T02:00:00Z",
      windows: [w("0 2 * * *", "1h")],
      want: "2026-06-30T02:00:00.000Z",
    },
    {
      name: "base time before a window → its opening",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 2 * * *", "1h")],
      want: "2026-06-30T02:00:00.000Z",
    },
    {
      name: "base time at the window's end (closed) → the next opening",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 22 * * *", "2h")],
      want: "2026-06-30T22:00:00.000Z",
    },
    {
      name: "several windows → the earliest opening",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 5 * * *", "1h"), w("0 3 * * *", "1h"), w("0 4 * * *", "1h")],
      want: "2026-06-30T03:00:00.000Z",
    },
    {
      name: "several windows, one open → base time",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 5 * * *", "1h"), w("30 23 * * *", "1h")],
      want: "2026-06-30T00:00:00.000Z",
    },
    {
      name: "@daily",
      base: "2026-06-30T10:00:00Z",
      windows: [w("@daily", "30m")],
      want: "2026-07-01T00:00:00.000Z",
    },
    {
      name: "timezone: Berlin summer time",
      base: "2026-06-30T10:00:00Z",
      windows: [w("0 2 * * *", "1h", "Europe/Berlin")],
      want: "2026-07-01T00:00:00.000Z",
    },
    {
      name: "timezone: Berlin, DST starts (02:00 → 03:00): 02:30 opens when the gap ends",
      base: "2026-03-28T12:00:00Z",
      windows: [w("30 2 * * *", "1h", "Europe/Berlin")],
      want: "2026-03-29T01:00:00.000Z",
    },
    {
      name: "timezone: Berlin, the day after DST starts",
      base: "2026-03-29T06:00:00Z",
      windows: [w("0 2 * * *", "1h", "Europe/Berlin")],
      want: "2026-03-30T00:00:00.000Z",
    },
    {
      name: "timezone: Berlin, DST ends (03:00 → 02:00): the first 02:30",
      base: "2026-10-24T12:00:00Z",
      windows: [w("30 2 * * *", "1h", "Europe/Berlin")],
      want: "2026-10-25T00:30:00.000Z",
    },
    {
      // Opened at 02:00 CEST (00:00Z), open for 90 real minutes: until 01:30Z, which is 02:30 CET.
      name: "timezone: a window across DST's end lasts its duration in real time (still open)",
      base: "2026-10-25T01:15:00Z",
      windows: [w("0 2 * * *", "90m", "Europe/Berlin")],
      want: "2026-10-25T01:15:00.000Z",
    },
    {
      name: "timezone: a window across DST's end lasts its duration in real time (closed)",
      base: "2026-10-25T01:45:00Z",
      windows: [w("0 2 * * *", "90m", "Europe/Berlin")],
      want: "2026-10-26T01:00:00.000Z",
    },
    {
      name: "day of week: Saturday → Monday 02:00 Berlin",
      base: "2026-07-04T10:00:00Z",
      windows: [w("0 2 * * MON-FRI", "1h", "Europe/Berlin")],
      want: "2026-07-06T00:00:00.000Z",
    },
    {
      name: "day of month OR day of week: the 13th comes before Friday",
      base: "2026-11-10T12:00:00Z",
      windows: [w("0 0 13 * SAT", "1h")],
      want: "2026-11-13T00:00:00.000Z",
    },
    {
      name: "day of month OR day of week: Saturday comes before the 13th",
      base: "2026-11-02T12:00:00Z",
      windows: [w("0 0 13 * SAT", "1h")],
      want: "2026-11-07T00:00:00.000Z",
    },
    {
      name: "no window before expiry → base time and an error",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 0 1 1 *", "1h")],
      want: "2026-06-30T00:00:00.000Z",
      error: "no renewal window opens before the certificate expires at 2026-07-30T00:00:00Z",
    },
    {
      name: "a window opening exactly at expiry is too late",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 0 30 7 *", "1h")],
      want: "2026-06-30T00:00:00.000Z",
      error: "no renewal window opens before the certificate expires at 2026-07-30T00:00:00Z",
    },
    {
      name: "a window that never opens, next to one that does → the one that does",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 0 30 2 *", "1h"), w("0 6 * * *", "1h")],
      want: "2026-06-30T06:00:00.000Z",
    },
    {
      name: "unknown timezone → base time and an error naming the field",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 2 * * *", "1h"), w("0 2 * * *", "1h", "Mars/Olympus")],
      want: "2026-06-30T00:00:00.000Z",
      error: 'spec.renewal.windows[1].timezone: unknown time zone "Mars/Olympus"',
    },
    {
      name: "bad cron → base time and an error",
      base: "2026-06-30T00:00:00Z",
      windows: [w("61 2 * *", "1h")],
      want: "2026-06-30T00:00:00.000Z",
      error:
        'spec.renewal.windows[0].cron: invalid cron syntax "61 2 * *": expected exactly 5 fields, found 4: [61 2 * *]',
    },
    {
      name: "bad windowDuration → base time and an error",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 2 * * *", "1 hour")],
      want: "2026-06-30T00:00:00.000Z",
      error: 'spec.renewal.windows[0].windowDuration: time: unknown unit " hour" in duration "1 hour"',
    },
    {
      name: "zero windowDuration → base time and an error",
      base: "2026-06-30T00:00:00Z",
      windows: [w("0 2 * * *", "0s")],
      want: "2026-06-30T00:00:00.000Z",
      error: 'spec.renewal.windows[0].windowDuration: must be greater than 0, got "0s"',
    },
    {
      name: "every broken window is listed",
      base: "2026-06-30T00:00:00Z",
      windows: [w("@sometimes", "1h"), w("0 2 * * *", "1h", "Nowhere")],
      want: "2026-06-30T00:00:00.000Z",
      error:
        'spec.renewal.windows[0].cron: invalid cron syntax "@sometimes": unrecognized descriptor: @sometimes; ' +
        'spec.renewal.windows[1].timezone: unknown time zone "Nowhere"',
    },
  ];

  it.each(cases)("$name", (c) => {
    const { notBefore, notAfter } = certAround(c.base, c.expiresInDays);
    const spec: Partial<CertificateSpec> = { renewal: { windows: c.windows } };
    expect(baseRenewalTime(notBefore, notAfter, spec).toISOString()).toBe(new Date(c.base).toISOString());
    const got = renewalSchedule(notBefore, notAfter, spec)!;
    expect(got.at.toISOString()).toBe(c.want);
    expect(got.windowError).toBe(c.error);
  });

  it("windows shift a renewBefore time too, truncated to whole seconds", () => {
    const notBefore = new Date("2026-06-01T00:00:00.250Z");
    const notAfter = new Date("2026-06-01T02:00:00.750Z");
    const spec = { renewBefore: "1h", renewal: { windows: [w("30 1 * * *", "10m")] } };
    expect(renewalSchedule(notBefore, notAfter, spec)).toEqual({ at: new Date("2026-06-01T01:30:00Z") });
  });

  it("is undefined when renewal is disabled", () => {
    const { notBefore, notAfter } = certAround("2026-06-30T00:00:00Z");
    expect(renewalSchedule(notBefore, notAfter, { renewal: { policy: "Disabled" } })).toBeUndefined();
  });

  it("without windows is the base time", () => {
    const { notBefore, notAfter } = certAround("2026-06-30T00:00:00Z");
    expect(renewalSchedule(notBefore, notAfter, { renewal: { windows: [] } })).toEqual({
      at: new Date("2026-06-30T00:00:00Z"),
    });
  });
});
