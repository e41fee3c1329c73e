import { describe, expect, it } from "vitest";
import { CSRError, keyUsagesFor } from "./index.ts";
import { decodeKeyUsage, encodeKeyUsage, extKeyUsageNames, keyUsageNames } from "./usages.ts";

describe("usage strings ↔ KeyUsage bits / ExtKeyUsage OIDs", () => {
  it.each([
    ["signing", 1 << 0, "digital signature"],
    ["digital signature", 1 << 0, "digital signature"],
    ["content commitment", 1 << 1, "content commitment"],
    ["key encipherment", 1 << 2, "key encipherment"],
    ["data encipherment", 1 << 3, "data encipherment"],
    ["key agreement", 1 << 4, "key agreement"],
    ["cert sign", 1 << 5, "cert sign"],
    ["crl sign", 1 << 6, "crl sign"],
    ["encipher only", 1 << 7, "encipher only"],
    ["decipher only", 1 << 8, "decipher only"],
  ])("%s → KeyUsage bit %i (decodes as %s)", (usage, mask, back) => {
    expect(keyUsagesFor([usage], false)).toEqual({ keyUsage: mask, extKeyUsages: [] });
    expect(keyUsageNames(decodeKeyUsage(encodeKeyUsage(mask)))).toEqual([back]);
  });

  it.each([
    ["any", "2.5.29.37.0", "any"],
    ["server auth", "1.3.6.1.5.5.7.3.1", "server auth"],
    ["client auth", "1.3.6.1.5.5.7.3.2", "client auth"],
    ["code signing", "1.3.6.1.5.5.7.3.3", "code signing"],
    ["email protection", "1.3.6.1.5.5.7.3.4", "email protection"],
    ["s/mime", "1.3.6.1.5.5.7.3.4", "email protection"],
    ["ipsec end system", "1.3.6.1.5.5.7.3.5", "ipsec end system"],
    ["ipsec tunnel", "1.3.6.1.5.5.7.3.6", "ipsec tunnel"],
    ["ipsec user", "1.3.6.1.5.5.7.3.7", "ipsec user"],
    ["timestamping", "1.3.6.1.5.5.7.3.8", "timestamping"],
    ["ocsp signing", "1.3.6.1.5.5.7.3.9", "ocsp signing"],
    ["microsoft sgc", "1.3.6.1.4.1.311.10.3.3", "microsoft sgc"],
    ["netscape sgc", "2.16.840.1.113730.4.1", "netscape sgc"],
  ])("%s → EKU %s (decodes as %s)", (usage, oid, back) => {
    expect(keyUsagesFor([usage], false)).toEqual({ keyUsage: 0, extKeyUsages: [oid] });
    expect(extKeyUsageNames([oid])).toEqual({ known: [back], unknown: [] });
  });

  it("defaults to digital signature + key encipherment; isCA adds cert sign", () => {
    expect(keyUsagesFor(undefined, false)).toEqual({ keyUsage: 0b101, extKeyUsages: [] });
    expect(keyUsagesFor([], true)).toEqual({ keyUsage: 0b100101, extKeyUsages: [] });
    expect(keyUsagesFor(["server auth"], true)).toEqual({
      keyUsage: 1 << 5,
      extKeyUsages: ["1.3.6.1.5.5.7.3.1"],
    });
  });

  it("keeps EKUs in request order", () => {
    expect(keyUsagesFor(["client auth", "server auth"], false).extKeyUsages).toEqual([
      "1.3.6.1.5.5.7.3.2",
      "1.3.6.1.5.5.7.3.1",
    ]);
  });

  it("rejects unknown usages with CSRError", () => {
    expect(() => keyUsagesFor(["server auth", "telepathy"], false)).toThrow(CSRError);
    expect(() => keyUsagesFor(["telepathy"], false)).toThrow(/unknown key usages: \[telepathy\]/);
  });

  it.each([
    [0b101, "030205a0"], // digitalSignature + keyEncipherment, 5 unused bits
    [1 << 5, "03020204"], // keyCertSign
    [0b100101, "030202a4"], // + keyCertSign, 2 unused bits
    [1 << 8, "0303070080"], // decipherOnly needs a second byte
  ])("KeyUsage %i encodes as %s (Go's minimal named-bit form)", (mask, hex) => {
    expect(encodeKeyUsage(mask).toString("hex")).toBe(hex);
  });

  it("reports EKU OIDs cert-manager has no name for", () => {
    expect(extKeyUsageNames(["1.3.6.1.5.5.7.3.1", "1.2.3.4"])).toEqual({
      known: ["server auth"],
      unknown: ["1.2.3.4"],
    });
  });
});
