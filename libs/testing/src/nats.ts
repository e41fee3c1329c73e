/**
 * A real nats-server for tests, on random loopback ports, with JetStream in a temp store dir.
 *
 *   binary:  $NATS_SERVER_BIN, else `nats-server` on $PATH
 *   ports:   `-p -1 -m -1` on first start; the server writes the chosen ports to
 *            `<ports dir>/<exe>_<pid>.ports`, which is how we learn them. restart() reuses them,
 *            so clients reconnect to the same URL (NATS-restart tests).
 *   ready:   the ports file exists, the client port answers with INFO and the monitor's
 *            /healthz says ok, which on 2.9 includes JetStream being ready.
 *   cleanup: stop() ends the process and removes the temp dirs it made; if this test process
 *            exits first, the server is killed (processes.ts hook) and the dirs removed (below).
 */
import { connect as tcpConnect } from "node:net";
import { rmSync } from "node:fs";
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProcess, waitFor, type ManagedProcess } from "./processes.ts";

export interface NatsPermissions {
  publish?: string[] | { allow?: string[]; deny?: string[] };
  subscribe?: string[] | { allow?: string[]; deny?: string[] };
  /** Lets a user answer requests without publish rights on every reply subject. */
  allow_responses?: boolean;
}

export interface NatsUser {
  user: string;
  pass: string;
  /** Omitted: the user may publish and subscribe to everything. */
  permissions?: NatsPermissions;
}

export interface StartNatsOptions {
  /** Default true. */
  jetstream?: boolean;
  /** JetStream store; a fresh temp dir by default. A dir passed here is never removed. */
  storeDir?: string;
  /** Client port; random by default. */
  port?: number;
  /** When set, the server requires one of these users (written to a config file). */
  users?: NatsUser[];
  /** Default 15 s. */
  startTimeoutMs?: number;
}

export interface NatsServerHandle {
  /** nats://127.0.0.1:<port> — stable across restart(). */
  readonly url: string;
  /** http://127.0.0.1:<port> — stable across restart(). */
  readonly monitorUrl: string;
  readonly port: number;
  readonly storeDir: string;
  /** The current server process id; changes on restart(), undefined while down. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Path of the server log (inside the temp dir; gone after stop()). */
  readonly logPath: string;
  /** Graceful shutdown (SIGTERM, SIGKILL after 5 s), then removes the temp dirs. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the server gracefully if it runs (keeping its store), runs `whileDown` if given, then
   * starts it again on the same ports and store dir and waits until it is ready.
   */
  restart(opts?: { whileDown?: () => Promise<void> | void }): Promise<void>;
  /** SIGKILL now, like a crash. The store stays; restart() brings the server back. */
  kill(): void;
}

const DEFAULT_START_TIMEOUT_MS = 15_000;

/**
 * Temp dirs of servers not stopped yet. processes.ts kills the servers when this process exits;
 * this removes their dirs too (synchronously: nothing async runs in an "exit" listener).
 */
const liveRoots = new Set<string>();
let exitHooked = false;
function removeOnExit(root: string): void {
  liveRoots.add(root);
  if (exitHooked) return;
  exitHooked = true;
  process.once("exit", () => {
    for (const r of liveRoots) {
      try {
        rmSync(r, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        // a server killed a moment ago may still be writing; a leftover temp dir is harmless
      }
    }
  });
}

export async function startNats(opts: StartNatsOptions = {}): Promise<NatsServerHandle> {
  const bin = process.env.NATS_SERVER_BIN || "nats-server";
  const jetstream = opts.jetstream ?? true;
  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const root = await mkdtemp(join(tmpdir(), "ck-nats-"));
  removeOnExit(root);
  const storeDir = opts.storeDir ?? join(root, "store");
  const portsDir = join(root, "ports");
  const logPath = join(root, "nats-server.log");
  await mkdir(portsDir, { recursive: true });
  if (!opts.storeDir) await mkdir(storeDir, { recursive: true });

  let configPath: string | undefined;
  if (opts.users && opts.users.length > 0) {
    configPath = join(root, "auth.conf");
    await writeFile(configPath, authConfig(opts.users), { mode: 0o600 });
  }

  const args = (clientPort: number, monitorPort: number) => [
    ...(configPath ? ["-c", configPath] : []),
    ...["-a", "127.0.0.1", "-p", String(clientPort), "-m", String(monitorPort)],
    ...(jetstream ? ["-js", "-sd", storeDir] : []),
    ...["--ports_file_dir", portsDir],
  ];

  let proc: ManagedProcess | undefined;
  let stopped = false;

  /** Starts the process and resolves with the ports it listens on once it is ready. */
  const launch = async (
    clientPort: number,
    monitorPort: number,
  ): Promise<{ client: number; monitor: number }> => {
    const p = startProcess(bin, args(clientPort, monitorPort), { logPath });
    proc = p;
    const spawnFailed = new Promise<never>((_, reject) => p.child.once("error", reject));
    spawnFailed.catch(() => undefined);
    const abortIf = () => (p.exited() ? "nats-server exited during start-up" : undefined);
    const ready = async () => {
      const pid = p.child.pid;
      if (pid === undefined) return spawnFailed;
      const found = await waitFor(`nats-server ports file (pid ${pid})`, () => readPortsFile(portsDir, pid), {
        timeoutMs,
        intervalMs: 20,
        abortIf,
      });
      await waitFor(`nats-server on 127.0.0.1:${found.client}`, () => answersInfo(found.client), {
        timeoutMs,
        intervalMs: 20,
        abortIf,
      });
      await waitFor(`nats-server /healthz on port ${found.monitor}`, () => healthy(found.monitor), {
        timeoutMs,
        intervalMs: 50,
        abortIf,
      });
      return found;
    };
    try {
      return await Promise.race([ready(), spawnFailed]);
    } catch (err) {
      // A spawn failure (ENOENT) has no pid and never emits "exit": nothing to stop.
      if (p.child.pid !== undefined) await p.stop(1000);
      throw new Error(`could not start ${bin}: ${(err as Error).message}\n${await logTail(logPath)}`, {
        cause: err,
      });
    }
  };

  let ports: { client: number; monitor: number };
  try {
    ports = await launch(opts.port ?? -1, -1);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    liveRoots.delete(root);
    throw err;
  }
  const { client, monitor } = ports;

  return {
    url: `nats://127.0.0.1:${client}`,
    monitorUrl: `http://127.0.0.1:${monitor}`,
    port: client,
    storeDir,
    logPath,
    get pid() {
      return proc && !proc.exited() ? proc.child.pid : undefined;
    },
    get running() {
      return proc !== undefined && !proc.exited();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await proc?.stop(5000);
      await rm(root, { recursive: true, force: true });
      liveRoots.delete(root);
    },
    async restart(restartOpts = {}) {
      if (stopped) throw new Error("nats-server handle was stopped; start a new one");
      await proc?.stop(5000);
      await restartOpts.whileDown?.();
      await launch(client, monitor);
    },
    kill() {
      if (proc && !proc.exited()) proc.child.kill("SIGKILL");
    },
  };
}

/** The server names the file after its executable: `<exe>_<pid>.ports`. */
async function readPortsFile(
  dir: string,
  pid: number,
): Promise<{ client: number; monitor: number } | undefined> {
  const name = (await readdir(dir)).find((f) => f.endsWith(`_${pid}.ports`));
  if (!name) return undefined;
  let parsed: { nats?: string[]; monitoring?: string[] };
  try {
    parsed = JSON.parse(await readFile(join(dir, name), "utf8")) as typeof parsed;
  } catch {
    return undefined; // written but not complete yet
  }
  const client = portOf(parsed.nats?.[0]);
  const monitor = portOf(parsed.monitoring?.[0]);
  return client && monitor ? { client, monitor } : undefined;
}

function portOf(url: string | undefined): number | undefined {
  if (!url) return undefined;
  const port = Number(new URL(url).port);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** A NATS server greets every new connection with `INFO {...}`. */
function answersInfo(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const sock = tcpConnect({ host: "127.0.0.1", port });
    const done = (v: true | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(1000, () => done(undefined));
    sock.once("error", () => done(undefined));
    sock.once("data", (buf) => done(buf.toString("utf8").startsWith("INFO ") ? true : undefined));
  });
}

async function healthy(monitorPort: number): Promise<true | undefined> {
  const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
  await res.body?.cancel();
  return res.ok ? true : undefined;
}

/** NATS configuration is a superset of JSON, so the auth block is written as JSON. */
function authConfig(users: NatsUser[]): string {
  return JSON.stringify(
    {
      authorization: {
        users: users.map((u) => ({
          user: u.user,
          password: u.pass,
          ...(u.permissions ? { permissions: u.permissions } : {}),
        })),
      },
    },
    null,
    2,
  );
}

async function logTail(path: string): Promise<string> {
  try {
    const text = await readFile(path, "utf8");
    return text.split("\n").slice(-20).join("\n");
  } catch {
    return "";
  }
}
