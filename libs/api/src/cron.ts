/**
 * Cron schedules of Certificate renewal windows (`spec.renewal.windows[].cron`), in one place for
 * the webhook (is the syntax valid?) and the controller (when does the next window open?).
 *
 * Syntax is that of robfig/cron v3, the parser cert-manager uses: five fields
 * (minute hour day-of-month month day-of-week) of `*`/`?`, numbers, month and day names, ranges
 * `a-b`, steps `/n` and `,` lists; or one of the descriptors @yearly, @annually, @monthly,
 * @weekly, @daily, @midnight, @hourly and `@every <Go duration>`. Error messages are robfig's word
 * for word, so the webhook rejects a spec with the same text as cert-manager does.
 *
 * Firing times (`nextFiring`) are wall-clock times in an IANA zone, converted with Intl (full ICU):
 *   - day-of-month and day-of-week: if either field is unrestricted (starts with `*` or `?`, no
 *     step above 1), both must match; if both are restricted, either may (Vixie cron, robfig);
 *   - a wall time that a DST jump forward skips (02:30 when clocks go 02:00 → 03:00) fires once,
 *     when the gap ends (03:00), as Vixie cron runs such jobs;
 *   - a wall time that happens twice when clocks go back fires once, at its first occurrence;
 *   - `@every d` fires at whole multiples of d since the Unix epoch: robfig counts from when the
 *     job was added, which a schedule evaluated afresh on every reconcile has no notion of.
 *     d is cut to whole seconds, minimum 1 s, as robfig does;
 *   - the search walks month → day → hour → minute, skipping whole months and days that cannot
 *     match, and gives up after five years (robfig's Next does the same), so a spec that never
 *     fires ("0 0 30 2 *") costs a few thousand steps, not a minute-by-minute scan.
 */
import { parseGoDurationNanos } from "./duration.ts";

/** A cron spec that robfig/cron's standard parser would refuse; the message is robfig's. */
export class CronSyntaxError extends Error {
  readonly code = "CK_CRON_INVALID";
  constructor(
    readonly spec: string,
    message: string,
  ) {
    super(message);
    this.name = "CronSyntaxError";
  }
}

/** A time zone name that the IANA database (as Go's time.LoadLocation reads it) does not know. */
export class UnknownTimeZoneError extends Error {
  readonly code = "CK_UNKNOWN_TIME_ZONE";
  constructor(readonly timeZone: string) {
    super(`unknown time zone ${JSON.stringify(timeZone)}`);
    this.name = "UnknownTimeZoneError";
  }
}

/** One field as the values it allows (index = value) and whether it was unrestricted (`*`, `?`). */
interface Field {
  readonly allowed: readonly boolean[];
  readonly star: boolean;
}

export type CronSchedule =
  | {
      readonly kind: "fields";
      readonly minute: Field;
      readonly hour: Field;
      readonly dom: Field;
      readonly month: Field;
      readonly dow: Field;
    }
  | { readonly kind: "every"; readonly everyMs: number };

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const DAY_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: MONTH_NAMES };
const DOW: Bounds = { min: 0, max: 6, names: DAY_NAMES };

/** The five fields a descriptor stands for. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.Atoi on a 64-bit platform, with robfig's messages around it. */
function atoi(spec: string, s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new CronSyntaxError(
      spec,
      `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`,
    );
  }
  const n = BigInt(s);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) {
    throw new CronSyntaxError(
      spec,
      `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`,
    );
  }
  if (n < 0n) throw new CronSyntaxError(spec, `negative number (${n}) not allowed: ${s}`);
  return n;
}

function intOrName(spec: string, s: string, b: Bounds): bigint {
  const named = b.names?.[s.toLowerCase()];
  return named === undefined ? atoi(spec, s) : BigInt(named);
}

/** robfig getRange: one `a`, `a-b` or `*`, with an optional `/step`, into `bits`. Returns the star flag. */
function range(spec: string, expr: string, b: Bounds, bits: boolean[]): boolean {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const min = BigInt(b.min);
  const max = BigInt(b.max);
  let start: bigint;
  let end: bigint;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = min;
    end = max;
    star = true;
  } else {
    start = intOrName(spec, lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = intOrName(spec, lowAndHigh[1]!, b);
    else throw new CronSyntaxError(spec, `too many hyphens: ${expr}`);
  }
  let step = 1n;
  if (rangeAndStep.length === 2) {
    step = atoi(spec, rangeAndStep[1]!);
    if (lowAndHigh.length === 1) end = max; // "N/step" means "N-max/step"
    if (step > 1n) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronSyntaxError(spec, `too many slashes: ${expr}`);
  }
  if (start < min) {
    throw new CronSyntaxError(spec, `beginning of range (${start}) below minimum (${min}): ${expr}`);
  }
  if (end > max) throw new CronSyntaxError(spec, `end of range (${end}) above maximum (${max}): ${expr}`);
  if (start > end) {
    throw new CronSyntaxError(spec, `beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  }
  if (step === 0n) throw new CronSyntaxError(spec, `step of range should be a positive number: ${expr}`);
  const inc = Number(step > 64n ? 64n : step); // any step beyond the field's span allows only `start`
  for (let i = Number(start); i <= Number(end); i += inc) bits[i] = true;
  return star;
}

function field(spec: string, text: string, b: Bounds): Field {
  const allowed = new Array<boolean>(b.max + 1).fill(false);
  let star = false;
  // strings.FieldsFunc: empty list items are skipped.
  for (const expr of text.split(",").filter((s) => s !== "")) {
    if (range(spec, expr, b, allowed)) star = true;
  }
  return { allowed, star };
}

function parseFields(spec: string, text: string): CronSchedule {
  const fields = text.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    throw new CronSyntaxError(
      spec,
      `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`,
    );
  }
  return {
    kind: "fields",
    minute: field(spec, fields[0]!, MINUTES),
    hour: field(spec, fields[1]!, HOURS),
    dom: field(spec, fields[2]!, DOM),
    month: field(spec, fields[3]!, MONTHS),
    dow: field(spec, fields[4]!, DOW),
  };
}

/** Parses a renewal-window cron spec. Throws CronSyntaxError with robfig/cron's message. */
export function parseCron(spec: string): CronSchedule {
  if (spec.length === 0) throw new CronSyntaxError(spec, "empty spec string");
  if (spec.startsWith("@")) {
    const fields = DESCRIPTORS[spec];
    if (fields) return parseFields(spec, fields);
    if (spec.startsWith("@every ")) {
      let ns: bigint;
      try {
        ns = parseGoDurationNanos(spec.slice("@every ".length));
      } catch (err) {
        throw new CronSyntaxError(spec, `failed to parse duration ${spec}: ${(err as Error).message}`);
      }
      // robfig's Every: at least a second, and whole seconds only.
      const s = ns < 1_000_000_000n ? 1n : ns / 1_000_000_000n;
      return { kind: "every", everyMs: Number(s) * 1000 };
    }
    throw new CronSyntaxError(spec, `unrecognized descriptor: ${spec}`);
  }
  return parseFields(spec, spec);
}

/** The reason `spec` is not a valid cron expression (robfig's message), or undefined. */
export function cronError(spec: string): string | undefined {
  try {
    parseCron(spec);
    return undefined;
  } catch (err) {
    if (err instanceof CronSyntaxError) return err.message;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Time zones. Wall-clock times are handled as "naive" milliseconds: the wall time read as if it
// were UTC, so Date.UTC and getUTC* do calendar arithmetic without DST getting in the way.

const MINUTE = 60_000;
const DAY = 86_400_000;
const FIVE_YEARS = 5 * 365.25 * DAY;

/**
 * Formatters by zone. Building one costs ~50 µs and formatting ~4 µs; the zones in use are few
 * (one per distinct `timezone` value), so the most recently used are kept. Bounded: ICU takes
 * zone names in any case and each formatter holds ~30 KB of native memory, so one per spelling
 * a client can send (the webhook validates what it is given) would grow without limit.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** How many zone formatters are kept (least recently used out first). */
export const MAX_CACHED_TIME_ZONES = 64;

/** The number of zone formatters currently kept (for tests). */
export function cachedTimeZones(): number {
  return formatters.size;
}

/** `timezone` as certkeeper evaluates it: "" is UTC; "Local" too (cert-manager's image has no zone). */
function zoneName(timeZone: string): string {
  return timeZone === "" || timeZone === "Local" ? "UTC" : timeZone;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f) {
    formatters.delete(timeZone);
    formatters.set(timeZone, f);
  } else {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      throw new UnknownTimeZoneError(timeZone);
    }
    formatters.set(timeZone, f);
    if (formatters.size > MAX_CACHED_TIME_ZONES) formatters.delete(formatters.keys().next().value!);
  }
  return f;
}

/** True if `timeZone` is "" (UTC), "UTC", "Local" or an IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    if (zoneName(timeZone) !== "UTC") formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock time minus UTC at `instant`, in ms (whole seconds). */
function offsetAt(timeZone: string, instant: number): number {
  const seconds = Math.floor(instant / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(seconds)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
  return wall - seconds;
}

/** The naive wall-clock time of `instant` in `timeZone`. */
function toWall(timeZone: string, instant: number): number {
  return timeZone === "UTC" ? instant : instant + offsetAt(timeZone, instant);
}

/**
 * The instant a naive wall time `wall` stands for in `timeZone`. A wall time that happens twice
 * (clocks going back) is its first occurrence; one that never happens (clocks jumping forward) is
 * the end of the gap. No zone has moved its clocks twice within two days, so the offsets a day
 * either side are the only candidates.
 */
function toInstant(timeZone: string, wall: number): number {
  if (timeZone === "UTC") return wall;
  const before = offsetAt(timeZone, wall - DAY);
  const after = offsetAt(timeZone, wall + DAY);
  const a = wall - before;
  const b = wall - after;
  const aHolds = offsetAt(timeZone, a) === before;
  const bHolds = offsetAt(timeZone, b) === after;
  if (aHolds && bHolds) return Math.min(a, b);
  if (aHolds) return a;
  if (bHolds) return b;
  // A gap: the offset changes from `before` to `after` somewhere in (b, a]. Find the second.
  let lo = Math.floor(b / 1000);
  let hi = Math.ceil(a / 1000);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(timeZone, mid * 1000) === before) lo = mid;
    else hi = mid;
  }
  return hi * 1000;
}

// ---------------------------------------------------------------------------------------------
// Firing times.

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The smallest allowed value ≥ from, or -1. */
function nextAllowed(f: Field, from: number): number {
  for (let i = from; i < f.allowed.length; i++) if (f.allowed[i]) return i;
  return -1;
}

function dayMatches(s: Extract<CronSchedule, { kind: "fields" }>, y: number, mo: number, d: number): boolean {
  const dom = s.dom.allowed[d] === true;
  const dow = s.dow.allowed[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()] === true;
  return s.dom.star || s.dow.star ? dom && dow : dom || dow;
}

/** The first naive wall time ≥ `from` (minute-aligned) that the fields match, or undefined past `until`. */
function nextWall(
  s: Extract<CronSchedule, { kind: "fields" }>,
  from: number,
  until: number,
): number | undefined {
  const t = new Date(from);
  let y = t.getUTCFullYear();
  let mo = t.getUTCMonth() + 1;
  let d = t.getUTCDate();
  let h = t.getUTCHours();
  let mi = t.getUTCMinutes();
  const nextMonth = () => {
    mo++;
    d = 1;
    h = 0;
    mi = 0;
    if (mo > 12) {
      y++;
      mo = 1;
    }
  };
  const nextDay = () => {
    d++;
    h = 0;
    mi = 0;
    if (d > daysIn(y, mo)) nextMonth();
  };
  for (;;) {
    if (Date.UTC(y, mo - 1, d) > until) return undefined;
    const m = nextAllowed(s.month, mo);
    if (m < 0) {
      y++;
      mo = 1;
      d = 1;
      h = 0;
      mi = 0;
      continue;
    }
    if (m !== mo) {
      mo = m;
      d = 1;
      h = 0;
      mi = 0;
    }
    if (!dayMatches(s, y, mo, d)) {
      nextDay();
      continue;
    }
    const hh = nextAllowed(s.hour, h);
    if (hh < 0) {
      nextDay();
      continue;
    }
    if (hh !== h) {
      h = hh;
      mi = 0;
    }
    const mm = nextAllowed(s.minute, mi);
    if (mm < 0) {
      h++;
      mi = 0;
      if (h > 23) nextDay();
      continue;
    }
    return Date.UTC(y, mo - 1, d, h, mm);
  }
}

/**
 * The first firing of `schedule` in `timeZone` at or after `from` (epoch ms) and before `before`
 * (default and at most: five years after `from`), or undefined if there is none.
 * Throws UnknownTimeZoneError.
 */
export function nextFiring(
  schedule: CronSchedule,
  from: number,
  timeZone: string,
  before: number = Number.POSITIVE_INFINITY,
): number | undefined {
  const zone = zoneName(timeZone);
  const limit = Math.min(before, from + FIVE_YEARS);
  if (schedule.kind === "every") {
    const f = Math.ceil(from / schedule.everyMs) * schedule.everyMs;
    return f < limit ? f : undefined;
  }
  if (zone !== "UTC") formatter(zone); // fail on an unknown zone before searching
  // Start from the wall time just before `from`, rounded up to the minute: a firing that a DST gap
  // moved to exactly `from` (the end of the gap) has a wall time earlier than `from`'s own.
  let wall = Math.ceil(toWall(zone, from - 1) / MINUTE) * MINUTE;
  const until = toWall(zone, limit) + DAY;
  for (;;) {
    const w = nextWall(schedule, wall, until);
    if (w === undefined) return undefined;
    const at = toInstant(zone, w);
    if (at >= limit) return undefined;
    if (at >= from) return at;
    wall = w + MINUTE; // the second pass of a repeated hour: its first occurrence is behind us
  }
}
