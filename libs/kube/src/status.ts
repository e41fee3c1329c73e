/**
 * Status writes and conditions with cert-manager's semantics.
 */
import type { KubeClient } from "./client.ts";
import { ConflictError } from "./errors.ts";
import type { KubeObject, ResourceType } from "./types.ts";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export type ConditionInput = Omit<Condition, "lastTransitionTime">;

/** metav1.Time: RFC 3339 in UTC with second precision, e.g. "2025-01-01T00:00:00Z". */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function formatMicroTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function getCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  type: string,
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns a new list with `cond` set. An existing condition of the same type keeps its position,
 * and keeps its lastTransitionTime when the status is unchanged (reason/message/observedGeneration
 * are still updated); otherwise lastTransitionTime becomes `now`. The input is not modified.
 */
export function setCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  cond: Omit<C, "lastTransitionTime">,
  now: Date,
): C[] {
  const list = conditions ? [...conditions] : [];
  const i = list.findIndex((c) => c.type === cond.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next = {
    type: cond.type,
    status: cond.status,
    ...(cond.reason !== undefined ? { reason: cond.reason } : {}),
    ...(cond.message !== undefined ? { message: cond.message } : {}),
    lastTransitionTime:
      prev && prev.status === cond.status && prev.lastTransitionTime
        ? prev.lastTransitionTime
        : formatTime(now),
    ...(cond.observedGeneration !== undefined ? { observedGeneration: cond.observedGeneration } : {}),
  } as C;
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** Returns a new list without conditions of `type`. */
export function removeCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  type: string,
): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export interface StatusRetryOptions {
  /** Attempts in all, including the first (default 5). */
  attempts?: number;
  signal?: AbortSignal;
}

/**
 * Reads the object live, lets `mutate` change a copy (return null to write nothing), and PUTs the
 * status subresource. On a 409 conflict it re-reads and tries again, up to `attempts` times, then
 * throws the last ConflictError (so the reconciler's quiet retry takes over). NotFound and other
 * errors propagate at once. Returns the object as written (or as read, when nothing was written).
 */
export async function updateStatusWithRetry<T extends KubeObject>(
  client: KubeClient,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  mutate: (obj: T) => T | null,
  opts: StatusRetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  let lastConflict: ConflictError | undefined;
  for (let i = 0; i < attempts; i++) {
    const current = await client.get<T>(rt, namespace, name, { signal: opts.signal });
    const next = mutate(structuredClone(current));
    if (next === null || sameStatus(current, next)) return current;
    try {
      return await client.updateStatus<T>(rt, next, { signal: opts.signal });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      lastConflict = err;
    }
  }
  throw lastConflict!;
}

function sameStatus(a: KubeObject, b: KubeObject): boolean {
  return canonical((a as { status?: unknown }).status) === canonical((b as { status?: unknown }).status);
}

/** JSON with sorted keys, so key order does not make equal statuses differ. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)),
        )
      : val,
  );
}
