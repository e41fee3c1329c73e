import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createServer } from "node:net";
import { once } from "node:events";
import { createWriteStream } from "node:fs";

/**
 * Child processes started by the launchers. They are killed when this process exits, whatever the
 * reason, so a crashed test run leaves no kube-apiserver, etcd or nats-server behind.
 */
const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const p of live) p.kill("SIGKILL");
  };
  process.once("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly logPath: string;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  exited(): boolean;
}

export function startProcess(
  command: string,
  args: string[],
  opts: { logPath: string; env?: NodeJS.ProcessEnv; cwd?: string },
): ManagedProcess {
  hookExit();
  const log = createWriteStream(opts.logPath, { flags: "a" });
  const spawnOpts: SpawnOptions = {
    stdio: ["ignore", "pipe", "pipe"],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  };
  const child = spawn(command, args, spawnOpts);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  live.add(child);
  let exitedFlag = false;
  child.once("exit", () => {
    exitedFlag = true;
    live.delete(child);
  });
  return {
    child,
    logPath: opts.logPath,
    exited: () => exitedFlag,
    async stop(graceMs = 5000) {
      if (exitedFlag) return;
      const done = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}

/** A free loopback TCP port (bound and released; callers retry on the rare collision). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const addr = srv.address();
  srv.close();
  await once(srv, "close");
  if (addr === null || typeof addr === "string") throw new Error("could not allocate a loopback port");
  return addr.port;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; abortIf?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const reason = opts.abortIf?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}`, { cause: lastError });
}
