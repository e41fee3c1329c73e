import { describe, expect, it } from "vitest";
import { ownerOf } from "./sharding.ts";

describe("rendezvous ownership", () => {
  const keys = Array.from({ length: 3000 }, (_, i) => `ns-${i % 7}/cert-${i}`);

  it("gives every key exactly one owner and spreads keys evenly", () => {
    const members = ["a", "b", "c"];
    const counts = new Map<string, number>();
    for (const k of keys) counts.set(ownerOf(k, members)!, (counts.get(ownerOf(k, members)!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(members);
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
  });

  it("moves only the departed member's keys when one leaves", () => {
    const before = new Map(keys.map((k) => [k, ownerOf(k, ["a", "b", "c"])]));
    let moved = 0;
    for (const k of keys) {
      const after = ownerOf(k, ["a", "c"]);
      if (before.get(k) !== "b") expect(after).toBe(before.get(k));
      else moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  it("has no owner without members", () => {
    expect(ownerOf("x", [])).toBeUndefined();
  });
});
