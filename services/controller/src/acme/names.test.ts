import { describe, expect, it } from "vitest";
import type { ChallengeSpec, OrderSpec } from "@certkeeper/api";
import {
  challengeName,
  challengeSpecHashInput,
  dnsSafeShorten,
  fnv1_32,
  orderName,
  orderSpecHashInput,
} from "./names.ts";

describe("fnv1_32", () => {
  // Reference values of 32-bit FNV-1 (not 1a), as Go's hash/fnv New32 computes them.
  it.each([
    ["", 0x811c9dc5],
    ["a", 0x050c5d7e],
    ["foobar", 0x31f0b262],
  ])("%j → %i", (input, want) => expect(fnv1_32(input)).toBe(want));
});

describe("dnsSafeShorten", () => {
  it.each([
    ["short", "short"],
    ["a".repeat(51), "a".repeat(51)],
    ["a".repeat(60), "a".repeat(52)],
    [`${"a".repeat(50)}--b`, "a".repeat(50)],
    ["-".repeat(60), ""],
  ])("%s", (input, want) => expect(dnsSafeShorten(input)).toBe(want));
});

const spec: OrderSpec = {
  request: "Q1NS",
  issuerRef: { name: "le", kind: "ClusterIssuer", group: "cert-manager.io" },
  commonName: "a.example.com",
  dnsNames: ["a.example.com", "b.example.com"],
};

describe("order names", () => {
  it("hashes the spec without the request, fields in cert-manager's order", () => {
    expect(orderSpecHashInput(spec)).toBe(
      '{"request":null,"issuerRef":{"group":"cert-manager.io","kind":"ClusterIssuer","name":"le"},"commonName":"a.example.com","dnsNames":["a.example.com","b.example.com"]}',
    );
    expect(orderName("web-1", spec)).toBe(`web-1-${fnv1_32(orderSpecHashInput(spec))}`);
    expect(orderName("web-1", { ...spec, request: "b3RoZXI=" })).toBe(orderName("web-1", spec));
  });

  it("differs when what is ordered differs", () => {
    const names = [
      orderName("web-1", spec),
      orderName("web-1", { ...spec, dnsNames: ["a.example.com"] }),
      orderName("web-1", { ...spec, duration: "1h0m0s" }),
      orderName("web-2", spec),
    ];
    expect(new Set(names).size).toBe(4);
  });

  it("stays within 63 characters for long request names", () => {
    const n = orderName("x".repeat(80), spec);
    expect(n.length).toBeLessThanOrEqual(63);
    expect(n).toMatch(/^x{52}-\d{1,10}$/);
  });
});

describe("challenge names", () => {
  const ch: ChallengeSpec = {
    url: "https://acme.test/chall/1",
    authorizationURL: "https://acme.test/authz/1",
    dnsName: "a.example.com",
    type: "HTTP-01",
    token: "tok",
    key: "tok.thumb",
    solver: { http01: { ingress: { class: "nginx" } } },
    issuerRef: { name: "le", kind: "ClusterIssuer" },
  };

  it("ignores the key (it is filled in after naming) and omits wildcard=false", () => {
    expect(challengeName("order", ch)).toBe(challengeName("order", { ...ch, key: "" }));
    expect(challengeSpecHashInput(ch)).toContain(
      '"token":"tok","key":"","solver":{"http01":{"ingress":{"class":"nginx"}}}',
    );
    expect(challengeSpecHashInput(ch)).not.toContain("wildcard");
    expect(challengeSpecHashInput({ ...ch, wildcard: true })).toContain('"wildcard":true');
  });

  it("is deterministic and depends on the authorization", () => {
    expect(challengeName("order", ch)).toBe(challengeName("order", structuredClone(ch)));
    expect(challengeName("order", ch)).not.toBe(
      challengeName("order", { ...ch, url: "https://acme.test/chall/2" }),
    );
    expect(challengeName("order", ch)).toMatch(/^order-\d+$/);
  });
});
