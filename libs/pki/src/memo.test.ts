import { createPrivateKey, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildChain, parseCertificate } from "./certificate.ts";
import { ChainError } from "./errors.ts";
import { buildCSR, parseCSR } from "./csr.ts";
import { encodePrivateKey, generatePrivateKey, parsePrivateKey } from "./keys.ts";
import { BytesMemo } from "./memo.ts";
import { signCertificate } from "./sign.ts";

describe("BytesMemo", () => {
  it("evicts the least recently used entry beyond its bound", () => {
    const m = new BytesMemo<number>(2);
    m.set("a", 1);
    m.set("b", 2);
    expect(m.get("a")).toBe(1); // a is now the most recent
    m.set("c", 3);
    expect(m.get("b")).toBeUndefined();
    expect([m.get("a"), m.get("c"), m.size]).toEqual([1, 3, 2]);
  });

  it("also keeps within a byte budget: a few large inputs evict many small ones", () => {
    // Counting entries alone let 2048 distinct 340 KB CSRs (a client's dry-run requests to the
    // webhook, their signatures need not even verify) pin ~2 GB of heap.
    const m = new BytesMemo<number>(1000, 100);
    for (let i = 0; i < 10; i++) m.set(String(i).padStart(10, "s"), i); // 10 × 10 bytes
    expect(m.size).toBe(10);
    m.set("L".repeat(60), 60);
    expect(m.size).toBeLessThanOrEqual(5); // 60 + at most four of the small ones
    expect(m.get("L".repeat(60))).toBe(60);
    expect(m.get("sssssssss0")).toBeUndefined(); // the oldest went first
    m.set("H".repeat(101), 101); // larger than the whole budget: not kept
    expect(m.get("H".repeat(101))).toBeUndefined();
    expect(m.get("L".repeat(60))).toBe(60);
  });

  it("keys the same bytes with different tags apart", () => {
    const bytes = Buffer.from([1, 2, 3]);
    expect(BytesMemo.key(bytes, "EC PRIVATE KEY")).not.toBe(BytesMemo.key(bytes, "PRIVATE KEY"));
    expect(BytesMemo.key(bytes.subarray(1))).toBe(BytesMemo.key(Buffer.from([2, 3])));
  });
});

describe("decoding each input once", () => {
  it("a key encoded here parses back to the same KeyObject, in any encoding", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    expect(parsePrivateKey(encodePrivateKey(key, "PKCS8"))).toBe(key);
    expect(parsePrivateKey(encodePrivateKey(key, "PKCS1"))).toBe(key);
  });

  it("a key from elsewhere is decoded once, and a broken one still fails every time", async () => {
    const pem = (await generatePrivateKey({ algorithm: "Ed25519" }))
      .export({ type: "pkcs8", format: "pem" })
      .toString();
    expect(parsePrivateKey(pem)).toBe(parsePrivateKey(pem));
    const der = Buffer.from(pem.split("\n").slice(1, -2).join(""), "base64");
    const broken = `-----BEGIN PRIVATE KEY-----\n${der.subarray(0, 20).toString("base64")}\n-----END PRIVATE KEY-----\n`;
    expect(() => parsePrivateKey(broken)).toThrow();
    expect(() => parsePrivateKey(broken)).toThrow();
  });

  it("CSRs and certificates are shared, frozen results", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const csr = buildCSR({ commonName: "memo", dnsNames: ["memo.example", "a.example"] }, key);
    expect(parseCSR(csr)).toBe(parseCSR(csr));
    expect(Object.isFrozen(parseCSR(csr))).toBe(true);
    expect(parseCSR(csr).signatureValid).toBe(true);
    const pem = signCertificate({ csr, issuerKey: key, duration: 3600_000 });
    expect(parseCertificate(pem)).toBe(parseCertificate(pem));
    expect(Object.isFrozen(parseCertificate(pem))).toBe(true);
    // Deeply: a reader sorting a shared list in place fails loudly instead of changing it for all.
    expect(() => (parseCSR(csr).dnsNames as string[]).sort()).toThrow(TypeError);
    expect(() => (parseCertificate(pem).dnsNames as string[]).push("x")).toThrow(TypeError);
  });

  it("a CSR built here skips the signature check only for its exact bytes", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const pem = buildCSR({ commonName: "trusted", dnsNames: ["a.example"] }, key);
    const der = Buffer.from(pem.split("\n").slice(1, -2).join(""), "base64");
    // Flip one byte inside the signed part (the dNSName), keeping the structure intact.
    const at = der.indexOf(Buffer.from("a.example"));
    const tampered = Buffer.from(der);
    tampered[at] = "b".charCodeAt(0);
    expect(parseCSR(der).signatureValid).toBe(true);
    expect(parseCSR(tampered).signatureValid).toBe(false);
  });
});

describe("trust in what this process signed", () => {
  /**
   * An EC key whose private scalar is not the one behind the public point stored with it (a
   * corrupted or hand-assembled tls.key): its KeyObject reports the stored public key, so it
   * passes every "does this key match that certificate" check, but what it signs does not verify.
   */
  async function mismatchedKey(): Promise<{ key: KeyObject; publicHalfOf: KeyObject }> {
    const a = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const b = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const sec1 = (k: KeyObject) => k.export({ type: "sec1", format: "der" });
    const [da, db] = [sec1(a), sec1(b)];
    // SEC 1 ECPrivateKey ends with the public point (65 bytes for P-256): take b's.
    const spliced = Buffer.concat([da.subarray(0, da.length - 65), db.subarray(db.length - 65)]);
    return { key: createPrivateKey({ key: spliced, format: "der", type: "sec1" }), publicHalfOf: b };
  }

  it("a CSR signed with a key that does not sign for its own public key is not taken as valid", async () => {
    const { key } = await mismatchedKey();
    const csr = buildCSR({ commonName: "broken", dnsNames: ["broken.example"] }, key);
    expect(parseCSR(csr).signatureValid).toBe(false);
  });

  it("a certificate signed with such a CA key does not chain to the CA", async () => {
    const { key: badCAKey, publicHalfOf: caKey } = await mismatchedKey();
    const caUsages = ["digital signature", "cert sign"];
    const caCSR = buildCSR({ commonName: "ca", isCA: true, usages: caUsages }, caKey);
    const caPEM = signCertificate({ csr: caCSR, issuerKey: caKey, isCA: true, usages: caUsages });
    const leafKey = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const leafCSR = buildCSR({ commonName: "leaf", dnsNames: ["leaf.example"] }, leafKey);
    // The key passes the check against the CA certificate (same public key)…
    const leafPEM = signCertificate({ csr: leafCSR, issuerCert: caPEM, issuerKey: badCAKey });
    // …but the signature does not verify, so the chain must not be built on it.
    expect(() => buildChain({ leaf: leafPEM, candidates: [caPEM] })).toThrow(ChainError);
  });
});
