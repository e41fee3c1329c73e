/**
 * When a certificate should be renewed. Pure: no clock, no client, no events.
 *
 * 1. The base time T (cert-manager's pki.RenewalTime):
 *      renewBefore set            → notAfter - renewBefore
 *      renewBeforePercentage set  → notAfter - lifetime * pct / 100
 *      neither                    → notAfter - lifetime / 3   (i.e. at 2/3 of the actual lifetime)
 *    A renewBefore not shorter than the actual lifetime falls back to lifetime / 3.
 *
 * 2. Renewal windows (`spec.renewal.windows`), if any. Each window opens at every firing of its
 *    cron spec (wall-clock time in its `timezone`, default UTC; see libs/api/src/cron.ts for DST
 *    and day-matching rules) and stays open for `windowDuration`. Renewal happens at T if some
 *    window is open then (a firing f with f ≤ T < f + windowDuration), else at the earliest
 *    opening after T of any window. Windows only ever delay renewal, never bring it forward.
 *
 *        T (not in a window)          T (in a window)
 *        │   ┌──window──┐              ┌──window──┼─┐
 *    ────┴───┴──────────┴───      ─────┴──────────┴─┴───
 *            ↑ renewal                            ↑ renewal = T
 *
 * 3. Windows give way to T, with a `windowError` for the WindowError Event, when
 *    - a window cannot be evaluated (bad cron, unknown timezone, missing or bad windowDuration:
 *      possible when the webhook is not installed) — one broken window voids all of them, since
 *      the rest may not be what the user meant either;
 *    - or no window opens before the certificate expires (nor within five years).
 *
 * The renewal time is a function of the certificate and spec only, not of the current time:
 * status.renewalTime stays put between reconciles. A controller that was down past it renews as
 * soon as it is back, window or not: a window never delays renewal beyond the point it was due.
 *
 * The result is truncated to whole seconds, as status.renewalTime is.
 * `renewal.policy: Disabled` means no renewal time at all.
 */
import {
  CronSyntaxError,
  DEFAULT_RENEWAL_WINDOW_TIMEZONE,
  nextFiring,
  parseCron,
  parseGoDuration,
  UnknownTimeZoneError,
  type CertificateSpec,
  type RenewalWindow,
} from "@certkeeper/api";

export interface RenewalSchedule {
  /** When to renew. */
  at: Date;
  /** Why the renewal windows were ignored (`at` is then the base time), for a WindowError Event. */
  windowError?: string;
}

type RenewalSpec = Pick<CertificateSpec, "renewBefore" | "renewBeforePercentage" | "renewal">;

/** The renewal time before windows are applied (T above), truncated to whole seconds. */
export function baseRenewalTime(notBefore: Date, notAfter: Date, spec: RenewalSpec): Date {
  const lifetime = notAfter.getTime() - notBefore.getTime();
  let before: number;
  if (spec.renewBefore) {
    before = parseGoDuration(spec.renewBefore);
  } else if (spec.renewBeforePercentage !== undefined && spec.renewBeforePercentage !== null) {
    before = Math.floor((lifetime * spec.renewBeforePercentage) / 100);
  } else {
    before = Math.floor(lifetime / 3);
  }
  if (before >= lifetime) before = Math.floor(lifetime / 3);
  return truncate(notAfter.getTime() - before);
}

/** When to renew (see the top of this file), or undefined when renewal is disabled. */
export function renewalSchedule(
  notBefore: Date,
  notAfter: Date,
  spec: RenewalSpec,
): RenewalSchedule | undefined {
  if (spec.renewal?.policy === "Disabled") return undefined;
  const base = baseRenewalTime(notBefore, notAfter, spec);
  const windows = spec.renewal?.windows ?? [];
  if (windows.length === 0) return { at: base };
  const result = applyWindows(base.getTime(), notAfter.getTime(), windows);
  return "error" in result ? { at: base, windowError: result.error } : { at: truncate(result.at) };
}

/** The renewal time, or undefined when renewal is disabled. */
export function renewalTime(notBefore: Date, notAfter: Date, spec: RenewalSpec): Date | undefined {
  return renewalSchedule(notBefore, notAfter, spec)?.at;
}

function applyWindows(
  base: number,
  notAfter: number,
  windows: readonly RenewalWindow[],
): { at: number } | { error: string } {
  const errors: string[] = [];
  let earliest: number | undefined;
  windows.forEach((w, i) => {
    const path = `spec.renewal.windows[${i}]`;
    const opened = windowOpening(w, base, notAfter);
    if (typeof opened === "string") errors.push(`${path}.${opened}`);
    else if (opened !== undefined && (earliest === undefined || opened < earliest)) earliest = opened;
  });
  if (errors.length > 0) return { error: errors.join("; ") };
  if (earliest === undefined) {
    return {
      error: `no renewal window opens before the certificate expires at ${formatTime(new Date(notAfter))}`,
    };
  }
  return { at: earliest };
}

/**
 * For one window: `base` if the window is open then, else its first opening after `base` and
 * before `notAfter`, or undefined if there is none. A string is "<field>: <problem>".
 */
function windowOpening(w: RenewalWindow, base: number, notAfter: number): number | string | undefined {
  let durationMs: number;
  try {
    durationMs = parseGoDuration(w.windowDuration ?? "");
  } catch (err) {
    return `windowDuration: ${(err as Error).message}`;
  }
  if (!(durationMs > 0))
    return `windowDuration: must be greater than 0, got ${JSON.stringify(w.windowDuration)}`;
  let schedule;
  try {
    schedule = parseCron(w.cron ?? "");
  } catch (err) {
    if (err instanceof CronSyntaxError)
      return `cron: invalid cron syntax ${JSON.stringify(w.cron)}: ${err.message}`;
    throw err;
  }
  const zone = w.timezone || DEFAULT_RENEWAL_WINDOW_TIMEZONE;
  // The first opening after base - windowDuration: at or before base means base is inside it.
  let opening: number | undefined;
  try {
    opening = nextFiring(schedule, base - durationMs + 1, zone, notAfter);
  } catch (err) {
    if (err instanceof UnknownTimeZoneError) return `timezone: ${err.message}`;
    throw err;
  }
  return opening === undefined ? undefined : Math.max(base, opening);
}

function truncate(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** Kubernetes metav1.Time wire form (seconds precision, UTC). */
export function formatTime(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
