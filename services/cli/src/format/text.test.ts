import { describe, expect, it } from "vitest";
import { age, conditionLine, table } from "./text.ts";

const now = new Date("2026-05-01T10:00:00Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000);

describe("text helpers", () => {
  it.each([
    [5, "5s"],
    [119, "119s"],
    [120, "2m"],
    [7199, "119m"],
    [7200, "2h"],
    [47 * 3600, "47h"],
    [48 * 3600, "2d"],
    [800 * 86400, "2y"],
  ])("age of %ss is %s", (s, text) => expect(age(ago(s), now)).toBe(text));

  it("handles unknown and future times", () => {
    expect(age(undefined, now)).toBe("<unknown>");
    expect(age("garbage", now)).toBe("<unknown>");
    expect(age(new Date(now.getTime() + 5000), now)).toBe("0s");
  });

  it("aligns columns", () => {
    expect(
      table(
        [
          ["a", "bb", "c"],
          ["ddd", "e", "f"],
        ],
        "  ",
      ),
    ).toEqual(["  a    bb  c", "  ddd  e   f"]);
  });

  it("prints a condition on one line", () => {
    expect(
      conditionLine({
        type: "Ready",
        status: "False",
        reason: "DoesNotExist",
        message: "Issuing certificate as Secret does not exist",
      }),
    ).toBe("Ready: False, Reason: DoesNotExist, Message: Issuing certificate as Secret does not exist");
    expect(conditionLine({ type: "Issuing", status: "True" })).toBe("Issuing: True");
  });
});
