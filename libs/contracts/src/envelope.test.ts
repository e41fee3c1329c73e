import { describe, expect, it } from "vitest";
import { Type } from "@sinclair/typebox";
import {
  EnvelopeError,
  eventMessageId,
  makeEnvelope,
  parseEnvelope,
  schemaName,
  type ResourceRef,
} from "./envelope.ts";

const resource: ResourceRef = {
  kind: "Certificate",
  namespace: "default",
  name: "web",
  uid: "uid-1",
  generation: 2,
  resourceVersion: "4711",
};
const at = new Date("2026-01-02T03:04:05.000Z");

const PEM_KEY = ["-----BEGIN EC PRIVATE KEY-----", "MHcCAQEEIBk...", "-----END EC PRIVATE KEY-----"].join(
  "\n",
);

describe("makeEnvelope", () => {
  it("builds the envelope", () => {
    expect(makeEnvelope(schemaName("certificate", "issued"), resource, { revision: 3 }, at)).toEqual({
      schema: "certkeeper.io/certificate.issued/v1",
      at: "2026-01-02T03:04:05.000Z",
      resource,
      data: { revision: 3 },
    });
  });

  it.each([
    ["a PEM private key", { note: PEM_KEY }],
    ["a PKCS#8 private key nested deep", { a: { b: ["-----BEGIN PRIVATE KEY-----\nMIIE..."] } }],
    ["a Secret's tls.key field", { secret: { "tls.key": "LS0t" } }],
    ["a privateKey field", { privateKey: "x" }],
  ])("refuses %s", (_what, data) => {
    expect(() => makeEnvelope("s/v1", resource, data, at)).toThrow(EnvelopeError);
  });

  it("allows an HTTP-01 key authorization (public by design)", () => {
    expect(() => makeEnvelope("s/v1", resource, { key: "tok.thumbprint" }, at)).not.toThrow();
  });
});

describe("parseEnvelope", () => {
  const DataSchema = Type.Object({ token: Type.String({ minLength: 1 }) });

  it("accepts a valid envelope and data", () => {
    const env = makeEnvelope("s/v1", resource, { token: "t" }, at);
    expect(parseEnvelope(JSON.stringify(env), DataSchema)).toEqual(env);
  });

  it("lists every problem", () => {
    const bad = { schema: "", at: "yesterday", resource: { kind: "X" }, data: {} };
    const err = captured(() => parseEnvelope(JSON.stringify(bad)));
    expect(err).toBeInstanceOf(EnvelopeError);
    expect((err as EnvelopeError).code).toBe("CK_ENVELOPE_INVALID");
    expect((err as Error).message).toMatch(/\/schema/);
    expect((err as Error).message).toMatch(/\/resource\/uid/);
  });

  it("checks data against the payload schema", () => {
    const env = makeEnvelope("s/v1", resource, { token: "" }, at);
    expect(() => parseEnvelope(JSON.stringify(env), DataSchema)).toThrow(/data\/token/);
  });

  it("refuses non-JSON", () => {
    expect(() => parseEnvelope(new TextEncoder().encode("{nope"))).toThrow(EnvelopeError);
  });
});

describe("eventMessageId", () => {
  it("is <uid>/<resourceVersion>/<event>", () => {
    expect(eventMessageId(resource, "issued")).toBe("uid-1/4711/issued");
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
