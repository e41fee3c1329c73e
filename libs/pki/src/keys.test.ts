import { createPublicKey, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultSignatureAlgorithm,
  describeKey,
  encodePrivateKey,
  generatePrivateKey,
  keyDER,
  keyMatchesSpec,
  keySpecViolations,
  KeySpecError,
  parsePrivateKey,
  PrivateKeyDecodeError,
  publicKeysEqual,
  type PrivateKeySpecLike,
} from "./index.ts";
import { run } from "./test-helpers.ts";

// RSA generation is slow (~5/s): one 2048-bit key for the whole file, made once.
let rsa: KeyObject;
const keys: Record<string, KeyObject> = {};
beforeAll(async () => {
  [rsa, keys.p256, keys.p384, keys.p521, keys.ed25519] = await Promise.all([
    generatePrivateKey({ algorithm: "RSA", size: 2048 }),
    generatePrivateKey({ algorithm: "ECDSA", size: 256 }),
    generatePrivateKey({ algorithm: "ECDSA", size: 384 }),
    generatePrivateKey({ algorithm: "ECDSA", size: 521 }),
    generatePrivateKey({ algorithm: "Ed25519" }),
  ]);
  keys.rsa = rsa;
});

describe("generatePrivateKey", () => {
  it.each([
    ["ECDSA default size", { algorithm: "ECDSA" }, { algorithm: "ECDSA", size: 256 }],
    ["ECDSA 384", { algorithm: "ECDSA", size: 384 }, { algorithm: "ECDSA", size: 384 }],
    ["ECDSA 521", { algorithm: "ECDSA", size: 521 }, { algorithm: "ECDSA", size: 521 }],
    ["Ed25519 ignores size", { algorithm: "Ed25519", size: 4096 }, { algorithm: "Ed25519", size: 0 }],
  ] as [string, PrivateKeySpecLike, unknown][])("%s", async (_, spec, want) => {
    expect(describeKey(await generatePrivateKey(spec))).toEqual(want);
  });

  it("defaults to RSA 2048", () => {
    expect(describeKey(rsa)).toEqual({ algorithm: "RSA", size: 2048 });
  });

  it.each([
    [{ algorithm: "RSA", size: 1024 }, /between 2048 and 8192/],
    [{ algorithm: "RSA", size: 8200 }, /between 2048 and 8192/],
    [{ algorithm: "ECDSA", size: 224 }, /256, 384 or 521/],
    [{ algorithm: "DSA" }, /unsupported private key algorithm/],
  ] as [PrivateKeySpecLike, RegExp][])("rejects %j with KeySpecError", async (spec, msg) => {
    const err = await generatePrivateKey(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeySpecError);
    expect((err as KeySpecError).code).toBe("CK_PKI_KEY_SPEC_UNSUPPORTED");
    expect((err as Error).message).toMatch(msg);
  });
});

describe("encodePrivateKey / parsePrivateKey", () => {
  it.each([
    ["rsa", "PKCS1", "RSA PRIVATE KEY"],
    ["rsa", "PKCS8", "PRIVATE KEY"],
    ["p256", "PKCS1", "EC PRIVATE KEY"],
    ["p384", "PKCS1", "EC PRIVATE KEY"],
    ["p521", "PKCS8", "PRIVATE KEY"],
    ["ed25519", "PKCS1", "PRIVATE KEY"],
    ["ed25519", "PKCS8", "PRIVATE KEY"],
  ] as const)("%s as %s is a %s block that round-trips", (name, encoding, label) => {
    const key = keys[name]!;
    const pem = encodePrivateKey(key, encoding);
    expect(pem.startsWith(`-----BEGIN ${label}-----\n`)).toBe(true);
    expect(pem.endsWith(`-----END ${label}-----\n`)).toBe(true);
    const back = parsePrivateKey(pem);
    expect(publicKeysEqual(back, key)).toBe(true);
    expect(describeKey(back)).toEqual(describeKey(key));
    // openssl agrees it is a valid key of that type
    expect(run("openssl", ["pkey", "-noout"], pem).status).toBe(0);
  });

  it("defaults to PKCS1", () => {
    expect(encodePrivateKey(keys.p256!)).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
  });

  it("parses the first block and ignores surrounding text", () => {
    const pem = `junk before\n${encodePrivateKey(keys.p256!)}trailing`;
    expect(publicKeysEqual(parsePrivateKey(pem), keys.p256!)).toBe(true);
  });

  it.each([
    ["no PEM at all", "hello", /no PEM data/],
    [
      "a certificate block",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      /unknown private key PEM block type "CERTIFICATE"/,
    ],
    [
      "an encrypted key",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
      /ENCRYPTED PRIVATE KEY/,
    ],
    [
      "garbage DER",
      "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
      /error parsing RSA PRIVATE KEY/,
    ],
  ])("rejects %s with PrivateKeyDecodeError", (_, pem, msg) => {
    let err: unknown;
    try {
      parsePrivateKey(pem);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PrivateKeyDecodeError);
    expect((err as PrivateKeyDecodeError).code).toBe("CK_PKI_PRIVATE_KEY_INVALID");
    expect((err as Error).message).toMatch(msg);
  });

  it("rejects key types cert-manager does not support", () => {
    const pem = run("openssl", ["genpkey", "-algorithm", "X25519"]).stdout;
    expect(() => parsePrivateKey(pem)).toThrow(PrivateKeyDecodeError);
  });
});

describe("keyMatchesSpec", () => {
  it.each([
    ["rsa", {}, []],
    ["rsa", { algorithm: "RSA", size: 2048, encoding: "PKCS8" }, []],
    ["rsa", { algorithm: "RSA", size: 4096 }, ["spec.privateKey.size"]],
    ["rsa", { algorithm: "ECDSA" }, ["spec.privateKey.algorithm"]],
    ["p256", { algorithm: "ECDSA" }, []],
    ["p384", { algorithm: "ECDSA", size: 384 }, []],
    ["p384", { algorithm: "ECDSA", size: 256 }, ["spec.privateKey.size"]],
    ["p256", undefined, ["spec.privateKey.algorithm"]],
    ["ed25519", { algorithm: "Ed25519", size: 256 }, []],
  ] as [string, PrivateKeySpecLike | undefined, string[]][])("%s vs %j → %j", (name, spec, violations) => {
    expect(keySpecViolations(keys[name]!, spec)).toEqual(violations);
    expect(keyMatchesSpec(keys[name]!, spec)).toBe(violations.length === 0);
  });
});

describe("publicKeysEqual / keyDER / signature algorithm", () => {
  it("compares SPKI of private keys, public keys and raw SPKI", () => {
    const pub = createPublicKey(keys.p256!);
    expect(publicKeysEqual(keys.p256!, pub)).toBe(true);
    expect(publicKeysEqual(pub.export({ type: "spki", format: "der" }), keys.p256!)).toBe(true);
    expect(publicKeysEqual(keys.p256!, keys.p384!)).toBe(false);
  });

  it("key.der is the DER of tls.key in its own encoding", () => {
    for (const encoding of ["PKCS1", "PKCS8"] as const) {
      const pem = encodePrivateKey(keys.p256!, encoding);
      const want = keys.p256!.export({ type: encoding === "PKCS1" ? "sec1" : "pkcs8", format: "der" });
      expect(keyDER(pem).equals(want)).toBe(true);
    }
  });

  it.each([
    ["rsa", "SHA256WithRSA"],
    ["p256", "ECDSAWithSHA256"],
    ["p384", "ECDSAWithSHA384"],
    ["p521", "ECDSAWithSHA512"],
    ["ed25519", "PureEd25519"],
  ])("%s signs with %s by default", (name, alg) => {
    expect(defaultSignatureAlgorithm(keys[name]!)).toBe(alg);
  });
});
