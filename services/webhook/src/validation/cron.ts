/**
 * Five-field cron syntax (minute hour day-of-month month day-of-week), with the @descriptors, as the
 * standard parser cert-manager uses for renewal windows accepts it. Only checks syntax and ranges.
 */

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTHS: Record<string, number> = {
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
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

function parseIntStrict(s: string, expr: string, b: Bounds): number {
  const named = b.names?.[s.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[0-9]+$/.test(s)) {
    throw new Error(
      `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`,
    );
  }
  const n = Number(s);
  if (!Number.isSafeInteger(n))
    throw new Error(`failed to parse int from ${s}: value out of range (${expr})`);
  return n;
}

function checkRange(expr: string, b: Bounds): void {
  const slash = expr.split("/");
  if (slash.length > 2) throw new Error(`too many slashes: ${expr}`);
  const hyphen = slash[0]!.split("-");
  if (hyphen.length > 2) throw new Error(`too many hyphens: ${expr}`);
  let start: number;
  let end: number;
  if (hyphen[0] === "*" || hyphen[0] === "?") {
    if (hyphen.length > 1) throw new Error(`failed to parse int from ${hyphen[0]}: invalid syntax`);
    start = b.min;
    end = b.max;
  } else {
    start = parseIntStrict(hyphen[0]!, expr, b);
    end = hyphen.length === 2 ? parseIntStrict(hyphen[1]!, expr, b) : start;
  }
  if (slash.length === 2) {
    const step = parseIntStrict(slash[1]!, expr, b);
    if (step <= 0) throw new Error(`step of range should be a positive number: ${expr}`);
    if (hyphen.length === 1 && hyphen[0] !== "*" && hyphen[0] !== "?") end = b.max;
  }
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
}

/** The reason `spec` is not a valid cron expression, or undefined. */
export function cronError(spec: string): string | undefined {
  const trimmed = spec.trim();
  if (trimmed === "") return "empty spec string";
  if (trimmed.startsWith("@")) {
    if (DESCRIPTORS.has(trimmed) || /^@every\s+\S+$/.test(trimmed)) return undefined;
    return `unrecognized descriptor: ${trimmed}`;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== FIELDS.length) {
    return `expected exactly ${FIELDS.length} fields, found ${fields.length}: [${fields.join(" ")}]`;
  }
  try {
    fields.forEach((f, i) => {
      for (const part of f.split(",")) checkRange(part, FIELDS[i]!);
    });
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}
