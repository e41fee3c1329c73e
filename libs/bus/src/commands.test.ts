import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Type } from "@sinclair/typebox";
import {
  CommandReplySchema,
  PresentChallengeSchema,
  CleanupChallengeSchema,
  RenewCertificateSchema,
  commandSubject,
  filters,
  makeEnvelope,
  schemaName,
  SubjectError,
  type CommandReply,
  type ResourceRef,
} from "@certkeeper/contracts";
import { silentLogger } from "@certkeeper/logging";
import { Svcm, type ServiceIdentity, type ServiceInfo } from "@nats-io/services";
import { startNats, type NatsServerHandle } from "../../testing/src/nats.ts";
import { connectBus, type Bus } from "./connection.ts";
import { serveCommands, sendCommand, type CommandService } from "./commands.ts";
import { BusError, COMMAND_ERROR_CODES, CommandError } from "./errors.ts";

const SERVICE = { name: "test-solver", version: "0.1.0", queue: "test-solver" };

class ChallengeUnknownError extends BusError {
  readonly code = "CK_CHALLENGE_UNKNOWN";
  readonly status = 404;
}

let nats: NatsServerHandle;
let client: Bus;
const servers: Bus[] = [];
const services: CommandService[] = [];
const handledBy: string[] = [];

async function startInstance(label: string): Promise<void> {
  const bus = await connectBus({ servers: nats.url, name: `commands-test-${label}`, logger: silentLogger() });
  servers.push(bus);
  services.push(
    await serveCommands(bus, {
      ...SERVICE,
      endpoints: {
        present: {
          subject: filters.command("challenge", "present"),
          schema: PresentChallengeSchema,
          async handler(env) {
            handledBy.push(label);
            return { ok: true, message: `${label} presents ${env.data.token}` } satisfies CommandReply;
          },
        },
        cleanup: {
          subject: filters.command("challenge", "cleanup"),
          schema: CleanupChallengeSchema,
          async handler(env) {
            if (env.data.token === "boom") throw new Error("disk on fire\n    at secret (/srv/app.ts:1:1)");
            if (env.data.token === "syscall") throw Object.assign(new Error("read failed"), { code: "EIO" });
            throw new ChallengeUnknownError(`no challenge with token ${env.data.token}`);
          },
        },
        renew: {
          subject: filters.command("certificate", "renew"),
          schema: Type.Object({ delayMs: Type.Integer() }),
          async handler(env) {
            await new Promise((r) => setTimeout(r, env.data.delayMs));
            return { ok: true };
          },
        },
      },
    }),
  );
}

beforeAll(async () => {
  nats = await startNats({ jetstream: false });
  client = await connectBus({ servers: nats.url, name: "commands-test-client", logger: silentLogger() });
  await startInstance("one");
  await startInstance("two");
  for (const b of servers) await b.nc.flush();
});

afterAll(async () => {
  for (const s of services) await s.stop();
  for (const b of [client, ...servers]) await b?.close();
  await nats?.stop();
});

const challenge = (uid: string): ResourceRef => ({
  kind: "Challenge",
  namespace: "ns",
  name: `ch-${uid}`,
  uid,
});
const present = (uid: string, data: Record<string, unknown>) =>
  makeEnvelope(schemaName("challenge", "present"), challenge(uid), data);

async function failure(p: Promise<unknown>): Promise<CommandError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CommandError);
  return err as CommandError;
}

describe("commands", () => {
  it("round-trips a command to a handler and validates the reply", async () => {
    const reply = await sendCommand<CommandReply>(
      client,
      commandSubject("challenge", "c1", "present"),
      present("c1", { type: "HTTP-01", dnsName: "example.com", token: "tok1", key: "tok1.thumb" }),
      { replySchema: CommandReplySchema },
    );
    expect(reply.ok).toBe(true);
    expect(reply.message).toMatch(/presents tok1$/);
  });

  it("turns a handler error into CommandError with the handler's code and status", async () => {
    const env = makeEnvelope(schemaName("challenge", "cleaned-up"), challenge("c2"), {
      type: "HTTP-01",
      dnsName: "example.com",
      token: "nope",
    });
    const err = await failure(sendCommand(client, commandSubject("challenge", "c2", "cleanup"), env));
    expect(err.code).toBe("CK_CHALLENGE_UNKNOWN");
    expect(err.status).toBe(404);
    expect(err.message).toBe("no challenge with token nope");
  });

  it("sends no stack traces: an uncoded error is CK_COMMAND_FAILED with a one-line message", async () => {
    const env = makeEnvelope("s/v1", challenge("c3"), {
      type: "HTTP-01",
      dnsName: "example.com",
      token: "boom",
    });
    const err = await failure(sendCommand(client, commandSubject("challenge", "c3", "cleanup"), env));
    expect(err.code).toBe(COMMAND_ERROR_CODES.failed);
    expect(err.status).toBe(500);
    expect(err.message).not.toMatch(/\n/);

    const sys = makeEnvelope("s/v1", challenge("c3"), {
      type: "HTTP-01",
      dnsName: "example.com",
      token: "syscall",
    });
    const sysErr = await failure(sendCommand(client, commandSubject("challenge", "c3", "cleanup"), sys));
    expect(sysErr.code).toBe(COMMAND_ERROR_CODES.failed);
  });

  it("rejects an invalid payload at the edge", async () => {
    const err = await failure(
      sendCommand(
        client,
        commandSubject("challenge", "c4", "present"),
        present("c4", { type: "HTTP-01", token: "" }),
      ),
    );
    expect(err.code).toBe(COMMAND_ERROR_CODES.invalid);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/data\/dnsName/);
    expect(err.message).toMatch(/data\/token/);
  });

  it("rejects an envelope about another object than the subject names", async () => {
    const env = present("c5", { type: "HTTP-01", dnsName: "example.com", token: "t", key: "t.k" });
    const err = await failure(sendCommand(client, commandSubject("challenge", "other", "present"), env));
    expect(err.code).toBe(COMMAND_ERROR_CODES.invalid);
  });

  it("refuses to send to a subject that is not a command subject", async () => {
    const env = makeEnvelope("s/v1", challenge("c8"), {});
    await expect(sendCommand(client, "cm.v1.evt.challenge.c8.valid", env)).rejects.toBeInstanceOf(
      SubjectError,
    );
  });

  it("reports no responders and timeouts with their codes", async () => {
    const renew = makeEnvelope("s/v1", { kind: "Certificate", name: "c", uid: "c6" }, {});
    const none = await failure(
      sendCommand(client, "cm.v1.cmd.certificate.c6.nobody-serves-this", renew, { timeoutMs: 1000 }),
    );
    expect(none.code).toBe(COMMAND_ERROR_CODES.noResponders);

    const slow = makeEnvelope("s/v1", { kind: "Certificate", name: "c", uid: "c6" }, { delayMs: 500 });
    const late = await failure(
      sendCommand(client, commandSubject("certificate", "c6", "renew"), slow, { timeoutMs: 100 }),
    );
    expect(late.code).toBe(COMMAND_ERROR_CODES.timeout);
    expect(late.status).toBe(504);
  });

  it("rejects a reply that does not match the expected schema", async () => {
    const env = makeEnvelope("s/v1", { kind: "Certificate", name: "c", uid: "c7" }, { delayMs: 0 });
    const err = await failure(
      sendCommand(client, commandSubject("certificate", "c7", "renew"), env, {
        replySchema: RenewCertificateSchema.properties.requestedBy,
      }),
    );
    expect(err.code).toBe(COMMAND_ERROR_CODES.badReply);
  });

  it("shares requests across the queue group, each handled once", async () => {
    handledBy.length = 0;
    const n = 40;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        sendCommand(
          client,
          commandSubject("challenge", `q${i}`, "present"),
          present(`q${i}`, { type: "HTTP-01", dnsName: "example.com", token: `t${i}`, key: `t${i}.k` }),
        ),
      ),
    );
    expect(handledBy).toHaveLength(n);
    expect(new Set(handledBy)).toEqual(new Set(["one", "two"]));
  });

  it("answers $SRV.PING and $SRV.INFO for every instance", async () => {
    // Stop listening as soon as both instances answered.
    const svc = new Svcm(client.nc as unknown as ConstructorParameters<typeof Svcm>[0]).client({
      strategy: "count",
      maxMessages: 2,
      maxWait: 2000,
    });
    const pings: ServiceIdentity[] = [];
    for await (const p of await svc.ping(SERVICE.name)) pings.push(p);
    expect(pings.map((p) => p.id).sort()).toEqual(services.map((s) => s.id).sort());

    const infos: ServiceInfo[] = [];
    for await (const i of await svc.info(SERVICE.name)) infos.push(i);
    expect(infos[0]?.endpoints.map((e) => [e.name, e.subject, e.queue_group])).toEqual([
      ["present", "cm.v1.cmd.challenge.*.present", SERVICE.queue],
      ["cleanup", "cm.v1.cmd.challenge.*.cleanup", SERVICE.queue],
      ["renew", "cm.v1.cmd.certificate.*.renew", SERVICE.queue],
    ]);
  });
});
