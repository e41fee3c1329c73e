import { describe, expect, it } from "vitest";
import {
  SubjectError,
  commandSubject,
  eventSubject,
  filters,
  parseSubject,
  type EventName,
  type SubjectKind,
} from "./subjects.ts";

const UID = "6f1c7a2e-93d1-4b8e-a0c4-2f5d9e7b1a30";

describe("eventSubject", () => {
  it.each<[SubjectKind, string, string]>([
    ["certificate", "issued", `cm.v1.evt.certificate.${UID}.issued`],
    ["certificate", "key-generated", `cm.v1.evt.certificate.${UID}.key-generated`],
    ["certificaterequest", "approved", `cm.v1.evt.certificaterequest.${UID}.approved`],
    ["challenge", "presented", `cm.v1.evt.challenge.${UID}.presented`],
    ["admission", "denied", `cm.v1.evt.admission.${UID}.denied`],
  ])("%s %s", (kind, event, want) => {
    expect(eventSubject(kind, UID, event as EventName)).toBe(want);
  });

  it("refuses an event the kind does not define", () => {
    expect(() => eventSubject("order", UID, "issued" as EventName<"order">)).toThrow(SubjectError);
  });

  it.each(["", "a.b", "a b", "*", ">", "ü", "a/b"])("refuses uid %j", (uid) => {
    const err = captured(() => eventSubject("certificate", uid, "issued"));
    expect(err).toBeInstanceOf(SubjectError);
    expect((err as SubjectError).code).toBe("CK_SUBJECT_INVALID");
  });
});

describe("commandSubject", () => {
  it("builds command subjects", () => {
    expect(commandSubject("challenge", UID, "present")).toBe(`cm.v1.cmd.challenge.${UID}.present`);
    expect(commandSubject("certificate", UID, "renew")).toBe(`cm.v1.cmd.certificate.${UID}.renew`);
  });
  it("refuses a uid with a wildcard", () => {
    expect(() => commandSubject("certificate", "*", "renew")).toThrow(SubjectError);
  });
});

describe("filters", () => {
  it("match the subjects they are meant for", () => {
    expect(filters.allEvents()).toBe("cm.v1.evt.>");
    expect(filters.eventsOf(UID)).toBe(`cm.v1.evt.*.${UID}.>`);
    expect(filters.eventOfKind("certificate", "issued")).toBe("cm.v1.evt.certificate.*.issued");
    expect(filters.command("challenge", "present")).toBe("cm.v1.cmd.challenge.*.present");
  });
  it("eventsOf refuses an invalid uid", () => {
    expect(() => filters.eventsOf("x.>")).toThrow(SubjectError);
  });
});

describe("parseSubject", () => {
  it("round-trips built subjects", () => {
    expect(parseSubject(eventSubject("order", UID, "valid"))).toEqual({
      type: "evt",
      kind: "order",
      uid: UID,
      name: "valid",
    });
    expect(parseSubject(commandSubject("challenge", UID, "cleanup"))).toEqual({
      type: "cmd",
      kind: "challenge",
      uid: UID,
      name: "cleanup",
    });
  });

  it.each([
    "cm.v1.evt.certificate.uid",
    "cm.v1.evt.certificate.uid.issued.extra",
    "cm.v2.evt.certificate.uid.issued",
    "xx.v1.evt.certificate.uid.issued",
    "cm.v1.foo.certificate.uid.issued",
    "",
  ])("refuses %j", (subject) => {
    expect(() => parseSubject(subject)).toThrow(SubjectError);
  });
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
