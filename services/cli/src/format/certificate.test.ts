import { Buffer } from "node:buffer";
import { beforeAll, describe, expect, it } from "vitest";
import type { Secret } from "@certkeeper/kube";
import { inspectSecret } from "../commands/inspect.ts";
import { formatSecretInspection, validity } from "./certificate.ts";
import { aChain, NOW, type Issued } from "./fixtures.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
let ca: Issued;
let leaf: Issued;
beforeAll(async () => {
  ({ ca, leaf } = await aChain());
});

const aSecret = (data: Record<string, string>): Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  type: "kubernetes.io/tls",
  metadata: {
    name: "web-tls",
    namespace: "apps",
    annotations: {
      "cert-manager.io/certificate-name": "web",
      "cert-manager.io/issuer-name": "ca",
      "other.io/x": "y",
    },
  },
  data,
});

describe("inspect secret", () => {
  it("decodes the chain and ca.crt and checks the key without printing it", () => {
    const inspection = inspectSecret(
      aSecret({
        "tls.crt": b64(leaf.certPEM + ca.certPEM),
        "tls.key": b64(leaf.keyPEM),
        "ca.crt": b64(ca.certPEM),
      }),
    );
    expect(inspection.chain.map((c) => c.subject.text)).toEqual(["", "CN=Example CA,O=Example"]);
    expect(inspection.ca).toHaveLength(1);
    expect(inspection.keyMatches).toBe(true);
    const text = formatSecretInspection(inspection, NOW).join("\n");
    expect(text).toContain("Secret: apps/web-tls");
    expect(text).toContain("Keys: ca.crt, tls.crt, tls.key");
    expect(text).toMatch(/cert-manager\.io\/certificate-name:\s+web/);
    expect(text).not.toContain("other.io/x");
    expect(text).toContain("Private key: matches the certificate");
    expect(text).toContain("tls.crt [1/2] (leaf):");
    expect(text).toContain("tls.crt [2/2] (intermediate):");
    expect(text).toMatch(/DNS names:\s+web\.example, www\.web\.example/);
    expect(text).toMatch(/Issuer:\s+CN=Example CA,O=Example/);
    expect(text).toMatch(/Public key:\s+ECDSA 256-bit/);
    expect(text).toMatch(/Extended key usage:\s+server auth/);
    expect(text).toMatch(/Not after:\s+2026-07-20T10:00:00\.000Z \(valid for another 80d\)/);
    expect(text).not.toMatch(/PRIVATE KEY/);
  });

  it("reports a key that belongs to another certificate, and undecodable data", () => {
    expect(
      inspectSecret(aSecret({ "tls.crt": b64(leaf.certPEM), "tls.key": b64(ca.keyPEM) })).keyMatches,
    ).toBe(false);
    const broken = inspectSecret(aSecret({ "tls.crt": b64("garbage"), "tls.key": b64("garbage") }));
    expect(broken.certError).toBeDefined();
    expect(formatSecretInspection(broken, NOW).join("\n")).toContain("Certificate: cannot be decoded");
  });

  it("says how long a certificate is or was valid", () => {
    const window = {
      notBefore: new Date("2026-04-01T00:00:00Z"),
      notAfter: new Date("2026-04-30T00:00:00Z"),
    };
    expect(validity(window, NOW)).toBe("EXPIRED 34h ago");
    expect(validity(window, new Date("2026-03-31T00:00:00Z"))).toBe("not yet valid (starts in 24h)");
  });
});
