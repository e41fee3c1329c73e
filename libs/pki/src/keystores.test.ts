import { createHash, createHmac, pbkdf2Sync, type KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as der from "./der.ts";
import {
  buildCSR,
  encodeJKS,
  encodeJKSTruststore,
  encodePKCS12,
  encodePKCS12Truststore,
  encodePrivateKey,
  generatePrivateKey,
  KeystoreError,
  parseCertificate,
  signCertificate,
  type PKCS12Profile,
} from "./index.ts";
import { pkcs12KDF } from "./pkcs12.ts";
import { rc2CbcEncrypt, rc2EncryptBlock } from "./rc2.ts";
import { hasCommand, run, scratch } from "./test-helpers.ts";

const files = scratch();
afterAll(() => files.cleanup());
const PASSWORD = "s3cr3t-pässword";
/** Java's PKCS#12 code refuses non-ASCII passwords ("Password is not ASCII"). */
const JAVA_PASSWORD = "changeit-s3cret";

let key: KeyObject;
let keyPEM: string;
let root: string;
let inter: string;
let leaf: string;
beforeAll(async () => {
  const [rootKey, interKey, leafKey] = await Promise.all(
    [0, 1, 2].map(() => generatePrivateKey({ algorithm: "ECDSA" })),
  );
  root = signCertificate({
    csr: buildCSR({ commonName: "Root", isCA: true }, rootKey!),
    issuerKey: rootKey!,
    isCA: true,
  });
  inter = signCertificate({
    csr: buildCSR({ commonName: "Inter", isCA: true }, interKey!),
    issuerCert: root,
    issuerKey: rootKey!,
    isCA: true,
  });
  leaf = signCertificate({
    csr: buildCSR({ commonName: "app", dnsNames: ["app.example"] }, leafKey!),
    issuerCert: inter,
    issuerKey: interKey!,
  });
  key = leafKey!;
  keyPEM = encodePrivateKey(key, "PKCS1");
});

const pubOf = (pem: string): string => run("openssl", ["pkey", "-pubout"], pem).stdout;
const subjects = (pem: string): string[] => [...pem.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]!.trim());

describe("RC2 (RFC 2268 test vectors)", () => {
  it.each([
    ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
    ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
    ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
    ["88", 64, "0000000000000000", "61a8a244adacccf0"],
    ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
    ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
    ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
  ])("key %s, %i effective bits", (k, bits, plain, cipher) => {
    expect(rc2EncryptBlock(Buffer.from(k, "hex"), bits, Buffer.from(plain, "hex")).toString("hex")).toBe(
      cipher,
    );
  });

  it("RC2-40-CBC agrees with OpenSSL's legacy provider", () => {
    const k = Buffer.from("0102030405", "hex");
    const iv = Buffer.from("0001020304050607", "hex");
    const plain = Buffer.from("the quick brown fox jumps over the lazy dog");
    const r = run(
      "openssl",
      [
        "enc",
        "-rc2-40-cbc",
        "-provider",
        "legacy",
        "-provider",
        "default",
        "-K",
        k.toString("hex"),
        "-iv",
        iv.toString("hex"),
      ],
      plain,
    );
    if (r.status !== 0) return; // no legacy provider on this machine: the vectors above still hold
    expect(rc2CbcEncrypt(k, iv, plain, 40).toString("hex")).toBe(r.raw.toString("hex"));
  });
});

describe("PKCS#12", { timeout: 60_000 }, () => {
  const legacyFlag = (p: PKCS12Profile): string[] => (p === "LegacyRC2" ? ["-legacy"] : []);

  it.each([
    [
      "LegacyRC2",
      "MAC: sha1, Iteration 1",
      "pbeWithSHA1And40BitRC2-CBC, Iteration 2048",
      "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048",
    ],
    [
      "LegacyDES",
      "MAC: sha1, Iteration 1",
      "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048",
      "pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048",
    ],
    [
      "Modern2023",
      "MAC: sha256, Iteration 2048",
      "PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256",
      "PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256",
    ],
  ] as const)(
    "%s keystore opens in openssl with the expected algorithms",
    (profile, mac, certAlg, keyAlg) => {
      const p12 = files.write(
        `${profile}.p12`,
        encodePKCS12({ keyPEM, chainPEM: leaf + inter, caPEM: root, password: PASSWORD, profile }),
      );
      const info = run("openssl", [
        "pkcs12",
        ...legacyFlag(profile),
        "-info",
        "-noout",
        "-passin",
        `pass:${PASSWORD}`,
        "-in",
        p12,
      ]);
      expect(info.status).toBe(0);
      expect(info.stderr + info.stdout).toContain(mac);
      expect(info.stderr + info.stdout).toContain(`PKCS7 Encrypted data: ${certAlg}`);
      expect(info.stderr + info.stdout).toContain(`Shrouded Keybag: ${keyAlg}`);

      const out = run("openssl", [
        "pkcs12",
        ...legacyFlag(profile),
        "-nodes",
        "-passin",
        `pass:${PASSWORD}`,
        "-in",
        p12,
      ]).stdout;
      expect(subjects(out)).toEqual(["CN = app", "CN = Inter", "CN = Root"]);
      expect(out).toMatch(/localKeyID: [0-9A-F ]+\n\s*subject=CN = app/);
      expect(pubOf(out)).toBe(pubOf(keyPEM));
      expect(
        run("openssl", ["pkcs12", ...legacyFlag(profile), "-noout", "-passin", "pass:wrong", "-in", p12])
          .status,
      ).not.toBe(0);
    },
  );

  it("Modern2026 uses PBES2/AES-256 and a PBMAC1 (PBKDF2-HMAC-SHA256, 32-byte key) MAC", () => {
    const p12 = encodePKCS12({
      keyPEM,
      chainPEM: leaf,
      caPEM: root,
      password: PASSWORD,
      profile: "Modern2026",
    });
    // OpenSSL 3.0 cannot verify PBMAC1 (3.4+ can), but decrypts the content when told to skip the MAC.
    const file = files.write("m26.p12", p12);
    const info = run("openssl", [
      "pkcs12",
      "-info",
      "-nomacver",
      "-nodes",
      "-passin",
      `pass:${PASSWORD}`,
      "-in",
      file,
    ]);
    expect(info.stderr + info.stdout).toContain("MAC: PBMAC1");
    expect(info.stderr + info.stdout).toContain(
      "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256",
    );
    expect(pubOf(info.stdout)).toBe(pubOf(keyPEM));
    // Recompute the MAC per RFC 9579 from the encoded parameters.
    const [, authSafe, macData] = der.children(der.readAll(p12));
    const content = der.content(der.children(der.children(authSafe!)[1]!)[0]!);
    const [digestInfo, macSalt] = der.children(macData!);
    const [alg, digest] = der.children(digestInfo!);
    const [oid, params] = der.children(alg!);
    expect(der.readOID(oid!)).toBe("1.2.840.113549.1.5.14");
    const [kdf, macAlg] = der.children(params!);
    const [salt, iterations, keyLength, prf] = der.children(der.children(kdf!)[1]!);
    expect([
      der.readInt(iterations!),
      der.readInt(keyLength!),
      der.readOID(der.children(prf!)[0]!),
      der.readOID(der.children(macAlg!)[0]!),
    ]).toEqual([2048, 32, "1.2.840.113549.2.9", "1.2.840.113549.2.9"]);
    const macKey = pbkdf2Sync(Buffer.from(PASSWORD, "utf8"), der.content(salt!), 2048, 32, "sha256");
    expect(createHmac("sha256", macKey).update(content).digest().equals(der.content(digest!))).toBe(true);
    expect(der.content(macSalt!).toString()).toBe("NOT USED");
  });

  const pythonPKCS12 = hasCommand("python3", [
    "-c",
    "from cryptography.hazmat.primitives.serialization import pkcs12; import cryptography; assert int(cryptography.__version__.split('.')[0]) >= 44",
  ]);
  it.skipIf(!pythonPKCS12)(
    "Modern2026 keystore and truststore open in pyca/cryptography (OpenSSL ≥3.4, verifies PBMAC1)",
    () => {
      const ks = files.write(
        "m26ks.p12",
        encodePKCS12({
          keyPEM,
          chainPEM: leaf + inter,
          caPEM: root,
          password: PASSWORD,
          profile: "Modern2026",
        }),
      );
      const ts = files.write(
        "m26ts.p12",
        encodePKCS12Truststore({ caPEM: inter + root, password: PASSWORD, profile: "Modern2026" }),
      );
      const script = `
import sys
from cryptography.hazmat.primitives.serialization import pkcs12
pw = sys.argv[3].encode()
k = pkcs12.load_pkcs12(open(sys.argv[1], 'rb').read(), pw)
t = pkcs12.load_pkcs12(open(sys.argv[2], 'rb').read(), pw)
print(k.key is not None, k.cert.certificate.subject.rfc4514_string(), [c.certificate.subject.rfc4514_string() for c in k.additional_certs])
print([(c.friendly_name or b'').decode() for c in t.additional_certs])
try:
    pkcs12.load_pkcs12(open(sys.argv[1], 'rb').read(), b'wrong'); print('accepted wrong password')
except ValueError:
    print('rejected wrong password')
`;
      const r = run("python3", ["-c", script, ks, ts, PASSWORD]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(
        "True CN=app ['CN=Inter', 'CN=Root']\n['CN=Inter', 'CN=Root']\nrejected wrong password\n",
      );
    },
  );

  it.each(["LegacyRC2", "LegacyDES", "Modern2023"] as const)(
    "%s truststore marks every CA as a Java trust anchor named by its subject",
    (profile) => {
      const p12 = files.write(
        `${profile}-trust.p12`,
        encodePKCS12Truststore({ caPEM: inter + root + inter, password: PASSWORD, profile }),
      );
      const out = run("openssl", [
        "pkcs12",
        ...legacyFlag(profile),
        "-nokeys",
        "-passin",
        `pass:${PASSWORD}`,
        "-in",
        p12,
      ]);
      expect(out.status).toBe(0);
      expect(subjects(out.stdout)).toEqual(["CN = Inter", "CN = Root"]);
      expect(out.stdout).toContain("friendlyName: CN=Inter");
      // OpenSSL 3.0 cannot print the OID value ("<Unsupported tag 6>"); keytool below shows Java trusts it.
      expect(out.stdout).toContain("2.16.840.1.113894.746875.1.1:");
    },
  );

  it("defaults to LegacyRC2 and reports bad input as KeystoreError", () => {
    const p12 = files.write("default.p12", encodePKCS12({ keyPEM, chainPEM: leaf, password: PASSWORD }));
    expect(
      run("openssl", ["pkcs12", "-legacy", "-info", "-noout", "-passin", `pass:${PASSWORD}`, "-in", p12])
        .stderr,
    ).toContain("pbeWithSHA1And40BitRC2-CBC");
    expect(() => encodePKCS12({ keyPEM: "nope", chainPEM: leaf, password: "x" })).toThrow(KeystoreError);
    expect(() => encodePKCS12Truststore({ caPEM: "nope", password: "x" })).toThrow(KeystoreError);
  });

  it("PKCS#12 KDF matches a known answer (OpenSSL PKCS12_key_gen_uni, SHA-1)", () => {
    // openssl: PKCS12_key_gen_uni("smeg", salt 0A58CF64530D823F, id 1, iter 1, 24 bytes) — RFC 7292 test data
    const pw = Buffer.concat([der.bmpBytes("smeg"), Buffer.alloc(2)]);
    const k = pkcs12KDF("sha1", pw, Buffer.from("0a58cf64530d823f", "hex"), 1, 1, 24);
    expect(k.toString("hex")).toBe("8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3");
  });
});

const keytool = hasCommand("keytool", ["-help"]);
describe.skipIf(!keytool)("JKS (checked with keytool)", { timeout: 60_000 }, () => {
  const P = JAVA_PASSWORD;

  it("keystore.jks holds the key under 'certificate' with its chain, plus the CAs", () => {
    const jks = files.write(
      "keystore.jks",
      encodeJKS({ keyPEM, chainPEM: leaf + inter, caPEM: inter + root, password: P }),
    );
    const list = run("keytool", ["-list", "-v", "-keystore", jks, "-storepass", P]);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain("Your keystore contains 3 entries");
    expect(list.stdout).toMatch(
      /Alias name: certificate\n[^\n]*\nEntry type: PrivateKeyEntry\nCertificate chain length: 2/,
    );
    expect(list.stdout).toMatch(/Alias name: ca\n[^\n]*\nEntry type: trustedCertEntry\n\nOwner: CN=Inter/);
    expect(list.stdout).toMatch(/Alias name: ca-1\n[^\n]*\nEntry type: trustedCertEntry\n\nOwner: CN=Root/);
    expect(run("keytool", ["-list", "-keystore", jks, "-storepass", "wrong-password"]).status).not.toBe(0);

    // The key protector round-trips: keytool decrypts the key into a PKCS#12 that openssl reads.
    const p12 = files.path("from-jks.p12");
    const args = [
      "-importkeystore",
      "-noprompt",
      "-srckeystore",
      jks,
      "-srcstorepass",
      P,
      "-srcalias",
      "certificate",
    ];
    const imp = run("keytool", [
      ...args,
      "-destkeystore",
      p12,
      "-deststoretype",
      "PKCS12",
      "-deststorepass",
      P,
    ]);
    expect(imp.status).toBe(0);
    const out = run("openssl", ["pkcs12", "-nodes", "-nocerts", "-passin", `pass:${P}`, "-in", p12]).stdout;
    expect(pubOf(out)).toBe(pubOf(keyPEM));
  });

  it("honours a custom alias (lower-cased, as Java does) and the entry time", () => {
    const now = new Date("2031-05-06T07:08:09Z");
    const jks = files.write(
      "alias.jks",
      encodeJKS({ keyPEM, chainPEM: leaf, password: P, alias: "MyKey", now }),
    );
    const list = run("keytool", ["-list", "-v", "-keystore", jks, "-storepass", P]).stdout;
    expect(list).toContain("Alias name: mykey");
    expect(list).toContain("Creation date: May 6, 2031");
    expect(list).toContain("Your keystore contains 1 entry");
  });

  it("truststore.jks holds only the CA as trusted entry 'ca' (integrity hash over a UTF-16 password)", () => {
    const jks = files.write("truststore.jks", encodeJKSTruststore({ caPEM: root, password: PASSWORD }));
    const list = run("keytool", ["-list", "-keystore", jks, "-storepass", PASSWORD]);
    expect(list.stdout).toMatch(/Your keystore contains 1 entry\n\nca, [^\n]*, trustedCertEntry/);
    const fp = createHash("sha256").update(parseCertificate(root).der).digest("hex").toUpperCase();
    expect(list.stdout).toContain(fp.match(/../g)!.join(":"));
  });

  it("PKCS#12 stores open in keytool (Java 17; Modern2026 needs Java 26)", () => {
    for (const profile of ["LegacyRC2", "LegacyDES", "Modern2023"] as const) {
      const ks = files.write(
        "k.p12",
        encodePKCS12({ keyPEM, chainPEM: leaf, caPEM: root, password: P, profile }),
      );
      expect(
        run("keytool", ["-list", "-storetype", "PKCS12", "-keystore", ks, "-storepass", P]).stdout,
      ).toContain("PrivateKeyEntry");
    }
    const ts = files.write(
      "t.p12",
      encodePKCS12Truststore({ caPEM: inter + root, password: P, profile: "Modern2023" }),
    );
    const list = run("keytool", ["-list", "-storetype", "PKCS12", "-keystore", ts, "-storepass", P]).stdout;
    expect(list).toMatch(/cn=root, [^\n]*, trustedCertEntry/);
    expect(list).toMatch(/cn=inter, [^\n]*, trustedCertEntry/);
  });

  it("rejects bad input with KeystoreError", () => {
    expect(() => encodeJKS({ keyPEM, chainPEM: "", password: "x" })).toThrow(KeystoreError);
    expect(() => encodeJKSTruststore({ caPEM: keyPEM, password: "x" })).toThrow(KeystoreError);
  });
});
