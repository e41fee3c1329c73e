import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Secret } from "@certkeeper/kube";
import { accountKeyFrom, accountKeySecret, clientFingerprint, readAccountKey } from "./account.ts";
import { anIssuer } from "./builders.ts";
import { registrationUpToDate, v1ServerMessage } from "./issuer.ts";

const { privateKey: rsa } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const { privateKey: ec } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const secretWith = (pem: string, key = "tls.key"): Secret => ({
  metadata: { name: "acct", namespace: "ns" },
  data: { [key]: Buffer.from(pem).toString("base64") },
});

describe("account key", () => {
  it("hashes the PKCS#1 DER with SHA-256, base64 (cert-manager's lastPrivateKeyHash)", () => {
    const der = rsa.export({ type: "pkcs1", format: "der" });
    expect(accountKeyFrom(rsa).hash).toBe(createHash("sha256").update(der).digest("base64"));
  });

  it("reads PKCS#1 and PKCS#8 alike", () => {
    const p1 = readAccountKey(secretWith(rsa.export({ type: "pkcs1", format: "pem" }).toString()), "tls.key");
    const p8 = readAccountKey(secretWith(rsa.export({ type: "pkcs8", format: "pem" }).toString()), "tls.key");
    expect(p1.kind === "ok" && p8.kind === "ok" && p1.key.hash === p8.key.hash).toBe(true);
  });

  it.each([
    ["missing Secret", undefined, "missing"],
    ["no entry", secretWith("x", "other"), "invalid"],
    ["not a key", secretWith("garbage"), "invalid"],
    ["EC key", secretWith(ec.export({ type: "pkcs8", format: "pem" }).toString()), "notRSA"],
  ])("%s", (_n, secret, kind) => expect(readAccountKey(secret, "tls.key").kind).toBe(kind));

  it("stores a generated key as PKCS#1, labelled as cert-manager's", () => {
    const s = accountKeySecret("cert-manager", { name: "acct", key: "tls.key" }, accountKeyFrom(rsa));
    expect(s.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "cert-manager" });
    expect(Buffer.from(s.data!["tls.key"]!, "base64").toString()).toContain("BEGIN RSA PRIVATE KEY");
  });

  it("fingerprints everything a cached client depends on", () => {
    const spec = anIssuer().spec.acme!;
    const base = clientFingerprint(spec, "h", "u");
    expect(clientFingerprint({ ...spec }, "h", "u")).toBe(base);
    expect(clientFingerprint({ ...spec, server: "https://other/dir" }, "h", "u")).not.toBe(base);
    expect(clientFingerprint(spec, "h2", "u")).not.toBe(base);
    expect(clientFingerprint({ ...spec, skipTLSVerify: true }, "h", "u")).not.toBe(base);
  });
});

describe("registrationUpToDate", () => {
  const hash = accountKeyFrom(rsa).hash;
  const registered = () =>
    anIssuer(undefined, (i) => {
      i.spec.acme!.email = "a@example.com";
      i.status = {
        conditions: [
          { type: "Ready", status: "True", reason: "ACMEAccountRegistered", observedGeneration: 1 },
        ],
        acme: {
          uri: "https://acme.test/acct/1",
          lastRegisteredEmail: "a@example.com",
          lastPrivateKeyHash: hash,
        },
      };
    });
  it("skips verification only when nothing changed", () => {
    expect(registrationUpToDate(registered(), hash)).toBe(true);
    expect(registrationUpToDate(registered(), "other")).toBe(false);
    const email = registered();
    email.spec.acme!.email = "b@example.com";
    expect(registrationUpToDate(email, hash)).toBe(false);
    const server = registered();
    server.spec.acme!.server = "https://elsewhere.test/dir";
    expect(registrationUpToDate(server, hash)).toBe(false);
    const notReady = registered();
    notReady.status!.conditions![0]!.status = "False";
    expect(registrationUpToDate(notReady, hash)).toBe(false);
  });
});

describe("v1ServerMessage", () => {
  it("points Let's Encrypt v1 URLs at v2", () => {
    expect(v1ServerMessage("https://acme-v01.api.letsencrypt.org/directory")).toBe(
      'Your ACME server URL is set to a v1 endpoint (https://acme-v01.api.letsencrypt.org/directory). You should update the spec.acme.server field to "https://acme-v02.api.letsencrypt.org/directory"',
    );
    expect(v1ServerMessage("https://acme-v02.api.letsencrypt.org/directory")).toBeUndefined();
  });
});
