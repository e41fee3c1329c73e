import { describe, expect, it } from "vitest";
import type { CertificateRequest } from "@certkeeper/api";
import { decisionBlocked, withDecision } from "./approve.ts";

const now = new Date("2026-05-01T10:00:00Z");
const aRequest = (conditions: { type: string; status: "True" | "False" }[] = []): CertificateRequest =>
  ({
    apiVersion: "cert-manager.io/v1",
    kind: "CertificateRequest",
    metadata: { name: "web-1", namespace: "apps" },
    spec: { request: "", issuerRef: { name: "ca" } },
    status: { conditions },
  }) as CertificateRequest;

describe("approve / deny", () => {
  it("adds the decision's condition", () => {
    expect(
      withDecision(aRequest(), "approve", "KubectlCertManager", 'manually approved by "certkeeper"', now)
        .status?.conditions,
    ).toEqual([
      {
        type: "Approved",
        status: "True",
        reason: "KubectlCertManager",
        message: 'manually approved by "certkeeper"',
        lastTransitionTime: "2026-05-01T10:00:00Z",
      },
    ]);
    expect(
      withDecision(aRequest(), "deny", "PolicyX", "not allowed", now).status?.conditions?.[0],
    ).toMatchObject({
      type: "Denied",
      status: "True",
      reason: "PolicyX",
    });
  });

  it.each([
    [[], undefined],
    [[{ type: "Ready", status: "False" as const }], undefined],
    [[{ type: "Approved", status: "True" as const }], "CertificateRequest is already approved"],
    [[{ type: "Denied", status: "True" as const }], "CertificateRequest is already denied"],
  ])("blocks a second decision: %j", (conditions, expected) => {
    expect(decisionBlocked(aRequest(conditions))).toBe(expected);
  });
});
