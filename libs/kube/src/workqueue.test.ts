import { describe, expect, it } from "vitest";
import { FakeClock, flushMicrotasks } from "./clock.ts";
import { WorkQueue } from "./workqueue.ts";

function setup(backoff = { baseMs: 1_000, maxMs: 30_000 }) {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, backoff });
  return { clock, q };
}

/** Keys currently takeable without waiting. */
async function drainNow(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const k = await q.get();
    out.push(k!);
    q.done(k!);
  }
  return out;
}

describe("WorkQueue", () => {
  it("dedups keys that are queued", async () => {
    const { q } = setup();
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.len()).toBe(2);
    expect(await drainNow(q)).toEqual(["a", "b"]);
  });

  it("does not hand a key being processed to another worker; re-queues it after done if re-added", async () => {
    const { q } = setup();
    q.add("a");
    const k = await q.get();
    expect(k).toBe("a");
    q.add("a"); // while processing: marked dirty, not queued
    expect(q.len()).toBe(0);
    q.add("a"); // still only once
    q.done("a");
    expect(q.len()).toBe(1);
    expect(await drainNow(q)).toEqual(["a"]);
  });

  it("a waiting get() receives the next added key", async () => {
    const { q } = setup();
    const p = q.get();
    q.add("x");
    expect(await p).toBe("x");
    expect(q.processingCount()).toBe(1);
  });

  it("addAfter delivers when due and the earliest time wins", async () => {
    const { q, clock } = setup();
    q.addAfter("a", 10_000);
    q.addAfter("a", 5_000); // earlier: wins
    q.addAfter("a", 20_000); // later: ignored
    clock.advance(4_999);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(await drainNow(q)).toEqual(["a"]);
    clock.advance(60_000);
    expect(q.len()).toBe(0); // the superseded 10 s / 20 s entries do not fire again
    expect(q.waitingCount()).toBe(0);
  });

  it("addAfter orders several keys by due time", async () => {
    const { q, clock } = setup();
    q.addAfter("late", 3_000);
    q.addAfter("early", 1_000);
    q.addAfter("mid", 2_000);
    clock.advance(1_500);
    expect(await drainNow(q)).toEqual(["early"]);
    clock.advance(2_000);
    expect(await drainNow(q)).toEqual(["mid", "late"]);
  });

  it("addRateLimited backs off exponentially per key up to max; forget resets", async () => {
    const { q, clock } = setup({ baseMs: 1_000, maxMs: 4_000 });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      q.addRateLimited("k");
      let waited = 0;
      while (q.len() === 0) {
        clock.advance(500);
        waited += 500;
      }
      delays.push(waited);
      await drainNow(q);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(q.numRequeues("k")).toBe(5);
    q.forget("k");
    expect(q.numRequeues("k")).toBe(0);
    q.addRateLimited("k");
    clock.advance(1_000);
    expect(q.len()).toBe(1);
  });

  it("backoff of one key does not affect another", () => {
    const { q, clock } = setup({ baseMs: 1_000, maxMs: 60_000 });
    q.addRateLimited("a");
    q.addRateLimited("a");
    q.addRateLimited("b");
    clock.advance(1_000);
    expect(q.len()).toBe(2); // a's first (1 s) and b's first (1 s); a's 2 s entry is superseded
  });

  it("shutDown drains queued and in-flight keys, ignores new adds, and drops parked keys", async () => {
    const { q, clock } = setup();
    q.add("a");
    q.add("b");
    q.addAfter("later", 1_000);
    const first = await q.get();
    let drained = false;
    const done = q.shutDown().then(() => (drained = true));
    q.add("c");
    clock.advance(5_000);
    expect(q.len()).toBe(1); // b still handed out; c and "later" are not
    await flushMicrotasks();
    expect(drained).toBe(false);
    q.done(first!);
    const second = await q.get();
    expect(second).toBe("b");
    q.done(second!);
    await done;
    expect(drained).toBe(true);
    expect(await q.get()).toBeUndefined();
  });

  it("shutDown({drain:false}) drops queued keys and wakes idle workers", async () => {
    const { q } = setup();
    const idle = q.get();
    q.add("a"); // taken by the idle waiter
    expect(await idle).toBe("a");
    q.add("b");
    const stopped = q.shutDown({ drain: false });
    expect(q.len()).toBe(0);
    q.done("a");
    await stopped;
  });

  it("runWorkers processes keys with bounded concurrency and exits on shutDown", async () => {
    const { q } = setup();
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: string[] = [];
    const gates: Array<() => void> = [];
    const workers = q.runWorkers(2, async (key) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      seen.push(key);
      await new Promise<void>((r) => gates.push(r));
      inFlight--;
    });
    for (const k of ["a", "b", "c", "d"]) q.add(k);
    await flushMicrotasks();
    expect(inFlight).toBe(2);
    while (seen.length < 4 || gates.length) {
      gates.shift()?.();
      await flushMicrotasks();
    }
    await q.shutDown();
    await workers;
    expect(seen.sort()).toEqual(["a", "b", "c", "d"]);
    expect(maxInFlight).toBe(2);
  });
});
