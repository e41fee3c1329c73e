import { describe, expect, it } from "vitest";
import type { Challenge } from "@certkeeper/api";
import { aChallenge, createdAt, inState, ofType, processing } from "./builders.ts";
import { scheduleChallenges } from "./scheduler.ts";

const names = (chs: Challenge[]) => chs.map((c) => c.metadata.name);
const at = (s: number) => createdAt(new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString());

describe("scheduleChallenges", () => {
  it("picks the oldest first, up to n", () => {
    const all = [
      aChallenge("c", "c.test", at(3)),
      aChallenge("a", "a.test", at(1)),
      aChallenge("b", "b.test", at(2)),
    ];
    expect(names(scheduleChallenges(all, 2, 60))).toEqual(["a", "b"]);
  });

  it("skips final and already processing challenges", () => {
    const all = [
      aChallenge("done", "a.test", inState("valid")),
      aChallenge("bad", "b.test", inState("invalid")),
      aChallenge("busy", "c.test", processing),
      aChallenge("next", "d.test", inState("pending")),
    ];
    expect(names(scheduleChallenges(all, 20, 60))).toEqual(["next"]);
  });

  it("never runs two challenges for the same name and type at once", () => {
    const all = [
      aChallenge("old", "a.test", at(1)),
      aChallenge("new", "a.test", at(2)),
      aChallenge("dns", "a.test", at(3), ofType("DNS-01")),
    ];
    expect(names(scheduleChallenges(all, 20, 60))).toEqual(["old", "dns"]);
    const busy = [aChallenge("running", "a.test", processing, at(0)), aChallenge("waiting", "a.test", at(1))];
    expect(names(scheduleChallenges(busy, 20, 60))).toEqual([]);
  });

  it("respects the in-flight cap, counting processing challenges even in a final state", () => {
    const all = [
      aChallenge("p1", "p1.test", processing),
      aChallenge("p2", "p2.test", processing, inState("valid")),
      aChallenge("w1", "w1.test", at(1)),
      aChallenge("w2", "w2.test", at(2)),
    ];
    expect(names(scheduleChallenges(all, 20, 3))).toEqual(["w1"]);
    expect(names(scheduleChallenges(all, 20, 2))).toEqual([]);
  });

  it("ignores challenges being deleted", () => {
    const gone = aChallenge(
      "gone",
      "a.test",
      (c) => void (c.metadata.deletionTimestamp = "2026-01-01T00:00:00Z"),
    );
    expect(scheduleChallenges([gone], 20, 60)).toEqual([]);
  });
});
