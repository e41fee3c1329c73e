/** PEM in the exact layout Go's encoding/pem writes: 64-column base64, trailing newline. */

export interface PEMBlock {
  readonly type: string;
  readonly der: Buffer;
}

export function encodePEM(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  let body = "";
  for (let i = 0; i < b64.length; i += 64) body += `${b64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${type}-----\n${body}-----END ${type}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** All PEM blocks in order; text between blocks is ignored (as Go's pem.Decode does). Headers are skipped. */
export function decodePEM(text: string): PEMBlock[] {
  const out: PEMBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const lines = m[2]!.split(/\r?\n/);
    const body = lines.some((l) => l.includes(":"))
      ? lines.slice(lines.findIndex((l) => l.trim() === "") + 1)
      : lines;
    const b64 = body.join("").replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) continue;
    out.push({ type: m[1]!, der: Buffer.from(b64, "base64") });
  }
  return out;
}

export const asText = (v: string | Uint8Array): string =>
  typeof v === "string" ? v : Buffer.from(v).toString("latin1");
