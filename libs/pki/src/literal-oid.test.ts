import { describe, expect, it } from "vitest";
import { buildCSR, generatePrivateKey, parseCSR } from "./index.ts";

describe("literalSubject attribute types", () => {
  it("accepts a dotted OID as the attribute type, as the webhook does, and keeps the order", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    const csr = parseCSR(buildCSR({ literalSubject: "CN=x,1.2.3.4=y" }, key));
    expect(csr.subject.commonName).toBe("x");
    expect(csr.subject.text.startsWith("CN=x,1.2.3.4=")).toBe(true);
  });

  it("still rejects an unknown attribute name", async () => {
    const key = await generatePrivateKey({ algorithm: "ECDSA", size: 256 });
    expect(() => buildCSR({ literalSubject: "CN=x,FOO=y" }, key)).toThrow(/unknown attribute type "FOO"/);
  });
});
