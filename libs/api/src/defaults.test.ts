import { describe, expect, it } from "vitest";
import {
  certificateDurationMs,
  certificateUsages,
  DEFAULT_CERTIFICATE_DURATION,
  DEFAULT_CERTIFICATE_DURATION_MS,
  DEFAULT_USAGES,
  defaultKeySize,
  defaultSignatureAlgorithm,
  encodeUsagesInRequest,
  formatGoDuration,
  isCertManagerIssuer,
  issuerRefGroup,
  issuerRefKind,
  parseGoDuration,
  privateKeyAlgorithm,
  privateKeyEncoding,
  privateKeyRotationPolicy,
  privateKeySize,
  revisionHistoryLimit,
} from "./defaults.ts";
import type { CertificateSpec } from "./schemas/index.ts";

describe("issuerRef defaults", () => {
  it.each([
    [{ name: "x" }, "Issuer", "cert-manager.io"],
    [{ name: "x", kind: "", group: "" }, "Issuer", "cert-manager.io"],
    [{ name: "x", kind: "ClusterIssuer" }, "ClusterIssuer", "cert-manager.io"],
    [
      { name: "x", kind: "AWSPCAIssuer", group: "awspca.cert-manager.io" },
      "AWSPCAIssuer",
      "awspca.cert-manager.io",
    ],
  ])("%j → kind %s, group %s", (ref, kind, group) => {
    expect(issuerRefKind(ref)).toBe(kind);
    expect(issuerRefGroup(ref)).toBe(group);
    expect(isCertManagerIssuer(ref)).toBe(group === "cert-manager.io");
  });
});

describe("certificate defaults", () => {
  const spec = (extra: Partial<CertificateSpec> = {}): CertificateSpec => ({
    secretName: "s",
    issuerRef: { name: "i" },
    ...extra,
  });

  it("duration defaults to 90 days", () => {
    expect(DEFAULT_CERTIFICATE_DURATION).toBe("2160h0m0s");
    expect(parseGoDuration(DEFAULT_CERTIFICATE_DURATION)).toBe(DEFAULT_CERTIFICATE_DURATION_MS);
    expect(formatGoDuration(DEFAULT_CERTIFICATE_DURATION_MS)).toBe(DEFAULT_CERTIFICATE_DURATION);
    expect(certificateDurationMs(spec())).toBe(90 * 24 * 3_600_000);
    expect(certificateDurationMs(spec({ duration: "1h30m" }))).toBe(5_400_000);
  });

  it("usages default to digital signature and key encipherment", () => {
    expect(DEFAULT_USAGES).toEqual(["digital signature", "key encipherment"]);
    expect(certificateUsages(spec())).toEqual(DEFAULT_USAGES);
    expect(certificateUsages(spec({ usages: [] }))).toEqual(DEFAULT_USAGES);
    expect(certificateUsages(spec({ usages: ["server auth"] }))).toEqual(["server auth"]);
  });

  it.each([
    [undefined, "RSA", 2048, "PKCS1", "Always"],
    [{ algorithm: "ECDSA" as const }, "ECDSA", 256, "PKCS1", "Always"],
    [{ algorithm: "ECDSA" as const, size: 384, encoding: "PKCS8" as const }, "ECDSA", 384, "PKCS8", "Always"],
    [
      { algorithm: "RSA" as const, size: 4096, rotationPolicy: "Never" as const },
      "RSA",
      4096,
      "PKCS1",
      "Never",
    ],
    [
      { algorithm: "Ed25519" as const, size: 256, encoding: "PKCS1" as const },
      "Ed25519",
      0,
      "PKCS8",
      "Always",
    ],
    [{ size: 0 }, "RSA", 2048, "PKCS1", "Always"],
  ])("privateKey %j → %s/%d/%s/%s", (privateKey, algorithm, size, encoding, rotation) => {
    const s = spec(privateKey ? { privateKey } : {});
    expect(privateKeyAlgorithm(s)).toBe(algorithm);
    expect(privateKeySize(s)).toBe(size);
    expect(privateKeyEncoding(s)).toBe(encoding);
    expect(privateKeyRotationPolicy(s)).toBe(rotation);
  });

  it("default key sizes", () => {
    expect(defaultKeySize("RSA")).toBe(2048);
    expect(defaultKeySize("ECDSA")).toBe(256);
    expect(defaultKeySize("Ed25519")).toBe(0);
  });

  it.each([
    ["RSA", 2048, "SHA256WithRSA"],
    ["RSA", 3072, "SHA384WithRSA"],
    ["RSA", 4096, "SHA512WithRSA"],
    ["RSA", 8192, "SHA512WithRSA"],
    ["ECDSA", 256, "ECDSAWithSHA256"],
    ["ECDSA", 384, "ECDSAWithSHA384"],
    ["ECDSA", 521, "ECDSAWithSHA512"],
    ["Ed25519", 0, "PureEd25519"],
  ] as const)("signature algorithm for %s-%d is %s", (algorithm, size, expected) => {
    expect(defaultSignatureAlgorithm(algorithm, size)).toBe(expected);
  });

  it("revisionHistoryLimit and encodeUsagesInRequest", () => {
    expect(revisionHistoryLimit(spec())).toBe(1);
    expect(revisionHistoryLimit(spec({ revisionHistoryLimit: 3 }))).toBe(3);
    expect(encodeUsagesInRequest(spec())).toBe(true);
    expect(encodeUsagesInRequest(spec({ encodeUsagesInRequest: false }))).toBe(false);
  });
});
