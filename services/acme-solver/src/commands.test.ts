import { describe, expect, it } from "vitest";
import { makeEnvelope, schemaName, type Envelope, type ResourceRef } from "@certkeeper/contracts";
import { silentLogger } from "@certkeeper/logging";
import { solverEndpoints, type TokenWriter } from "./commands.ts";
import { Dns01NotSupportedError, InvalidChallengeError } from "./errors.ts";
import type { TokenRecord } from "./tokens.ts";

const resource: ResourceRef = { kind: "Challenge", namespace: "default", name: "web-1", uid: "uid-1" };
const SUBJECT = "cm.v1.cmd.challenge.uid-1.present";

function fakeStore(): TokenWriter & { data: Map<string, TokenRecord> } {
  const data = new Map<string, TokenRecord>();
  return {
    data,
    async put(token, record) {
      data.set(token, record);
    },
    async delete(token) {
      data.delete(token);
    },
  };
}

function env<D extends Record<string, unknown>>(verb: string, data: D): Envelope<D> {
  return makeEnvelope(schemaName("challenge", verb), resource, data);
}

const http01 = { type: "HTTP-01" as const, dnsName: "Example.TEST", token: "tok_1-A" };

describe("present", () => {
  it("stores token → normalised domain and key, idempotently", async () => {
    const store = fakeStore();
    const { present } = solverEndpoints({ tokens: store, log: silentLogger() });
    for (let i = 0; i < 2; i++) {
      const reply = await present.handler(env("present", { ...http01, key: "tok_1-A.thumb" }), SUBJECT);
      expect(reply).toMatchObject({ ok: true });
      expect(JSON.stringify(reply)).not.toContain("thumb");
    }
    expect([...store.data]).toEqual([["tok_1-A", { domain: "example.test", key: "tok_1-A.thumb" }]]);
  });

  it("refuses DNS-01 with its own code", async () => {
    const { present } = solverEndpoints({ tokens: fakeStore(), log: silentLogger() });
    const p = present.handler(env("present", { ...http01, type: "DNS-01" as const, key: "k" }), SUBJECT);
    await expect(p).rejects.toBeInstanceOf(Dns01NotSupportedError);
    await expect(p).rejects.toMatchObject({ code: "CK_SOLVER_DNS01_UNSUPPORTED", status: 501 });
  });

  it.each([
    ["a wildcard name", { ...http01, dnsName: "*.example.test" }],
    ["a token that is not base64url", { ...http01, token: "a.b" }],
    ["a name with a slash", { ...http01, dnsName: "example.test/x" }],
  ])("refuses %s", async (_what, data) => {
    const store = fakeStore();
    const { present } = solverEndpoints({ tokens: store, log: silentLogger() });
    const p = present.handler(env("present", { ...data, key: "k" }), SUBJECT);
    await expect(p).rejects.toBeInstanceOf(InvalidChallengeError);
    await expect(p).rejects.toMatchObject({ code: "CK_SOLVER_CHALLENGE_INVALID", status: 400 });
    expect(store.data.size).toBe(0);
  });
});

describe("cleanup", () => {
  it("deletes the token; a missing token is fine", async () => {
    const store = fakeStore();
    store.data.set("tok_1-A", { domain: "example.test", key: "k" });
    const { cleanup } = solverEndpoints({ tokens: store, log: silentLogger() });
    expect(await cleanup.handler(env("cleanup", http01), SUBJECT)).toMatchObject({ ok: true });
    expect(await cleanup.handler(env("cleanup", http01), SUBJECT)).toMatchObject({ ok: true });
    expect(store.data.size).toBe(0);
  });

  it("refuses DNS-01", async () => {
    const { cleanup } = solverEndpoints({ tokens: fakeStore(), log: silentLogger() });
    await expect(
      cleanup.handler(env("cleanup", { ...http01, type: "DNS-01" as const }), SUBJECT),
    ).rejects.toMatchObject({
      code: "CK_SOLVER_DNS01_UNSUPPORTED",
    });
  });
});
