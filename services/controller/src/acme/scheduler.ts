/**
 * The challenge scheduler: decides which Challenges may be worked on now and marks them
 * `status.processing=true`; the challenge controller acts only on those.
 *
 *   every tick (1 s) and on any Challenge change:
 *     in flight = challenges with processing=true (final or not)
 *     candidates = not final, not processing, deduplicated by (dnsName, type) keeping the oldest,
 *                  minus any (dnsName, type) already in flight, oldest first
 *     mark up to min(batch, max in flight - in flight) of them
 *
 * Never two challenges for the same name and type at once: they would fight over one HTTP path
 * or TXT record. Runs as a controller with a single key, so the app needs no new runnable type.
 */
import type { Challenge } from "@certkeeper/api";
import type { Reconcile, Result } from "@certkeeper/kube";
import type { Deps } from "../context.ts";
import type { ControllerRegistration } from "../registration.ts";
import { writeStatus } from "../status.ts";
import type { AcmeDeps } from "./deps.ts";
import { isFinalState } from "./states.ts";

export const SCHEDULER_CONTROLLER = "challenges-scheduler";
const SCHEDULE_KEY = "schedule";

const creation = (c: Challenge) => Date.parse(c.metadata.creationTimestamp ?? "") || 0;

function compare(a: Challenge, b: Challenge): number {
  if (a.spec.dnsName !== b.spec.dnsName) return a.spec.dnsName < b.spec.dnsName ? -1 : 1;
  if (a.spec.type !== b.spec.type) return a.spec.type < b.spec.type ? -1 : 1;
  return 0;
}

const byAge = (a: Challenge, b: Challenge) =>
  creation(a) - creation(b) || (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");

/** Pure: at most `n` challenges to start now, given every challenge and the in-flight cap. */
export function scheduleChallenges(all: readonly Challenge[], n: number, maxInFlight: number): Challenge[] {
  const inFlight = all.filter((c) => c.status?.processing === true && !c.metadata.deletionTimestamp);
  const room = Math.min(n, maxInFlight - inFlight.length);
  if (room <= 0) return [];
  const waiting = all
    .filter((c) => !isFinalState(c.status?.state) && !c.status?.processing && !c.metadata.deletionTimestamp)
    .sort((a, b) => compare(a, b) || byAge(a, b));
  const deduped: Challenge[] = [];
  for (const c of waiting) {
    const last = deduped[deduped.length - 1];
    if (last && compare(last, c) === 0) continue;
    if (inFlight.some((f) => compare(f, c) === 0)) continue;
    deduped.push(c);
  }
  return deduped.sort(byAge).slice(0, room);
}

export function schedulerReconciler(deps: Deps, acme: AcmeDeps): Reconcile {
  return async (_key, ctx): Promise<Result> => {
    const { challenges } = acme.caches;
    const picked = scheduleChallenges(
      challenges.list(),
      acme.settings.schedulerBatch,
      acme.settings.maxConcurrentChallenges,
    );
    for (const ch of picked) {
      try {
        const written = await writeStatus(deps.client, challenges, "Challenge", ch, {
          ...(ch.status ?? {}),
          processing: true,
        });
        deps.lifecycle.publish("challenge", "scheduled", written, {
          dnsName: ch.spec.dnsName,
          type: ch.spec.type,
        });
      } catch (err) {
        // Another writer got there first (conflict) or it is gone: the next tick looks again.
        ctx.log.debug({ err, challenge: ch.metadata.name }, "could not mark challenge as processing");
      }
    }
    return { requeueAfter: acme.settings.schedulerIntervalMs };
  };
}

/** A single-key controller: ticks on its own and is nudged by Challenge changes. */
export function challengeSchedulerController(deps: Deps, acme: AcmeDeps): ControllerRegistration {
  return {
    name: SCHEDULER_CONTROLLER,
    reconcile: schedulerReconciler(deps, acme),
    workers: 1,
    watches: (enqueue) => {
      enqueue(SCHEDULE_KEY);
      acme.caches.challenges.onAdd(() => enqueue(SCHEDULE_KEY));
      acme.caches.challenges.onUpdate(() => enqueue(SCHEDULE_KEY));
      acme.caches.challenges.onDelete(() => enqueue(SCHEDULE_KEY));
    },
  };
}
