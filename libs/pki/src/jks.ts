/**
 * Java KeyStore (JKS) writer — the binary format keytool reads:
 *
 *   magic 0xFEEDFEED | version 2 | entry count
 *   entry: tag (1 = private key, 2 = trusted certificate) | alias (Java modified UTF-8) | created (ms)
 *     private key: EncryptedPrivateKeyInfo (Sun key protector over PKCS#8) | chain of certificates
 *     trusted certificate: one certificate
 *   certificate: type "X.509" | length | DER
 *   trailer: SHA-1(password as UTF-16BE ‖ "Mighty Aphrodite" ‖ everything above)
 *
 * As cert-manager (keystore-go): keystore.jks = key entry (alias default "certificate") + CA
 * entries "ca", "ca-1", ...; truststore.jks = the CA entries only. Aliases are lower-cased.
 */
import { createHash, randomBytes } from "node:crypto";
import { certificateDERs } from "./certificate.ts";
import * as der from "./der.ts";
import { encodingKeystore, KeystoreError } from "./errors.ts";
import { parsePrivateKey } from "./keys.ts";

const KEY_PROTECTOR_OID = "1.3.6.1.4.1.42.2.17.1.1";

class Writer {
  private readonly parts: Buffer[] = [];
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }
  u64(n: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  /** DataOutputStream.writeUTF: u16 length + modified UTF-8 (NUL as C0 80, surrogates encoded singly). */
  utf(s: string): this {
    const out: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 1 && c <= 0x7f) out.push(c);
      else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
      else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    }
    if (out.length > 0xffff) throw new KeystoreError("JKS string too long");
    const len = Buffer.alloc(2);
    len.writeUInt16BE(out.length);
    this.parts.push(len, Buffer.from(out));
    return this;
  }
  cert(certDER: Buffer): this {
    return this.utf("X.509").u32(certDER.length).bytes(certDER);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Java's char[] password as bytes: UTF-16 big-endian. */
const passwordBytes = (password: string): Buffer => der.bmpBytes(password);

/**
 * Sun's proprietary key protector: keystream = SHA-1 chain seeded with a random 20-byte salt,
 * XORed over the PKCS#8 key, followed by SHA-1(password ‖ plaintext) as integrity check.
 */
function protectKey(pkcs8: Buffer, password: Buffer): Buffer {
  const salt = randomBytes(20);
  const encrypted = Buffer.alloc(pkcs8.length);
  let digest = salt;
  for (let off = 0; off < pkcs8.length; off += 20) {
    digest = createHash("sha1").update(password).update(digest).digest();
    for (let i = 0; i < 20 && off + i < pkcs8.length; i++) encrypted[off + i] = pkcs8[off + i]! ^ digest[i]!;
  }
  const check = createHash("sha1").update(password).update(pkcs8).digest();
  const protectedKey = Buffer.concat([salt, encrypted, check]);
  return der.seq(der.seq(der.oid(KEY_PROTECTOR_OID), der.nul()), der.octets(protectedKey));
}

type Entry =
  | { kind: "key"; alias: string; encryptedKey: Buffer; chain: Buffer[] }
  | { kind: "cert"; alias: string; cert: Buffer };

function store(entries: readonly Entry[], password: string, created: Date): Buffer {
  const w = new Writer().u32(0xfeedfeed).u32(2).u32(entries.length);
  for (const e of entries) {
    w.u32(e.kind === "key" ? 1 : 2)
      .utf(e.alias.toLowerCase())
      .u64(created.getTime());
    if (e.kind === "key") {
      w.u32(e.encryptedKey.length).bytes(e.encryptedKey).u32(e.chain.length);
      for (const c of e.chain) w.cert(c);
    } else {
      w.cert(e.cert);
    }
  }
  const body = w.done();
  const mac = createHash("sha1")
    .update(passwordBytes(password))
    .update(Buffer.from("Mighty Aphrodite", "utf8"))
    .update(body)
    .digest();
  return Buffer.concat([body, mac]);
}

const caEntries = (caPEM: string): Entry[] =>
  certificateDERs(caPEM).map((cert, i) => ({ kind: "cert", alias: i === 0 ? "ca" : `ca-${i}`, cert }));

export interface JKSKeystoreInput {
  readonly keyPEM: string;
  readonly chainPEM: string;
  readonly caPEM?: string | undefined;
  readonly password: string;
  /** Default "certificate". */
  readonly alias?: string | undefined;
  /** Entry creation time; default now. */
  readonly now?: Date | undefined;
}

/** keystore.jks: a private key entry with the tls.crt chain, plus a trusted entry per CA certificate. */
export function encodeJKS(input: JKSKeystoreInput): Buffer {
  return encodingKeystore("JKS keystore", () => {
    const pkcs8 = parsePrivateKey(input.keyPEM).export({ type: "pkcs8", format: "der" });
    const entries: Entry[] = [
      {
        kind: "key",
        alias: input.alias || "certificate",
        encryptedKey: protectKey(pkcs8, passwordBytes(input.password)),
        chain: certificateDERs(input.chainPEM, false),
      },
      ...(input.caPEM ? caEntries(input.caPEM) : []),
    ];
    return store(entries, input.password, input.now ?? new Date());
  });
}

export interface JKSTruststoreInput {
  readonly caPEM: string;
  readonly password: string;
  readonly now?: Date | undefined;
}

/** truststore.jks: a trusted certificate entry per CA certificate ("ca", "ca-1", ...). */
export function encodeJKSTruststore(input: JKSTruststoreInput): Buffer {
  return encodingKeystore("JKS truststore", () =>
    store(caEntries(input.caPEM), input.password, input.now ?? new Date()),
  );
}
