import { describe, expect, it } from "vitest";
import { makeEnvelope, schemaName } from "@certkeeper/contracts";
import { eventName, formatData, formatTimelineEvent, formatTimelineJson } from "./events.ts";

const resource = { kind: "Certificate", namespace: "apps", name: "web", uid: "u-1", resourceVersion: "7" };
const at = new Date("2026-05-01T10:00:02.114Z");

describe("event timeline", () => {
  it("prints time, kind.event, object and payload on one line", () => {
    const envelope = makeEnvelope(
      schemaName("certificate", "issued"),
      resource,
      { revision: 2, request: "web-2", reason: "Issued ok" },
      at,
    );
    expect(formatTimelineEvent({ subject: "cm.v1.evt.certificate.u-1.issued", envelope }, 24)).toBe(
      '2026-05-01T10:00:02.114Z  certificate.issued        apps/web  reason="Issued ok" request=web-2 revision=2',
    );
  });

  it("prints a cluster-scoped object without a namespace and no trailing payload", () => {
    const envelope = makeEnvelope(
      schemaName("clusterissuer", "ready"),
      { kind: "ClusterIssuer", name: "ca", uid: "u-2" },
      {},
      at,
    );
    expect(formatTimelineEvent({ subject: "cm.v1.evt.clusterissuer.u-2.ready", envelope }, 0)).toBe(
      "2026-05-01T10:00:02.114Z  clusterissuer.ready  ca",
    );
  });

  it("formats payload values", () => {
    expect(formatData({ b: true, a: ["x", "y"], c: { d: 1 }, e: undefined, f: 'say "hi"' })).toBe(
      'a=["x","y"] b=true c={"d":1} f="say \\"hi\\""',
    );
    expect(eventName("not.a.subject")).toBe("not.a.subject");
  });

  it("prints JSON lines with the stream position", () => {
    const envelope = makeEnvelope(schemaName("certificate", "issuing"), resource, {}, at);
    const line = formatTimelineJson({
      subject: "cm.v1.evt.certificate.u-1.issuing",
      envelope,
      seq: 5,
      storedAt: at,
    });
    expect(JSON.parse(line)).toEqual({
      seq: 5,
      storedAt: at.toISOString(),
      subject: "cm.v1.evt.certificate.u-1.issuing",
      envelope,
    });
  });
});
