import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.ts";
import { ConflictError, NotFoundError } from "./errors.ts";
import { Controller, SyncCounters, TerminalError, type Result } from "./reconciler.ts";
import { WorkQueue } from "./workqueue.ts";

const conflict = () =>
  new ConflictError(409, { reason: "Conflict", message: "stale" }, { verb: "PUT", path: "/x" });

function setup(outcome: () => Promise<Result>) {
  const clock = new FakeClock();
  const queue = new WorkQueue({ clock, backoff: { baseMs: 1_000, maxMs: 30_000 } });
  const counters = new SyncCounters();
  const ctrl = new Controller({ name: "test", reconcile: outcome, queue, counters });
  return { clock, queue, counters, ctrl };
}

describe("Controller outcome contract", () => {
  const cases: Array<{
    name: string;
    outcome: () => Promise<Result>;
    requeues: number;
    /** when the key comes back: ms, or undefined for never */
    backAfter: number | undefined;
    errors: number;
  }> = [
    { name: "void → done", outcome: async () => undefined, requeues: 0, backAfter: undefined, errors: 0 },
    {
      name: "requeueAfter → addAfter + forget",
      outcome: async () => ({ requeueAfter: 7_000 }),
      requeues: 0,
      backAfter: 7_000,
      errors: 0,
    },
    {
      name: "requeueAfter 0 → done",
      outcome: async () => ({ requeueAfter: 0 }),
      requeues: 0,
      backAfter: undefined,
      errors: 0,
    },
    {
      name: "TerminalError → not retried",
      outcome: async () => {
        throw new TerminalError("bad spec");
      },
      requeues: 0,
      backAfter: undefined,
      errors: 1,
    },
    {
      name: "ConflictError (wrapped) → rate-limited retry",
      outcome: async () => {
        throw new Error("writing status", { cause: conflict() });
      },
      requeues: 1,
      backAfter: 1_000,
      errors: 1,
    },
    {
      name: "other error → rate-limited retry",
      outcome: async () => {
        throw new NotFoundError(404, {}, { verb: "GET", path: "/x" });
      },
      requeues: 1,
      backAfter: 1_000,
      errors: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { clock, queue, counters, ctrl } = setup(c.outcome);
      await ctrl.reconcileKey("ns/a");
      expect(queue.numRequeues("ns/a")).toBe(c.requeues);
      expect(counters.get("test")).toEqual({ calls: 1, errors: c.errors });
      clock.advance(60_000);
      if (c.backAfter === undefined) {
        expect(queue.len()).toBe(0);
      } else {
        expect(queue.len()).toBe(1);
        const { clock: clock2, queue: q2, ctrl: ctrl2 } = setup(c.outcome);
        await ctrl2.reconcileKey("ns/a");
        clock2.advance(c.backAfter - 1);
        expect(q2.len()).toBe(0);
        clock2.advance(1);
        expect(q2.len()).toBe(1);
      }
    });
  }

  it("a success after failures resets the backoff", async () => {
    let fail = true;
    const { queue, ctrl } = setup(async () => {
      if (fail) throw new Error("boom");
    });
    await ctrl.reconcileKey("k");
    await ctrl.reconcileKey("k");
    expect(queue.numRequeues("k")).toBe(2);
    fail = false;
    await ctrl.reconcileKey("k");
    expect(queue.numRequeues("k")).toBe(0);
  });

  it("passes attempt and an abortable signal to reconcile; stop() ends the workers", async () => {
    const attempts: number[] = [];
    let signal: AbortSignal | undefined;
    const { ctrl } = setup(async () => undefined);
    const c = new Controller({
      name: "ctx",
      queue: ctrl.queue,
      reconcile: async (_key, ctx) => {
        attempts.push(ctx.attempt);
        signal = ctx.signal;
      },
    });
    const running = c.start();
    c.enqueue("x");
    await new Promise((r) => setImmediate(r));
    expect(attempts).toEqual([0]);
    await c.stop();
    await running;
    expect(signal?.aborted).toBe(true);
  });
});
