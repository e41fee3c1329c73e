import { describe, expect, it } from "vitest";
import type { ACMEChallenge, ACMEChallengeSolver } from "@certkeeper/api";
import { commonLabels, explainNoSolver, pickSolver } from "./solvers.ts";

const offered = (...types: string[]): ACMEChallenge[] =>
  types.map((type) => ({ type, url: `u/${type}`, token: `t-${type}` }));
const http = (selector?: ACMEChallengeSolver["selector"], tag = "http"): ACMEChallengeSolver => ({
  http01: { ingress: { class: tag } },
  ...(selector ? { selector } : {}),
});
const dns = (selector?: ACMEChallengeSolver["selector"], tag = "dns"): ACMEChallengeSolver => ({
  dns01: { webhook: { groupName: tag, solverName: tag } },
  ...(selector ? { selector } : {}),
});
const tagOf = (s: ACMEChallengeSolver | undefined) =>
  s?.http01?.ingress?.class ?? s?.dns01?.webhook?.groupName;

describe("commonLabels", () => {
  it.each([
    ["example.com", "a.example.com", 2],
    ["Example.COM.", "a.example.com", 2],
    ["example.com", "*.example.com", 2],
    ["b.example.com", "a.example.com", 2],
    ["org", "example.com", 0],
  ])("%s vs %s", (a, b, n) => expect(commonLabels(a, b)).toBe(n));
});

describe("pickSolver", () => {
  const cases: Array<
    [
      string,
      { id: string; wildcard?: boolean; types?: string[]; labels?: Record<string, string> },
      ACMEChallengeSolver[],
      string | undefined,
    ]
  > = [
    ["no selector is the fallback", { id: "a.example.com" }, [http()], "http"],
    [
      "the first fallback wins",
      { id: "a.example.com" },
      [http(undefined, "first"), http(undefined, "second")],
      "first",
    ],
    ["only types the server offers", { id: "a.example.com", types: ["dns-01"] }, [http(), dns()], "dns"],
    [
      "dnsNames beats dnsZones",
      { id: "a.example.com" },
      [http({ dnsZones: ["a.example.com"] }, "zone"), http({ dnsNames: ["a.example.com"] }, "name")],
      "name",
    ],
    [
      "dnsNames beats a fallback listed first",
      { id: "a.example.com" },
      [http(undefined, "any"), http({ dnsNames: ["a.example.com"] }, "name")],
      "name",
    ],
    [
      "longest zone wins",
      { id: "x.a.example.com" },
      [http({ dnsZones: ["example.com"] }, "short"), http({ dnsZones: ["a.example.com"] }, "long")],
      "long",
    ],
    [
      "zone must contain the name",
      { id: "x.other.com" },
      [http({ dnsZones: ["example.com"] }, "zone")],
      undefined,
    ],
    [
      "zones beat labels",
      { id: "a.example.com", labels: { team: "x" } },
      [http({ matchLabels: { team: "x" } }, "labels"), http({ dnsZones: ["example.com"] }, "zone")],
      "zone",
    ],
    [
      "more labels win",
      { id: "a.example.com", labels: { a: "1", b: "2" } },
      [http({ matchLabels: { a: "1" } }, "one"), http({ matchLabels: { a: "1", b: "2" } }, "two")],
      "two",
    ],
    [
      "labels must all match",
      { id: "a.example.com", labels: { a: "1" } },
      [http({ matchLabels: { a: "1", b: "2" } }, "two")],
      undefined,
    ],
    [
      "ties go to the first listed",
      { id: "a.example.com" },
      [http({ dnsZones: ["example.com"] }, "first"), http({ dnsZones: ["example.com"] }, "second")],
      "first",
    ],
    [
      "wildcards match dnsNames with *.",
      { id: "example.com", wildcard: true, types: ["dns-01"] },
      [dns(undefined, "any"), dns({ dnsNames: ["*.example.com"] }, "wild")],
      "wild",
    ],
    [
      "a wildcard with only HTTP-01 solvers gets none",
      { id: "example.com", wildcard: true, types: ["dns-01"] },
      [http()],
      undefined,
    ],
  ];
  it.each(cases)("%s", (_name, a, solvers, want) => {
    const choice = pickSolver(
      a.id,
      a.wildcard ?? false,
      offered(...(a.types ?? ["http-01", "dns-01"])),
      solvers,
      a.labels ?? {},
    );
    expect(tagOf(choice?.solver)).toBe(want);
    if (choice) expect(choice.challenge.type).toBe(choice.solver.http01 ? "http-01" : "dns-01");
  });
});

describe("explainNoSolver", () => {
  it("names the wildcard / HTTP-01 mismatch", () => {
    expect(explainNoSolver("example.com", true, offered("dns-01"), [http()])).toBe(
      '"*.example.com" is a wildcard name, which can only be validated with DNS-01, but the solvers for it are HTTP-01 only',
    );
  });
  it("names a selector that matches nothing", () => {
    expect(
      explainNoSolver("a.other.com", false, offered("http-01"), [http({ dnsZones: ["example.com"] })]),
    ).toBe('no solver\'s selector matches "a.other.com"');
  });
  it("names offered vs configured types", () => {
    expect(explainNoSolver("a.example.com", false, offered("dns-01"), [http()])).toBe(
      'the ACME server offers dns-01 for "a.example.com", but the solvers for it are HTTP-01',
    );
  });
});
