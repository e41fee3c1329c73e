import { describe, expect, it } from "vitest";
import { hostMatches, hostOf, isValidToken, normalizeDomain, tokenPrefix } from "./host.ts";

describe("hostOf", () => {
  it.each<[string | undefined, string | undefined]>([
    ["example.test", "example.test"],
    ["example.test:8089", "example.test"],
    ["EXAMPLE.Test:80", "example.test"],
    ["example.test.", "example.test"],
    ["127.0.0.1:8089", "127.0.0.1"],
    ["[::1]:8089", "::1"],
    ["[::1]", "::1"],
    ["[0:0::1]:80", "::1"],
    ["[2001:DB8::1]", "2001:db8::1"],
    ["::1", "::1"],
    ["[::1", undefined],
    ["", undefined],
    [":8089", undefined],
    [undefined, undefined],
  ])("%j → %j", (header, want) => {
    expect(hostOf(header)).toBe(want);
  });
});

describe("normalizeDomain", () => {
  it.each<[string, string | undefined]>([
    ["Example.TEST", "example.test"],
    ["example.test.", "example.test"],
    ["[::1]", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["", undefined],
  ])("%j → %j", (name, want) => {
    expect(normalizeDomain(name)).toBe(want);
  });
});

describe("hostMatches", () => {
  it.each<[string | undefined, string, boolean]>([
    ["example.test", "example.test", true],
    ["Example.Test:8089", "example.test", true],
    ["example.test", "EXAMPLE.test", true],
    ["[::1]:8089", "::1", true],
    ["other.test", "example.test", false],
    ["sub.example.test", "example.test", false],
    ["example.test.evil", "example.test", false],
    [undefined, "example.test", false],
  ])("%j vs %j → %s", (header, domain, want) => {
    expect(hostMatches(header, domain)).toBe(want);
  });
});

describe("tokens", () => {
  it.each<[string, boolean]>([
    ["evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", true],
    ["a", true],
    ["", false],
    ["a.b", false],
    ["../etc", false],
    ["a b", false],
    ["x".repeat(257), false],
  ])("%j valid: %s", (token, want) => {
    expect(isValidToken(token)).toBe(want);
  });

  it("logs only a prefix", () => {
    expect(tokenPrefix("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ")).toBe("evaGxfAD…");
    expect(tokenPrefix("short")).toBe("short");
  });
});
