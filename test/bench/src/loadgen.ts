/**
 * The Go load generator (test/bench/loadgen): built once into the cache outside the repository,
 * under a name keyed by a hash of its source and the Go version, so an edit or a new toolchain
 * rebuilds it and an unchanged one starts at once. Standard library only: no module downloads.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, readdir, rename, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), "../loadgen");

/** Latencies in ms, as the generator prints them. */
export interface LoadgenPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
}

/** The JSON summary the generator prints on stdout. */
export interface LoadgenSummary {
  readonly targetRatePerSecond: number;
  readonly achievedRatePerSecond: number;
  readonly count: number;
  /** failed + non2xx + unexpectedBody. */
  readonly errors: number;
  readonly non2xx: number;
  /** Transport errors and timeouts. */
  readonly failed: number;
  /** 2xx responses whose body lacks the expected text (`"allowed":true`). */
  readonly unexpectedBody: number;
  /** TLS handshakes during the measured phase (kept-alive connections are not counted again). */
  readonly connections: number;
  readonly latencyMs: LoadgenPercentiles;
  /** How late requests left against their schedule: the generator's own jitter, included in latencyMs. */
  readonly scheduleLagMs: LoadgenPercentiles;
  readonly seconds: number;
  /** CPU seconds in the measured phase: the generator's, the watched process's, all others'. */
  readonly cpuSeconds: number;
  readonly watchedCpuSeconds?: number;
  readonly otherCpuSeconds?: number;
}

const cacheRoot = (): string =>
  process.env.CERTKEEPER_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "certkeeper");

/** Builds the generator if this source has not been built yet; returns the binary's path. */
export async function buildLoadgen(): Promise<string> {
  const go = process.env.GO ?? "go";
  const env = { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local" };
  const hash = createHash("sha256");
  hash.update((await run(go, ["version"], { env })).stdout);
  for (const f of (await readdir(SOURCE)).filter((f) => f.endsWith(".go") || f === "go.mod").sort()) {
    hash.update(`${f}\0`).update(await readFile(join(SOURCE, f)));
  }
  const binDir = join(cacheRoot(), "bin");
  const out = join(binDir, `loadgen-${hash.digest("hex").slice(0, 16)}`);
  if (
    await access(out).then(
      () => true,
      () => false,
    )
  ) {
    return out;
  }
  await mkdir(binDir, { recursive: true });
  const partial = await mkdtemp(join(tmpdir(), "certkeeper-loadgen-"));
  try {
    console.error(`building the Go load generator into ${out}`);
    await run(go, ["build", "-trimpath", "-o", join(partial, "loadgen"), "."], { cwd: SOURCE, env });
    await rename(join(partial, "loadgen"), out);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return out;
}

export interface LoadgenRun {
  readonly url: string;
  readonly caFile: string;
  readonly bodiesFile: string;
  readonly rate: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Cores to pin the generator to (taskset -c), e.g. "1". */
  readonly cpus?: string;
  /** The server's pid, to report its CPU time in the measured phase. */
  readonly watchPid?: number;
}

/** Runs one load phase and returns the generator's summary. */
export async function runLoadgen(bin: string, o: LoadgenRun): Promise<LoadgenSummary> {
  const args = [
    "-url",
    o.url,
    "-cacert",
    o.caFile,
    "-bodies",
    o.bodiesFile,
    "-rate",
    String(o.rate),
    "-duration",
    `${o.seconds}s`,
    "-warmup",
    `${o.warmupSeconds}s`,
    ...(o.watchPid ? ["-watch-pid", String(o.watchPid)] : []),
  ];
  const [cmd, argv] = o.cpus ? ["taskset", ["-c", o.cpus, bin, ...args]] : [bin, args];
  const { stdout } = await run(cmd, argv, { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout) as LoadgenSummary;
}
