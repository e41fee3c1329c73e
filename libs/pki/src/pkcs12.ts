/**
 * PKCS#12 (RFC 7292) keystores and truststores with cert-manager's four profiles, which are
 * go-pkcs12's encoders of the same names:
 *
 * | profile    | certificates              | private key            | MAC                                   |
 * |------------|---------------------------|------------------------|---------------------------------------|
 * | LegacyRC2  | pbeWithSHA1And40BitRC2    | pbeWithSHA1And3DES     | HMAC-SHA1, 1 iteration, 8-byte salt   |
 * | LegacyDES  | pbeWithSHA1And3DES        | pbeWithSHA1And3DES     | HMAC-SHA1, 1 iteration, 8-byte salt   |
 * | Modern2023 | PBES2 PBKDF2-SHA256 AES256| same                   | HMAC-SHA256, 2048 iterations, 16 bytes|
 * | Modern2026 | PBES2 PBKDF2-SHA256 AES256| same                   | PBMAC1 (PBKDF2-SHA256, HMAC-SHA256)   |
 *
 * Encryption uses 2048 iterations throughout. Layout as go-pkcs12 (after OpenSSL's PKCS12_create):
 * an encrypted SafeContents with the certificates (leaf carries localKeyId = SHA-1 of the leaf),
 * then a plain SafeContents holding the shrouded key bag.
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { certificateDERs, parseCertificate } from "./certificate.ts";
import * as der from "./der.ts";
import { encodingKeystore, KeystoreError } from "./errors.ts";
import { parsePrivateKey } from "./keys.ts";
import { rc2CbcEncrypt } from "./rc2.ts";

export type PKCS12Profile = "LegacyRC2" | "LegacyDES" | "Modern2023" | "Modern2026";

type Cipher = "pbe-rc2-40" | "pbe-3des" | "pbes2-aes256";
interface Profile {
  readonly certs: Cipher;
  readonly key: Cipher;
  readonly mac: "sha1" | "sha256" | "pbmac1";
  readonly macIterations: number;
  readonly saltLength: number;
}
const ITERATIONS = 2048;
const PROFILES: Readonly<Record<PKCS12Profile, Profile>> = {
  LegacyRC2: { certs: "pbe-rc2-40", key: "pbe-3des", mac: "sha1", macIterations: 1, saltLength: 8 },
  LegacyDES: { certs: "pbe-3des", key: "pbe-3des", mac: "sha1", macIterations: 1, saltLength: 8 },
  Modern2023: {
    certs: "pbes2-aes256",
    key: "pbes2-aes256",
    mac: "sha256",
    macIterations: 2048,
    saltLength: 16,
  },
  Modern2026: {
    certs: "pbes2-aes256",
    key: "pbes2-aes256",
    mac: "pbmac1",
    macIterations: 2048,
    saltLength: 16,
  },
};

const OIDS = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.2", // pkcs8ShroudedKeyBag
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  javaTrustedUsage: "2.16.840.1.113894.746875.1.1",
  anyExtendedKeyUsage: "2.5.29.37.0",
  pbeRC2_40: "1.2.840.113549.1.12.1.6",
  pbe3DES: "1.2.840.113549.1.12.1.3",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  pbmac1: "1.2.840.113549.1.5.14",
  hmacSHA256: "1.2.840.113549.2.9",
  aes256CBC: "2.16.840.1.101.3.4.1.42",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const;

/** RFC 7292 appendix B.2 key derivation (v = 64 for SHA-1 and SHA-256). */
export function pkcs12KDF(
  hash: "sha1" | "sha256",
  password: Buffer,
  salt: Buffer,
  id: number,
  iterations: number,
  n: number,
): Buffer {
  const v = 64;
  const fill = (b: Buffer): Buffer => {
    const out = Buffer.alloc(b.length === 0 ? 0 : v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const d = Buffer.alloc(v, id);
  const input = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  for (let produced = 0; produced < n;) {
    let a = createHash(hash).update(d).update(input).digest();
    for (let i = 1; i < iterations; i++) a = createHash(hash).update(a).digest();
    out.push(a);
    produced += a.length;
    if (produced >= n) break;
    const b = fill(a);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[j + k]! + b[k]! + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, n);
}

/** PKCS#12 passwords are BMPStrings with a 2-byte NUL terminator; PBES2/PBMAC1 use the UTF-8 bytes. */
const bmpPassword = (pw: string): Buffer => Buffer.concat([der.bmpBytes(pw), Buffer.alloc(2)]);

function encrypt(
  cipher: Cipher,
  password: string,
  saltLength: number,
  plain: Buffer,
): { algId: Buffer; data: Buffer } {
  const salt = randomBytes(saltLength);
  if (cipher === "pbes2-aes256") {
    const iv = randomBytes(16);
    const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, ITERATIONS, 32, "sha256");
    const c = createCipheriv("aes-256-cbc", key, iv);
    const kdf = der.seq(
      der.oid(OIDS.pbkdf2),
      der.seq(der.octets(salt), der.int(ITERATIONS), der.seq(der.oid(OIDS.hmacSHA256), der.nul())),
    );
    return {
      algId: der.seq(der.oid(OIDS.pbes2), der.seq(kdf, der.seq(der.oid(OIDS.aes256CBC), der.octets(iv)))),
      data: Buffer.concat([c.update(plain), c.final()]),
    };
  }
  const pw = bmpPassword(password);
  const keyLength = cipher === "pbe-3des" ? 24 : 5;
  const key = pkcs12KDF("sha1", pw, salt, 1, ITERATIONS, keyLength);
  const iv = pkcs12KDF("sha1", pw, salt, 2, ITERATIONS, 8);
  let data: Buffer;
  if (cipher === "pbe-3des") {
    const c = createCipheriv("des-ede3-cbc", key, iv);
    data = Buffer.concat([c.update(plain), c.final()]);
  } else {
    data = rc2CbcEncrypt(key, iv, plain, 40);
  }
  const oid = cipher === "pbe-3des" ? OIDS.pbe3DES : OIDS.pbeRC2_40;
  return { algId: der.seq(der.oid(oid), der.seq(der.octets(salt), der.int(ITERATIONS))), data };
}

function macData(profile: Profile, password: string, authSafe: Buffer): Buffer {
  const salt = randomBytes(profile.saltLength);
  if (profile.mac === "pbmac1") {
    // RFC 9579: parameters live in the algorithm; MacData's own salt/iterations are ignored.
    const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, profile.macIterations, 32, "sha256");
    const hmacAlg = der.seq(der.oid(OIDS.hmacSHA256), der.nul());
    const kdf = der.seq(
      der.oid(OIDS.pbkdf2),
      der.seq(der.octets(salt), der.int(profile.macIterations), der.int(32), hmacAlg),
    );
    const alg = der.seq(der.oid(OIDS.pbmac1), der.seq(kdf, hmacAlg));
    const digest = createHmac("sha256", key).update(authSafe).digest();
    return der.seq(der.seq(alg, der.octets(digest)), der.octets(Buffer.from("NOT USED", "latin1")));
  }
  const length = profile.mac === "sha1" ? 20 : 32;
  const key = pkcs12KDF(profile.mac, bmpPassword(password), salt, 3, profile.macIterations, length);
  const digest = createHmac(profile.mac, key).update(authSafe).digest();
  const alg = der.seq(der.oid(profile.mac === "sha1" ? OIDS.sha1 : OIDS.sha256), der.nul());
  return der.seq(
    der.seq(alg, der.octets(digest)),
    der.octets(salt),
    ...(profile.macIterations !== 1 ? [der.int(profile.macIterations)] : []),
  );
}

const attribute = (oid: string, value: Buffer): Buffer => der.seq(der.oid(oid), der.set(value));

function safeBag(bagOid: string, value: Buffer, attrs: readonly Buffer[]): Buffer {
  return der.seq(der.oid(bagOid), der.explicit(0, value), ...(attrs.length > 0 ? [der.setOf(attrs)] : []));
}

const certBag = (certDER: Buffer, attrs: readonly Buffer[]): Buffer =>
  safeBag(OIDS.certBag, der.seq(der.oid(OIDS.x509Certificate), der.explicit(0, der.octets(certDER))), attrs);

const dataContentInfo = (content: Buffer): Buffer =>
  der.seq(der.oid(OIDS.data), der.explicit(0, der.octets(content)));

function encryptedContentInfo(cipher: Cipher, profile: Profile, password: string, content: Buffer): Buffer {
  const { algId, data } = encrypt(cipher, password, profile.saltLength, content);
  const eci = der.seq(der.oid(OIDS.data), algId, der.implicitPrimitive(0, data));
  return der.seq(der.oid(OIDS.encryptedData), der.explicit(0, der.seq(der.int(0), eci)));
}

function pfx(profile: Profile, password: string, contentInfos: readonly Buffer[]): Buffer {
  const authSafe = der.seq(...contentInfos);
  return der.seq(der.int(3), dataContentInfo(authSafe), macData(profile, password, authSafe));
}

function profileFor(name: PKCS12Profile | undefined): Profile {
  const p = PROFILES[name ?? "LegacyRC2"];
  if (!p) throw new KeystoreError(`unknown PKCS#12 profile "${String(name)}"`);
  return p;
}

export interface PKCS12KeystoreInput {
  readonly keyPEM: string;
  /** tls.crt: leaf first, then its chain. */
  readonly chainPEM: string;
  /** ca.crt, appended after the chain (duplicates within it dropped). */
  readonly caPEM?: string | undefined;
  readonly password: string;
  /** Default LegacyRC2, as cert-manager. */
  readonly profile?: PKCS12Profile | undefined;
}

/** keystore.p12: the private key, the leaf and every other certificate of tls.crt and ca.crt. */
export function encodePKCS12(input: PKCS12KeystoreInput): Buffer {
  return encodingKeystore("PKCS#12 keystore", () => {
    const profile = profileFor(input.profile);
    const pkcs8 = parsePrivateKey(input.keyPEM).export({ type: "pkcs8", format: "der" });
    const [leaf, ...chain] = certificateDERs(input.chainPEM, false);
    const cas = [...chain, ...(input.caPEM ? certificateDERs(input.caPEM) : [])];
    const localKeyId = attribute(OIDS.localKeyId, der.octets(createHash("sha1").update(leaf!).digest()));
    const bags = [certBag(leaf!, [localKeyId]), ...cas.map((c) => certBag(c, []))];
    const shrouded = encrypt(profile.key, input.password, profile.saltLength, pkcs8);
    const keyBag = safeBag(OIDS.keyBag, der.seq(shrouded.algId, der.octets(shrouded.data)), [localKeyId]);
    return pfx(profile, input.password, [
      encryptedContentInfo(profile.certs, profile, input.password, der.seq(...bags)),
      dataContentInfo(der.seq(keyBag)),
    ]);
  });
}

export interface PKCS12TruststoreInput {
  readonly caPEM: string;
  readonly password: string;
  readonly profile?: PKCS12Profile | undefined;
}

/**
 * truststore.p12: every CA certificate marked as a Java trust anchor (anyExtendedKeyUsage),
 * friendlyName = the certificate's subject as Go prints it.
 */
export function encodePKCS12Truststore(input: PKCS12TruststoreInput): Buffer {
  return encodingKeystore("PKCS#12 truststore", () => {
    const profile = profileFor(input.profile);
    const trusted = attribute(OIDS.javaTrustedUsage, der.oid(OIDS.anyExtendedKeyUsage));
    const bags = certificateDERs(input.caPEM).map((c) =>
      certBag(c, [trusted, attribute(OIDS.friendlyName, der.bmp(parseCertificate(c).subject.text))]),
    );
    return pfx(profile, input.password, [
      encryptedContentInfo(profile.certs, profile, input.password, der.seq(...bags)),
    ]);
  });
}
