import { describe, expect, it } from "vitest";
import {
  formatMicroTime,
  formatTime,
  getCondition,
  removeCondition,
  setCondition,
  type Condition,
} from "./status.ts";

const t0 = new Date("2025-01-01T00:00:00.123Z");
const t1 = new Date("2025-01-01T01:00:00Z");

describe("setCondition", () => {
  const cases: Array<{
    name: string;
    before: Condition[] | undefined;
    set: Omit<Condition, "lastTransitionTime">;
    want: Condition[];
  }> = [
    {
      name: "adds a new condition stamped now",
      before: undefined,
      set: { type: "Ready", status: "False", reason: "Pending", message: "waiting", observedGeneration: 1 },
      want: [
        {
          type: "Ready",
          status: "False",
          reason: "Pending",
          message: "waiting",
          lastTransitionTime: "2025-01-01T01:00:00Z",
          observedGeneration: 1,
        },
      ],
    },
    {
      name: "keeps lastTransitionTime when the status is unchanged, updating the rest",
      before: [
        {
          type: "Ready",
          status: "False",
          reason: "A",
          message: "a",
          lastTransitionTime: "2024-12-31T00:00:00Z",
        },
      ],
      set: { type: "Ready", status: "False", reason: "B", message: "b", observedGeneration: 2 },
      want: [
        {
          type: "Ready",
          status: "False",
          reason: "B",
          message: "b",
          lastTransitionTime: "2024-12-31T00:00:00Z",
          observedGeneration: 2,
        },
      ],
    },
    {
      name: "moves lastTransitionTime when the status changes, keeping position",
      before: [
        { type: "Issuing", status: "True", lastTransitionTime: "2024-12-31T00:00:00Z" },
        { type: "Ready", status: "False", lastTransitionTime: "2024-12-31T00:00:00Z" },
      ],
      set: { type: "Ready", status: "True", reason: "Ready", message: "ok" },
      want: [
        { type: "Issuing", status: "True", lastTransitionTime: "2024-12-31T00:00:00Z" },
        {
          type: "Ready",
          status: "True",
          reason: "Ready",
          message: "ok",
          lastTransitionTime: "2025-01-01T01:00:00Z",
        },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const frozen = c.before ? structuredClone(c.before) : undefined;
      expect(setCondition(c.before, c.set, t1)).toEqual(c.want);
      expect(c.before).toEqual(frozen); // input untouched
    });
  }
});

describe("getCondition / removeCondition", () => {
  const list: Condition[] = [
    { type: "Ready", status: "True" },
    { type: "Issuing", status: "True" },
  ];
  it("finds by type", () => {
    expect(getCondition(list, "Issuing")?.status).toBe("True");
    expect(getCondition(list, "Nope")).toBeUndefined();
    expect(getCondition(undefined, "Ready")).toBeUndefined();
  });
  it("removes by type without touching the input", () => {
    expect(removeCondition(list, "Issuing")).toEqual([{ type: "Ready", status: "True" }]);
    expect(list).toHaveLength(2);
    expect(removeCondition(undefined, "Ready")).toEqual([]);
  });
});

describe("time formats", () => {
  it("metav1.Time has second precision, MicroTime six digits", () => {
    expect(formatTime(t0)).toBe("2025-01-01T00:00:00Z");
    expect(formatMicroTime(t0)).toBe("2025-01-01T00:00:00.123000Z");
  });
});
