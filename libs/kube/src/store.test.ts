import { describe, expect, it } from "vitest";
import { FakeClock } from "./clock.ts";
import {
  errorFromResponse,
  findError,
  isConflict,
  AlreadyExistsError,
  ConflictError,
  InvalidError,
} from "./errors.ts";
import { TokenBucket } from "./ratelimit.ts";
import { indexByAnnotation, indexByOwnerUID, Store } from "./store.ts";
import { splitKey, objectKey, type KubeObject } from "./types.ts";

const obj = (
  ns: string | undefined,
  name: string,
  extra: Partial<NonNullable<KubeObject["metadata"]>> = {},
): KubeObject => ({
  metadata: { namespace: ns, name, ...extra },
});

describe("Store", () => {
  it("gets, lists by namespace, and keeps indexes in step with updates and removals", () => {
    const s = new Store<KubeObject>({
      owner: indexByOwnerUID,
      issuer: indexByAnnotation("cert-manager.io/issuer-name"),
    });
    const owner = (uid: string) => ({ apiVersion: "v1", kind: "X", name: "o", uid });
    s.upsert(
      obj("a", "one", {
        ownerReferences: [owner("u1")],
        annotations: { "cert-manager.io/issuer-name": "ca" },
      }),
    );
    s.upsert(obj("a", "two", { ownerReferences: [owner("u1"), owner("u2")] }));
    s.upsert(obj("b", "three"));
    s.upsert(obj(undefined, "cluster-scoped"));

    expect(s.get("a", "one")?.metadata?.name).toBe("one");
    expect(s.get(undefined, "cluster-scoped")).toBeDefined();
    expect(
      s
        .list("a")
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(["one", "two"]);
    expect(s.list()).toHaveLength(4);
    expect(
      s
        .byIndex("owner", "u1")
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(["one", "two"]);
    expect(s.byIndex("issuer", "ca").map((o) => o.metadata?.name)).toEqual(["one"]);

    s.upsert(obj("a", "two", { ownerReferences: [owner("u2")] }));
    expect(s.byIndex("owner", "u1").map((o) => o.metadata?.name)).toEqual(["one"]);
    s.remove("a/one");
    expect(s.byIndex("owner", "u1")).toEqual([]);
    expect(s.byIndex("issuer", "ca")).toEqual([]);
    expect(() => s.byIndex("nope", "x")).toThrow();
  });

  it("objectKey and splitKey are inverses", () => {
    expect(objectKey(obj("ns", "n"))).toBe("ns/n");
    expect(splitKey("ns/n")).toEqual({ namespace: "ns", name: "n" });
    expect(splitKey("n")).toEqual({ namespace: undefined, name: "n" });
  });
});

describe("errorFromResponse", () => {
  const req = { verb: "POST", path: "/api/v1/namespaces/x/secrets" };
  it("maps 409 by reason and 422 with causes", () => {
    expect(errorFromResponse(409, JSON.stringify({ reason: "AlreadyExists" }), req)).toBeInstanceOf(
      AlreadyExistsError,
    );
    const c = errorFromResponse(409, JSON.stringify({ reason: "Conflict" }), req);
    expect(c).toBeInstanceOf(ConflictError);
    expect(c.code).toBe("CK_KUBE_CONFLICT");
    const inv = errorFromResponse(
      422,
      JSON.stringify({
        message: "bad",
        details: { causes: [{ field: "spec.dnsNames[0]", message: "invalid" }] },
      }),
      req,
    );
    expect(inv).toBeInstanceOf(InvalidError);
    expect((inv as InvalidError).causes[0]?.field).toBe("spec.dnsNames[0]");
    expect(inv.apiMessage).toBe("bad");
  });
  it("finds errors through cause chains", () => {
    const wrapped = new Error("outer", { cause: errorFromResponse(409, "{}", req) });
    expect(isConflict(wrapped)).toBe(true);
    expect(findError(wrapped, ConflictError)?.statusCode).toBe(409);
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then spaces requests at qps", () => {
    const clock = new FakeClock();
    const b = new TokenBucket(10, 3, clock);
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 0]);
    expect(b.reserve()).toBe(100);
    expect(b.reserve()).toBe(200);
    clock.advance(1_000);
    expect(b.reserve()).toBe(0);
  });
});
