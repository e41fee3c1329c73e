/**
 * RC2 (RFC 2268) in CBC mode with PKCS#7 padding, encryption only. Needed for the LegacyRC2
 * PKCS#12 profile (pbeWithSHAAnd40BitRC2-CBC); Node's OpenSSL 3 does not load the legacy
 * provider that carries RC2.
 */

// PITABLE from RFC 2268 section 2 (a permutation of 0..255 derived from the digits of pi).
const PI_TABLE = Buffer.from(
  "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32" +
    "bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626" +
    "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a" +
    "961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731" +
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2e" +
    "c5f3db47e5a59c770aa62068fe7fc1ad",
  "hex",
);

/** Key schedule: 64 16-bit words for a key with `effectiveBits` effective bits. */
function expandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  for (let i = t; i < 128; i++) l[i] = PI_TABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  const t8 = (effectiveBits + 7) >> 3;
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PI_TABLE[l[128 - t8]! & tm]!;
  for (let i = 127 - t8; i >= 0; i--) l[i] = PI_TABLE[l[i + 1]! ^ l[i + t8]!]!;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  return k;
}

const rol16 = (x: number, n: number): number => ((x << n) | (x >>> (16 - n))) & 0xffff;

/** Encrypts one 8-byte block in place (little-endian 16-bit words, as RFC 2268). */
function encryptBlock(k: Uint16Array, b: Uint8Array): void {
  const r = [b[0]! | (b[1]! << 8), b[2]! | (b[3]! << 8), b[4]! | (b[5]! << 8), b[6]! | (b[7]! << 8)];
  let j = 0;
  const mix = (): void => {
    for (let i = 0; i < 4; i++) {
      const s = [1, 2, 3, 5][i]!;
      r[i] = rol16(
        (r[i]! + k[j++]! + (r[(i + 3) & 3]! & r[(i + 2) & 3]!) + (~r[(i + 3) & 3]! & r[(i + 1) & 3]!)) &
          0xffff,
        s,
      );
    }
  };
  const mash = (): void => {
    for (let i = 0; i < 4; i++) r[i] = (r[i]! + k[r[(i + 3) & 3]! & 63]!) & 0xffff;
  };
  for (let round = 0; round < 16; round++) {
    mix();
    if (round === 4 || round === 10) mash();
  }
  for (let i = 0; i < 4; i++) {
    b[2 * i] = r[i]! & 0xff;
    b[2 * i + 1] = r[i]! >>> 8;
  }
}

export function rc2EncryptBlock(key: Uint8Array, effectiveBits: number, block: Uint8Array): Buffer {
  const out = Buffer.from(block);
  encryptBlock(expandKey(key, effectiveBits), out);
  return out;
}

export function rc2CbcEncrypt(
  key: Uint8Array,
  iv: Uint8Array,
  plain: Uint8Array,
  effectiveBits = key.length * 8,
): Buffer {
  const k = expandKey(key, effectiveBits);
  const pad = 8 - (plain.length % 8);
  const out = Buffer.concat([Buffer.from(plain), Buffer.alloc(pad, pad)]);
  let prev: Uint8Array = iv;
  for (let off = 0; off < out.length; off += 8) {
    const block = out.subarray(off, off + 8);
    for (let i = 0; i < 8; i++) block[i] = block[i]! ^ prev[i]!;
    encryptBlock(k, block);
    prev = block;
  }
  return out;
}
