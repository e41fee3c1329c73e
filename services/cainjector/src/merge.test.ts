import { beforeAll, describe, expect, it } from "vitest";
import { splitPEMBundle } from "@certkeeper/pki";
import { mergeBundle, parseBundle, replaceBundle } from "./merge.ts";
import { aCA, anExpiredCA } from "./test-helpers.ts";

let valid1: string;
let valid2: string;
let valid3: string;
let expired: string;
const now = new Date();

beforeAll(async () => {
  [valid1, valid2, valid3, expired] = await Promise.all([
    aCA("valid-1"),
    aCA("valid-2"),
    aCA("valid-3"),
    anExpiredCA("expired"),
  ]);
});

/** The test names of the certificates in a bundle, in order. */
function names(pem: string): string[] {
  const label = new Map([
    [valid1, "valid1"],
    [valid2, "valid2"],
    [valid3, "valid3"],
    [expired, "expired"],
  ]);
  return parseBundle(pem).map((c) => label.get(c.pem) ?? "?");
}

describe("mergeBundle", () => {
  const cases: Array<{
    name: string;
    existing: () => string;
    additional: () => string;
    want: string[];
    changed: boolean;
  }> = [
    {
      name: "appends to an empty bundle",
      existing: () => "",
      additional: () => valid1,
      want: ["valid1"],
      changed: true,
    },
    {
      name: "appends a new CA after the existing ones",
      existing: () => valid1,
      additional: () => valid2,
      want: ["valid1", "valid2"],
      changed: true,
    },
    {
      name: "keeps the existing order",
      existing: () => valid2 + valid1,
      additional: () => valid3,
      want: ["valid2", "valid1", "valid3"],
      changed: true,
    },
    {
      name: "removes expired certificates from the bundle",
      existing: () => valid1 + expired,
      additional: () => valid2,
      want: ["valid1", "valid2"],
      changed: true,
    },
    {
      name: "removes duplicates already in the bundle",
      existing: () => valid1 + valid1,
      additional: () => valid2,
      want: ["valid1", "valid2"],
      changed: true,
    },
    {
      name: "does not append a CA already present",
      existing: () => valid1 + valid2,
      additional: () => valid1,
      want: ["valid1", "valid2"],
      changed: false,
    },
    {
      name: "does not append an expired CA",
      existing: () => valid1,
      additional: () => expired,
      want: ["valid1"],
      changed: false,
    },
    {
      name: "appends every CA of a multi-certificate source",
      existing: () => valid1,
      additional: () => valid2 + valid3,
      want: ["valid1", "valid2", "valid3"],
      changed: true,
    },
    {
      name: "replaces an unparsable bundle",
      existing: () => "not a pem",
      additional: () => valid1,
      want: ["valid1"],
      changed: true,
    },
    {
      name: "leaves nothing when everything expired",
      existing: () => expired,
      additional: () => expired,
      want: [],
      changed: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = mergeBundle(c.existing(), c.additional(), now);
      expect(names(r.bundle)).toEqual(c.want);
      expect(r.certificates).toBe(c.want.length);
      expect(r.changed).toBe(c.changed);
    });
  }

  it("is idempotent: merging the result again changes nothing", () => {
    const once = mergeBundle(valid1, valid2, now);
    const twice = mergeBundle(once.bundle, valid2, now);
    expect(twice.changed).toBe(false);
    expect(twice.bundle).toBe(once.bundle);
  });

  it("rewrites a non-canonical bundle once, then stays stable", () => {
    const crlf = valid1.replace(/\n/g, "\r\n");
    const first = mergeBundle(crlf, valid1, now);
    expect(first.changed).toBe(true);
    expect(first.bundle).toBe(valid1);
    expect(mergeBundle(first.bundle, valid1, now).changed).toBe(false);
  });

  it("judges expiry by the given time", () => {
    const notAfter = parseBundle(valid1)[0]!.notAfter;
    expect(mergeBundle("", valid1, new Date(notAfter.getTime() + 1000)).certificates).toBe(0);
    expect(mergeBundle("", valid1, notAfter).certificates).toBe(1);
  });

  it("emits canonical PEM blocks", () => {
    const r = mergeBundle("", valid1 + valid2, now);
    expect(splitPEMBundle(r.bundle).join("")).toBe(r.bundle);
  });
});

describe("replaceBundle (CAInjectorMerging=false)", () => {
  it("writes exactly the source data", () => {
    const r = replaceBundle(valid1, valid2);
    expect(r).toEqual({ bundle: valid2, certificates: 1, changed: true });
    expect(replaceBundle(valid2, valid2).changed).toBe(false);
  });
});
