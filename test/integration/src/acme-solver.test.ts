/**
 * acme-solver replicas as real processes against a real nats-server: commands in a queue group,
 * every replica serving every token from JetStream KV, surviving a killed replica and a NATS restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { connectBus, sendCommand, CommandError, type Bus } from "@certkeeper/bus";
import {
  CommandReplySchema,
  SERVICES,
  commandSubject,
  makeEnvelope,
  schemaName,
  type CommandReply,
  type PresentChallenge,
} from "@certkeeper/contracts";
import { silentLogger } from "@certkeeper/logging";
import {
  freePort,
  startNats,
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerHandle,
} from "@certkeeper/testing";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const MAIN = join(ROOT, "services/acme-solver/src/main.ts");
const DOMAIN = "example.test";

interface Replica {
  name: string;
  port: number;
  proc: ManagedProcess;
}

let nats: NatsServerHandle;
let client: Bus;
let logDir: string;
const replicas = new Map<string, Replica>();

async function startReplica(name: string): Promise<Replica> {
  const port = await freePort();
  const proc = startProcess(
    process.execPath,
    ["--import", "tsx", MAIN, "--nats-url", nats.url, "--listen-port", String(port), "--log-level", "debug"],
    { logPath: join(logDir, `${name}.log`), cwd: ROOT },
  );
  const replica = { name, port, proc };
  replicas.set(name, replica);
  try {
    await waitFor(
      `${name} /healthz`,
      async () => ((await get(replica, "/healthz")).status === 200 ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        abortIf: () => (proc.exited() ? `${name} exited` : undefined),
      },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await readFile(proc.logPath, "utf8").catch(() => "")}`);
  }
  return replica;
}

function get(
  r: Replica,
  path: string,
  host = DOMAIN,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: "127.0.0.1", port: r.port, path, headers: { host }, agent: false, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const challengePath = (token: string) => `/.well-known/acme-challenge/${token}`;

interface Challenge {
  uid: string;
  token: string;
  key: string;
}

function newChallenge(): Challenge {
  const token = randomBytes(32).toString("base64url");
  return { uid: randomUUID(), token, key: `${token}.${randomBytes(32).toString("base64url")}` };
}

let presentsSent = 0;
function command(verb: "present" | "cleanup", ch: Challenge, type: PresentChallenge["type"] = "HTTP-01") {
  if (verb === "present") presentsSent++;
  const data = { type, dnsName: DOMAIN, token: ch.token, ...(verb === "present" ? { key: ch.key } : {}) };
  const resource = {
    kind: "Challenge",
    namespace: "default",
    name: `web-${ch.uid.slice(0, 8)}`,
    uid: ch.uid,
  };
  return sendCommand<CommandReply>(
    client,
    commandSubject("challenge", ch.uid, verb),
    makeEnvelope(schemaName("challenge", verb), resource, data),
    // Short, so the retry after a NATS restart does not sit out a request lost while reconnecting.
    { replySchema: CommandReplySchema, timeoutMs: 2000 },
  );
}

async function serves(r: Replica, ch: Challenge): Promise<void> {
  const res = await get(r, challengePath(ch.token));
  expect(res.status).toBe(200);
  expect(res.body).toBe(ch.key);
  expect(res.headers["cache-control"]).toBe("no-cache, no-store, must-revalidate");
  expect(String(res.headers["content-type"])).toMatch(/^text\/plain/);
}

async function eventually(what: string, check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  await waitFor(what, async () => (await check(), true), { timeoutMs, intervalMs: 100 });
}

async function srv(verb: "PING" | "INFO" | "STATS"): Promise<Array<Record<string, unknown>>> {
  const replies = await client.nc.requestMany(`$SRV.${verb}.${SERVICES.acmeSolver.name}`, "", {
    strategy: "timer",
    maxWait: 1000,
  });
  const out: Array<Record<string, unknown>> = [];
  for await (const m of replies) out.push(m.json<Record<string, unknown>>());
  return out;
}

const replica = (name: string) => replicas.get(name)!;

beforeAll(async () => {
  logDir = await mkdtemp(join(tmpdir(), "ck-acme-solver-"));
  nats = await startNats();
  client = await connectBus({
    servers: nats.url,
    name: "acme-solver-test",
    logger: silentLogger(),
    reconnectTimeWaitMs: 100,
  });
  await Promise.all([startReplica("a"), startReplica("b")]);
});

afterAll(async () => {
  await Promise.all([...replicas.values()].map((r) => r.proc.stop(3000)));
  await client?.close();
  await nats?.stop();
  await rm(logDir, { recursive: true, force: true });
});

describe("acme-solver replicas", () => {
  const first = newChallenge();
  const second = newChallenge();
  const third = newChallenge();

  it("answer the services framework's PING and INFO, one instance each", async () => {
    const pings = await srv("PING");
    expect(pings).toHaveLength(2);
    expect(new Set(pings.map((p) => p.id)).size).toBe(2);
    const [info] = await srv("INFO");
    const endpoints = info!.endpoints as Array<{ name: string; subject: string; queue_group: string }>;
    expect(endpoints.map((e) => [e.name, e.subject, e.queue_group]).sort()).toEqual([
      ["cleanup", "cm.v1.cmd.challenge.*.cleanup", "acme-solver"],
      ["present", "cm.v1.cmd.challenge.*.present", "acme-solver"],
    ]);
  });

  it("serve a presented token from every replica, only for its domain", async () => {
    expect(await command("present", first)).toMatchObject({ ok: true });
    expect(await command("present", first)).toMatchObject({ ok: true }); // idempotent
    for (const r of [replica("a"), replica("b")]) {
      await eventually(`${r.name} serves`, () => serves(r, first));
      expect((await get(r, challengePath(first.token), "EXAMPLE.test:8089")).body).toBe(first.key);
      expect((await get(r, challengePath(first.token), "other.test")).status).toBe(404);
      expect((await get(r, challengePath(newChallenge().token))).status).toBe(404);
    }
  });

  it("handle each command once (queue group) and refuse DNS-01 with a clear code", async () => {
    const dns = command("present", newChallenge(), "DNS-01");
    await expect(dns).rejects.toBeInstanceOf(CommandError);
    await expect(dns).rejects.toMatchObject({ code: "CK_SOLVER_DNS01_UNSUPPORTED", status: 501 });
    await expect(dns).rejects.toThrow(/not supported by this solver yet/);
    const stats = await srv("STATS");
    const handled = stats
      .flatMap((s) => s.endpoints as Array<{ name: string; num_requests: number }>)
      .filter((e) => e.name === "present")
      .reduce((n, e) => n + e.num_requests, 0);
    expect(handled).toBe(presentsSent);
  });

  it("serve tokens presented before the replica started", async () => {
    const c = await startReplica("c");
    await serves(c, first);
    await c.proc.stop();
    expect(c.proc.child.exitCode).toBe(0);
    replicas.delete("c");
  });

  it("keep serving and accepting commands when a replica is killed", async () => {
    replica("a").proc.child.kill("SIGKILL");
    await eventually("a to be gone", async () => expect(replica("a").proc.exited()).toBe(true));
    await serves(replica("b"), first);
    expect(await command("present", second)).toMatchObject({ ok: true });
    await eventually("b serves the second token", () => serves(replica("b"), second));
    await eventually("one instance left", async () => expect(await srv("PING")).toHaveLength(1));
  });

  it("ride out a NATS restart: serve from cache while down, reconnect, accept commands again", async () => {
    await nats.restart({ whileDown: () => serves(replica("b"), second) });
    await waitFor(
      "a present after the restart",
      async () => ((await command("present", third).catch(() => undefined))?.ok ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await eventually("b serves the third token", () => serves(replica("b"), third));
    const a = await startReplica("a");
    for (const ch of [first, second, third]) await eventually(`new a serves ${ch.uid}`, () => serves(a, ch));
  }, 90_000);

  it("stop serving on cleanup, on every replica; cleaning up twice is fine", async () => {
    for (const ch of [first, second, third]) {
      expect(await command("cleanup", ch)).toMatchObject({ ok: true });
      expect(await command("cleanup", ch)).toMatchObject({ ok: true });
    }
    for (const r of [replica("a"), replica("b")]) {
      for (const ch of [first, second, third]) {
        await eventually(`${r.name} forgets ${ch.uid}`, async () =>
          expect((await get(r, challengePath(ch.token))).status).toBe(404),
        );
      }
      expect((await get(r, "/healthz")).status).toBe(200);
    }
  });
});
