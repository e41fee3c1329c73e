/** Small pure text helpers shared by the formatters. */

/** kubectl's short age: 42s, 5m, 3h, 12d, 2y (largest unit, rounded down). */
export function age(from: Date | string | undefined, now: Date): string {
  if (from === undefined) return "<unknown>";
  const t = typeof from === "string" ? Date.parse(from) : from.getTime();
  if (Number.isNaN(t)) return "<unknown>";
  const s = Math.max(0, Math.floor((now.getTime() - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Columns padded to the widest cell, two spaces apart; the last column is not padded. */
export function table(rows: readonly (readonly string[])[], indent = ""): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(
    (row) =>
      indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "),
  );
}

/** "Ready: True, Reason: Ready, Message: ..." — one condition on one line. */
export function conditionLine(c: {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}): string {
  const parts = [`${c.type}: ${c.status}`];
  if (c.reason) parts.push(`Reason: ${c.reason}`);
  if (c.message) parts.push(`Message: ${c.message}`);
  return parts.join(", ");
}

/** Colon-separated upper-case hex (key identifiers). */
export function hexColons(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}
