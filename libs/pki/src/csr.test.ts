import type { KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildCSR,
  CSRError,
  generatePrivateKey,
  KeySpecError,
  parseCSR,
  SubjectError,
  type CertificateSpecLike,
} from "./index.ts";
import { opensslText, run, scratch } from "./test-helpers.ts";

let p256: KeyObject;
let p384: KeyObject;
let ed25519: KeyObject;
let rsa: KeyObject;
beforeAll(async () => {
  [p256, p384, ed25519, rsa] = await Promise.all([
    generatePrivateKey({ algorithm: "ECDSA" }),
    generatePrivateKey({ algorithm: "ECDSA", size: 384 }),
    generatePrivateKey({ algorithm: "Ed25519" }),
    generatePrivateKey({ algorithm: "RSA", size: 2048 }),
  ]);
});

const full: CertificateSpecLike = {
  commonName: "app.example.com",
  subject: {
    organizations: ["Org A", "Org B"],
    countries: ["GB"],
    organizationalUnits: ["Unit"],
    localities: ["London"],
    provinces: ["Greater London"],
    streetAddresses: ["1 Road"],
    postalCodes: ["N1"],
    serialNumber: "42",
  },
  dnsNames: ["app.example.com", "*.app.example.com"],
  ipAddresses: ["10.1.2.3", "2001:db8::5", "::ffff:192.0.2.1"],
  uris: ["spiffe://cluster.local/ns/a/sa/b"],
  emailAddresses: ["ops@example.com"],
  otherNames: [{ oid: "1.3.6.1.4.1.311.20.2.3", utf8Value: "upn@example.com" }],
  usages: ["digital signature", "server auth", "client auth"],
};

describe("buildCSR", () => {
  it("encodes subject, every SAN type and usages; openssl verifies it", () => {
    const pem = buildCSR(full, p256);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    expect(run("openssl", ["req", "-noout", "-verify"], pem).status).toBe(0);
    const text = opensslText("req", pem);
    expect(text).toContain("Key Usage: critical\n                    Digital Signature\n");
    expect(text).toContain("TLS Web Server Authentication, TLS Web Client Authentication");

    const csr = parseCSR(pem);
    expect(csr.signatureValid).toBe(true);
    expect(csr.signatureAlgorithm).toBe("ECDSAWithSHA256");
    // Go's ToRDNSequence order C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER; printed reversed.
    expect(csr.subject.text).toBe(
      "SERIALNUMBER=42,CN=app.example.com,OU=Unit,O=Org A+O=Org B,POSTALCODE=N1,STREET=1 Road,L=London,ST=Greater London,C=GB",
    );
    expect(csr.subject).toMatchObject({
      commonName: "app.example.com",
      organizations: ["Org A", "Org B"],
      serialNumber: "42",
    });
    expect(csr.dnsNames).toEqual(full.dnsNames);
    expect(csr.ipAddresses).toEqual(["10.1.2.3", "2001:db8::5", "192.0.2.1"]);
    expect(csr.uris).toEqual(full.uris);
    expect(csr.emailAddresses).toEqual(full.emailAddresses);
    expect(csr.otherNames).toEqual(full.otherNames);
    expect(csr.keyUsages).toEqual(["digital signature"]);
    expect(csr.extKeyUsages).toEqual(["server auth", "client auth"]);
    expect(csr.basicConstraints).toBeUndefined();
    expect(csr.isCA).toBe(false);

    // An independent decoder agrees.
    const peculiar = new x509.Pkcs10CertificateRequest(pem);
    const san = peculiar.getExtension("2.5.29.17") as x509.SubjectAlternativeNameExtension;
    expect(san.names.items.filter((n) => n.type === "dns").map((n) => n.value)).toEqual(full.dnsNames);
    expect(san.critical).toBe(false);
    expect(peculiar.subject).toContain("CN=app.example.com");
  });

  it("defaults usages to digital signature + key encipherment with no EKU extension", () => {
    const csr = parseCSR(buildCSR({ commonName: "x" }, p256));
    expect(csr.keyUsages).toEqual(["digital signature", "key encipherment"]);
    expect(csr.hasExtKeyUsage).toBe(false);
    expect(csr.extensions.map((e) => e.oid)).toEqual(["2.5.29.15"]);
  });

  it("isCA adds cert sign and a critical BasicConstraints CA:TRUE", () => {
    const csr = parseCSR(buildCSR({ commonName: "ca", isCA: true }, p256));
    expect(csr.keyUsages).toEqual(["digital signature", "key encipherment", "cert sign"]);
    expect(csr.basicConstraints).toEqual({ isCA: true });
    expect(csr.extensions.find((e) => e.oid === "2.5.29.19")?.critical).toBe(true);
  });

  it("omits usages when encodeUsagesInRequest is false, BasicConstraints on request", () => {
    const csr = parseCSR(
      buildCSR({ commonName: "x", encodeUsagesInRequest: false }, p256, { encodeBasicConstraints: true }),
    );
    expect(csr.hasKeyUsage).toBe(false);
    expect(csr.hasExtKeyUsage).toBe(false);
    expect(csr.basicConstraints).toEqual({ isCA: false });
  });

  it("marks SANs critical when the subject is empty", () => {
    const csr = parseCSR(buildCSR({ dnsNames: ["only.example.com"] }, p256));
    expect(csr.subject.der.toString("hex")).toBe("3000");
    expect(csr.extensions.find((e) => e.oid === "2.5.29.17")?.critical).toBe(true);
  });

  it("encodes NameConstraints as Go does", () => {
    const pem = buildCSR(
      {
        commonName: "ca",
        isCA: true,
        nameConstraints: {
          critical: true,
          permitted: {
            dnsDomains: [".example.com"],
            ipRanges: ["10.0.0.0/8", "2001:db8::/32"],
            emailAddresses: ["example.com"],
          },
          excluded: { uriDomains: [".bad.example.com"] },
        },
      },
      p256,
    );
    const ext = parseCSR(pem).extensions.find((e) => e.oid === "2.5.29.30")!;
    expect(ext.critical).toBe(true);
    const text = opensslText("req", pem);
    expect(text).toMatch(
      /Name Constraints: critical\s+Permitted:\s+DNS:.example.com\s+IP:10.0.0.0\/255.0.0.0\s+IP:2001:DB8:0:0:0:0:0:0\/FFFF:FFFF:0:0:0:0:0:0\s+email:example.com\s+Excluded:\s+URI:.bad.example.com/,
    );
  });

  it("keeps literalSubject order (RFC 4514 lists the last RDN first)", () => {
    const pem = buildCSR({ literalSubject: "CN=foo\\, bar+UID=u1,OU=Team,O=Org,DC=example,DC=com" }, p256);
    // openssl's default one-line form prints the RDNs in ASN.1 order
    const subject = run("openssl", ["req", "-noout", "-subject"], pem).stdout.trim();
    expect(subject).toBe('subject=DC = com, DC = example, O = Org, OU = Team, CN = "foo, bar" + UID = u1');
    expect(parseCSR(pem).subject.text).toBe(
      "CN=foo\\, bar+0.9.2342.19200300.100.1.1=#13027531,OU=Team,O=Org,0.9.2342.19200300.100.1.25=#13076578616d706c65,0.9.2342.19200300.100.1.25=#1303636f6d",
    );
    expect(parseCSR(pem).subject.commonName).toBe("foo, bar");
  });

  it("decodes RFC 4514 escapes, quotes and non-ASCII values", () => {
    const pem = buildCSR(
      { literalSubject: 'CN=caf\\C3\\A9 \\+ 🍰  ,O="Acme, Inc." , OU=\\ padded\\ ' },
      p256,
    );
    const subject = parseCSR(pem).subject;
    expect(subject.commonName).toBe("café + 🍰");
    expect(subject.organizations).toEqual(["Acme, Inc."]);
    expect(subject.organizationalUnits).toEqual([" padded "]);
    expect(run("openssl", ["req", "-noout", "-verify"], pem).status).toBe(0);
  });

  it.each([
    ["an unknown attribute type", "CN=x,FOO=bar", /unknown attribute type "FOO"/],
    ["POSTALCODE (not in cert-manager's list)", "CN=x,POSTALCODE=1", /unknown attribute type/],
    ["hex values", "CN=#0403414243", /=#/],
    ["a missing '='", "CN=x,O", /without '='/],
    ["a trailing separator", "CN=x,", /trailing separator/],
    ["junk after a quoted value", 'CN="x"y', /after a quoted value/],
  ])("rejects a literalSubject with %s (SubjectError)", (_, literalSubject, msg) => {
    expect(() => buildCSR({ literalSubject }, p256)).toThrow(SubjectError);
    expect(() => buildCSR({ literalSubject }, p256)).toThrow(msg);
  });

  it("requires a common name or a SAN", () => {
    expect(() => buildCSR({ subject: { organizations: ["o"] } }, p256)).toThrow(CSRError);
    expect(() => buildCSR({ literalSubject: "O=only" }, p256)).toThrow(/at least one of commonName/);
    expect(parseCSR(buildCSR({ literalSubject: "CN=ok" }, p256)).subject.commonName).toBe("ok");
  });

  it.each([
    [{ ipAddresses: ["not-an-ip"] }, /invalid IP address/],
    [{ ipAddresses: ["fe80::1%eth0"] }, /invalid IP address/],
    [{ dnsNames: ["bücher.example"] }, /IA5String/],
    [{ otherNames: [{ oid: "not.an.oid", utf8Value: "v" }] }, /invalid otherName oid/],
  ] as [CertificateSpecLike, RegExp][])("rejects %j with SubjectError", (spec, msg) => {
    expect(() => buildCSR({ commonName: "x", ...spec }, p256)).toThrow(SubjectError);
    expect(() => buildCSR({ commonName: "x", ...spec }, p256)).toThrow(msg);
  });

  it.each([
    ["p256", undefined, "ECDSAWithSHA256", "ecdsa-with-SHA256"],
    ["p384", undefined, "ECDSAWithSHA384", "ecdsa-with-SHA384"],
    ["p256", "ECDSAWithSHA512", "ECDSAWithSHA512", "ecdsa-with-SHA512"],
    ["ed25519", undefined, "PureEd25519", "ED25519"],
    ["rsa", undefined, "SHA256WithRSA", "sha256WithRSAEncryption"],
    ["rsa", "SHA384WithRSA", "SHA384WithRSA", "sha384WithRSAEncryption"],
  ] as const)("%s key with signatureAlgorithm %s signs with %s", (name, requested, want, opensslName) => {
    const key = { p256, p384, ed25519, rsa }[name];
    const pem = buildCSR({ commonName: "x", signatureAlgorithm: requested }, key);
    expect(parseCSR(pem).signatureAlgorithm).toBe(want);
    expect(opensslText("req", pem)).toContain(`Signature Algorithm: ${opensslName}`);
    expect(run("openssl", ["req", "-noout", "-verify"], pem).status).toBe(0);
  });

  it("rejects a signature algorithm that does not fit the key", () => {
    expect(() => buildCSR({ commonName: "x", signatureAlgorithm: "SHA256WithRSA" }, p256)).toThrow(
      KeySpecError,
    );
  });
});

describe("parseCSR", () => {
  it("reports a broken signature instead of throwing", () => {
    const pem = buildCSR({ commonName: "x" }, p256);
    const der = parseCSR(pem).der;
    der[der.length - 5]! ^= 0xff;
    expect(parseCSR(der).signatureValid).toBe(false);
  });

  it("parses CSRs made by openssl", () => {
    const dir = scratch({
      "key.pem": run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"])
        .stdout,
    });
    try {
      const { stdout } = run("openssl", [
        "req",
        "-new",
        "-key",
        dir.path("key.pem"),
        "-subj",
        "/CN=ext/O=Acme",
        "-addext",
        "subjectAltName=DNS:a.example,IP:192.0.2.7",
      ]);
      const csr = parseCSR(stdout);
      expect(csr).toMatchObject({
        signatureValid: true,
        publicKeyAlgorithm: "ECDSA",
        publicKeySize: 384,
        dnsNames: ["a.example"],
        ipAddresses: ["192.0.2.7"],
      });
      expect(csr.subject.text).toBe("O=Acme,CN=ext");
    } finally {
      dir.cleanup();
    }
  });

  it("throws CSRError on garbage", () => {
    expect(() => parseCSR("nope")).toThrow(CSRError);
    expect(() => parseCSR(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]))).toThrow(CSRError);
  });
});
