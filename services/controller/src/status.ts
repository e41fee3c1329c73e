/**
 * Status writes from the cache: PUT the status subresource of the cached object with its
 * resourceVersion (optimistic concurrency). A conflict means our cache was stale; the
 * reconciler's outcome contract turns the ConflictError into a quiet retry against a fresher
 * cache, so no extra GET is spent on the happy path.
 */
import { Resources, type KindName } from "@certkeeper/api";
import {
  getCondition,
  setCondition,
  removeCondition,
  type Condition,
  type ConditionInput,
  type Informer,
  type KubeClient,
  type KubeObject,
} from "@certkeeper/kube";

export { getCondition, setCondition, removeCondition, type Condition };

export async function writeStatus<T extends KubeObject & { status?: unknown }>(
  client: KubeClient,
  informer: Informer<T>,
  kind: KindName,
  current: T,
  status: T["status"],
): Promise<T> {
  if (canonical(current.status) === canonical(status)) return current;
  const next = { ...current, status } as T;
  const written = await client.updateStatus<T>(Resources[kind], next);
  informer.observe(written);
  return written;
}

export function canonical(v: unknown): string {
  return (
    JSON.stringify(v, (_k, val: unknown) =>
      val && typeof val === "object" && !Array.isArray(val)
        ? Object.fromEntries(
            Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
          )
        : val,
    ) ?? ""
  );
}

/** A condition is "true" if present with status True. */
export function isTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === "True";
}

export function withCondition<C extends Condition>(
  conditions: readonly C[] | undefined,
  cond: ConditionInput,
  now: Date,
): C[] {
  return setCondition(conditions as readonly Condition[] | undefined, cond, now) as C[];
}
