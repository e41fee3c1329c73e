import { describe, expect, it } from "vitest";
import type { KubeClient } from "./client.ts";
import { Informer } from "./informer.ts";
import { matchesLabelSelector } from "./selector.ts";
import { CoreResources, type Secret } from "./types.ts";

describe("matchesLabelSelector", () => {
  const cases: Array<[string | undefined, Record<string, string> | undefined, boolean]> = [
    [undefined, undefined, true],
    ["a=b", { a: "b" }, true],
    ["a==b", { a: "b" }, true],
    ["a=b", { a: "c" }, false],
    ["a=b", {}, false],
    ["a!=true", {}, true],
    ["a!=true", { a: "false" }, true],
    ["a!=true", { a: "true" }, false],
    ["a", { a: "" }, true],
    ["a", {}, false],
    ["!a", {}, true],
    ["!a", { a: "x" }, false],
    ["a=b, c!=d", { a: "b", c: "e" }, true],
    ["a=b,c!=d", { a: "b", c: "d" }, false],
    ["env in (x,y)", {}, true], // set-based: not evaluated
  ];
  for (const [sel, labels, want] of cases) {
    it(`${sel ?? "<none>"} on ${JSON.stringify(labels)} → ${want}`, () => {
      expect(matchesLabelSelector(sel, labels)).toBe(want);
    });
  }
});

describe("Informer.observe / forget (read-your-writes)", () => {
  // The cache half of an informer needs no API server.
  const offline = (opts: { labelSelector?: string; metadataOnly?: boolean } = {}) =>
    new Informer<Secret>({
      client: undefined as unknown as KubeClient,
      resource: CoreResources.secrets,
      ...opts,
    });
  const secret = (rv: string, labels: Record<string, string> = {}): Secret => ({
    metadata: { namespace: "ns", name: "s", resourceVersion: rv, labels, managedFields: [{}] },
    data: { k: "dg==" },
  });

  it("caches a written object (prepared: kind filled, managedFields stripped, frozen) without calling handlers", () => {
    const inf = offline();
    let calls = 0;
    inf.onAdd(() => calls++);
    inf.observe(secret("10"));
    const got = inf.get("ns", "s")!;
    expect(got.kind).toBe("Secret");
    expect(got.metadata.managedFields).toBeUndefined();
    expect(Object.isFrozen(got)).toBe(true);
    expect(calls).toBe(0);
  });

  it("keeps a newer cached version", () => {
    const inf = offline();
    inf.observe(secret("12"));
    inf.observe(secret("11"));
    expect(inf.get("ns", "s")?.metadata.resourceVersion).toBe("12");
    inf.observe(secret("13"));
    expect(inf.get("ns", "s")?.metadata.resourceVersion).toBe("13");
  });

  it("drops an object that left the selector, and forgets deletes", () => {
    const inf = offline({ labelSelector: "controller.cert-manager.io/fao=true" });
    inf.observe(secret("1", { "controller.cert-manager.io/fao": "true" }));
    expect(inf.get("ns", "s")).toBeDefined();
    inf.observe(secret("2"));
    expect(inf.get("ns", "s")).toBeUndefined();
    inf.observe(secret("3", { "controller.cert-manager.io/fao": "true" }));
    inf.forget(secret("3"));
    expect(inf.get("ns", "s")).toBeUndefined();
  });

  it("keeps only metadata in metadata-only mode", () => {
    const inf = offline({ metadataOnly: true });
    inf.observe(secret("1"));
    expect(inf.get("ns", "s")).not.toHaveProperty("data");
  });
});
