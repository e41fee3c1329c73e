import { describe, expect, it } from "vitest";
import type { Certificate } from "@certkeeper/api";
import { UsageError } from "../errors.ts";
import { markForRenewal, renewSelection } from "./renew.ts";

const now = new Date("2026-05-01T10:00:00Z");
const aCertificate = (status?: Record<string, unknown>): Certificate =>
  ({
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: "web", namespace: "apps", generation: 3, resourceVersion: "42" },
    spec: { secretName: "web-tls", issuerRef: { name: "ca" }, dnsNames: ["web.example"] },
    ...(status ? { status } : {}),
  }) as unknown as Certificate;

describe("markForRenewal", () => {
  it("adds Issuing=True/ManuallyTriggered with the generation, keeping other conditions", () => {
    const ready = {
      type: "Ready",
      status: "True" as const,
      reason: "Ready",
      lastTransitionTime: "2026-04-01T00:00:00Z",
    };
    const out = markForRenewal(aCertificate({ conditions: [ready], revision: 1 }), now);
    expect(out.status).toEqual({
      revision: 1,
      conditions: [
        ready,
        {
          type: "Issuing",
          status: "True",
          reason: "ManuallyTriggered",
          message: "Certificate re-issuance manually triggered",
          lastTransitionTime: "2026-05-01T10:00:00Z",
          observedGeneration: 3,
        },
      ],
    });
    expect(out.metadata.resourceVersion).toBe("42");
  });

  it("replaces an Issuing=False condition in place", () => {
    const out = markForRenewal(
      aCertificate({ conditions: [{ type: "Issuing", status: "False", reason: "Failed" }] }),
      now,
    );
    expect(out.status?.conditions).toHaveLength(1);
    expect(out.status?.conditions?.[0]).toMatchObject({ status: "True", reason: "ManuallyTriggered" });
  });
});

describe("renewSelection", () => {
  it.each([
    [["a", "b"], false, undefined, false, { names: ["a", "b"] }],
    [[], true, undefined, false, { list: {} }],
    [[], false, "app=web", true, { list: { labelSelector: "app=web" } }],
  ])("%j all=%s selector=%s -A=%s", (names, all, selector, allNs, expected) => {
    expect(renewSelection(names, all, selector, allNs)).toEqual(expected);
  });

  it.each([
    [[], false, undefined, false, /give one or more Certificate names/],
    [[], true, "a=b", false, /label selector together with --all/],
    [["a"], false, "a=b", false, /names together with a label selector/],
    [["a"], true, undefined, false, /names together with --all/],
    [["a"], false, undefined, true, /names together with --all-namespaces/],
  ])("refuses %j all=%s selector=%s -A=%s", (names, all, selector, allNs, message) => {
    expect(() => renewSelection(names, all, selector, allNs)).toThrow(UsageError);
    expect(() => renewSelection(names, all, selector, allNs)).toThrow(message);
  });
});
