/**
 * `events`: one line per lifecycle event from the CM_EVENTS stream, in stream order:
 *
 *   2026-05-01T10:00:02.114Z  certificate.issued          apps/web  revision=2 notAfter=2026-07-30T10:00:02Z
 *
 * Pure: takes what libs/bus yields (subject + validated envelope), returns text.
 */
import { parseSubject, type Envelope } from "@certkeeper/contracts";

export interface TimelineEvent {
  subject: string;
  envelope: Envelope;
  /** Stream sequence, when replayed. */
  seq?: number;
  /** When the stream stored it, when replayed. */
  storedAt?: Date;
}

/** key=value pairs of the payload, keys sorted; strings with spaces or quotes are JSON-quoted. */
export function formatData(data: Record<string, unknown>): string {
  return Object.keys(data)
    .sort()
    .filter((k) => data[k] !== undefined)
    .map((k) => {
      const v = data[k];
      const text = typeof v === "string" ? (/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)) : JSON.stringify(v);
      return `${k}=${text}`;
    })
    .join(" ");
}

/** `<kind>.<event>` from the subject; the raw subject when it is not a certkeeper event subject. */
export function eventName(subject: string): string {
  try {
    const p = parseSubject(subject);
    return `${p.kind}.${p.name}`;
  } catch {
    return subject;
  }
}

export function formatTimelineEvent(e: TimelineEvent, nameWidth = 28): string {
  const r = e.envelope.resource;
  const who = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const data = formatData(e.envelope.data);
  return [e.envelope.at, eventName(e.subject).padEnd(nameWidth), who, ...(data ? [data] : [])].join("  ");
}

/** `-o json`: one JSON object per line, for jq. */
export function formatTimelineJson(e: TimelineEvent): string {
  return JSON.stringify({
    ...(e.seq !== undefined ? { seq: e.seq } : {}),
    ...(e.storedAt ? { storedAt: e.storedAt.toISOString() } : {}),
    subject: e.subject,
    envelope: e.envelope,
  });
}
