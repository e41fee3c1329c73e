/** Test-only helpers: run the real openssl / keytool / python3 against our output. Not exported. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as bytes, for binary output. */
  readonly raw: Buffer;
}

export function run(cmd: string, args: readonly string[], input?: string | Buffer): Run {
  const r = spawnSync(cmd, args, { input, timeout: 60_000 });
  const raw = r.stdout ?? Buffer.alloc(0);
  return {
    status: r.status ?? -1,
    stdout: raw.toString("utf8"),
    stderr: (r.stderr ?? Buffer.alloc(0)).toString("utf8"),
    raw,
  };
}

export function hasCommand(cmd: string, probe: readonly string[] = ["-version"]): boolean {
  try {
    execFileSync(cmd, probe, { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** A scratch directory with named files; call cleanup() in afterAll/finally. */
export function scratch(files: Record<string, string | Buffer> = {}): {
  dir: string;
  path: (n: string) => string;
  write: (n: string, d: string | Buffer) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "ck-pki-"));
  const path = (n: string): string => join(dir, n);
  const write = (n: string, d: string | Buffer): string => {
    writeFileSync(path(n), d);
    return path(n);
  };
  for (const [n, d] of Object.entries(files)) write(n, d);
  return { dir, path, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `openssl x509 -text` / `req -text` output of a PEM. */
export function opensslText(kind: "x509" | "req", pem: string): string {
  const r = run("openssl", [kind, "-noout", "-text"], pem);
  if (r.status !== 0) throw new Error(`openssl ${kind} failed: ${r.stderr}`);
  return r.stdout;
}
