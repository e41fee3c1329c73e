import type { Certificate } from "@certkeeper/api";
import type { Secret } from "@certkeeper/kube";
import { encodePrivateKey, generatePrivateKey } from "@certkeeper/pki";
import { describe, expect, it } from "vitest";
import { aCertificate } from "../testing/certificate-builders.ts";
import { newNextKeySecretName } from "./common.ts";
import { decideKeys } from "./keymanager.ts";

const issuing = (recorded?: string) => (c: Certificate) =>
  void (c.status = {
    ...c.status,
    ...(recorded ? { nextPrivateKeySecretName: recorded } : {}),
    conditions: [
      { type: "Issuing", status: "True", reason: "DoesNotExist", message: "", observedGeneration: 1 },
    ],
  });

// Parsed Secrets are cached by uid and resourceVersion: every Secret here gets its own uid.
let uids = 0;
async function nextKeySecret(name: string, algorithm: "ECDSA" | "RSA" = "ECDSA"): Promise<Secret> {
  const key = await generatePrivateKey({ algorithm, size: algorithm === "RSA" ? 2048 : 256 });
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "ns", uid: `uid-${++uids}`, resourceVersion: "1" },
    data: { "tls.key": Buffer.from(encodePrivateKey(key, "PKCS8")).toString("base64") },
  };
}

describe("decideKeys", () => {
  it("not issuing, nothing around ⇒ none", () => {
    expect(decideKeys(aCertificate(), [])).toEqual({ kind: "none" });
  });

  it("not issuing, a leftover Secret and a recorded name ⇒ clean both up", async () => {
    const s = await nextKeySecret("web-abcde");
    const cert = aCertificate((c) => void (c.status = { nextPrivateKeySecretName: "web-abcde" }));
    expect(decideKeys(cert, [s])).toEqual({ kind: "cleanup", delete: [s], clearStatus: true });
  });

  it("issuing with the name recorded by the trigger, no Secret yet ⇒ create under that name", () => {
    expect(decideKeys(aCertificate(issuing("web-x7k2q")), [])).toEqual({ kind: "create", name: "web-x7k2q" });
  });

  it("issuing without a recorded name (Issuing set by hand) ⇒ create under a generated name", () => {
    expect(decideKeys(aCertificate(issuing()), [])).toEqual({ kind: "create" });
  });

  it("issuing, the recorded Secret exists and matches spec ⇒ none", async () => {
    const s = await nextKeySecret("web-x7k2q");
    expect(decideKeys(aCertificate(issuing("web-x7k2q")), [s])).toEqual({ kind: "none" });
  });

  it("issuing, a Secret under another name ⇒ delete it", async () => {
    const s = await nextKeySecret("web-other");
    expect(decideKeys(aCertificate(issuing("web-x7k2q")), [s])).toEqual({ kind: "delete", delete: [s] });
  });

  it("issuing, a Secret whose key no longer matches spec ⇒ delete it, naming the field", async () => {
    const s = await nextKeySecret("web-x7k2q", "RSA");
    expect(decideKeys(aCertificate(issuing("web-x7k2q")), [s])).toEqual({
      kind: "delete",
      delete: [s],
      violations: ["spec.privateKey.algorithm"],
    });
  });

  it("issuing, a found Secret not yet recorded ⇒ record it", async () => {
    const s = await nextKeySecret("web-abcde");
    expect(decideKeys(aCertificate(issuing()), [s])).toEqual({ kind: "record", name: "web-abcde" });
  });
});

describe("newNextKeySecretName", () => {
  it("is <certificate>- plus five characters of the API server's generateName alphabet", () => {
    expect(newNextKeySecretName(aCertificate())).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it("cuts a long base to 58 characters, as generateName does, keeping the name ≤ 63", () => {
    const long = aCertificate((c) => void (c.metadata.name = "a".repeat(100)));
    const name = newNextKeySecretName(long, () => 0);
    expect(name).toBe("a".repeat(58) + "bbbbb");
    expect(name.length).toBe(63);
  });
});
