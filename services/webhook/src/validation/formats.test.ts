import { describe, expect, it } from "vitest";
import { aggregateMessage, formatFieldError, invalid, Printed, required, tooLong } from "./field.ts";
import { emailAddressError, isGoIP, parseLiteralSubject } from "./formats.ts";

describe("field error formatting", () => {
  it("renders like apimachinery", () => {
    expect(formatFieldError(tooLong("spec.commonName", 64))).toBe(
      "spec.commonName: Too long: may not be more than 64 bytes",
    );
    expect(formatFieldError(required("spec.x"))).toBe("spec.x: Required value");
    expect(formatFieldError(invalid("spec.d", new Printed("30m0s"), "too short"))).toBe(
      "spec.d: Invalid value: 30m0s: too short",
    );
    expect(aggregateMessage(["a", "b", "a"])).toBe("[a, b]");
    expect(aggregateMessage(["a", "a"])).toBe("a");
  });
});

describe("formats", () => {
  it.each([
    ["10.0.0.1", true],
    ["2001:db8::1", true],
    ["::ffff:10.0.0.1", true],
    ["fe80::1%eth0", false],
    ["010.0.0.1", false],
    ["example.com", false],
  ])("IP %s", (ip, ok) => expect(isGoIP(ip)).toBe(ok));

  it.each([
    ["a@example.com", undefined],
    ['"a b"@example.com', undefined],
    [
      " a@example.com",
      "invalid email address: make sure the supplied value only contains the email address itself",
    ],
    ["a@", "invalid email address: mail: no domain in addr-spec"],
    ["", "invalid email address: mail: no address"],
  ])("email %j", (e, want) => expect(emailAddressError(e)).toBe(want));

  it("parses RFC 4514 subjects, escapes included", () => {
    expect(
      parseLiteralSubject("CN=a\\,b,O=x+OU=y,2.5.4.6=DE").map((a) => [a.type, a.value, a.known]),
    ).toEqual([
      ["CN", "a,b", true],
      ["O", "x", true],
      ["OU", "y", true],
      ["2.5.4.6", "DE", true],
    ]);
    expect(() => parseLiteralSubject("CN=#0401")).toThrow(/=#/);
    expect(() => parseLiteralSubject("CN")).toThrow(/incomplete/);
  });
});
