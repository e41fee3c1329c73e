/**
 * The certbot half of `pnpm bench acme`: `certbot certonly --standalone` for the same names
 * against the same Pebble, one name after another (standalone mode binds Pebble's one HTTP-01
 * port), after an untimed `certbot register`.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PebbleHandle } from "@certkeeper/testing";

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number, d = 0) => Number(n.toFixed(d));

function runCertbot(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("certbot", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** certbot certonly --standalone for each name, one after another, against the same Pebble. */
export async function certbotRun(pebble: PebbleHandle, count: number, workDir: string) {
  const dir = join(workDir, "certbot");
  const dirs = ["config", "work", "logs"].map((d) => join(dir, d));
  for (const d of dirs) await mkdir(d, { recursive: true });
  const caFile = join(dir, "pebble-listener-ca.pem");
  await writeFile(caFile, pebble.caPEM);
  const env = { ...process.env, REQUESTS_CA_BUNDLE: caFile };
  const common = [
    "--non-interactive",
    "--agree-tos",
    "-m",
    "bench@example.com",
    "--no-eff-email",
    "--server",
    pebble.directoryUrl,
    "--config-dir",
    dirs[0]!,
    "--work-dir",
    dirs[1]!,
    "--logs-dir",
    dirs[2]!,
  ];
  const reg = await runCertbot(["register", ...common], env, 60_000);
  if (reg.code !== 0) throw new Error(`certbot register failed (${reg.code}):\n${reg.output.slice(-2000)}`);

  console.log(
    `\n[certbot] ${count} names one after another (standalone mode binds Pebble's HTTP-01 port ${pebble.httpPort}, so one at a time)`,
  );
  const perCert: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    const name = `n${i}.bench.test`;
    const t = Date.now();
    const r = await runCertbot(
      [
        "certonly",
        "--standalone",
        ...common,
        "--http-01-port",
        String(pebble.httpPort),
        "--http-01-address",
        "127.0.0.1",
        "-d",
        name,
      ],
      env,
      120_000,
    );
    if (r.code !== 0)
      throw new Error(`certbot certonly -d ${name} failed (${r.code}):\n${r.output.slice(-2000)}`);
    await stat(join(dirs[0]!, "live", name, "fullchain.pem"));
    perCert.push(Date.now() - t);
  }
  const wall = (Date.now() - t0) / 1000;
  const sorted = [...perCert].sort((a, b) => a - b);
  return {
    certificates: count,
    sequential: true,
    wallSeconds: round(wall, 2),
    perCertificateMs: {
      p50: sorted.length ? pct(sorted, 50) : 0,
      p99: sorted.length ? pct(sorted, 99) : 0,
      min: sorted[0] ?? 0,
      max: sorted.at(-1) ?? 0,
    },
    perCertificateMsInOrder: perCert,
    version: spawnSync("certbot", ["--version"]).stdout?.toString().trim() || undefined,
    note: "one certbot process per name (Python start-up included); account registered beforehand, untimed",
  };
}
